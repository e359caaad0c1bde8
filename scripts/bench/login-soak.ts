// The login soak (`npm run bench -- --only login --soak 10m`): the one-replica Redis case under
// constant load (wrk) for a long time, the service in its own process (login-process.ts) and its
// memory read from outside as it goes — RSS from /proc, heap from its metrics port — so a leak
// shows as a rising line and a slow failure as errors. What must hold: no failed answer, and
// memory flat: the heap after a full GC at the end of the steady state within HEAP_GROWTH_LIMIT_MB
// of the same at its start, RSS within RSS_GROWTH_LIMIT_MB.
import { startOidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { startRedisServer } from '../../fixtures/redis-server.ts';
import { APP, BROWSER_HEADERS, CHECK_PATH, DEFAULT_CONNECTIONS, WARMUP_MS, benchEnv, loginCookie } from './login.ts';
import { expectStatus, load, type LoadTarget } from './login-load.ts';
import { startLoginProcess, type ChildMemory } from './login-process.ts';

/**
 * Steady state begins this far into the load (JIT, connection pools and memos settled), capped at
 * a tenth of the run; its heap after GC is the reference the end is held to.
 */
const STEADY_AFTER_MS = 60_000;
/**
 * What the retained heap may gain over the steady state: the service keeps ~15–25 MB, and a leak
 * of even 10 bytes per check is ~30 MB in 10 minutes at this rate, so 2 MB separates GC noise from
 * a leak.
 */
export const HEAP_GROWTH_LIMIT_MB = 2;
/** RSS also holds allocator slack and code space that come and go; a leak would still pass this. */
export const RSS_GROWTH_LIMIT_MB = 20;

export interface SoakSample extends ChildMemory {
  atMs: number;
}

export interface LoginSoakResult {
  durationMs: number;
  connections: number;
  checksPerSecond: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  /** RSS and heap used from outside (/proc, metrics port), over the run. */
  samples: SoakSample[];
  /** After a full GC in the child, at the start of the steady state and at its end. */
  steady: { startAtMs: number; start: ChildMemory; endAtMs: number; end: ChildMemory };
  flat: { heapGrowthMb: number; rssGrowthMb: number; pass: boolean };
}

export interface LoginSoakOptions {
  durationMs: number;
  onProgress(message: string): void;
  connections?: number;
  /** Default: 60 samples over the run, at least one a second. */
  sampleEveryMs?: number;
}

/** `10m`, `90s`, `1h` or plain seconds, to milliseconds; undefined when it is none of those. */
export function parseSoakDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  return ms >= 1000 ? Math.round(ms) : undefined;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** Whether memory stayed flat between the steady state's two after-GC readings. */
export function judgeFlat(start: ChildMemory, end: ChildMemory): LoginSoakResult['flat'] {
  const heapGrowthMb = round(end.heapUsedMb - start.heapUsedMb);
  const rssGrowthMb = round(end.rssMb - start.rssMb);
  return { heapGrowthMb, rssGrowthMb, pass: heapGrowthMb <= HEAP_GROWTH_LIMIT_MB && rssGrowthMb <= RSS_GROWTH_LIMIT_MB };
}

export async function soakLogin(options: LoginSoakOptions): Promise<LoginSoakResult> {
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const sampleEveryMs = options.sampleEveryMs ?? Math.max(1000, Math.floor(options.durationMs / 60));
  // wrk counts whole seconds: the run is that long, and the end reading is taken just before it stops.
  const durationMs = Math.max(2000, Math.round(options.durationMs / 1000) * 1000);
  const steadyAfterMs = Math.min(STEADY_AFTER_MS, Math.floor(durationMs / 10));
  const endReadingAtMs = durationMs - Math.min(2000, Math.floor(durationMs / 10));
  const provider = await startOidcTestProvider({ appOrigin: APP });
  const redis = await startRedisServer();
  const samples: SoakSample[] = [];
  const timers: NodeJS.Timeout[] = [];
  let service: Awaited<ReturnType<typeof startLoginProcess>> | undefined;
  try {
    service = await startLoginProcess({ ...benchEnv(provider), SESSION_STORE: 'redis', REDIS_URL: redis.url }, 'login-soak');
    const child = service;
    const cookie = await loginCookie(child);
    const target: LoadTarget = { urls: [`${child.url}${CHECK_PATH}`], headers: { ...BROWSER_HEADERS, cookie }, okStatus: 200 };
    await expectStatus(target);
    let startedAt = 0;
    const sample = async () => {
      const memory = await child.memory().catch(() => undefined);
      if (memory) samples.push({ atMs: Date.now() - startedAt, ...memory });
    };
    const readings: Array<Promise<{ atMs: number; memory: ChildMemory }>> = [];
    const readAfterGc = (afterMs: number) =>
      new Promise<{ atMs: number; memory: ChildMemory }>((resolve, reject) => {
        timers.push(setTimeout(() => child.memoryAfterGc().then((memory) => resolve({ atMs: Date.now() - startedAt, memory }), reject), afterMs));
      });
    const result = await load(target, {
      connections,
      durationMs,
      warmupMs: WARMUP_MS,
      onMeasuring: (at) => {
        startedAt = at;
        void sample();
        readings.push(readAfterGc(steadyAfterMs), readAfterGc(endReadingAtMs));
        // Awaited after the load; a failure must not count as unhandled before then.
        for (const reading of readings) reading.catch(() => {});
        let lastReport = Date.now();
        timers.push(
          setInterval(() => {
            void sample().then(() => {
              if (Date.now() - lastReport < 30_000) return;
              lastReport = Date.now();
              const latest = samples.at(-1);
              if (latest) options.onProgress(`login soak: ${Math.round(latest.atMs / 1000)} s, RSS ${latest.rssMb} MB, heap ${latest.heapUsedMb} MB`);
            });
          }, sampleEveryMs),
        );
      },
    });
    for (const timer of timers) clearInterval(timer);
    const [start, end] = await Promise.all(readings);
    await sample();
    return {
      durationMs,
      connections: result.connections,
      checksPerSecond: Math.round(result.checksPerSecond),
      p50Us: Math.round(result.p50Us),
      p99Us: Math.round(result.p99Us),
      errors: result.errors,
      samples,
      steady: { startAtMs: start!.atMs, start: start!.memory, endAtMs: end!.atMs, end: end!.memory },
      flat: judgeFlat(start!.memory, end!.memory),
    };
  } finally {
    for (const timer of timers) clearInterval(timer);
    await service?.stop();
    await redis.stop();
    await provider.close();
  }
}

export function formatLoginSoak(result: LoginSoakResult): string {
  const first = result.samples[0]!;
  const last = result.samples.at(-1)!;
  const peak = (pick: (s: SoakSample) => number) => Math.max(...result.samples.map(pick));
  const { steady, flat } = result;
  const sec = (ms: number) => Math.round(ms / 1000);
  return [
    `login soak: check-redis, the service in its own process, wrk ${result.connections} keep-alive connections, ${sec(result.durationMs)} s`,
    `checks/s ${result.checksPerSecond}, p50 ${result.p50Us} µs, p99 ${result.p99Us} µs, failed answers ${result.errors}`,
    `RSS   start ${first.rssMb} MB, end ${last.rssMb} MB, peak ${peak((s) => s.rssMb)} MB (/proc, ${result.samples.length} samples)`,
    `heap  start ${first.heapUsedMb} MB, end ${last.heapUsedMb} MB, peak ${peak((s) => s.heapUsedMb)} MB (metrics port, GC sawtooth)`,
    `after a full GC: ${sec(steady.startAtMs)} s heap ${steady.start.heapUsedMb} MB RSS ${steady.start.rssMb} MB → ${sec(steady.endAtMs)} s heap ${steady.end.heapUsedMb} MB RSS ${steady.end.rssMb} MB`,
    `${flat.pass ? 'PASS' : 'FAIL'}  memory flat: heap after GC ${flat.heapGrowthMb >= 0 ? '+' : ''}${flat.heapGrowthMb} MB (limit +${HEAP_GROWTH_LIMIT_MB}), RSS ${flat.rssGrowthMb >= 0 ? '+' : ''}${flat.rssGrowthMb} MB (limit +${RSS_GROWTH_LIMIT_MB})`,
    `${result.errors === 0 ? 'PASS' : 'FAIL'}  no failed answer during the soak: ${result.errors}`,
  ].join('\n');
}
