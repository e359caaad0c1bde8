// Front-channel logouts that met a store outage, retried in the background (as Wonderwall does):
// the provider's iframe loads the URL once and never again, so a 503 would leave those sessions
// alive until they expire. A sid is kept until its sessions are ended, with a doubling delay,
// and given up (logged) after a bound. At most `maxPending` sids wait; past that the request is
// answered 503, as before. The queue lives in this process: a restart drops it, which the log
// line of every queued sid makes visible.
import { logTag } from './crypto.ts';

type Log = (object: object, message: string) => void;

export interface LogoutRetryOptions {
  /** Ends the sessions of `sid`; throws while the store is down. */
  end(sid: string): Promise<unknown>;
  logger: { info: Log; warn: Log; error: Log };
  /** Told the number of waiting sids whenever it changes (a gauge). */
  onPending?(count: number): void;
  firstDelayMs?: number;
  maxDelayMs?: number;
  giveUpAfterMs?: number;
  maxPending?: number;
}

const LOGOUT_RETRY_DEFAULTS = { firstDelayMs: 500, maxDelayMs: 30_000, giveUpAfterMs: 10 * 60_000, maxPending: 1000 } as const;

export class LogoutRetries {
  readonly #options: Required<Omit<LogoutRetryOptions, 'onPending'>> & Pick<LogoutRetryOptions, 'onPending'>;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: LogoutRetryOptions) {
    this.#options = { ...LOGOUT_RETRY_DEFAULTS, ...options };
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Queues `sid` (once); false when the queue is full and the caller must answer 503. */
  add(sid: string, now = Date.now()): boolean {
    if (this.#timers.has(sid)) return true;
    if (this.#timers.size >= this.#options.maxPending) return false;
    this.#options.logger.warn({ sid: logTag(sid) }, 'front-channel logout: the session store is down; retrying in the background');
    this.#schedule(sid, this.#options.firstDelayMs, now + this.#options.giveUpAfterMs);
    return true;
  }

  /** Drops every waiting sid (the service is stopping), logging how many were not ended. */
  close(): void {
    if (this.#timers.size > 0) this.#options.logger.error({ pending: this.#timers.size }, 'front-channel logouts still waiting for the store are dropped: the service is stopping');
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#options.onPending?.(0);
  }

  #schedule(sid: string, delayMs: number, deadline: number): void {
    const timer = setTimeout(() => void this.#attempt(sid, delayMs, deadline), delayMs);
    // A waiting logout must not keep a stopping process alive.
    timer.unref();
    this.#timers.set(sid, timer);
    this.#options.onPending?.(this.#timers.size);
  }

  async #attempt(sid: string, delayMs: number, deadline: number): Promise<void> {
    const { logger } = this.#options;
    try {
      await this.#options.end(sid);
      this.#timers.delete(sid);
      logger.info({ sid: logTag(sid) }, 'front-channel logout: done after the store came back');
    } catch {
      if (!this.#timers.has(sid)) return; // closed meanwhile
      if (Date.now() + delayMs > deadline) {
        this.#timers.delete(sid);
        logger.error({ sid: logTag(sid) }, 'front-channel logout given up: the session store stayed down; its sessions live until they expire');
      } else {
        this.#schedule(sid, Math.min(delayMs * 2, this.#options.maxDelayMs), deadline);
        return;
      }
    }
    this.#options.onPending?.(this.#timers.size);
  }
}
