// Whether the identity provider answers right now, asked just before a browser is sent to it. A
// login redirected to a provider that is down ends on the browser's own connection error page,
// with no way back; asking first lets the service show its error page (retry link, correlation id)
// instead. The probe asks the authorization endpoint itself — the host the browser would go to —
// with no parameters: any answer below 500 (typically 400, "missing client_id") means it is up.
// One round trip per login start, no cached verdict: a cached "up" would send the logins of the
// next few seconds after an outage began to the dead provider. Concurrent logins share a probe.
import { ProviderUnavailableError } from './errors.ts';

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

export class ProviderProbe {
  readonly #timeoutMs: number;
  /** The probe in flight, by URL: concurrent logins share it. */
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Resolves when `endpoint` answers; ProviderUnavailableError naming it and why otherwise. */
  async ensureReachable(endpoint: string): Promise<void> {
    let pending = this.#inflight.get(endpoint);
    if (!pending) {
      pending = this.#probe(endpoint).finally(() => this.#inflight.delete(endpoint));
      this.#inflight.set(endpoint, pending);
    }
    return pending;
  }

  async #probe(endpoint: string): Promise<void> {
    let status: number;
    try {
      const response = await fetch(endpoint, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(this.#timeoutMs) });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      throw new ProviderUnavailableError(`identity provider unreachable at ${endpoint} (${reasonOf(error)})`);
    }
    if (status >= 500) throw new ProviderUnavailableError(`identity provider unavailable at ${endpoint} (HTTP ${status})`);
  }
}
