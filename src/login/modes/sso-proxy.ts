// The SSO proxy (Wonderwall's sso-proxy): a read-only sidecar in front of one app, for a domain
// whose one relying party is the SSO server. No OIDC client, no provider, no client secret: it
// reads the server's sessions from the shared Redis (shared ENCRYPTION_KEY and SESSION_COOKIE_NAME),
// never refreshes or writes them, and proxies the app like standalone does. Under <ingress>/oauth2:
// login and logout send the browser to the server (with an absolute return URL on this app), the
// session endpoints are reverse-proxied to it, ping is answered here.
import type { Logger } from 'pino';
import type { LoginConfig } from '../config.ts';
import { parseCookies } from '../cookies.ts';
import { FlowCookies } from '../flow-cookies.ts';
import { endpointUrl } from '../ingress.ts';
import type { LoginMetrics } from '../metrics.ts';
import type { RedirectValidator } from '../redirect.ts';
import type { Sessions } from '../session.ts';
import { StoreUnavailableError } from '../store/types.ts';
import type { Endpoint, Exchange } from '../http/context.ts';
import { HttpError, methodNotAllowed } from '../http/errors.ts';
import { pingEndpoint } from '../http/ping.ts';
import { GET_OR_HEAD, isDocumentNavigation, isGetOrHead, isSameOriginPost, readForm } from '../http/request.ts';
import { send, sendJson, sendRedirect } from '../http/respond.ts';
import type { EndpointTable } from '../http/router.ts';
import { createServerProxy, type ServerProxy } from '../http/server-proxy.ts';
import { sharedSessionReader } from '../http/shared-session.ts';
import { createSidecar, routeSidecarRequest, upgradeToApp } from '../http/sidecar.ts';
import { carriedLoginParams, proxyLoginUrl, returnUrl, serverEndpoint } from '../http/sso-redirect.ts';
import type { ModeHandlers } from './types.ts';

/** What the proxy runs on: no LoginCore (that is the relying party), only the sessions it reads. */
export interface SsoProxyContext {
  config: LoginConfig;
  sessions: Sessions;
  /** The mode's redirect rules (relative paths only, on APP_ORIGIN). */
  redirects: RedirectValidator;
  metrics: LoginMetrics;
  logger: Logger;
}

/** Endpoints the server answers, proxied as they are: path below /oauth2 → methods. */
const SERVER_ENDPOINTS: ReadonlyArray<[string, readonly string[]]> = [
  ['/session', ['GET']],
  ['/session/refresh', ['GET', 'POST']],
  ['/logout/local', [...GET_OR_HEAD, 'POST']],
  ['/logout/frontchannel', ['GET']],
];

function navigationRequired(exchange: Exchange, subpath: string): void {
  const what = subpath.slice(1);
  sendJson(exchange.res, 401, { error: 'navigation_required', message: `open the ${what} URL as a page (a redirect), not with fetch or XHR`, [what]: endpointUrl(exchange.ingress, subpath) });
}

function endpointTable(ctx: SsoProxyContext, server: URL, serverProxy: ServerProxy): EndpointTable {
  const { config, redirects } = ctx;
  const defaults = config.acrValues ? { level: config.acrValues } : {};
  const login: Endpoint = {
    methods: GET_OR_HEAD,
    async handle(exchange) {
      if (!isDocumentNavigation(exchange.req, GET_OR_HEAD)) return navigationRequired(exchange, '/login');
      const { url, ingress } = exchange;
      const query = { ...carriedLoginParams(url.searchParams, defaults), redirect: returnUrl(redirects, url.searchParams.get('redirect'), ingress) };
      sendRedirect(exchange.res, serverEndpoint(server, '/login', query));
    },
  };
  const logout: Endpoint = {
    methods: [...GET_OR_HEAD, 'POST'],
    async handle(exchange) {
      const { req, res, url, ingress } = exchange;
      let target = url.searchParams.get('redirect');
      const csrf = isGetOrHead(req) ? url.searchParams.get('csrf') : null;
      if (req.method === 'POST') {
        if (!isSameOriginPost(req, config.appOrigin)) throw new HttpError(403, 'cross_site_logout', 'logout must come from the application itself');
        target = (await readForm(req)).get('redirect') ?? target;
      } else if (!isDocumentNavigation(req, GET_OR_HEAD)) {
        return navigationRequired(exchange, '/logout');
      }
      // The server decides whether this GET may log out (a page of the domain, or the csrf token).
      const query: Record<string, string> = {};
      if (target) query.redirect = returnUrl(redirects, target, ingress);
      if (csrf) query.csrf = csrf;
      const location = serverEndpoint(server, '/logout', query);
      // A POST becomes the GET the server's logout is: 303 says so to the browser.
      if (req.method === 'POST') return send(res, 303, { location });
      sendRedirect(res, location);
    },
  };
  const table = new Map<string, Endpoint>([
    ['/login', login],
    ['/logout', logout],
    // The provider only ever returns to the server; a browser that lands here starts over (Wonderwall's answers).
    ['/callback', { methods: ['GET'], handle: async ({ res, ingress }) => sendRedirect(res, proxyLoginUrl(redirects, `${ingress.prefix}/`, ingress)) }],
    ['/logout/callback', { methods: ['GET'], handle: async ({ res }) => sendRedirect(res, serverEndpoint(server, '/logout')) }],
    ['/ping', pingEndpoint()],
  ]);
  for (const [subpath, methods] of SERVER_ENDPOINTS) {
    table.set(subpath, { methods, handle: async ({ req, res, url }) => serverProxy.forward(req, res, url, subpath) });
  }
  return table;
}

export function ssoProxyMode(ctx: SsoProxyContext): ModeHandlers {
  const { config, sessions, redirects, logger, metrics } = ctx;
  const server = config.ssoServerUrl;
  if (!server) throw new Error('sso-proxy mode needs SSO_SERVER_URL');
  const reader = sharedSessionReader(sessions, config.cookieName, config.acrValues);
  // Login-state cookies are the server's (host-only there); a stray copy still never reaches the app.
  const flows = new FlowCookies(config.encryptionKey, config.cookieSecure, config.loginStateMaxAgeMs);
  const ownsCookie = (name: string) => name === config.cookieName || flows.owns(name);
  const serverProxy = createServerProxy({ server, appOrigin: config.appOrigin, cookieName: config.cookieName, logger });
  const endpoints = endpointTable(ctx, server, serverProxy);
  const sidecar = createSidecar({
    config,
    logger,
    metrics,
    ownsCookie,
    loginUrl: (pathAndQuery, ingress) => proxyLoginUrl(redirects, pathAndQuery, ingress),
    async identify(req) {
      const outcome = await reader.read(parseCookies(req.headers.cookie));
      if (outcome.kind === 'none') return { setCookies: [] };
      const { tokens } = outcome.session.record;
      return { identity: { accessToken: tokens.accessToken, idToken: config.upstreamIdToken.include ? tokens.idToken : undefined }, setCookies: [] };
    },
  });

  function answerFailure(res: Exchange['res'], error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      return sendJson(res, error.status, { error: error.code, message: error.message }, [], error.allow ? { allow: error.allow.join(', ') } : {});
    }
    const unavailable = error instanceof StoreUnavailableError;
    if (unavailable) metrics.storeErrors.inc();
    logger.error({ code: unavailable ? 'session_store_unavailable' : 'internal_error', reason: error instanceof Error ? error.message : String(error) }, 'request failed');
    sendJson(res, unavailable ? 503 : 500, { error: unavailable ? 'session_store_unavailable' : 'internal_error' });
  }

  return {
    request(req, res) {
      const routed = routeSidecarRequest(config, req.url ?? '/');
      if (!routed) return sendJson(res, 400, { error: 'bad_request_target' });
      const { url, ingress, subpath } = routed;
      if (subpath === undefined) return sidecar.request(req, res, url, ingress);
      const endpoint = endpoints.get(subpath);
      const run = async () => {
        if (!endpoint) return sendJson(res, 404, { error: 'not_found' });
        if (!endpoint.methods.includes(req.method ?? 'GET')) throw methodNotAllowed(endpoint.methods);
        await endpoint.handle({ req, res, url, ingress });
      };
      run().catch((error: unknown) => answerFailure(res, error));
    },

    upgrade: upgradeToApp(config, sidecar),

    close() {
      sidecar.close();
      serverProxy.close();
    },
  };
}
