// The login bench's load generator: keep-alive HTTP GETs from a worker thread (its own event loop,
// ideally its own core), so the servers under test in the main thread do not share a loop with the
// client. Every case of the login bench — the bare-Node baseline, our service, oauth2-proxy — runs
// through this one generator, so their figures compare like with like.
import { Worker } from 'node:worker_threads';

export interface LoadTarget {
  /** One URL per connection, in turn (several replicas share the load round-robin). */
  urls: string[];
  headers: Record<string, string>;
  /** The answer that counts as success (ext_authz: 200; oauth2-proxy's /oauth2/auth: 202). */
  okStatus: number;
}

export interface LoadResult {
  checksPerSecond: number;
  /** Success answers per second (checksPerSecond counts every answer, fast failures too). */
  okPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Answers other than okStatus, and connection errors. */
  errors: number;
  /** Date.now() of the first and the last failed answer (undefined: none failed). */
  firstErrorAt?: number;
  lastErrorAt?: number;
}

export interface LoadOptions {
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** Called once the measured phase starts (after the warm-up), with its Date.now(). */
  onMeasuring?(at: number): void;
}

// Plain CommonJS run with `eval`, so the worker needs no TypeScript loader. A failed request is
// counted, not thrown: a failover case must keep loading through refused connections.
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { urls, headers, okStatus, connections, durationMs, warmupMs } = workerData;
const targets = urls.map((url) => new URL(url));
const agent = new http.Agent({ keepAlive: true, maxSockets: connections * targets.length });
function once(target) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve([res.statusCode, Number(process.hrtime.bigint() - start)]));
    });
    req.on('error', () => resolve([0, Number(process.hrtime.bigint() - start)]));
    req.end();
  });
}
async function phase(ms, record) {
  const until = Date.now() + ms;
  const loop = async (index) => {
    const target = targets[index % targets.length];
    while (Date.now() < until) {
      const [status, ns] = await once(target);
      if (!record) continue;
      record.latencies.push(ns);
      if (status !== okStatus) {
        const now = Date.now();
        record.errors++;
        if (record.firstErrorAt === undefined) record.firstErrorAt = now;
        record.lastErrorAt = now;
        // A refused connection answers at once: pace the retry as a client would, or the loop spins.
        if (status === 0) await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => loop(i)));
}
(async () => {
  await phase(warmupMs);
  const record = { latencies: [], errors: 0, firstErrorAt: undefined, lastErrorAt: undefined };
  parentPort.postMessage({ measuring: Date.now() });
  const started = process.hrtime.bigint();
  await phase(durationMs, record);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  agent.destroy();
  const { latencies, ...rest } = record;
  parentPort.postMessage({ done: { latencies: Float64Array.from(latencies), elapsedNs, ...rest } });
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
`;

interface WorkerDone {
  latencies: Float64Array;
  elapsedNs: number;
  errors: number;
  firstErrorAt?: number;
  lastErrorAt?: number;
}

export function load(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, {
      eval: true,
      workerData: { urls: target.urls, headers: target.headers, okStatus: target.okStatus, connections: options.connections, durationMs: options.durationMs, warmupMs: options.warmupMs },
    });
    worker.once('error', reject);
    worker.on('message', (message: { measuring?: number; done?: WorkerDone; error?: string }) => {
      if (message.measuring !== undefined) return options.onMeasuring?.(message.measuring);
      void worker.terminate();
      const done = message.done;
      if (message.error || !done || done.latencies.length === 0) return reject(new Error(`load worker failed: ${message.error ?? 'no request completed'}`));
      const sorted = Float64Array.from(done.latencies).sort();
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000;
      resolve({
        checksPerSecond: sorted.length / (done.elapsedNs / 1e9),
        okPerSecond: (sorted.length - done.errors) / (done.elapsedNs / 1e9),
        p50Us: at(0.5),
        p99Us: at(0.99),
        errors: done.errors,
        ...(done.firstErrorAt !== undefined ? { firstErrorAt: done.firstErrorAt, lastErrorAt: done.lastErrorAt } : {}),
      });
    });
  });
}
