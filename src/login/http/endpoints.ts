// The /oauth2 endpoint table, in two shapes: the ext_authz one (this service's own, unchanged) and the
// Wonderwall shape the standalone sidecar serves. Keys are the path below <ingress>/oauth2.
import type { Endpoint, HttpContext } from './context.ts';
import { callbackEndpoint } from './callback.ts';
import { frontChannelLogoutEndpoint } from './frontchannel.ts';
import { loginEndpoint } from './login.ts';
import { logoutCallbackEndpoint, logoutEndpoint } from './logout.ts';
import { pingEndpoint } from './ping.ts';
import type { EndpointTable } from './router.ts';
import { refreshEndpoint, sessionEndpoint } from './session.ts';

/** One table for both shapes: Wonderwall's answers (and `/ping`) or this service's own. */
function endpointTable(ctx: HttpContext, wonderwall: boolean, trustsOrigin?: (origin: string) => boolean): EndpointTable {
  const options = { wonderwall };
  return new Map<string, Endpoint>([
    ['/login', loginEndpoint(ctx, options)],
    // Wonderwall retries a failed callback; the ext_authz flavour shows the error page at once.
    ['/callback', callbackEndpoint(ctx, { retries: wonderwall ? ctx.config.callbackRetries : 0 })],
    ['/logout', logoutEndpoint(ctx, { provider: true, ...options })],
    ['/logout/local', logoutEndpoint(ctx, { provider: false, ...options })],
    ['/logout/callback', logoutCallbackEndpoint(ctx)],
    // Provider-initiated logout is as useful behind ext_authz: both flavours serve it.
    ['/logout/frontchannel', frontChannelLogoutEndpoint(ctx)],
    ['/session', sessionEndpoint(ctx, options)],
    ['/session/refresh', refreshEndpoint(ctx, { ...options, trustsOrigin })],
    ...(wonderwall ? [['/ping', pingEndpoint()] as [string, Endpoint]] : []),
  ]);
}

export const extAuthzEndpoints = (ctx: HttpContext): EndpointTable => endpointTable(ctx, false);

export const wonderwallEndpoints = (ctx: HttpContext, trustsOrigin?: (origin: string) => boolean): EndpointTable => endpointTable(ctx, true, trustsOrigin);
