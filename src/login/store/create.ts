// The configured session store, ready to serve: a bounded memory store whose evictions are counted,
// or Redis in its configured topology (waited for briefly at start; until it answers, checks and
// logins get 503s and the client keeps reconnecting).
import type { LoginMetrics } from '../metrics.ts';
import { MemoryStore } from './memory.ts';
import { describeRedis } from './redis-connection.ts';
import { RedisStore } from './redis.ts';
import type { SessionStore, StoreSettings } from './types.ts';

export interface StoreLogger {
  info(object: object, message: string): void;
  error(message: string): void;
}

export async function createSessionStore(
  settings: StoreSettings,
  deps: { metrics: LoginMetrics; logger: StoreLogger; readyTimeoutMs: number },
): Promise<SessionStore> {
  if (settings.kind === 'memory') {
    return new MemoryStore({ maxEntries: settings.maxEntries, onEvict: () => deps.metrics.storeEvictions.inc() });
  }
  const redis = new RedisStore({ settings, onError: (message) => deps.logger.error(message) });
  const target = describeRedis(settings);
  if (await redis.waitUntilReady(deps.readyTimeoutMs)) {
    deps.logger.info({ redis: target, waitReplicas: settings.wait?.replicas ?? 0 }, 'session store connected');
  } else {
    deps.logger.error(`redis (${target}) is not reachable yet: checks and logins answer 503 until it is`);
  }
  return redis;
}
