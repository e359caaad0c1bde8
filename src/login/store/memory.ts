// The in-process store: the embedded default for one machine and tests. Expired entries are
// dropped when read and by a periodic sweep, so an idle service does not hold dead sessions; and it
// is bounded (least recently used first out), so a flood of logins cannot exhaust the process'
// memory — an evicted session simply has to log in again.
import { Lru } from '../lru.ts';
import type { SessionStore } from './types.ts';

/** The bound when none is configured (MEMORY_STORE_MAX_ENTRIES' default). */
export const DEFAULT_MEMORY_MAX_ENTRIES = 100_000;

interface Entry {
  value: string;
  /** Set entries (indexes) only. */
  members?: Set<string>;
  expiresAt: number;
}

export class MemoryStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #entries: Lru<string, Entry>;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: { maxEntries?: number; sweepEveryMs?: number; onEvict?: () => void } = {}) {
    const sweepEveryMs = options.sweepEveryMs ?? 60_000;
    this.#entries = new Lru(options.maxEntries ?? DEFAULT_MEMORY_MAX_ENTRIES, options.onEvict && (() => options.onEvict!()));
    this.#sweeper = setInterval(() => this.#sweep(), sweepEveryMs);
    this.#sweeper.unref();
  }

  /** The entry if present and not expired; a read (`touch`) makes it the most recently used. */
  #live(key: string, touch = true): Entry | undefined {
    const entry = touch ? this.#entries.get(key) : this.#entries.peek(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    // Deleting the entry being visited is safe while iterating a Map.
    for (const [key, entry] of this.#entries.entries()) if (entry.expiresAt <= now) this.#entries.delete(key);
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
    if (this.#live(key, false)) return false;
    this.#entries.set(key, { value, expiresAt: Date.now() + Math.max(1, ttlMs) });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#live(key, false)?.value !== value) return false;
    this.#entries.delete(key);
    return true;
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    const expiresAt = Date.now() + Math.max(1, ttlMs);
    const entry = this.#live(key);
    if (entry?.members) {
      entry.members.add(member);
      entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
      return;
    }
    this.#entries.set(key, { value: '', members: new Set([member]), expiresAt });
  }

  async setMembers(key: string): Promise<string[]> {
    return [...(this.#live(key)?.members ?? [])];
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    const entry = this.#live(key, false);
    if (!entry?.members) return;
    entry.members.delete(member);
    if (entry.members.size === 0) this.#entries.delete(key);
  }

  async takeAttempt(key: string, limit: number, windowMs: number): Promise<boolean> {
    const count = Number(this.#live(key, false)?.value ?? 0);
    if (count >= limit) return false;
    this.#entries.set(key, { value: String(count + 1), expiresAt: Date.now() + Math.max(1, windowMs) });
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
