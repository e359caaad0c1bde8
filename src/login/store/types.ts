// What a session store must do. Values are opaque sealed strings: a store never sees a token in
// clear. Every method rejects with StoreUnavailableError when the backend cannot answer, and callers
// turn that into 503 — a store outage must never read as "no session" (login loop) nor as "allow".
export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Several keys in one round trip (Redis MGET). */
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only if absent; true when this call set it (locks, replay markers). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Deletes only if the value still matches (releasing a lock we own). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /** Rejects when the store is unusable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
