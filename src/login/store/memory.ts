// The in-process store: the embedded default for one machine and tests. Expired entries are
// dropped when read and by a periodic sweep, so an idle service does not hold dead sessions.
import type { SessionStore } from './types.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

export class MemoryStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.#sweeper = setInterval(() => this.#sweep(), sweepEveryMs);
    this.#sweeper.unref();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    return keys.map((key) => this.#live(key)?.value);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: Date.now() + Math.max(1, ttlMs) });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#entries.set(key, { value, expiresAt: Date.now() + Math.max(1, ttlMs) });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#live(key)?.value !== value) return false;
    this.#entries.delete(key);
    return true;
  }

  async ping(): Promise<void> {}

  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }
}
