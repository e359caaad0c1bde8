// The Redis store, shared by replicas. Tuned to fail fast: with the offline queue off and one
// retry, a command during an outage rejects at once instead of hanging a check for seconds; ioredis
// keeps reconnecting in the background and the store recovers by itself.
import { Redis } from 'ioredis';
import { StoreUnavailableError, type SessionStore } from './types.ts';

const DELETE_IF_EQUALS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface RedisStoreOptions {
  url: string;
  /** Prefix of every key, so several services can share one Redis. */
  prefix?: string;
  commandTimeoutMs?: number;
  onError?: (message: string) => void;
}

export class RedisStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.prefix ?? 'oc-login:';
    this.#redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
    });
    let lastReported = '';
    this.#redis.on('error', (error: Error) => {
      // ioredis emits the same error on every reconnect attempt; report each kind once. The message
      // never contains the URL's password (ioredis reports host:port only).
      const message = `redis: ${error.message}`;
      if (message !== lastReported) options.onError?.(message);
      lastReported = message;
    });
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

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError(`session store (redis) unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  get(key: string): Promise<string | undefined> {
    return this.#run(async () => (await this.#redis.get(this.#prefix + key)) ?? undefined);
  }

  getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    return this.#run(async () => (await this.#redis.mget(...keys.map((key) => this.#prefix + key))).map((value) => value ?? undefined));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.#run(async () => {
      await this.#redis.set(this.#prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.#run(async () => (await this.#redis.set(this.#prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK');
  }

  delete(key: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.del(this.#prefix + key);
    });
  }

  deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.#run(async () => (await this.#redis.eval(DELETE_IF_EQUALS, 1, this.#prefix + key, value)) === 1);
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
