// sso-proxy: the SSO server's session behind a request, read from the shared store with the shared
// key and cookie name — and never written back: no refresh (the proxy has no OIDC client), no
// cookie of its own. As in Wonderwall's proxy, a session whose access token has expired counts as
// none (the app gets no token; autologin sends the user to the server) and is left in the store,
// where the server's session/refresh or a new login picks it up. Below the configured acr level it
// counts as none too. Activity is recorded, so SESSION_INACTIVITY_TIMEOUT (set as on the server)
// counts requests to every app of the domain, not only the server's own endpoints.
import { meetsLevel } from '../acr.ts';
import { firstCookie } from '../cookies.ts';
import type { Session, Sessions } from '../session.ts';

export type SharedSessionOutcome =
  | { kind: 'session'; session: Session }
  | { kind: 'none'; reason: 'no_session' | 'invalid_ticket' | 'unknown_session' | 'expired' | 'tokens_expired' | 'level_too_low' };

export interface SharedSessionReader {
  /** Throws StoreUnavailableError when the store does not answer: never an allow, never a "none". */
  read(cookies: Array<[string, string]>, now?: number): Promise<SharedSessionOutcome>;
}

export function sharedSessionReader(sessions: Sessions, cookieName: string, requiredLevel?: string): SharedSessionReader {
  return {
    async read(cookies, now = Date.now()) {
      const ticket = firstCookie(cookies, cookieName);
      if (!ticket) return { kind: 'none', reason: 'no_session' };
      const resolution = await sessions.resolve(ticket, now);
      if (resolution.status !== 'active') {
        return { kind: 'none', reason: resolution.status === 'invalid' ? 'invalid_ticket' : resolution.status === 'unknown' ? 'unknown_session' : 'expired' };
      }
      const { session } = resolution;
      if (session.record.tokens.expiresAt <= now) return { kind: 'none', reason: 'tokens_expired' };
      if (requiredLevel !== undefined && !meetsLevel(requiredLevel, session.record.acr)) return { kind: 'none', reason: 'level_too_low' };
      await sessions.touch(session, now);
      return { kind: 'session', session };
    },
  };
}
