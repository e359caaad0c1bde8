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
  /**
   * Adds `member` to the set at `key` (an index, e.g. a provider session's local sessions); the set
   * lives at least `ttlMs` from now, never shorter than it already did.
   */
  addToSet(key: string, member: string, ttlMs: number): Promise<void>;
  /** The members of the set at `key` (none when it is absent). */
  setMembers(key: string): Promise<string[]>;
  removeFromSet(key: string, member: string): Promise<void>;
  /**
   * Counts one attempt at `key` within a sliding window: true (counted) while fewer than `limit`
   * are in it, false (not counted) once `limit` are. Every counted attempt restarts the window, so
   * the count is forgotten `windowMs` after the last one (Wonderwall's login rate limit).
   */
  takeAttempt(key: string, limit: number, windowMs: number): Promise<boolean>;
  /** Rejects when the store is unusable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export interface HostPort {
  host: string;
  port: number;
}

/** The in-process store, bounded: the least recently used entry goes when it is full. */
export interface MemoryStoreSettings {
  kind: 'memory';
  maxEntries: number;
}

/**
 * Redis as configured: exactly one of `url` (one server), `sentinel` or `cluster`. Optional fields
 * are absent (not undefined) when unset.
 */
export interface RedisStoreSettings {
  kind: 'redis';
  /** redis:// or rediss:// (TLS), may carry user:password. */
  url?: string;
  sentinel?: { nodes: HostPort[]; name: string; username?: string; password?: string };
  cluster?: { nodes: HostPort[] };
  /** ACL user and password of the data nodes (sentinel, cluster, or a URL without credentials). */
  username?: string;
  password?: string;
  /** TLS to every node; `ca` (PEM) replaces the system roots. */
  tls?: { ca?: string };
  /** A session write is answered only once `replicas` replicas have it (Redis WAIT). */
  wait?: { replicas: number; timeoutMs: number };
}

export type StoreSettings = MemoryStoreSettings | RedisStoreSettings;
