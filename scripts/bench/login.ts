// The login service benchmark: ext_authz checks per second with a valid session and their p50/p99
// latency — one replica on the memory store, one on Redis, three replicas on one Redis, and one on
// a Sentinel group while its master is killed — next to a bare Node HTTP server answering 200 and
// oauth2-proxy on the same Redis, all in the same run with the same load generator
// (login-load.ts: wrk), so the figures say what the check costs over Node's own HTTP handling and
// against the peer users would pick instead. A real login (oidc-provider, the whole code flow)
// makes every session; every Redis is a real redis-server on an ephemeral port.
//
// Every server under load is its own process, started as in production: our service through
// src/login/main.ts with env config (login-process.ts), the bare server as a child `node`,
// oauth2-proxy as its binary. This process only starts them, logs in and reads wrk's summaries, so
// no side shares an event loop with the load generator or with the bench.
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Browser } from '../../fixtures/browser.ts';
import { relyingPartyEnv, startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { startSentinelGroup, type SentinelGroup } from '../../fixtures/redis-topology.ts';
import { OAUTH2_PROXY_VERSION } from '../lib/envoy/tools.ts';
import { expectStatus, load, probeFailures, type LoadResult, type LoadTarget } from './login-load.ts';
import { OAUTH2_PROXY_AUTH_OK, OAUTH2_PROXY_BENCH_FLAGS, locateOauth2Proxy, startOauth2Proxy, type Oauth2Proxy } from './login-oauth2-proxy.ts';
import { startBareProcess, startLoginProcess, type LoginProcess } from './login-process.ts';

export type LoginBenchCaseName = 'bare-node-200' | 'check-memory' | 'check-redis' | 'check-redis-workers' | 'check-redis-3-replicas' | 'oauth2-proxy-redis';

export interface LoginBenchCase {
  name: LoginBenchCaseName;
  checksPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** checks/s of this case ÷ checks/s of the bare server (1 = free). */
  ratioToBaseline: number;
  /** Responses that were not the success answer (must be 0). */
  errors: number;
  /** Keep-alive connections wrk held (rounded up to a multiple of the replicas). */
  connections: number;
  /** Processes answering checks: replicas × WORKERS for ours, 1 for a peer (whatever its threads). */
  processes: number;
}

export interface LoginFailoverCase {
  name: 'check-sentinel-failover';
  /** Successful checks (200) per second over the whole window: the gap's fast 503s do not count. */
  checksPerSecond: number;
  p50Us: number;
  p99Us: number;
  ratioToBaseline: number;
  /** Answers other than 200 (the gap's 503s). */
  errors: number;
  /** From the master's SIGKILL to the last failed answer; -1: not recovered within the window. */
  recoveredAfterMs: number;
  windowMs: number;
}

export interface LoginBenchBudget {
  /**
   * check-redis-workers checks/s ÷ oauth2-proxy-redis checks/s: one replica of each, each using
   * the CPUs it may (WORKERS=auto; Go's GOMAXPROCS).
   */
  ratio: number;
  pass: boolean;
  /** check-redis (one worker) ÷ oauth2-proxy-redis, for the record. */
  oneWorkerRatio: number;
}

export interface LoginBenchResult {
  connections: number;
  durationMs: number;
  runs: number;
  cases: LoginBenchCase[];
  failover?: LoginFailoverCase;
  /** Our checks/s with Redis ≥ oauth2-proxy's. */
  budget?: LoginBenchBudget;
  oauth2ProxyVersion?: string;
  /** The machine's 1-minute load average when the bench started and ended (it is shared). */
  loadAverage: { start: number; end: number };
  /** Cases that could not run, with the reason (e.g. redis-server missing). */
  skipped: Record<string, string>;
}

export interface LoginBenchOptions {
  runs: number;
  onProgress(message: string): void;
  /** Concurrent connections (default 16). */
  connections?: number;
  /** Measured time per run per case (whole seconds, wrk's unit; default 2 s). */
  durationMs?: number;
  /** Unmeasured load before each case's first run (default 1 s; 0: none). */
  warmupMs?: number;
  /** The failover case's window (default 12 s; the master dies a fifth of the way in, at most 2 s). */
  failoverMs?: number;
}

export const APP = 'https://app.bench';
export const SESSION_COOKIE = '__Host-oc-session';
export const WARMUP_MS = 1000;
export const DEFAULT_CONNECTIONS = 16;
export const DEFAULT_DURATION_MS = 2000;
export const CHECK_PATH = '/organisation/list';

/** What a browser's XHR sends to the app: the check parses all of it. */
export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/json, text/plain, */*',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'sec-fetch-mode': 'cors',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'app.bench',
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Logs in through the whole code flow and returns the Cookie header (with the usual app noise). */
export async function loginCookie(service: { url: string }): Promise<string> {
  const browser = new Browser().route(APP, service.url);
  await browser.navigate(`${APP}/oauth2/login?redirect=/dashboard`, {}, 12, false);
  const cookie = browser.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error('bench login did not produce a session cookie');
  return `_ga=GA1.1.123456789.1700000000; theme=dark; ${cookie.name}=${cookie.value}`;
}

/** The login service's env for the bench: the provider's relying party, a fixed sealing key, logs at warn. */
export function benchEnv(provider: OidcTestProvider): Record<string, string> {
  return { ...relyingPartyEnv(provider, APP), ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' };
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
const loadNow = () => Number(loadavg()[0]!.toFixed(2));

/** The failover case: checks on a Sentinel group's master, killed (SIGKILL) under load. */
async function failoverCase(env: Record<string, string>, connections: number, windowMs: number, progress: (m: string) => void): Promise<{ result: LoadResult; recoveredAfterMs: number }> {
  let group: SentinelGroup | undefined;
  let service: LoginProcess | undefined;
  try {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
    service = await startLoginProcess({ ...env, SESSION_STORE: 'redis', REDIS_SENTINELS: group.sentinels, REDIS_SENTINEL_NAME: group.name, REDIS_WAIT_REPLICAS: '1' }, 'login-sentinel');
    const cookie = await loginCookie(service);
    const target: LoadTarget = { urls: [`${service.url}${CHECK_PATH}`], headers: { ...BROWSER_HEADERS, cookie }, okStatus: 200 };
    await expectStatus(target);
    const killAfterMs = Math.min(2000, Math.floor(windowMs / 5));
    let killedAt = 0;
    let measuringAt = 0;
    let kill: Promise<void> = Promise.resolve();
    const activeGroup = group;
    const prober = probeFailures(target);
    let result: LoadResult;
    try {
      result = await load(target, {
        connections,
        durationMs: windowMs,
        warmupMs: 0,
        onMeasuring: (at) => {
          measuringAt = at;
          kill = new Promise((resolve, reject) =>
            setTimeout(() => {
              activeGroup
                .currentMaster()
                .then((master) => {
                  killedAt = Date.now();
                  progress(`login bench: failover: SIGKILL master ${master.address} at ${killedAt - at} ms`);
                  return master.kill();
                })
                .then(resolve, reject);
            }, killAfterMs),
          );
        },
      });
    } finally {
      await kill;
    }
    const probed = await prober.stop();
    const windowEnd = measuringAt + windowMs;
    // Still failing in the window's last half second: not recovered (the window was too short).
    const lastErrorAt = probed.lastErrorAt;
    const recoveredAfterMs = lastErrorAt === undefined ? 0 : lastErrorAt > windowEnd - 500 ? -1 : lastErrorAt - killedAt;
    return { result, recoveredAfterMs };
  } finally {
    await service?.stop();
    await group?.stop();
  }
}

export async function benchLogin(options: LoginBenchOptions): Promise<LoginBenchResult> {
  const runs = options.runs;
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  const warmupMs = options.warmupMs ?? WARMUP_MS;
  const failoverMs = options.failoverMs ?? 12_000;
  const progress = options.onProgress;
  const skipped: Record<string, string> = {};
  const loadAtStart = loadNow();

  const provider = await startOidcTestProvider({ appOrigin: APP });
  const stops: Array<() => Promise<void>> = [];
  let redis: RedisServer | undefined;
  let oauth2Proxy: Oauth2Proxy | undefined;
  const env = benchEnv(provider);
  try {
    const bare = await startBareProcess();
    stops.push(bare.stop);
    const targets: Array<{ name: LoginBenchCaseName } & LoadTarget> = [{ name: 'bare-node-200', urls: [`${bare.url}${CHECK_PATH}`], headers: { ...BROWSER_HEADERS }, okStatus: 200 }];
    const processes = new Map<LoginBenchCaseName, number>();
    const ours = async (name: LoginBenchCaseName, caseEnv: Record<string, string>, replicas = 1) => {
      const started: LoginProcess[] = [];
      for (let i = 0; i < replicas; i++) {
        const service = await startLoginProcess(caseEnv, replicas > 1 ? `${name}-${i + 1}` : name);
        stops.push(service.stop);
        started.push(service);
      }
      processes.set(name, started.reduce((sum, service) => sum + service.workers, 0));
      // One login, on the first replica: the others must honour its cookie through the store.
      const cookie = await loginCookie(started[0]!);
      targets.push({ name, urls: started.map((s) => `${s.url}${CHECK_PATH}`), headers: { ...BROWSER_HEADERS, cookie }, okStatus: 200 });
    };
    await ours('check-memory', env);
    try {
      redis = await startRedisServer();
    } catch (error) {
      for (const name of ['check-redis', 'check-redis-workers', 'check-redis-3-replicas', 'oauth2-proxy-redis', 'check-sentinel-failover']) skipped[name] = `redis-server could not start: ${reason(error)}`;
      progress(`login bench: skipping the Redis cases (${reason(error)})`);
    }
    if (redis) {
      const redisEnv = { ...env, SESSION_STORE: 'redis', REDIS_URL: redis.url };
      await ours('check-redis', redisEnv);
      await ours('check-redis-workers', { ...redisEnv, WORKERS: 'auto' });
      await ours('check-redis-3-replicas', redisEnv, 3);
      const located = locateOauth2Proxy();
      if (located.path) {
        oauth2Proxy = await startOauth2Proxy({ binary: located.path, provider, appOrigin: APP, redisUrl: redis.url });
        const cookie = await oauth2Proxy.login();
        targets.push({ name: 'oauth2-proxy-redis', urls: [`${oauth2Proxy.url}/oauth2/auth`], headers: { ...BROWSER_HEADERS, cookie }, okStatus: OAUTH2_PROXY_AUTH_OK });
      } else {
        skipped['oauth2-proxy-redis'] = located.missing!;
        progress(`login bench: skipping oauth2-proxy-redis (${located.missing})`);
      }
    }
    for (const target of targets) await expectStatus(target);

    const samples = new Map<string, LoadResult[]>();
    for (let run = 1; run <= runs; run++) {
      // Interleave the cases within each run so drift on a shared machine hits them alike.
      for (const target of targets) {
        const result = await load(target, { connections, durationMs, warmupMs: run === 1 ? warmupMs : 0 });
        samples.set(target.name, [...(samples.get(target.name) ?? []), result]);
      }
      progress(`login bench: run ${run}/${runs} done (load average ${loadNow()})`);
    }
    const summarise = (name: LoginBenchCaseName): Omit<LoginBenchCase, 'ratioToBaseline'> => {
      const results = samples.get(name)!;
      return {
        name,
        checksPerSecond: Math.round(median(results.map((r) => r.checksPerSecond))),
        p50Us: Math.round(median(results.map((r) => r.p50Us))),
        p99Us: Math.round(median(results.map((r) => r.p99Us))),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
        connections: results[0]!.connections,
        processes: processes.get(name) ?? 1,
      };
    };
    const baseline = summarise('bare-node-200');
    const toBaseline = (checksPerSecond: number) => Number((checksPerSecond / baseline.checksPerSecond).toFixed(3));
    const cases = targets.map((t) => {
      const summary = summarise(t.name);
      return { ...summary, ratioToBaseline: toBaseline(summary.checksPerSecond) };
    });
    for (const c of cases) if (c.errors > 0) progress(`login bench: ${c.name} had ${c.errors} failed answers — the figures for it are not valid`);

    const figure = (name: LoginBenchCaseName) => cases.find((c) => c.name === name)?.checksPerSecond;
    const theirs = figure('oauth2-proxy-redis');
    const oursRedis = figure('check-redis-workers');
    const oneWorker = figure('check-redis');
    const budget = theirs && oursRedis && oneWorker ? { ratio: Number((oursRedis / theirs).toFixed(3)), pass: oursRedis >= theirs, oneWorkerRatio: Number((oneWorker / theirs).toFixed(3)) } : undefined;

    // Stopped before the failover case, so it does not compete with idle-but-resident peers.
    for (const stop of stops.splice(0)) await stop();
    await oauth2Proxy?.stop();
    let failover: LoginFailoverCase | undefined;
    if (redis) {
      progress(`login bench: failover case (${failoverMs} ms window, Sentinel: 3 sentinels, master + replica)`);
      try {
        const { result, recoveredAfterMs } = await failoverCase(env, connections, failoverMs, progress);
        failover = {
          name: 'check-sentinel-failover',
          checksPerSecond: Math.round(result.okPerSecond),
          p50Us: Math.round(result.p50Us),
          p99Us: Math.round(result.p99Us),
          ratioToBaseline: toBaseline(result.okPerSecond),
          errors: result.errors,
          recoveredAfterMs,
          windowMs: failoverMs,
        };
      } catch (error) {
        skipped['check-sentinel-failover'] = `the Sentinel group could not run: ${reason(error)}`;
        progress(`login bench: skipping check-sentinel-failover (${reason(error)})`);
      }
    }
    return {
      connections,
      durationMs: Math.max(1000, Math.round(durationMs / 1000) * 1000),
      runs,
      cases,
      ...(failover ? { failover } : {}),
      ...(budget ? { budget } : {}),
      ...(oauth2Proxy ? { oauth2ProxyVersion: OAUTH2_PROXY_VERSION } : {}),
      loadAverage: { start: loadAtStart, end: loadNow() },
      skipped,
    };
  } finally {
    for (const stop of stops) await stop();
    await oauth2Proxy?.stop();
    await redis?.stop();
    await provider.close();
  }
}

export function formatLoginBench(result: LoginBenchResult): string {
  const rows = result.cases.map((c) => [c.name, String(c.checksPerSecond), `${c.ratioToBaseline.toFixed(2)}×`, String(c.p50Us), String(c.p99Us), String(c.errors), String(c.connections), String(c.processes)]);
  if (result.failover) {
    const f = result.failover;
    rows.push([f.name, String(f.checksPerSecond), `${f.ratioToBaseline.toFixed(2)}×`, String(f.p50Us), String(f.p99Us), String(f.errors), String(result.connections), '1']);
  }
  const header = ['case', 'checks/s', 'vs bare', 'p50 µs', 'p99 µs', 'failed', 'conns', 'procs'];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
  const lines = [
    `login service ext_authz check, valid session, wrk ${result.connections} keep-alive connections, ${result.durationMs} ms × ${result.runs} runs (median), every server its own process, ${machine}, load average ${result.loadAverage.start} → ${result.loadAverage.end}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  if (result.failover) {
    const f = result.failover;
    lines.push(`failover: master SIGKILLed under load in a ${f.windowMs} ms window (checks/s: the 200s only): ${f.errors} failed answers (503 during the gap), ${f.recoveredAfterMs >= 0 ? `recovered ${f.recoveredAfterMs} ms after the kill` : 'NOT recovered within the window'}`);
  }
  if (result.budget) {
    const ours = result.cases.find((c) => c.name === 'check-redis-workers')!;
    const theirs = result.cases.find((c) => c.name === 'oauth2-proxy-redis')!;
    lines.push(
      `oauth2-proxy ${result.oauth2ProxyVersion} (${OAUTH2_PROXY_BENCH_FLAGS}): check-redis-workers (WORKERS=auto, ${ours.processes}) ${result.budget.ratio.toFixed(2)}× its checks/s, p50 ${(ours.p50Us / theirs.p50Us).toFixed(2)}×, p99 ${(ours.p99Us / theirs.p99Us).toFixed(2)}×; check-redis (1 worker) ${result.budget.oneWorkerRatio.toFixed(2)}×`,
    );
    lines.push(`${result.budget.pass ? 'PASS' : 'FAIL'}  check-redis-workers checks/s ≥ oauth2-proxy-redis's: ${result.budget.ratio.toFixed(2)} (the budget: one replica each, each on the CPUs it may use)`);
  } else {
    lines.push('budget: not measured (no oauth2-proxy-redis case)');
  }
  for (const [name, why] of Object.entries(result.skipped)) lines.push(`skipped ${name}: ${why}`);
  return lines.join('\n');
}
