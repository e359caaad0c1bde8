// Wonderwall's automatic callback retry: a login callback that fails sends the browser back to
// login (to the same, re-checked target) instead of an error page, at most CALLBACK_RETRIES times
// in a row; then the error page with its correlation id. The count rides in a small cookie on the
// ingress's /oauth2 path, cleared by the next successful callback. It is a plain number, not
// sealed: a client that forges it can only earn itself more round trips to the provider, which it
// could make anyway — the bound is there for honest browsers caught in a failing loop.
import { expireCookie, firstCookie, serializeCookie } from './cookies.ts';
import { LoginRejectedError } from './errors.ts';

export const CALLBACK_RETRY_COOKIE = 'oc-callback-retries';

/** Failures a new login cannot mend: the user (or the provider on their behalf) said no. */
const FINAL_CODES: ReadonlySet<string> = new Set(['authorization_error']);

export interface CallbackRetryOptions {
  /** Retries in a row before the error page (0: none). */
  max: number;
  secure: boolean;
  /** How long a count is remembered (a login's lifetime). */
  maxAgeMs: number;
}

export class CallbackRetries {
  readonly #options: CallbackRetryOptions;

  constructor(options: CallbackRetryOptions) {
    this.#options = options;
  }

  /** Retries already made, from the cookie (hostile: anything but a small number counts as none). */
  attempts(cookies: Array<[string, string]>): number {
    const value = firstCookie(cookies, CALLBACK_RETRY_COOKIE);
    return value !== undefined && /^\d{1,2}$/.test(value) ? Number(value) : 0;
  }

  /** Whether this failure, after `attempts` retries, is sent back to login once more. */
  retries(error: unknown, attempts: number): boolean {
    if (attempts >= this.#options.max) return false;
    return !(error instanceof LoginRejectedError && FINAL_CODES.has(error.code));
  }

  count(attempts: number, path: string): string {
    return serializeCookie(CALLBACK_RETRY_COOKIE, String(attempts), { path, secure: this.#options.secure, maxAge: Math.floor(this.#options.maxAgeMs / 1000) });
  }

  clear(path: string): string {
    return expireCookie(CALLBACK_RETRY_COOKIE, { path, secure: this.#options.secure });
  }
}
