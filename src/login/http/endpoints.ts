// The /oauth2 endpoint tables: the ext_authz shape (this service's own, unchanged) and the
// Wonderwall shape the standalone sidecar serves. Keys are the path below <ingress>/oauth2.
import type { Endpoint, HttpContext } from './context.ts';
import { callbackEndpoint } from './callback.ts';
import { loginEndpoint } from './login.ts';
import { logoutCallbackEndpoint, logoutEndpoint } from './logout.ts';
import { pingEndpoint } from './ping.ts';
import type { EndpointTable } from './router.ts';
import { refreshEndpoint, sessionEndpoint } from './session.ts';

export function extAuthzEndpoints(ctx: HttpContext): EndpointTable {
  const options = { wonderwall: false };
  return new Map<string, Endpoint>([
    ['/login', loginEndpoint(ctx, options)],
    ['/callback', callbackEndpoint(ctx)],
    ['/logout', logoutEndpoint(ctx, { provider: true, ...options })],
    ['/logout/local', logoutEndpoint(ctx, { provider: false, ...options })],
    ['/logout/callback', logoutCallbackEndpoint(ctx)],
    ['/session', sessionEndpoint(ctx, options)],
    ['/session/refresh', refreshEndpoint(ctx, options)],
  ]);
}

export function wonderwallEndpoints(ctx: HttpContext, trustsOrigin?: (origin: string) => boolean): EndpointTable {
  const options = { wonderwall: true };
  return new Map<string, Endpoint>([
    ['/login', loginEndpoint(ctx, options)],
    ['/callback', callbackEndpoint(ctx)],
    ['/logout', logoutEndpoint(ctx, { provider: true, ...options })],
    ['/logout/local', logoutEndpoint(ctx, { provider: false, ...options })],
    ['/logout/callback', logoutCallbackEndpoint(ctx)],
    ['/session', sessionEndpoint(ctx, options)],
    ['/session/refresh', refreshEndpoint(ctx, { ...options, trustsOrigin })],
    ['/ping', pingEndpoint()],
  ]);
}
