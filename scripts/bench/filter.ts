// The filter benchmark: ns per request through the Node Proxy-Wasm host for six kinds of request,
// plus the host-call baseline (dist/host-calls.wasm),
// each compared with the no-op module (same ABI layer, same host, same run), so the figures say
// what the filter adds rather than how fast this machine is. What a case adds is measured paired:
// each round times every case back to back, the round's difference to the no-op is taken, a run
// keeps the median difference of its rounds and the result is the median of the runs. On a shared
// machine the speed drifts within a run; a difference taken within one round does not see it.
import { existsSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { sign } from 'cookie-signature';
import { createHost, type HostOptions, type Plugin, type RequestInput } from '../../src/host/index.ts';
import { FILTER_WASM, HOST_CALLS_WASM, NOOP_WASM } from '../lib/artifacts.ts';
import { ORG_COOKIE_NAME_DEFAULT, ORG_HEADER_DEFAULT } from '../../src/topology/plugin-settings.ts';

export interface FilterBenchCase {
  name: string;
  /** Median over runs of the case's median batch. */
  nsPerRequest: number;
  ratioToNoop: number;
  /** What the case adds to the no-op: the median over runs of each run's median paired difference. */
  addedNs: number;
}

export interface FilterBenchResult {
  sizeBytes: number;
  cases: FilterBenchCase[];
}

export interface FilterBenchOptions {
  /** Benchmark this module instead of dist/org-context.wasm. */
  wasm?: string;
  runs: number;
  onProgress(message: string): void;
  /** The baseline module (default dist/noop.wasm, the no-op on the filter's own ABI layer). */
  noopWasm?: string;
  /**
   * The host-call baseline (default dist/host-calls.wasm: exactly the host calls of a cached valid
   * cookie on the same layer, nothing else), so valid-cached splits into host calls and own work.
   */
  hostCallsWasm?: string;
}

// A fixed benchmark-only key: nothing is signed with it outside this process.
export const SECRET = 'benchmark-only-secret-0123456789abcdef';
const COOKIE = ORG_COOKIE_NAME_DEFAULT;
export const ORGS = ['org-alpha', 'org-beta', 'org-gamma'];
/** The plugin's settings in every bench (the Envoy bench too): two secrets, so an invalid signature costs two HMACs. */
export const BENCH_PLUGIN_ENV: Record<string, string> = {
  ORG_COOKIE_SECRETS: JSON.stringify([SECRET, 'previous-benchmark-secret-0123456789']),
  BOOTSTRAPPED_ORGANISATIONS: ORGS.join(','),
  SUPPORTED_FEATURES: 'search,export,beta-ui',
  ORGANISATION_FEATURES: JSON.stringify({ 'org-beta': ['billing', 'audit'] }),
};
/**
 * A run times every case in ROUNDS short batches, interleaved case by case, and keeps each case's
 * median batch: on a shared machine a burst of load then hits all cases alike and is voted out.
 * 7 cases × 12 rounds × 20 ms ≈ 1.7 s per run.
 */
const BATCH_NS = 20_000_000n;
const ROUNDS = 12;

/** Headers a browser sends on an API call, so header parsing costs what it costs in production. */
export const BROWSER_HEADERS: [string, string][] = [
  ['host', 'app.example.com'],
  ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36'],
  ['accept', 'application/json, text/plain, */*'],
  ['accept-language', 'en-GB,en;q=0.9'],
  ['accept-encoding', 'gzip, deflate, br'],
  ['referer', 'https://app.example.com/dashboard'],
  ['x-request-id', '6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f'],
  ['authorization', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl'],
];

export const signedCookie = (org: string, secret = SECRET) => `${COOKIE}=${encodeURIComponent(`s:${sign(org, secret)}`)}`;
export const cookieHeader = (cookie: string): [string, string] => ['cookie', `_ga=GA1.1.123456789.1700000000; theme=dark; ${cookie}; session=abc123`];

export function tamper(cookie: string): string {
  // Flip the last signature character: a valid-looking cookie that must fail verification.
  const last = cookie.at(-1) === 'A' ? 'B' : 'A';
  return cookie.slice(0, -1) + last;
}

interface CaseSetup {
  name: string;
  plugin: Plugin;
  input: RequestInput;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Requests per batch so that one batch lasts about BATCH_NS. */
function calibrate(setup: CaseSetup): number {
  let iterations = 200;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) setup.plugin.request(setup.input);
    const elapsed = process.hrtime.bigint() - start;
    if (elapsed > BATCH_NS || iterations >= 2_000_000) {
      return Math.max(200, Math.ceil((iterations * Number(BATCH_NS)) / Number(elapsed)));
    }
    iterations *= 4;
  }
}

function timeBatch(setup: CaseSetup, iterations: number): number {
  const { plugin, input } = setup;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) plugin.request(input);
  return Number(process.hrtime.bigint() - start) / iterations;
}

interface RunTimes {
  /** ns/request per case: the median of its batches. */
  ns: number[];
  /** Per case, the median over rounds of (the case's batch − the no-op's batch of the same round). */
  added: number[];
}

/** One run: ROUNDS rounds, each timing every case once, the no-op (setups[0]) among them. */
function timeRun(setups: CaseSetup[], iterations: number[]): RunTimes {
  const batches: number[][] = setups.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    setups.forEach((setup, i) => batches[i].push(timeBatch(setup, iterations[i])));
  }
  const noop = batches[0];
  return {
    ns: batches.map(median),
    added: batches.map((times) => median(times.map((ns, round) => ns - noop[round]))),
  };
}

export async function benchFilter(options: FilterBenchOptions): Promise<FilterBenchResult> {
  const wasm = options.wasm ?? FILTER_WASM.absolute;
  const noopWasm = options.noopWasm ?? NOOP_WASM.absolute;
  const hostCallsWasm = options.hostCallsWasm ?? HOST_CALLS_WASM.absolute;
  for (const [file, what] of [[wasm, 'the module to benchmark'], [noopWasm, 'the no-op baseline'], [hostCallsWasm, 'the host-call baseline']]) {
    if (!existsSync(file)) throw new Error(`${file} (${what}) does not exist: run npm run build`);
  }
  const sizeBytes = statSync(wasm).size;
  const env = BENCH_PLUGIN_ENV;
  const host = (overrides: Partial<HostOptions> = {}) => createHost({ wasm, env, logLevel: 'warn', ...overrides });
  const valid = signedCookie('org-beta');
  const browser = (cookie?: string): RequestInput => ({
    method: 'GET',
    path: '/api/organisations/current?expand=features',
    headers: cookie ? [...BROWSER_HEADERS, cookieHeader(cookie)] : BROWSER_HEADERS,
    sourceAddress: '10.0.0.7:51234',
  });

  options.onProgress(`filter: ${wasm} (${sizeBytes} bytes) against ${noopWasm}`);
  const standard = await host();
  const setups: CaseSetup[] = [
    { name: 'noop', plugin: await createHost({ wasm: noopWasm, env, logLevel: 'warn' }), input: browser(valid) },
    { name: 'host-calls', plugin: await createHost({ wasm: hostCallsWasm, env, logLevel: 'warn' }), input: browser(valid) },
    { name: 'no-cookie', plugin: standard, input: browser() },
    { name: 'valid-uncached', plugin: await host({ env: { ...env, ORG_COOKIE_CACHE_SIZE: '0' } }), input: browser(valid) },
    { name: 'valid-cached', plugin: standard, input: browser(valid) },
    { name: 'invalid-signature', plugin: standard, input: browser(tamper(valid)) },
    {
      name: 'membership',
      plugin: await host({ env: { ...env, ORG_MEMBERSHIP_CLAIM: 'organisations' } }),
      input: { ...browser(valid), jwtPayload: { sub: 'user-1', organisations: ['org-alpha', 'org-beta'] } },
    },
  ];

  // Sanity: a benchmark of a filter that is not doing its job would be meaningless.
  const cached = setups.find((setup) => setup.name === 'valid-cached')!;
  const check = cached.plugin.request(cached.input);
  if (!options.wasm && !check.headers.some(([n, v]) => n === ORG_HEADER_DEFAULT && v === 'org-beta')) {
    throw new Error('the filter did not select org-beta for a valid cookie; refusing to benchmark it');
  }

  const iterations = setups.map((setup) => calibrate(setup));
  const samples: number[][] = setups.map(() => []);
  const added: number[][] = setups.map(() => []);
  for (let run = 0; run < options.runs; run++) {
    const times = timeRun(setups, iterations);
    times.ns.forEach((ns, i) => samples[i].push(ns));
    times.added.forEach((ns, i) => added[i].push(ns));
    const line = setups.map((s, i) => `${s.name} ${Math.round(samples[i][run])} ns${i === 0 ? '' : ` (+${Math.round(added[i][run])})`}`);
    options.onProgress(`filter: run ${run + 1}/${options.runs}: ${line.join(', ')}`);
  }
  const medians = samples.map(median);
  for (const setup of setups) setup.plugin.close();
  const noopRuns = samples[0];
  const spread = Math.max(...noopRuns) / Math.min(...noopRuns) - 1;
  if (spread > 0.15) {
    options.onProgress(
      `filter: note: the no-op's runs differ by ${Math.round(spread * 100)} % (a busy or throttled machine): ` +
        'absolute figures move with it, ratios much less; rerun when the machine is quiet',
    );
  }
  return {
    sizeBytes,
    cases: setups.map((setup, i) => ({
      name: setup.name,
      nsPerRequest: Math.round(medians[i]),
      ratioToNoop: Math.round((medians[i] / medians[0]) * 100) / 100,
      addedNs: Math.round(median(added[i])),
    })),
  };
}

export function formatFilterBench(result: FilterBenchResult): string {
  const added = (name: string) => result.cases.find((c) => c.name === name)?.addedNs ?? 0;
  const rows = result.cases.map((c) => [c.name, String(c.nsPerRequest), `${c.ratioToNoop.toFixed(2)}×`, c.name === 'noop' ? '—' : `${(c.addedNs / 1000).toFixed(2)}`]);
  const header = ['case', 'ns/request', 'vs noop', 'added µs'];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col].length)));
  const line = (cells: string[]) => cells.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
  return [
    `org-context filter in the Node Proxy-Wasm host (V8), median of runs, ${machine}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    `valid-cached = host calls ${(added('host-calls') / 1000).toFixed(2)} µs (host-calls − noop) + the filter's own work ${((added('valid-cached') - added('host-calls')) / 1000).toFixed(2)} µs`,
    'added µs: paired with the no-op round by round; median of rounds, then of runs',
    `release size: ${result.sizeBytes} bytes (${(result.sizeBytes / 1024).toFixed(1)} KiB)`,
  ].join('\n');
}
