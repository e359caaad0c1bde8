// Cuts login loops (Wonderwall's `ratelimit.*`): a user who already holds a session and keeps being
// sent to login — the app or a policy refuses the session, the browser follows redirects forever —
// gets 429 after LOGIN_RATE_LIMIT_LOGINS logins in a row, each within LOGIN_RATE_LIMIT_WINDOW of the
// last one that got through.
//
// What it is keyed on, and why. Wonderwall counts in a cookie: a looping browser keeps it, but any
// client can drop it. Here the count lives in the session store, keyed by the provider session the
// browser's session came from (`sid`, from the validated ID token), or by the user (`sub`) when
// the provider sends no sid. Neither is something a client can rotate: a new sid or sub needs a new
// login at the provider, with the password. A fresh session id per login (this service issues one
// every time) would not do: a loop rotates it by itself. Neither can it be turned against someone
// else: only requests that carry a valid session of that user count — and like Wonderwall's, a
// browser without a session is never counted, so a flood of anonymous logins cannot lock anyone
// out, nor is there a global counter to exhaust. Keying by sid first keeps one user's devices (each
// its own provider session) from counting against each other.
import { digest } from './crypto.ts';
import type { SessionRecord } from './session.ts';
import type { SessionStore } from './store/types.ts';

export interface RateLimitPolicy {
  enabled: boolean;
  logins: number;
  windowMs: number;
}

/** A login refused by the rate limit: answered 429 with Retry-After, never retried automatically. */
export class LoginRateLimitedError extends Error {
  override name = 'LoginRateLimitedError';
  readonly code = 'login_rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many logins in a row; wait ${retryAfterSeconds} s before trying again`);
  }
}

/** The store key of the attempts counted for a session's user. */
export function loginAttemptsKey(record: Pick<SessionRecord, 'sid' | 'sub'>): string {
  return `login-attempts:${digest(record.sid !== undefined ? `sid:${record.sid}` : `sub:${record.sub}`)}`;
}

export class LoginRateLimit {
  readonly #store: SessionStore;
  readonly #policy: RateLimitPolicy;

  constructor(store: SessionStore, policy: RateLimitPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Counts a login by the holder of `record`'s session; throws LoginRateLimitedError past the limit. */
  async count(record: Pick<SessionRecord, 'sid' | 'sub'> | undefined): Promise<void> {
    if (!this.#policy.enabled || !record) return;
    if (await this.#store.takeAttempt(loginAttemptsKey(record), this.#policy.logins, this.#policy.windowMs)) return;
    throw new LoginRateLimitedError(Math.max(1, Math.ceil(this.#policy.windowMs / 1000)));
  }
}
