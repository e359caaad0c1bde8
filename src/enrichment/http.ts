// One HTTP request with the two rules both calls share: the invocation's deadline (an AbortSignal)
// bounds everything, and a connection-level failure is retried once, because a fresh Lambda
// container's first connection through a VPC endpoint sometimes fails while the next succeeds.
// Only connection failures are retried: a timeout means the budget is gone, and an HTTP status is
// an answer.
import { OnboardingError } from './errors.ts';

export type Fetch = typeof fetch;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function connectionCode(error: unknown): string | undefined {
  // undici reports network failures as TypeError('fetch failed') with the system error as cause.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `what` names the peer in errors ("onboarding", "token endpoint"); URLs carry no secrets here. */
export async function requestWithRetry(
  fetchImpl: Fetch,
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  what: string,
  timeoutMs: number,
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchImpl(url, { ...init, signal, redirect: 'manual' });
    } catch (error) {
      if (signal.aborted) {
        throw new OnboardingError('timeout', `${what} did not answer within ${timeoutMs} ms`, { cause: error });
      }
      const code = connectionCode(error);
      if (code && attempt === 1) continue;
      throw new OnboardingError(
        'connection',
        `cannot reach ${what} (${code ?? (error instanceof Error ? error.message : 'network error')}${attempt > 1 ? ', after one retry' : ''})`,
        { cause: error },
      );
    }
  }
}

/** Reads a JSON body within the same deadline; a non-JSON body is an invalid response. */
export async function readJson(response: Response, what: string, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    if (signal.aborted) throw new OnboardingError('timeout', `${what} did not answer within ${timeoutMs} ms`, { cause: error });
    throw new OnboardingError('invalid_response', `${what} answered HTTP ${response.status} without a JSON body`, { cause: error });
  }
}
