// The ext_authz mode: the /oauth2 endpoints a browser visits, and the check Envoy's HTTP
// ext_authz sends for every other path (with CHECK_PATH_PREFIX: every prefixed path, and only those).
import { createCheck } from '../http/check.ts';
import type { HttpContext } from '../http/context.ts';
import { extAuthzEndpoints } from '../http/endpoints.ts';
import { parseTarget } from '../http/request.ts';
import { sendJson } from '../http/respond.ts';
import { createEndpointRouter } from '../http/router.ts';
import { ENDPOINTS_SEGMENT, rootIngress } from '../ingress.ts';
import type { ModeHandlers } from './types.ts';

export function extAuthzMode(ctx: HttpContext): ModeHandlers {
  const { config } = ctx;
  const check = createCheck(ctx);
  const endpoints = createEndpointRouter(ctx, extAuthzEndpoints(ctx));
  const ingress = rootIngress(config.appOrigin);
  const prefix = config.checkPathPrefix;
  return {
    request(req, res) {
      const rawUrl = req.url ?? '/';
      const url = parseTarget(rawUrl, config.appOrigin);
      if (!url) return sendJson(res, 400, { error: 'bad_request_target' });
      const isEndpoint = url.pathname === ENDPOINTS_SEGMENT || url.pathname.startsWith(`${ENDPOINTS_SEGMENT}/`);
      const isCheck = prefix ? rawUrl === prefix || rawUrl.startsWith(`${prefix}/`) || rawUrl.startsWith(`${prefix}?`) : !isEndpoint;
      if (isCheck) {
        check(req, res, prefix ? rawUrl.slice(prefix.length) || '/' : rawUrl).catch(() => res.destroy());
        // Checks carry no body we use; drain anything sent so the connection can be reused.
        req.resume();
        return;
      }
      if (!isEndpoint) return sendJson(res, 404, { error: 'not_found' });
      endpoints({ req, res, url, ingress }, url.pathname.slice(ENDPOINTS_SEGMENT.length));
    },
  };
}
