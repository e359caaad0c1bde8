// Client-credentials access tokens for the onboarding call. One token serves every invocation of a
// warm container until shortly before it expires, so a burst of logins costs one token request;
// a 401 from onboarding drops it (keys rotated, token revoked) and the next call fetches anew.
import { OnboardingError } from './errors.ts';
import { requestWithRetry, readJson, type Fetch } from './http.ts';

export interface TokenSourceOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  fetch?: Fetch;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Cached {
  value: string;
  /** When to stop using it: a little before the real expiry, so it cannot expire in flight. */
  refreshAt: number;
}

/** At most 30 s early, and never more than a tenth of a short lifetime. */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(30_000, Math.floor(lifetimeMs / 10));
}

export class ClientCredentialsTokenSource {
  #options: TokenSourceOptions;
  #fetch: Fetch;
  #now: () => number;
  #cached: Cached | undefined;
  #pending: Promise<Cached> | undefined;
  /** How many token requests were sent (for logs and tests). */
  requests = 0;

  constructor(options: TokenSourceOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /** A valid access token, from the cache when possible. */
  async get(signal: AbortSignal, timeoutMs: number): Promise<{ token: string; cached: boolean }> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.refreshAt) return { token: cached.value, cached: true };
    // Concurrent invocations (the in-process stand-in) share one request instead of racing.
    this.#pending ??= this.#request(signal, timeoutMs).finally(() => {
      this.#pending = undefined;
    });
    const fresh = await this.#pending;
    return { token: fresh.value, cached: false };
  }

  /** Forget `token` if it is still the cached one (onboarding rejected it). */
  invalidate(token: string): void {
    if (this.#cached?.value === token) this.#cached = undefined;
  }

  async #request(signal: AbortSignal, timeoutMs: number): Promise<Cached> {
    const { tokenUrl, clientId, clientSecret, scope } = this.#options;
    // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) body.set('scope', scope);
    this.requests++;
    const started = this.#now();
    const response = await requestWithRetry(
      this.#fetch,
      tokenUrl,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
      },
      signal,
      'token endpoint',
      timeoutMs,
    );
    const json = (await readJson(response, 'token endpoint', signal, timeoutMs)) as Record<string, unknown> | null;
    if (!response.ok) {
      // error and error_description are protocol codes and text, safe to repeat.
      const code = typeof json?.error === 'string' ? `: ${json.error}` : '';
      const description = typeof json?.error_description === 'string' ? ` (${json.error_description.slice(0, 200)})` : '';
      throw new OnboardingError('token', `token endpoint answered HTTP ${response.status}${code}${description}`);
    }
    const value = json?.access_token;
    const expiresIn = json?.expires_in;
    const tokenType = json?.token_type;
    if (typeof value !== 'string' || value.length === 0) {
      throw new OnboardingError('invalid_response', 'token endpoint answered without an access_token');
    }
    if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
      throw new OnboardingError('invalid_response', 'token endpoint answered with a token_type other than Bearer');
    }
    // Without expires_in the lifetime is unknown: use it for this call only.
    const lifetimeMs = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : 0;
    const cached = { value, refreshAt: started + lifetimeMs - refreshMargin(lifetimeMs) };
    this.#cached = lifetimeMs > 0 ? cached : undefined;
    return cached;
  }
}
