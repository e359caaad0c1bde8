// Builds the ioredis client for the configured Redis topology: one server (REDIS_URL), a Sentinel
// group (the client asks the sentinels for the master and follows failovers) or a Cluster (the
// client follows slot moves). Every topology is tuned the same way, to fail fast: no offline queue
// and one retry, so a command during an outage or a failover rejects at once (a 503) instead of
// hanging a check, while the client reconnects in the background and the store recovers by itself.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import type { HostPort, RedisStoreSettings } from './types.ts';

/** ioredis' client for any topology: both have the commands the store uses. */
export type RedisClient = Redis | Cluster;

export interface RedisTuning {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_TUNING: RedisTuning = { commandTimeoutMs: 1000, connectTimeoutMs: 2000 };

// Reconnect quickly at first (a failover is over in a few seconds), never slower than every 2 s.
const reconnectDelay = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

function tlsOptions(settings: RedisStoreSettings): ConnectionOptions | undefined {
  if (!settings.tls) return undefined;
  return settings.tls.ca ? { ca: settings.tls.ca } : {};
}

function commandTimeout(settings: RedisStoreSettings, tuning: RedisTuning): number {
  // A write waits up to the WAIT timeout for replicas: the command timeout must outlast it, or a
  // slow replica would read as a dead master.
  return Math.max(tuning.commandTimeoutMs, (settings.wait?.timeoutMs ?? 0) + 500);
}

function nodeOptions(settings: RedisStoreSettings, tuning: RedisTuning): RedisOptions {
  const tls = tlsOptions(settings);
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeout(settings, tuning),
    connectTimeout: tuning.connectTimeoutMs,
    retryStrategy: reconnectDelay,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(tls ? { tls } : {}),
  };
}

const toAddress = (node: HostPort) => ({ host: node.host, port: node.port });

/**
 * A Sentinel client that cannot end by accident. In ioredis 5.9 the failover detector of the
 * connection a failover killed stays subscribed; when its +switch-master lands while a reconnect is
 * resolving the new master, that reconnect rejects ("Connection is closed.") and the client goes to
 * `end` for good — every check would answer 503 until a restart (seen under CPU load, where the
 * resolve is slow enough to be hit). Such an end is reconnected; a disconnect() asked for stays final.
 */
class SentinelClient extends Redis {
  #closing = false;

  constructor(options: RedisOptions) {
    super(options);
    this.on('end', () => {
      if (this.#closing) return;
      setTimeout(() => {
        if (!this.#closing && this.status === 'end') this.connect().catch(() => {});
      }, 200).unref();
    });
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.#closing = true;
    super.disconnect(reconnect);
  }
}

export function createRedisClient(settings: RedisStoreSettings, tuning: RedisTuning = DEFAULT_TUNING): RedisClient {
  const options = nodeOptions(settings, tuning);
  if (settings.cluster) {
    const clusterOptions: ClusterOptions = {
      redisOptions: options,
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      // A promoted replica is found by the periodic slot refresh (and by MOVED answers): keep it
      // short so checks recover within a couple of seconds of the promotion.
      slotsRefreshInterval: 1000,
      slotsRefreshTimeout: 1000,
      retryDelayOnClusterDown: 100,
      retryDelayOnFailover: 100,
      maxRedirections: 4,
    };
    return new Cluster(settings.cluster.nodes.map(toAddress), clusterOptions);
  }
  if (settings.sentinel) {
    const tls = tlsOptions(settings);
    return new SentinelClient({
      ...options,
      sentinels: settings.sentinel.nodes.map(toAddress),
      name: settings.sentinel.name,
      role: 'master',
      ...(settings.sentinel.username !== undefined ? { sentinelUsername: settings.sentinel.username } : {}),
      ...(settings.sentinel.password !== undefined ? { sentinelPassword: settings.sentinel.password } : {}),
      ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
      // Listens for +switch-master so the client moves to the new master as soon as the sentinels
      // agree, instead of waiting for its connection to the old one to fail.
      failoverDetector: true,
      sentinelRetryStrategy: reconnectDelay,
      sentinelCommandTimeout: tuning.commandTimeoutMs,
    });
  }
  if (!settings.url) throw new Error('redis store: one of url, sentinel or cluster is required');
  return new Redis(settings.url, options);
}

/** Where the store points, for logs: topology and hosts, never a credential. */
export function describeRedis(settings: RedisStoreSettings): string {
  const hosts = (nodes: HostPort[]) => nodes.map((node) => `${node.host}:${node.port}`).join(',');
  if (settings.cluster) return `cluster ${hosts(settings.cluster.nodes)}`;
  if (settings.sentinel) return `sentinel ${settings.sentinel.name}@${hosts(settings.sentinel.nodes)}`;
  const url = new URL(settings.url ?? 'redis://invalid');
  return `${url.protocol}//${url.host}`;
}
