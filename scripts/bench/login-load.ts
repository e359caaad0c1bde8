// The login bench's load generator: wrk (Debian's `wrk`, as the Envoy bench uses; .ci/run installs
// it), a separate C process, so neither side under test shares an event loop or much CPU with the
// client — the Node worker thread used before cost about one of the machine's two cores by itself.
// Every case — the bare-Node baseline, our service, oauth2-proxy — runs through this one generator
// with the same headers and connections, so their figures compare like with like.
//
// Several URLs (replicas) get one wrk thread each, bound to its replica in a Lua `setup` hook, and
// the connections are split evenly between them. The summary comes from a Lua `done` hook as JSON.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface LoadTarget {
  /** One URL per replica; each gets its own wrk thread and an equal share of the connections. */
  urls: string[];
  headers: Record<string, string>;
  /** The answer that counts as success (ext_authz: 200; oauth2-proxy's /oauth2/auth: 202). */
  okStatus: number;
}

export interface LoadResult {
  /** Every answer per second, fast failures too. */
  checksPerSecond: number;
  /** Answers other than errors, per second. */
  okPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Answers ≥ 400 (wrk's status errors), and connect/read/write errors and timeouts. */
  errors: number;
  /** Connections actually opened (a multiple of the URLs). */
  connections: number;
  seconds: number;
}

export interface LoadOptions {
  connections: number;
  /** Measured time; wrk counts whole seconds, so this is rounded (at least 1 s). */
  durationMs: number;
  /** A wrk run before the measured one, not counted (0: none). Whole seconds as well. */
  warmupMs: number;
  /** Called when the measured wrk run starts, with its Date.now(). */
  onMeasuring?(at: number): void;
}

const MARK = 'oc-edge-login-bench ';

export function findWrk(): string {
  const found = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'wrk')).find((file) => existsSync(file));
  if (!found) throw new Error("wrk not found: apt-get install wrk (the login and Envoy benches' load generator; .ci/run installs it)");
  return found;
}

/** The Lua script of one target: a thread per replica, and the JSON summary. */
export function wrkScript(urls: readonly string[]): string {
  const addresses = urls.map((url) => {
    const { hostname, port } = new URL(url);
    return `{ ${JSON.stringify(hostname)}, ${JSON.stringify(port)} }`;
  });
  return `local replicas = { ${addresses.join(', ')} }
local started = 0
setup = function(thread)
  local replica = replicas[(started % #replicas) + 1]
  started = started + 1
  thread.addr = wrk.lookup(replica[1], replica[2])[1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("\\n${MARK}{\\"requests\\":%d,\\"durationUs\\":%d,\\"status\\":%d,\\"socket\\":%d,\\"p50Us\\":%d,\\"p99Us\\":%d}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

const wholeSeconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

function runWrk(wrk: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`wrk exited ${code}: ${stderr.trim() || stdout.trim()}`))));
  });
}

/** One request, as the load will send it: a target that does not answer okStatus is not measured. */
export async function expectStatus(target: LoadTarget): Promise<void> {
  for (const url of target.urls) {
    const response = await fetch(url, { headers: target.headers, redirect: 'manual' });
    await response.body?.cancel();
    if (response.status !== target.okStatus) throw new Error(`${url} answered ${response.status}, not ${target.okStatus}: the session is not valid there`);
  }
}

export async function load(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const wrk = findWrk();
  const dir = mkdtempSync(join(tmpdir(), 'oc-login-load-'));
  try {
    const script = join(dir, 'load.lua');
    writeFileSync(script, wrkScript(target.urls));
    const threads = target.urls.length;
    const connections = Math.ceil(options.connections / threads) * threads;
    const args = (ms: number) => {
      const list = ['-t', String(threads), '-c', String(connections), '-d', `${wholeSeconds(ms)}s`, '--timeout', '5s', '-s', script];
      for (const [name, value] of Object.entries(target.headers)) list.push('-H', `${name}: ${value}`);
      list.push(target.urls[0]!);
      return list;
    };
    if (options.warmupMs > 0) await runWrk(wrk, args(options.warmupMs));
    const measured = runWrk(wrk, args(options.durationMs));
    options.onMeasuring?.(Date.now());
    const stdout = await measured;
    const line = stdout.split('\n').find((l) => l.startsWith(MARK));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const summary = JSON.parse(line.slice(MARK.length)) as { requests: number; durationUs: number; status: number; socket: number; p50Us: number; p99Us: number };
    const seconds = summary.durationUs / 1e6;
    const errors = summary.status + summary.socket;
    return {
      checksPerSecond: summary.requests / seconds,
      okPerSecond: (summary.requests - summary.status) / seconds,
      p50Us: summary.p50Us,
      p99Us: summary.p99Us,
      errors,
      connections,
      seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A slow, steady prober next to the load (one request every `everyMs`), recording when answers
 * failed — wrk counts failures but not when they happened, which the failover case needs.
 */
export function probeFailures(target: LoadTarget, everyMs = 20): { stop(): Promise<{ firstErrorAt?: number; lastErrorAt?: number; probes: number }> } {
  let running = true;
  let firstErrorAt: number | undefined;
  let lastErrorAt: number | undefined;
  let probes = 0;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const status = await fetch(target.urls[0]!, { headers: target.headers, redirect: 'manual', signal: AbortSignal.timeout(2000) })
        .then(async (response) => {
          await response.body?.cancel();
          return response.status;
        })
        .catch(() => 0);
      probes++;
      if (status !== target.okStatus) {
        firstErrorAt ??= at;
        lastErrorAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - (Date.now() - at))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ...(firstErrorAt !== undefined ? { firstErrorAt, lastErrorAt } : {}), probes };
    },
  };
}
