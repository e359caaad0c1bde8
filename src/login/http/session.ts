// GET <ingress>/oauth2/session (the session's metadata as JSON, never a token) and
// <ingress>/oauth2/session/refresh (refresh now, cooldown respected). The Wonderwall flavour
// reports a session that timed out as `active: false` (200) and uses its sentinels for "none"
// (timeout_at 0001-01-01T00:00:00Z, -1 seconds); it also takes the refresh by GET.
import { parseCookies } from '../cookies.ts';
import type { LoginCore } from '../core.ts';
import { RefreshRejectedError } from '../errors.ts';
import type { Session } from '../session.ts';
import type { Endpoint, HttpContext } from './context.ts';
import { HttpError } from './errors.ts';
import { isSameOriginPost, isSameSiteGet, isTrustedPost } from './request.ts';
import { sendJson } from './respond.ts';

export interface SessionEndpointOptions {
  wonderwall: boolean;
  /** sso-server: the other origins of the SSO domain may POST a refresh (CORS, with credentials). */
  trustsOrigin?: (origin: string) => boolean;
}

/** Go's zero time, what Wonderwall reports for "no timeout". */
const NO_TIME = '0001-01-01T00:00:00Z';

export function sessionView(core: LoginCore, session: Session, options: SessionEndpointOptions, active = true): unknown {
  const now = Date.now();
  const { record } = session;
  const { refreshCooldownMs, refreshBeforeExpiryMs } = core.config;
  const timeoutAt = core.sessions.timeoutAt(session);
  const iso = (ms: number) => new Date(ms).toISOString();
  const secs = (ms: number) => Math.max(0, Math.round((ms - now) / 1000));
  const none = options.wonderwall ? { at: NO_TIME, seconds: -1 } : { at: null, seconds: null };
  const cooldownEnds = record.refreshedAt + refreshCooldownMs;
  return {
    session: {
      created_at: iso(record.createdAt),
      ends_at: iso(record.endsAt),
      ends_in_seconds: secs(record.endsAt),
      timeout_at: timeoutAt === undefined ? none.at : iso(timeoutAt),
      timeout_in_seconds: timeoutAt === undefined ? none.seconds : secs(timeoutAt),
      active,
    },
    tokens: {
      expire_at: iso(record.tokens.expiresAt),
      expire_in_seconds: secs(record.tokens.expiresAt),
      refreshed_at: iso(record.refreshedAt),
      next_auto_refresh_in_seconds: record.tokens.refreshToken ? secs(record.tokens.expiresAt - refreshBeforeExpiryMs) : none.seconds,
      refresh_cooldown: cooldownEnds > now,
      refresh_cooldown_seconds: secs(cooldownEnds),
    },
    // For GET /oauth2/logout?csrf=…; readable only by same-origin scripts (no CORS here).
    ...(active ? { logout_csrf: core.sessions.csrfToken(session) } : {}),
  };
}

export function sessionEndpoint({ core }: HttpContext, options: SessionEndpointOptions): Endpoint {
  return {
    methods: ['GET'],
    async handle({ req, res }) {
      const cookies = parseCookies(req.headers.cookie);
      if (!options.wonderwall) {
        const session = await core.currentSession(cookies);
        if (!session) return sendJson(res, 401, { error: 'unauthenticated' });
        return sendJson(res, 200, sessionView(core, session, options));
      }
      const found = await core.inspectSession(cookies);
      if (!found) return sendJson(res, 401, { error: 'unauthenticated' });
      return sendJson(res, 200, sessionView(core, found.session, options, found.active), found.active ? [] : [core.clearSessionCookie()]);
    },
  };
}

export function refreshEndpoint({ core, config }: HttpContext, options: SessionEndpointOptions): Endpoint {
  return {
    methods: options.wonderwall ? ['GET', 'POST'] : ['POST'],
    async handle({ req, res }) {
      const allowed =
        req.method === 'POST' ? (options.trustsOrigin ? isTrustedPost(req, options.trustsOrigin) : isSameOriginPost(req, config.appOrigin)) : isSameSiteGet(req);
      if (!allowed) throw new HttpError(403, 'cross_site_request', 'refresh must come from the application itself');
      const session = await core.currentSession(parseCookies(req.headers.cookie));
      if (!session) return sendJson(res, 401, { error: 'unauthenticated' });
      try {
        const fresh = await core.ensureFresh(session, Date.now(), true);
        const cookies = fresh.record.refreshedAt !== session.record.refreshedAt ? [core.sessionCookie(fresh)] : [];
        return sendJson(res, 200, sessionView(core, fresh, options), cookies);
      } catch (error) {
        if (error instanceof RefreshRejectedError) return sendJson(res, 401, { error: 'refresh_rejected' }, [core.clearSessionCookie()]);
        throw error;
      }
    },
  };
}
