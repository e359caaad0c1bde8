// The standalone sidecar (Wonderwall's default mode): a reverse proxy in front of one app. The
// Wonderwall-shaped endpoints live under <ingress>/oauth2 for every ingress; every other request
// goes to UPSTREAM_URL (http/sidecar.ts) — with the session's access token as a Bearer (refreshed
// as requests arrive), or as it came when there is no session, unless autologin sends it to login first.
import { parseCookies } from '../cookies.ts';
import type { HttpContext } from '../http/context.ts';
import { wonderwallEndpoints } from '../http/endpoints.ts';
import { sendJson } from '../http/respond.ts';
import { createEndpointRouter } from '../http/router.ts';
import { createSidecar, routeSidecarRequest, upgradeToApp } from '../http/sidecar.ts';
import type { ModeHandlers } from './types.ts';

export function standaloneMode(ctx: HttpContext): ModeHandlers {
  const { config, core, logger, metrics } = ctx;
  const endpoints = createEndpointRouter(ctx, wonderwallEndpoints(ctx));
  const sidecar = createSidecar({
    config,
    logger,
    metrics,
    ownsCookie: (name) => core.ownsCookie(name),
    loginUrl: (pathAndQuery, ingress) => core.loginUrl(pathAndQuery, ingress),
    async identify(req) {
      // The core refreshes due tokens first; its Set-Cookie (re-issued or expired cookie) goes to the browser either way.
      const auth = await core.authenticate(parseCookies(req.headers.cookie));
      if (auth.kind !== 'allow') return { setCookies: auth.setCookies };
      const { tokens } = auth.session.record;
      return { identity: { accessToken: tokens.accessToken, idToken: config.upstreamIdToken.include ? tokens.idToken : undefined }, setCookies: auth.setCookies };
    },
  });

  return {
    request(req, res) {
      const routed = routeSidecarRequest(config, req.url ?? '/');
      if (!routed) return sendJson(res, 400, { error: 'bad_request_target' });
      const { url, ingress, subpath } = routed;
      if (subpath !== undefined) return endpoints({ req, res, url, ingress }, subpath);
      sidecar.request(req, res, url, ingress);
    },

    upgrade: upgradeToApp(config, sidecar),

    close() {
      sidecar.close();
    },
  };
}
