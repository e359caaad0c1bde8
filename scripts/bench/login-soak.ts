// The login soak (`npm run bench -- --only login --soak 10m`): the one-replica Redis case under
// constant load for a long time, with this process's RSS and V8 heap sampled as it goes — the
// service runs here, the load in a worker thread — so a leak shows as a rising line and a slow
// failure as errors. What must hold: memory flat, no error.
import { startOidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { startRedisServer } from '../../fixtures/redis-server.ts';
import { loadConfig, startLoginService } from '../../src/login/index.ts';
import { APP, BROWSER_HEADERS, DEFAULT_CONNECTIONS, WARMUP_MS, benchEnv, benchLogger, loginCookie } from './login.ts';
import { load } from './login-load.ts';

export interface SoakSample {
  atMs: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface LoginSoakResult {
  durationMs: number;
  connections: number;
  checksPerSecond: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  samples: SoakSample[];
}

export interface LoginSoakOptions {
  durationMs: number;
  onProgress(message: string): void;
  connections?: number;
  /** Default: 60 samples over the run, at least one a second. */
  sampleEveryMs?: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** `10m`, `90s`, `1h` or plain seconds, to milliseconds; undefined when it is none of those. */
export function parseSoakDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  return ms >= 1000 ? Math.round(ms) : undefined;
}

export async function soakLogin(options: LoginSoakOptions): Promise<LoginSoakResult> {
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const sampleEveryMs = options.sampleEveryMs ?? Math.max(1000, Math.floor(options.durationMs / 60));
  const provider = await startOidcTestProvider({ appOrigin: APP });
  const redis = await startRedisServer();
  const service = await startLoginService(loadConfig({ ...benchEnv(provider), SESSION_STORE: 'redis', REDIS_URL: redis.url }), { logger: benchLogger() });
  const samples: SoakSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await service.ready;
    const cookie = await loginCookie(service);
    let startedAt = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      samples.push({ atMs: Date.now() - startedAt, rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed) });
    };
    const result = await load(
      { urls: [`${service.url}/organisation/list`], headers: { ...BROWSER_HEADERS, cookie }, okStatus: 200 },
      {
        connections,
        durationMs: options.durationMs,
        warmupMs: WARMUP_MS,
        onMeasuring: (at) => {
          startedAt = at;
          sample();
          let last = Date.now();
          timer = setInterval(() => {
            sample();
            if (Date.now() - last >= 30_000) {
              last = Date.now();
              const latest = samples.at(-1)!;
              options.onProgress(`login soak: ${Math.round(latest.atMs / 1000)} s, RSS ${latest.rssMb} MB, heap ${latest.heapUsedMb} MB`);
            }
          }, sampleEveryMs);
        },
      },
    );
    clearInterval(timer);
    sample();
    return {
      durationMs: options.durationMs,
      connections,
      checksPerSecond: Math.round(result.checksPerSecond),
      p50Us: Math.round(result.p50Us),
      p99Us: Math.round(result.p99Us),
      errors: result.errors,
      samples,
    };
  } finally {
    clearInterval(timer);
    await service.close();
    await redis.stop();
    await provider.close();
  }
}

export function formatLoginSoak(result: LoginSoakResult): string {
  const first = result.samples[0]!;
  const last = result.samples.at(-1)!;
  const peak = (pick: (s: SoakSample) => number) => Math.max(...result.samples.map(pick));
  return [
    `login soak: check-redis, ${result.connections} keep-alive connections, ${Math.round(result.durationMs / 1000)} s`,
    `checks/s ${result.checksPerSecond}, p50 ${result.p50Us} µs, p99 ${result.p99Us} µs, failed answers ${result.errors}`,
    `RSS   start ${first.rssMb} MB, end ${last.rssMb} MB, peak ${peak((s) => s.rssMb)} MB`,
    `heap  start ${first.heapUsedMb} MB, end ${last.heapUsedMb} MB, peak ${peak((s) => s.heapUsedMb)} MB (${result.samples.length} samples)`,
    `${result.errors === 0 ? 'PASS' : 'FAIL'}  no failed answer during the soak: ${result.errors}`,
  ].join('\n');
}
