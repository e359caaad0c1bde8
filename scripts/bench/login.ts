// The login service benchmark: ext_authz checks per second with a valid session (memory and Redis
// stores) and their p50/p99 latency, next to a bare Node HTTP server answering 200 in the same run
// with the same load — so the figures say what the check costs over Node's own HTTP handling.
// The load comes from a worker thread (its own event loop, ideally its own core) over keep-alive
// connections; the servers run in this thread. A real login (oidc-provider, the whole code flow)
// creates the session; Redis is a real redis-server on an ephemeral port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { Browser } from '../../fixtures/browser.ts';
import { relyingPartyEnv, startOidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { loadConfig, startLoginService, type LoginService } from '../../src/login/index.ts';

export interface LoginBenchCase {
  name: 'bare-node-200' | 'check-memory' | 'check-redis';
  checksPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** checks/s of this case ÷ checks/s of the bare server (1 = free). */
  ratioToBaseline: number;
  /** Responses that were not 200 (must be 0). */
  errors: number;
}

export interface LoginBenchResult {
  connections: number;
  durationMs: number;
  runs: number;
  cases: LoginBenchCase[];
  /** Cases that could not run, with the reason (e.g. redis-server missing). */
  skipped: Record<string, string>;
}

export interface LoginBenchOptions {
  runs: number;
  onProgress(message: string): void;
  /** Concurrent connections (default 16). */
  connections?: number;
  /** Measured time per run per case; default fits 3 cases × runs in about 30 s. */
  durationMs?: number;
}

const APP = 'https://app.bench';
const WARMUP_MS = 300;

// Plain CommonJS run with `eval`, so the worker needs no TypeScript loader.
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, headers, connections, durationMs, warmupMs } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
function once() {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve([res.statusCode, Number(process.hrtime.bigint() - start)]));
    });
    req.on('error', reject);
    req.end();
  });
}
async function phase(ms, latencies) {
  let errors = 0;
  const until = Date.now() + ms;
  const loop = async () => {
    while (Date.now() < until) {
      const [status, ns] = await once();
      if (status !== 200) errors++;
      if (latencies) latencies.push(ns);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return errors;
}
(async () => {
  await phase(warmupMs);
  const latencies = [];
  const started = process.hrtime.bigint();
  const errors = await phase(durationMs, latencies);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  agent.destroy();
  parentPort.postMessage({ latencies: Float64Array.from(latencies), elapsedNs, errors });
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
`;

interface RunResult {
  checksPerSecond: number;
  p50Us: number;
  p99Us: number;
  errors: number;
}

function load(url: string, headers: Record<string, string>, connections: number, durationMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { url, headers, connections, durationMs, warmupMs: WARMUP_MS } });
    worker.once('error', reject);
    worker.once('message', (message: { latencies?: Float64Array; elapsedNs?: number; errors?: number; error?: string }) => {
      void worker.terminate();
      if (message.error || !message.latencies) return reject(new Error(`load worker failed: ${message.error}`));
      const sorted = Float64Array.from(message.latencies).sort();
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000;
      resolve({
        checksPerSecond: sorted.length / (message.elapsedNs! / 1e9),
        p50Us: at(0.5),
        p99Us: at(0.99),
        errors: message.errors ?? 0,
      });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function startBare(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Logs in through the whole code flow and returns the session cookie header. */
async function loginCookie(service: LoginService): Promise<string> {
  const browser = new Browser().route(APP, service.url);
  await browser.navigate(`${APP}/oauth2/login?redirect=/dashboard`, {}, 12, false);
  const cookie = browser.cookies.find((c) => c.name === '__Host-oc-session');
  if (!cookie) throw new Error('bench login did not produce a session cookie');
  return `_ga=GA1.1.123456789.1700000000; theme=dark; ${cookie.name}=${cookie.value}`;
}

export async function benchLogin(options: LoginBenchOptions): Promise<LoginBenchResult> {
  const runs = options.runs;
  const connections = options.connections ?? 16;
  const durationMs = options.durationMs ?? Math.max(400, Math.min(1500, Math.floor(30_000 / (3 * runs))));
  const progress = options.onProgress;
  const skipped: Record<string, string> = {};

  const provider = await startOidcTestProvider({ appOrigin: APP });
  const bare = await startBare();
  const services: Array<{ name: LoginBenchCase['name']; service: LoginService }> = [];
  let redis: RedisServer | undefined;
  // stderr: with --json, stdout carries only the report.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const baseEnv = { ...relyingPartyEnv(provider, APP), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  try {
    const memory = await startLoginService(loadConfig(baseEnv), { logger });
    services.push({ name: 'check-memory', service: memory });
    try {
      redis = await startRedisServer();
      const viaRedis = await startLoginService(
        loadConfig({ ...baseEnv, SESSION_STORE: 'redis', REDIS_URL: redis.url }),
        { logger },
      );
      services.push({ name: 'check-redis', service: viaRedis });
    } catch (error) {
      skipped['check-redis'] = `redis-server could not start: ${error instanceof Error ? error.message : String(error)}`;
      progress(`login bench: skipping check-redis (${skipped['check-redis']})`);
    }
    const targets: Array<{ name: LoginBenchCase['name']; url: string; headers: Record<string, string> }> = [];
    const browserHeaders = {
      accept: 'application/json, text/plain, */*',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      'sec-fetch-mode': 'cors',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.bench',
    };
    targets.push({ name: 'bare-node-200', url: `${bare.url}/organisation/list`, headers: browserHeaders });
    for (const { name, service } of services) {
      await service.ready;
      const cookie = await loginCookie(service);
      targets.push({ name, url: `${service.url}/organisation/list`, headers: { ...browserHeaders, cookie } });
    }

    const samples = new Map<string, RunResult[]>();
    for (let run = 1; run <= runs; run++) {
      // Interleave the cases within each run so drift on a shared machine hits them alike.
      for (const target of targets) {
        const result = await load(target.url, target.headers, connections, durationMs);
        samples.set(target.name, [...(samples.get(target.name) ?? []), result]);
      }
      progress(`login bench: run ${run}/${runs} done`);
    }
    const summarise = (name: LoginBenchCase['name']): Omit<LoginBenchCase, 'ratioToBaseline'> => {
      const results = samples.get(name)!;
      return {
        name,
        checksPerSecond: Math.round(median(results.map((r) => r.checksPerSecond))),
        p50Us: Math.round(median(results.map((r) => r.p50Us))),
        p99Us: Math.round(median(results.map((r) => r.p99Us))),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
      };
    };
    const baseline = summarise('bare-node-200');
    const cases = targets.map((t) => {
      const summary = summarise(t.name);
      return { ...summary, ratioToBaseline: Number((summary.checksPerSecond / baseline.checksPerSecond).toFixed(3)) };
    });
    for (const c of cases) if (c.errors > 0) progress(`login bench: ${c.name} had ${c.errors} non-200 answers — the figures for it are not valid`);
    return { connections, durationMs, runs, cases, skipped };
  } finally {
    for (const { service } of services) await service.close();
    await new Promise<void>((resolve) => {
      bare.server.close(() => resolve());
      bare.server.closeAllConnections();
    });
    await redis?.stop();
    await provider.close();
  }
}

export function formatLoginBench(result: LoginBenchResult): string {
  const rows = result.cases.map((c) => [
    c.name,
    String(c.checksPerSecond),
    `${c.ratioToBaseline.toFixed(2)}×`,
    String(c.p50Us),
    String(c.p99Us),
    String(c.errors),
  ]);
  const header = ['case', 'checks/s', 'vs bare', 'p50 µs', 'p99 µs', 'non-200'];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
  const lines = [
    `login service ext_authz check, valid session, ${result.connections} keep-alive connections, ${result.durationMs} ms × ${result.runs} runs (median), ${machine}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  for (const [name, reason] of Object.entries(result.skipped)) lines.push(`skipped ${name}: ${reason}`);
  return lines.join('\n');
}
