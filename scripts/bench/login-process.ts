// The login service as the bench runs it: its own process, started through the real entry point
// (src/login/main.ts, configured by environment variables only, as a container would be), so it
// has its own event loop and competes for the CPU exactly as oauth2-proxy does — the load
// generator (wrk) and the bench's own bookkeeping live in other processes. The bare-Node baseline
// runs the same way. The child logs at warn to a pipe the bench copies to its stderr, so the
// bench's stdout stays the report alone.
//
// Memory is read from outside: RSS from /proc/<pid>/status, the V8 heap from the service's own
// metrics port (prom-client's default metrics). "Heap after a full GC" needs the child's help:
// login-child-memory.ts, preloaded with --expose-gc, answers one IPC message with a GC and
// process.memoryUsage(); the service's code is not touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { canConnect, freePort, terminate } from '../../fixtures/redis-server.ts';
import { rssBytes } from '../lib/proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOGIN_MAIN = fileURLToPath(new URL('../../src/login/main.ts', import.meta.url));
const MEMORY_PROBE = fileURLToPath(new URL('./login-child-memory.ts', import.meta.url));
/** `LOGIN_BENCH_CPU_PROF=<dir>`: every login-service child writes a V8 .cpuprofile there when it stops. */
export const CPU_PROFILE_ENV = 'LOGIN_BENCH_CPU_PROF';
const START_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ChildMemory {
  rssMb: number;
  heapUsedMb: number;
}

export interface LoginProcess {
  url: string;
  metricsUrl: string;
  pid: number;
  /** Processes answering on `url`: the workers its /healthz reports (WORKERS > 1), else 1. */
  workers: number;
  /** RSS (/proc) and heap used (the metrics port's oc_login_nodejs_heap_size_used_bytes), as they are now. */
  memory(): Promise<ChildMemory>;
  /** A full GC in the child first, then its RSS and heap used: what the service really retains. */
  memoryAfterGc(): Promise<ChildMemory>;
  stop(): Promise<void>;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** The value of one unlabelled sample in Prometheus text. */
export function metricValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** A child's output, kept short for error messages and copied to our stderr with a prefix. */
function collectOutput(child: ChildProcess, label: string): () => string {
  let tail = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-4000);
    process.stderr.write(text.replace(/^(?=.)/gm, `[${label}] `));
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => tail.trim();
}

/** The environment a child gets: the case's settings, and only what node itself needs to run. */
function childEnv(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  return { ...env, ...settings };
}

/**
 * Starts `src/login/main.ts` with `env` (LISTEN/METRICS_LISTEN are chosen here) and waits until
 * /healthz answers 200: the provider discovered and the store reachable.
 */
export async function startLoginProcess(env: Record<string, string>, label = 'login'): Promise<LoginProcess> {
  const cpuProfileDir = process.env[CPU_PROFILE_ENV];
  let lastError = '';
  // Between finding free ports and the child binding them another process may take one: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const nodeArgs = ['--import', 'tsx', '--expose-gc', '--import', MEMORY_PROBE, ...(cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [])];
    const child = spawn(process.execPath, [...nodeArgs, LOGIN_MAIN], {
      cwd: ROOT,
      env: childEnv({ LOG_LEVEL: 'warn', ...env, LISTEN: `127.0.0.1:${port}`, METRICS_LISTEN: `127.0.0.1:${metricsPort}` }),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output = collectOutput(child, label);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let healthy: { workers?: { of: number } } | undefined;
    while (!healthy && child.exitCode === null && Date.now() < deadline) {
      const health = await fetch(`${metricsUrl}/healthz`).catch(() => undefined);
      if (health?.status === 200) healthy = (await health.json()) as typeof healthy;
      else await health?.body?.cancel();
      if (!healthy) await sleep(100);
    }
    if (healthy) return handle(child, url, metricsUrl, healthy.workers?.of ?? 1);
    lastError = child.exitCode !== null ? `exited ${child.exitCode}: ${output()}` : `not healthy within ${START_TIMEOUT_MS} ms: ${output()}`;
    await terminate(child);
    // Exit 2 is a bad configuration: another port will not help.
    if (child.exitCode === 2) break;
  }
  throw new Error(`${label} (src/login/main.ts) did not start: ${lastError}`);
}

function handle(child: ChildProcess, url: string, metricsUrl: string, workers: number): LoginProcess {
  const pid = child.pid!;
  return {
    url,
    metricsUrl,
    pid,
    workers,
    async memory() {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      const heap = metricValue(text, 'oc_login_nodejs_heap_size_used_bytes');
      if (heap === undefined) throw new Error('the metrics port has no oc_login_nodejs_heap_size_used_bytes');
      return { rssMb: mb(rssBytes(pid)), heapUsedMb: mb(heap) };
    },
    memoryAfterGc() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the child did not answer the GC probe within 10 s')), 10_000);
        child.once('message', (message: { heapUsed: number; rss: number }) => {
          clearTimeout(timer);
          resolve({ rssMb: mb(message.rss), heapUsedMb: mb(message.heapUsed) });
        });
        child.send('gc-memory');
      });
    },
    // SIGTERM: the service closes and exits 0 (cli.ts), which is also when --cpu-prof writes.
    stop: () => terminate(child),
  };
}

/** The bare-Node baseline: a plain `http` server answering 200, in its own process like the service. */
export async function startBareProcess(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const source = `require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-length': '0' }); res.end(); }).listen(Number(process.argv[1]), '127.0.0.1');`;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['-e', source, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collectOutput(child, 'bare');
    const deadline = Date.now() + 10_000;
    while (child.exitCode === null && Date.now() < deadline && !(await canConnect(port))) await sleep(25);
    if (child.exitCode === null && (await canConnect(port))) return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => terminate(child) };
    lastError = output() || `exit ${child.exitCode}`;
    await terminate(child);
  }
  throw new Error(`the bare Node server did not start: ${lastError}`);
}
