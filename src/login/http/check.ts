// The ext_authz check Envoy's HTTP ext_authz (or the local gateway) sends for every request that
// is not an /oauth2 endpoint: allow with the session's ID token, or deny (302 to login for a
// navigation, 401 JSON for the rest), never allow on a failure (503).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookies } from '../cookies.ts';
import { ProviderUnavailableError } from '../errors.ts';
import { rootIngress } from '../ingress.ts';
import { checkRedirect } from '../redirect.ts';
import { StoreUnavailableError } from '../store/types.ts';
import { upstreamCookieHeaders } from '../upstream-cookies.ts';
import type { HttpContext } from './context.ts';
import { isNavigation } from './request.ts';
import { send, sendJson, sendRedirect, type Headers } from './respond.ts';

/** Set by the gateway (Envoy's router, src/gateway) when a route rewrote the path; any client copy is dropped there. */
export const ORIGINAL_PATH_HEADER = 'x-envoy-original-path';

/**
 * The URL the user asked for at the gateway: a route may have rewritten `/user/me` to `/me`
 * before the check (the waypoint sees the rewritten path), and a user sent back to `/me` after
 * login would land on another app. The value is judged by the same redirect rules as any other.
 */
export function requestedPath(req: IncomingMessage, checkPath: string): string {
  const original = req.headers[ORIGINAL_PATH_HEADER];
  return typeof original === 'string' && original.startsWith('/') ? original : checkPath;
}

export function createCheck(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse, pathAndQuery: string) => Promise<void> {
  const { config, core, metrics, logger } = ctx;
  const ownsCookie = (name: string) => core.ownsCookie(name);
  const loginPath = rootIngress(config.appOrigin);
  // During an outage every check fails the same way: log each failure kind once per 10 s (with a
  // count of the ones skipped) instead of once per request.
  const quietUntil = new Map<string, { until: number; skipped: number }>();
  function logCheckFailure(code: string, reason: string): void {
    const now = Date.now();
    const quiet = quietUntil.get(code);
    if (quiet && now < quiet.until) {
      quiet.skipped++;
      return;
    }
    logger.error({ code, reason, similarSkipped: quiet?.skipped ?? 0 }, 'check failed');
    quietUntil.set(code, { until: now + 10_000, skipped: 0 });
  }

  return async (req, res, pathAndQuery) => {
    const started = performance.now();
    let result = 'error';
    try {
      const auth = await core.authenticate(parseCookies(req.headers.cookie));
      if (auth.kind === 'allow') {
        result = 'allowed';
        const headers: Headers = {
          authorization: `Bearer ${auth.session.record.tokens.idToken}`,
          ...upstreamCookieHeaders(req.headers.cookie, ownsCookie),
        };
        if (auth.setCookies.length) headers['set-cookie'] = auth.setCookies;
        send(res, 200, headers);
      } else if (isNavigation(req)) {
        result = 'redirected';
        const original = checkRedirect(requestedPath(req, pathAndQuery), config.appOrigin);
        const login = new URL(core.loginUrl(null, loginPath));
        if (original.ok) login.searchParams.set('redirect', original.url.slice(config.appOrigin.length));
        sendRedirect(res, login.href, auth.setCookies);
      } else {
        result = 'unauthorized';
        sendJson(res, 401, { error: 'unauthenticated', reason: auth.reason, login: '/oauth2/login' }, auth.setCookies, { 'www-authenticate': 'Cookie realm="oneconnect"' });
      }
    } catch (error) {
      // Never an allow on failure: 503 (Envoy turns it into statusOnError, 403 by default).
      if (error instanceof StoreUnavailableError) metrics.storeErrors.inc();
      const code = error instanceof StoreUnavailableError ? 'session_store_unavailable' : error instanceof ProviderUnavailableError ? error.code : 'internal_error';
      logCheckFailure(code, error instanceof Error ? error.message : String(error));
      sendJson(res, 503, { error: code }, [], { 'retry-after': '5' });
    } finally {
      metrics.checks.inc({ result });
      metrics.checkDuration.observe({ result }, (performance.now() - started) / 1000);
    }
  };
}
