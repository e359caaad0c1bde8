// `GET /users/{id}` on onboarding, machine to machine: a bearer client-credentials token, the
// invocation's deadline, one retry on a connection error, one token refetch on a 401.
import { OnboardingError } from './errors.ts';
import { requestWithRetry, readJson, type Fetch } from './http.ts';
import type { ClientCredentialsTokenSource } from './token-source.ts';

export interface OnboardingUser {
  id: string;
  privilege: string;
  email?: string;
  organisations?: string[];
}

export interface CallInfo {
  /** Whether the token came from the cache. */
  tokenCached: boolean;
  /** Whether the token was refetched after a 401. */
  tokenRefetched: boolean;
}

export class OnboardingClient {
  #baseUrl: string;
  #tokens: ClientCredentialsTokenSource;
  #fetch: Fetch;

  constructor(options: { baseUrl: string; tokens: ClientCredentialsTokenSource; fetch?: Fetch }) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#tokens = options.tokens;
    this.#fetch = options.fetch ?? fetch;
  }

  async getUser(id: string, signal: AbortSignal, timeoutMs: number): Promise<{ user: OnboardingUser; info: CallInfo }> {
    const url = `${this.#baseUrl}/users/${encodeURIComponent(id)}`;
    const info: CallInfo = { tokenCached: false, tokenRefetched: false };
    for (let attempt = 1; ; attempt++) {
      const { token, cached } = await this.#tokens.get(signal, timeoutMs);
      if (attempt === 1) info.tokenCached = cached;
      const response = await requestWithRetry(
        this.#fetch,
        url,
        { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
        signal,
        'onboarding',
        timeoutMs,
      );
      if (response.status === 401) {
        await response.body?.cancel();
        this.#tokens.invalidate(token);
        if (attempt === 1) {
          info.tokenRefetched = true;
          continue;
        }
        throw new OnboardingError('unauthorized', 'onboarding rejected the M2M token (HTTP 401), also after fetching a new one');
      }
      if (response.status === 404) {
        await response.body?.cancel();
        throw new OnboardingError('not_found', `onboarding has no user ${id}`);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new OnboardingError('status', `onboarding answered HTTP ${response.status}`);
      }
      const body = (await readJson(response, 'onboarding', signal, timeoutMs)) as Record<string, unknown> | null;
      const privilege = body?.privilege;
      if (typeof privilege !== 'string' || privilege.length === 0) {
        throw new OnboardingError('invalid_response', `onboarding's user ${id} has no privilege`);
      }
      if (typeof body?.id === 'string' && body.id !== id) {
        throw new OnboardingError('invalid_response', `onboarding answered with another user than ${id}`);
      }
      return {
        user: {
          id,
          privilege,
          ...(typeof body?.email === 'string' ? { email: body.email } : {}),
          ...(Array.isArray(body?.organisations) ? { organisations: body.organisations.filter((o): o is string => typeof o === 'string') } : {}),
        },
        info,
      };
    }
  }
}
