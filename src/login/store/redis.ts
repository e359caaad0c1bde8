// The Redis store, shared by replicas: one server, a Sentinel group or a Cluster (see
// redis-connection.ts for how each is reached and why commands fail fast). Two guarantees on top of
// plain commands:
// - Cluster: every key of one session hashes to one slot (hash tag on the session digest), so the
//   record, its activity key and its refresh lock move together and MGET/EVAL stay single-slot.
// - With `wait`, a session write (create, refresh, delete) is answered only after that many replicas
//   have it (Redis WAIT), so a failover right after a login cannot lose it, nor undo a logout.
import { StoreUnavailableError, type RedisStoreSettings, type SessionStore } from './types.ts';
import { createRedisClient, DEFAULT_TUNING, type RedisClient, type RedisTuning } from './redis-connection.ts';

const DELETE_IF_EQUALS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * The hash-tagged form of a store key. The session layer names a session's keys
 * `session:<digest>`, `active:session:<digest>` and `lock:session:<digest>`: the digest is braced, so
 * Redis Cluster hashes only it and all three share a slot. Other keys (replay markers) stand alone.
 */
export function hashTagged(key: string): string {
  return key.replace(/(^|:)session:([^:{}]+)$/, '$1session:{$2}');
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
    return this.#run(async () => (await this.#redis.get(this.redisKey(key))) ?? undefined);
  }

  getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    return this.#run(async () => (await this.#redis.mget(...keys.map((key) => this.redisKey(key)))).map((value) => value ?? undefined));
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

  ping(): Promise<void> {
    return this.#run(async () => {
      await this.#redis.ping();
    });
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
