// The SSO server (Wonderwall's sso-server): the one relying party of a domain. It serves only the
// /oauth2 endpoints — no reverse proxy — and sets the session cookie with Domain=SSO_DOMAIN, so
// every app of the domain (through its SSO proxy) sends it. Redirects may go to any origin of the
// domain; the session endpoints answer those origins' scripts (CORS). No automatic refresh: there
// are no proxied requests to refresh on, only an explicit /oauth2/session/refresh.
import { applyCors, domainOrigins } from '../http/cors.ts';
import type { HttpContext } from '../http/context.ts';
import { wonderwallEndpoints } from '../http/endpoints.ts';
import { parseTarget } from '../http/request.ts';
import { sendJson } from '../http/respond.ts';
import { createEndpointRouter } from '../http/router.ts';
import { ENDPOINTS_SEGMENT, rootIngress } from '../ingress.ts';
import type { ModeHandlers } from './types.ts';

/** The endpoints other origins of the domain call from scripts. */
const CORS_ENDPOINTS = new Set(['/session', '/session/refresh']);

export function ssoServerMode(ctx: HttpContext): ModeHandlers {
  const { config } = ctx;
  if (!config.sso) throw new Error('sso-server mode needs SSO_DOMAIN');
  const trusts = domainOrigins(config.sso.domain);
  const endpoints = createEndpointRouter(ctx, wonderwallEndpoints(ctx, trusts));
  const ingress = rootIngress(config.appOrigin);
  return {
    request(req, res) {
      const url = parseTarget(req.url ?? '/', config.appOrigin);
      if (!url) return sendJson(res, 400, { error: 'bad_request_target' });
      const isEndpoint = url.pathname === ENDPOINTS_SEGMENT || url.pathname.startsWith(`${ENDPOINTS_SEGMENT}/`);
      if (!isEndpoint) {
        req.resume();
        return sendJson(res, 404, { error: 'not_found' });
      }
      const subpath = url.pathname.slice(ENDPOINTS_SEGMENT.length);
      if (CORS_ENDPOINTS.has(subpath) && applyCors(req, res, trusts)) return;
      endpoints({ req, res, url, ingress }, subpath);
    },
  };
}
