// Short-lived browser-side state of a login or logout in flight, sealed so the browser can neither
// read nor forge it. One cookie per login, named after a digest of its `state`, so several tabs can
// log in at once without overwriting each other; scoped to /oauth2 so they never ride along on
// ordinary requests.
import { digest, deriveKey, open, seal } from './crypto.ts';
import { expireCookie, serializeCookie } from './cookies.ts';
import { ENDPOINTS_SEGMENT } from './ingress.ts';

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Absolute, already-checked redirect target (checked again at the callback). */
  redirect: string;
  createdAt: number;
  /** The redirect_uri the login was started with (its ingress's callback); absent: APP_ORIGIN's. */
  redirectUri?: string;
  /** The acr_values the login asked for: the ID token's acr must meet it. */
  acr?: string;
}

const LOGIN_PREFIX = 'oc-login-';
const LOGOUT_COOKIE = 'oc-logout';
/** Where the cookies live on the root ingress; an ingress with a prefix puts that prefix first. */
export const LOGIN_COOKIE_PATH = ENDPOINTS_SEGMENT;
export const LOGOUT_COOKIE_PATH = `${ENDPOINTS_SEGMENT}/logout`;
/** Browsers cap cookies per host (~50 in Chromium); a few parallel logins are plenty. */
export const MAX_PARALLEL_LOGINS = 5;

export class FlowCookies {
  readonly #key: Buffer;
  readonly #secure: boolean;
  readonly #maxAgeMs: number;

  constructor(rootKey: Buffer, secure: boolean, maxAgeMs: number) {
    this.#key = deriveKey(rootKey, 'flow cookies');
    this.#secure = secure;
    this.#maxAgeMs = maxAgeMs;
  }

  /** Whether a cookie is one of these (a login state or the logout target): never a backend's business. */
  owns(name: string): boolean {
    return name.startsWith(LOGIN_PREFIX) || name === LOGOUT_COOKIE;
  }

  loginCookieName(state: string): string {
    return `${LOGIN_PREFIX}${digest(state).slice(0, 22)}`;
  }

  issueLogin(pending: PendingLogin, path = LOGIN_COOKIE_PATH): string {
    const name = this.loginCookieName(pending.state);
    return serializeCookie(name, seal(this.#key, JSON.stringify(pending), name), { path, secure: this.#secure, maxAge: this.#maxAgeMs / 1000 });
  }

  clearLogin(name: string, path = LOGIN_COOKIE_PATH): string {
    return expireCookie(name, { path, secure: this.#secure });
  }

  /** The pending login for `state`, if its cookie is present, authentic and not expired. */
  findLogin(cookies: Array<[string, string]>, state: string, now = Date.now()): PendingLogin | undefined {
    const name = this.loginCookieName(state);
    for (const [candidate, value] of cookies) {
      if (candidate !== name) continue;
      const pending = this.#openLogin(name, value);
      if (pending && pending.state === state && now - pending.createdAt < this.#maxAgeMs) return pending;
    }
    return undefined;
  }

  #openLogin(name: string, value: string): PendingLogin | undefined {
    const plain = open(this.#key, value, name);
    if (!plain) return undefined;
    try {
      return JSON.parse(plain.toString()) as PendingLogin;
    } catch {
      return undefined;
    }
  }

  /**
   * Set-Cookie lines that make room for one more login: expired or unreadable login cookies go,
   * and the oldest beyond MAX_PARALLEL_LOGINS - 1.
   */
  prune(cookies: Array<[string, string]>, now = Date.now(), path = LOGIN_COOKIE_PATH): string[] {
    const live: Array<{ name: string; createdAt: number }> = [];
    const expire: string[] = [];
    for (const [name, value] of cookies) {
      if (!name.startsWith(LOGIN_PREFIX)) continue;
      const pending = this.#openLogin(name, value);
      if (!pending || now - pending.createdAt >= this.#maxAgeMs) expire.push(name);
      else live.push({ name, createdAt: pending.createdAt });
    }
    live.sort((a, b) => b.createdAt - a.createdAt);
    for (const old of live.slice(MAX_PARALLEL_LOGINS - 1)) expire.push(old.name);
    return [...new Set(expire)].map((name) => this.clearLogin(name, path));
  }

  issueLogoutTarget(redirect: string, now = Date.now(), path = LOGOUT_COOKIE_PATH): string {
    return serializeCookie(LOGOUT_COOKIE, seal(this.#key, JSON.stringify({ redirect, createdAt: now }), LOGOUT_COOKIE), {
      path,
      secure: this.#secure,
      maxAge: this.#maxAgeMs / 1000,
    });
  }

  readLogoutTarget(cookies: Array<[string, string]>, now = Date.now()): string | undefined {
    for (const [name, value] of cookies) {
      if (name !== LOGOUT_COOKIE) continue;
      const plain = open(this.#key, value, LOGOUT_COOKIE);
      if (!plain) continue;
      try {
        const parsed = JSON.parse(plain.toString()) as { redirect: string; createdAt: number };
        if (now - parsed.createdAt < this.#maxAgeMs) return parsed.redirect;
      } catch {
        // unreadable: ignore it
      }
    }
    return undefined;
  }

  clearLogoutTarget(path = LOGOUT_COOKIE_PATH): string {
    return expireCookie(LOGOUT_COOKIE, { path, secure: this.#secure });
  }
}
