// The Redis store, shared by replicas: one server, a Sentinel group or a Cluster (see
// redis-connection.ts for how each is reached and why commands fail fast). Two guarantees on top of
// plain commands:
// - Cluster: every key of one session hashes to one slot (hash tag on the session digest), so the
//   record, its activity key and its refresh lock move together and MGET/EVAL stay single-slot.
// - With `wait`, a session write (create, refresh, delete) is answered only after that many replicas
//   have it (Redis WAIT), so a failover right after a login cannot lose it, nor undo a logout.
import { StoreUnavailableError, type RedisStoreSettings, type SessionStore } from './types.ts';
import { createRedisClient, DEFAULT_TUNING, type RedisClient, type RedisTuning } from './redis-connection.ts';

/** Keys in one batched MGET of concurrent reads (see #flushReads). */
const MAX_KEYS_PER_READ = 128;
const DELETE_IF_EQUALS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
// SADD, then stretch the set's TTL to ARGV[2] ms unless it already lives longer (PTTL is -1 for the
// set SADD just created): one index outlives every session it lists.
const ADD_TO_SET =
  "redis.call('sadd', KEYS[1], ARGV[1]) if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[2]) end return 1";
// A counted attempt restarts the window; a refused one does not, so the limit lifts `window` after
// the last attempt that got through.
const TAKE_ATTEMPT =
  "local n = tonumber(redis.call('get', KEYS[1]) or '0') if n >= tonumber(ARGV[1]) then return 0 end redis.call('set', KEYS[1], n + 1, 'PX', ARGV[2]) return 1";

/**
 * The hash-tagged form of a store key. The session layer names a session's keys
 * `session:<digest>`, `active:session:<digest>` and `lock:session:<digest>`: the digest is braced, so
 * Redis Cluster hashes only it and all three share a slot. A provider session's index
 * `sid:<digest of the sid>` gets its own tag: it lists sessions of many slots (each has its own
 * digest), so it cannot share theirs; it is only ever read and written alone, and the sessions it
 * names are deleted one by one in their own slots. Other keys (replay markers, login attempts)
 * stand alone.
 */
export function hashTagged(key: string): string {
  // String searches instead of two regex replaces: every store command of every check comes through here.
  const at = key.lastIndexOf('session:');
  if (at !== -1 && (at === 0 || key[at - 1] === ':') && tagBody(key.slice(at + 8))) return `${key.slice(0, at)}session:{${key.slice(at + 8)}}`;
  if (key.startsWith('sid:') && tagBody(key.slice(4))) return `sid:{${key.slice(4)}}`;
  return key;
}

/** A digest to brace: not empty, and no `:` (a longer key), `{` or `}` (a tag of its own). */
function tagBody(text: string): boolean {
  return text.length > 0 && !/[:{}]/.test(text);
}

export interface RedisStoreOptions {
  /** The configured topology; or `url` alone for one server. */
  settings?: RedisStoreSettings;
  url?: string;
  /** Prefix of every key, so several services can share one Redis. */
  prefix?: string;
  tuning?: Partial<RedisTuning>;
  onError?: (message: string) => void;
}

export class RedisStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #wait: RedisStoreSettings['wait'];

  constructor(options: RedisStoreOptions) {
    const settings: RedisStoreSettings = options.settings ?? { kind: 'redis', url: options.url };
    this.#prefix = options.prefix ?? 'oc-login:';
    this.#wait = settings.wait;
    this.#redis = createRedisClient(settings, { ...DEFAULT_TUNING, ...options.tuning });
    let lastReported = '';
    const report = (error: Error) => {
      // ioredis emits the same error on every reconnect attempt; report each kind once. The message
      // never contains a password (ioredis reports host:port only).
      const message = `redis: ${error.message}`;
      if (message !== lastReported) options.onError?.(message);
      lastReported = message;
    };
    this.#redis.on('error', report);
    this.#redis.on('node error', (error: Error) => report(error));
    this.#redis.on('ready', () => {
      lastReported = '';
    });
  }

  /** Resolves when connected, or after `timeoutMs` (the store then answers 503 until Redis is up). */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.#redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#redis.once('ready', onReady);
    });
  }

  /** The key as stored in Redis (prefixed, hash-tagged). */
  redisKey(key: string): string {
    return this.#prefix + hashTagged(key);
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`session store (redis) unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Sends a write with WAIT behind it in one pipeline: in a Cluster the pipeline goes to the key's
   * master, whose replicas are the ones that must acknowledge.
   */
  async #waited(key: string, pipeline: ReturnType<RedisClient['pipeline']>): Promise<void> {
    const { replicas, timeoutMs } = this.#wait!;
    const results = (await pipeline.wait(replicas, timeoutMs).exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    const acknowledged = Number(results[1]?.[1] ?? 0);
    if (acknowledged < replicas) {
      throw new StoreUnavailableError(
        `session store (redis) write to ${key.split(':', 1)[0]} reached ${acknowledged} of ${replicas} replica(s) within ${timeoutMs} ms (REDIS_WAIT_REPLICAS)`,
      );
    }
  }

  get(key: string): Promise<string | undefined> {
    return this.getMany([key]).then((values) => values[0]);
  }

  getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    const redisKeys = keys.map((key) => this.redisKey(key));
    // A Cluster's MGET must stay in one slot: only one session's own keys go together there.
    if (this.#redis.isCluster) return this.#run(async () => (await this.#redis.mget(...redisKeys)).map((value) => value ?? undefined));
    return new Promise((resolve, reject) => {
      if (this.#pendingReads.length === 0) setImmediate(() => this.#flushReads());
      this.#pendingReads.push({ keys: redisKeys, resolve, reject });
    });
  }

  /**
   * Every check reads the store. Profiled under load (`node --cpu-prof`, 16 connections), writing
   * one command per check took about a fifth of the service's busy CPU (the socket write); the
   * reads that arrive in one turn of the event loop go as one MGET instead — one write and one
   * reply — at the cost of that turn (setImmediate) in latency. Bounded, so one MGET stays small.
   */
  readonly #pendingReads: Array<{ keys: string[]; resolve(values: Array<string | undefined>): void; reject(error: unknown): void }> = [];

  #flushReads(): void {
    const reads = this.#pendingReads.splice(0);
    for (let first = 0; first < reads.length; ) {
      const batch: typeof reads = [];
      let size = 0;
      while (first < reads.length && (batch.length === 0 || size + reads[first]!.keys.length <= MAX_KEYS_PER_READ)) {
        size += reads[first]!.keys.length;
        batch.push(reads[first++]!);
      }
      this.#run(() => this.#redis.mget(...batch.flatMap((read) => read.keys))).then(
        (values) => {
          let at = 0;
          for (const read of batch) read.resolve(read.keys.map(() => values[at++] ?? undefined));
        },
        (error: unknown) => {
          for (const read of batch) read.reject(error);
        },
      );
    }
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    const redisKey = this.redisKey(key);
    const px = Math.max(1, Math.ceil(ttlMs));
    return this.#run(async () => {
      if (this.#wait) await this.#waited(key, this.#redis.pipeline().set(redisKey, value, 'PX', px));
      else await this.#redis.set(redisKey, value, 'PX', px);
    });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    // Locks and replay markers: losing one in a failover costs at most a second refresh (the
    // provider refuses a reused code anyway), so these do not wait for replicas.
    return this.#run(async () => (await this.#redis.set(this.redisKey(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK');
  }

  delete(key: string): Promise<void> {
    // Waits like a write: a logout must not come back to life on a promoted replica.
    const redisKey = this.redisKey(key);
    return this.#run(async () => {
      if (this.#wait) await this.#waited(key, this.#redis.pipeline().del(redisKey));
      else await this.#redis.del(redisKey);
    });
  }

  deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.#run(async () => (await this.#redis.eval(DELETE_IF_EQUALS, 1, this.redisKey(key), value)) === 1);
  }

  addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    // Waits like a session write: an index entry lost in a failover would let a front-channel
    // logout miss that session.
    const redisKey = this.redisKey(key);
    const px = String(Math.max(1, Math.ceil(ttlMs)));
    return this.#run(async () => {
      if (this.#wait) await this.#waited(key, this.#redis.pipeline().eval(ADD_TO_SET, 1, redisKey, member, px));
      else await this.#redis.eval(ADD_TO_SET, 1, redisKey, member, px);
    });
  }

  setMembers(key: string): Promise<string[]> {
    return this.#run(() => this.#redis.smembers(this.redisKey(key)));
  }

  removeFromSet(key: string, member: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.srem(this.redisKey(key), member);
    });
  }

  takeAttempt(key: string, limit: number, windowMs: number): Promise<boolean> {
    return this.#run(async () => (await this.#redis.eval(TAKE_ATTEMPT, 1, this.redisKey(key), String(limit), String(Math.max(1, Math.ceil(windowMs))))) === 1);
  }

  ping(): Promise<void> {
    return this.#run(async () => {
      await this.#redis.ping();
    });
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
