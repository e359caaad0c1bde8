// The Envoy benchmark: the filter's cost where it runs in production, real Envoy (one worker, V8)
// loaded by wrk at fixed concurrency. The primary figure is Envoy's CPU time per request (utime +
// stime of the Envoy process over the measured requests), which a busy machine disturbs far less
// than requests/s: a case's figure minus the no-op module's of the same round is what the filter
// adds. Cases are interleaved round by round, each between two no-op segments (noop, A, noop, B,
// noop, …) and paired with their mean, so a slow spell of the shared machine cancels out of the
// difference; each figure is the median of its rounds.
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { FEATURES_HEADER_DEFAULT, HOST_ENV_SETTINGS, ORG_HEADER_DEFAULT } from '../../src/topology/plugin-settings.ts';
import { FILTER_WASM, HOST_CALLS_WASM, NOOP_WASM } from '../lib/artifacts.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';
import { locateEnvoy } from '../lib/envoy/locate.ts';
import { BENCH_PLUGIN_ENV, BROWSER_HEADERS, ORGS, cookieHeader, signedCookie, tamper } from './filter.ts';
import { BENCH_PATH, CHECK_HEADERS, CHECK_PATH, envoyBenchBootstrap, orgContextSetup, type ListenerSetup } from './envoy-config.ts';
import { runLoad, writeLoadScript } from './envoy-load.ts';
import { startBenchEnvoy } from './envoy-process.ts';
import { processCpuSeconds } from '../lib/proc.ts';
import { SDK_BASELINE_ROOT_ID, ensureSdkBaseline } from './envoy-sdk-baseline.ts';
import { NOOP_ON_DONE, PROBE, ensureProbe } from './envoy-probe.ts';

export interface EnvoyBenchOptions {
  /** Run the org-context cases with this module instead of dist/org-context.wasm. */
  wasm?: string;
  /** Rounds; every figure is the median of its rounds. */
  rounds: number;
  /** Seconds of load per case and round (wrk's -d: whole seconds). */
  seconds: number;
  /** wrk's keep-alive connections. */
  connections: number;
  onProgress(message: string): void;
  /** Seconds of untimed load per case before the first round (default 1; 0: none, for a quick smoke run). */
  warmupSeconds?: number;
  /** The load generator (default: wrk on PATH). */
  wrk?: string;
  /**
   * Only these cases (names; `prefix*` for every case whose name starts so), the no-op always; the
   * host-call probes (`probe-*`) run only when named here. Default: every case but the probes.
   */
  cases?: string[];
}

export interface EnvoyBenchCase {
  name: string;
  /** The listener's filter: none, noop, org-context (or --wasm), sdk-baseline. */
  module: string;
  requestsPerSecond: number;
  /** Requests/s ÷ the no-op's around it (the segments right before and after); median of rounds. */
  requestsRatioToNoop: number;
  p50Us: number;
  p99Us: number;
  /** Envoy's CPU µs per request (all its threads), median of rounds. */
  cpuUsPerRequest: number;
  /** CPU µs/request − the no-op's around it; median of rounds. */
  addedCpuUs: number;
  /** CPU µs/request ÷ the no-op's around it; median of rounds. */
  cpuRatioToNoop: number;
  /** Host-call probes only: the fastest timed batch of the run ÷ the calls in it (ns, see bench/host-call-probe). */
  minNsPerCall?: number;
}

export interface EnvoyBudget {
  name: string;
  value: number;
  limit: number;
  pass: boolean;
}

export interface EnvoyBenchResult {
  envoyVersion: string;
  envoyPath: string;
  workers: 1;
  connections: number;
  secondsPerCase: number;
  rounds: number;
  cases: EnvoyBenchCase[];
  budgets: EnvoyBudget[];
}

interface BenchCase {
  name: string;
  listener: string;
  /** Request headers besides BROWSER_HEADERS. */
  headers: [string, string][];
  /** The organisation the filter must select; undefined: not checked (no filter, the no-op, a --wasm module). */
  expectOrg?: string;
}

const LISTENER = { none: 'no-wasm', noop: 'noop', hostCalls: 'host-calls', standard: 'org-context', uncached: 'org-context-uncached', membership: 'org-context-membership', sdk: 'sdk-baseline' } as const;
/** The module each listener runs, for the table. */
const MODULE_OF: Record<string, string | undefined> = { 'no-wasm': 'none', noop: 'noop', 'host-calls': 'host-calls', 'org-context': 'org-context', 'org-context-uncached': 'org-context', 'org-context-membership': 'org-context', 'sdk-baseline': 'sdk-baseline' };

/**
 * The host-call probes (bench/host-call-probe): `[kind, calls per request]`. A case `probe-<kind>-<n>`
 * minus the no-op is what n such calls cost in Envoy; n = 16 lifts a call's cost (≈ 1 µs) well above
 * the noise of a shared machine (±5 µs a request).
 */
const PROBES: [string, number][] = [
  ['log-level', 16], ['increment', 1], ['increment', 16], ['pairs', 1], ['pairs', 16], ['get-cookie', 1], ['get-cookie', 16],
  ['get-absent', 16], ['size', 16], ['replace', 1], ['replace', 16], ['add', 1], ['add', 16], ['remove-absent', 16], ['property', 16],
];
const PROBE_PREFIX = 'probe-';
/** The no-op with an empty proxy_on_done: what one more per-stream callback costs (a probe too). */
const NOOP_ON_DONE_CASE = `${PROBE_PREFIX}noop-on-done`;
const probeName = ([kind, calls]: [string, number]) => `${PROBE_PREFIX}${kind}-${calls}`;

/** Whether the case filter (EnvoyBenchOptions.cases) selects a case. */
function selects(filter: string[] | undefined, name: string): boolean {
  if (name === 'noop') return true;
  if (filter === undefined) return !name.startsWith(PROBE_PREFIX);
  return filter.some((f) => (f.endsWith('*') ? name.startsWith(f.slice(0, -1)) : name === f));
}

/** Header-mode claims as jwt_authn's forward_payload_header writes them: base64url JSON. */
function jwtPayloadHeader(claims: Record<string, unknown>): [string, string] {
  return [JWT_PAYLOAD_HEADER, Buffer.from(JSON.stringify(claims)).toString('base64url')];
}

/** The SDK baseline's configuration (one `key=value` a line, bench/sdk-baseline/assembly/index.ts). */
function sdkBaselineConfiguration(): string {
  const secrets = JSON.parse(BENCH_PLUGIN_ENV.ORG_COOKIE_SECRETS!) as string[];
  const orgFeatures = JSON.parse(BENCH_PLUGIN_ENV.ORGANISATION_FEATURES!) as Record<string, string[]>;
  return [
    ...secrets.map((secret) => `secret=${secret}`),
    `fallback=${ORGS[0]}`,
    `features=${BENCH_PLUGIN_ENV.SUPPORTED_FEATURES}`,
    ...Object.entries(orgFeatures).map(([org, features]) => `org.${org}=${features.join(',')}`),
  ].join('\n');
}

/** One wrk run against one case. */
interface Segment {
  rps: number;
  cpuUs: number;
  p50Us: number;
  p99Us: number;
}

/** A case's segment with the no-op's figures it is paired with. */
interface Sample extends Segment {
  refRps: number;
  refCpuUs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One GET of CHECK_PATH: the status and the filter's output headers, echoed by the route. */
function check(port: number, headers: [string, string][]): Promise<{ status: number; echoed: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: CHECK_PATH, headers: Object.fromEntries(headers) }, (res) => {
      res.resume();
      res.on('end', () => {
        const echoed: Record<string, string> = {};
        for (const name of CHECK_HEADERS) echoed[name] = String(res.headers[`echo-${name}`] ?? '');
        resolve({ status: res.statusCode ?? 0, echoed });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function findWrk(explicit?: string): string {
  const candidates = explicit ? [explicit] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'wrk'));
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error('wrk not found: apt-get install wrk (the Envoy bench\'s load generator; .ci/run installs it)');
  return found;
}

export async function benchEnvoy(options: EnvoyBenchOptions): Promise<EnvoyBenchResult> {
  const wrk = findWrk(options.wrk);
  const envoy = locateEnvoy();
  const wasm = options.wasm ?? FILTER_WASM.absolute;
  const noopWasm = NOOP_WASM.absolute;
  const hostCallsWasm = HOST_CALLS_WASM.absolute;
  for (const [file, what] of [[wasm, 'the module to benchmark'], [noopWasm, 'the no-op baseline'], [hostCallsWasm, 'the host-call baseline']] as const) {
    if (!existsSync(file)) throw new Error(`${file} (${what}) does not exist: run npm run build`);
  }
  const wanted = (name: string) => selects(options.cases, name);
  const sdkWasm = await ensureSdkBaseline(options.onProgress);
  const probes = PROBES.filter((probe) => wanted(probeName(probe)));
  const probeWasm = probes.length > 0 ? await ensureProbe(PROBE, options.onProgress) : undefined;
  const noopOnDoneWasm = wanted(NOOP_ON_DONE_CASE) ? await ensureProbe(NOOP_ON_DONE, options.onProgress) : undefined;

  // The secrets reach the filter as Istio delivers them (valueFrom: HOST): from Envoy's environment.
  const hostEnv = Object.fromEntries(Object.entries(BENCH_PLUGIN_ENV).filter(([name]) => HOST_ENV_SETTINGS.includes(name)));
  const inline = Object.fromEntries(Object.entries(BENCH_PLUGIN_ENV).filter(([name]) => !HOST_ENV_SETTINGS.includes(name)));
  const setups: ListenerSetup[] = [
    { name: LISTENER.none },
    { name: LISTENER.noop, wasm: orgContextSetup(noopWasm, inline) },
    // Exactly the host calls of a cached valid cookie (see assembly/host-calls.ts), nothing else.
    { name: LISTENER.hostCalls, wasm: orgContextSetup(hostCallsWasm, inline) },
    { name: LISTENER.standard, wasm: orgContextSetup(wasm, inline) },
    { name: LISTENER.uncached, wasm: orgContextSetup(wasm, inline, { cookieCacheSize: 0 }) },
    { name: LISTENER.membership, wasm: orgContextSetup(wasm, inline, { membershipClaim: 'organisations', jwtClaimsSource: 'header' }) },
    { name: LISTENER.sdk, wasm: { file: sdkWasm, rootId: SDK_BASELINE_ROOT_ID, keyValues: {}, hostEnvKeys: [], configuration: sdkBaselineConfiguration() } },
    ...(noopOnDoneWasm ? [{ name: NOOP_ON_DONE_CASE, wasm: orgContextSetup(noopOnDoneWasm, inline) }] : []),
    ...probes.map(([kind, calls]): ListenerSetup => ({
      name: probeName([kind, calls]),
      wasm: { file: probeWasm!, rootId: 'probe', keyValues: {}, hostEnvKeys: [], configuration: `${kind} ${calls}` },
    })),
  ];

  const valid = cookieHeader(signedCookie('org-beta'));
  const invalid = cookieHeader(tamper(signedCookie('org-beta')));
  const [fallback] = ORGS;
  const ours = (org: string) => (options.wasm ? undefined : org);
  const allCases: BenchCase[] = [
    { name: 'no-wasm', listener: LISTENER.none, headers: [valid] },
    { name: 'noop', listener: LISTENER.noop, headers: [valid] },
    { name: 'host-calls', listener: LISTENER.hostCalls, headers: [valid], expectOrg: 'org-beta' },
    { name: 'no-cookie', listener: LISTENER.standard, headers: [], expectOrg: ours(fallback!) },
    { name: 'valid-cached', listener: LISTENER.standard, headers: [valid], expectOrg: ours('org-beta') },
    { name: 'valid-uncached', listener: LISTENER.uncached, headers: [valid], expectOrg: ours('org-beta') },
    { name: 'invalid-signature', listener: LISTENER.standard, headers: [invalid], expectOrg: ours(fallback!) },
    {
      name: 'membership',
      listener: LISTENER.membership,
      headers: [valid, jwtPayloadHeader({ sub: 'user-1', organisations: ['org-alpha', 'org-beta'] })],
      expectOrg: ours('org-beta'),
    },
    { name: 'sdk-no-cookie', listener: LISTENER.sdk, headers: [], expectOrg: fallback },
    { name: 'sdk-valid-uncached', listener: LISTENER.sdk, headers: [valid], expectOrg: 'org-beta' },
    { name: 'sdk-invalid-signature', listener: LISTENER.sdk, headers: [invalid], expectOrg: fallback },
    ...(noopOnDoneWasm ? [{ name: NOOP_ON_DONE_CASE, listener: NOOP_ON_DONE_CASE, headers: [valid] }] : []),
    ...probes.map((probe): BenchCase => ({ name: probeName(probe), listener: probeName(probe), headers: [valid] })),
  ];
  const cases = allCases.filter((c) => wanted(c.name));
  if (cases.length < 2) throw new Error(`--cases ${options.cases?.join(',')} selects no case besides noop`);
  const listeners = setups.filter((setup) => cases.some((c) => c.listener === setup.name));

  const dir = mkdtempSync(join(tmpdir(), 'oc-edge-bench-envoy-'));
  try {
    const configFile = join(dir, 'envoy.json');
    writeFileSync(configFile, JSON.stringify(envoyBenchBootstrap(listeners)));
    const script = writeLoadScript(dir);
    options.onProgress(`envoy: starting ${envoy.envoy} (1 worker); ${cases.length} cases, ${options.rounds} rounds of ${options.seconds} s segments (noop, case, noop, …), ${options.connections} connections`);
    const running = await startBenchEnvoy(envoy, { configFile, adminAddressFile: join(dir, 'admin-address'), env: hostEnv, listeners: listeners.map((s) => s.name) });
    try {
      const headersOf = (c: BenchCase): [string, string][] => [...BROWSER_HEADERS, ...c.headers];
      const portOf = (c: BenchCase) => running.ports.get(c.listener)!;
      // A benchmark of a filter that is not doing its job would be meaningless: check each first.
      for (const c of cases) {
        const { status, echoed } = await check(portOf(c), headersOf(c));
        if (status !== 200) throw new Error(`${c.name}: ${CHECK_PATH} answered ${status}, not 200\n${running.log()}`);
        const org = echoed[ORG_HEADER_DEFAULT];
        if (c.expectOrg !== undefined && (org !== c.expectOrg || !echoed[FEATURES_HEADER_DEFAULT])) {
          throw new Error(`${c.name}: the filter selected ${JSON.stringify(org)} (features ${JSON.stringify(echoed[FEATURES_HEADER_DEFAULT])}), expected ${c.expectOrg}; refusing to benchmark it`);
        }
      }
      const load = (c: BenchCase, seconds: number) =>
        runLoad({ wrk, script, url: `http://127.0.0.1:${portOf(c)}${BENCH_PATH}`, headers: headersOf(c), connections: options.connections, seconds });
      // Warm-up: V8 tiers the modules up, the cache fills, connections and buffers settle.
      const warmup = options.warmupSeconds ?? 1;
      if (warmup > 0) {
        options.onProgress('envoy: warm-up');
        for (const c of cases) await load(c, warmup);
      }

      const measure = async (c: BenchCase): Promise<Segment> => {
        const before = processCpuSeconds(running.pid);
        const result = await load(c, options.seconds);
        const cpuSeconds = processCpuSeconds(running.pid) - before;
        if (result.errors > 0 || result.requests === 0) throw new Error(`${c.name}: ${result.errors} errors in ${result.requests} requests\n${running.log()}`);
        return { rps: result.requests / result.seconds, cpuUs: (cpuSeconds * 1e6) / result.requests, p50Us: result.p50Us, p99Us: result.p99Us };
      };
      const noopIndex = cases.findIndex((c) => c.listener === LISTENER.noop);
      const others = cases.map((_, i) => i).filter((i) => i !== noopIndex);
      const samples = cases.map(() => [] as Sample[]);
      for (let round = 0; round < options.rounds; round++) {
        // noop, A, noop, B, noop, …: each case is paired with the mean of the no-op segments right
        // before and after it, which cancels a drift of the machine's speed; the order rotates by
        // round so that no case always follows the same one.
        let previous = await measure(cases[noopIndex]!);
        const noopSegments = [previous];
        const order = others.map((_, k) => others[(k + round) % others.length]!);
        for (const i of order) {
          const own = await measure(cases[i]!);
          const next = await measure(cases[noopIndex]!);
          noopSegments.push(next);
          samples[i]!.push({ ...own, refRps: (previous.rps + next.rps) / 2, refCpuUs: (previous.cpuUs + next.cpuUs) / 2 });
          previous = next;
        }
        const noopRound: Segment = {
          rps: median(noopSegments.map((n) => n.rps)),
          cpuUs: median(noopSegments.map((n) => n.cpuUs)),
          p50Us: median(noopSegments.map((n) => n.p50Us)),
          p99Us: median(noopSegments.map((n) => n.p99Us)),
        };
        samples[noopIndex]!.push({ ...noopRound, refRps: noopRound.rps, refCpuUs: noopRound.cpuUs });
        const line = cases.map((c, i) => {
          const s = samples[i]![round]!;
          return `${c.name} ${Math.round(s.rps)}/s ${s.cpuUs.toFixed(1)} µs${i === noopIndex ? '' : ` (${signed(s.cpuUs - s.refCpuUs)})`}`;
        });
        options.onProgress(`envoy: round ${round + 1}/${options.rounds}: ${line.join(', ')}`);
      }

      const result: EnvoyBenchCase[] = cases.map((c, i) => {
        const own = samples[i]!;
        return {
          name: c.name,
          module: options.wasm && MODULE_OF[c.listener] === 'org-context' ? options.wasm : (MODULE_OF[c.listener] ?? (c.listener.startsWith(PROBE_PREFIX) ? 'probe' : c.listener)),
          requestsPerSecond: Math.round(median(own.map((s) => s.rps))),
          requestsRatioToNoop: round2(median(own.map((s) => s.rps / s.refRps))),
          p50Us: Math.round(median(own.map((s) => s.p50Us))),
          p99Us: Math.round(median(own.map((s) => s.p99Us))),
          cpuUsPerRequest: round2(median(own.map((s) => s.cpuUs))),
          addedCpuUs: round2(median(own.map((s) => s.cpuUs - s.refCpuUs))),
          cpuRatioToNoop: round2(median(own.map((s) => s.cpuUs / s.refCpuUs))),
        };
      });
      if (probes.length > 0) {
        const fastest = await probeMinimums(running.adminUrl);
        for (const c of result) {
          const probe = probes.find((p) => probeName(p) === c.name);
          const ns = probe && fastest.get(`${probe[0]}_${probe[1]}`);
          if (probe && ns !== undefined) c.minNsPerCall = Math.round(ns / probe[1]);
        }
      }
      const byName = (name: string) => result.find((c) => c.name === name);
      const cached = byName('valid-cached');
      const uncached = byName('valid-uncached');
      // Judged only on the cases that ran (a --cases filter may leave them out).
      const budgets: EnvoyBudget[] = [
        ...(cached ? [{ name: 'valid-cached requests/s ≥ 0.97× the no-op\'s', value: cached.requestsRatioToNoop, limit: 0.97, pass: cached.requestsRatioToNoop >= 0.97 }] : []),
        ...(uncached ? [{ name: 'valid-uncached added CPU ≤ 1.5 µs/request', value: uncached.addedCpuUs, limit: 1.5, pass: uncached.addedCpuUs <= 1.5 }] : []),
      ];
      return {
        envoyVersion: running.version,
        envoyPath: envoy.envoy,
        workers: 1,
        connections: options.connections,
        secondsPerCase: options.seconds,
        rounds: options.rounds,
        cases: result,
        budgets,
      };
    } finally {
      await running.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The probes' `host_call_probe.<kind>_<n>.min_ns` gauges from the admin /stats, by `<kind>_<n>`. */
async function probeMinimums(adminUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${adminUrl}/stats?filter=host_call_probe`)).text();
  const found = new Map<string, number>();
  for (const match of text.matchAll(/host_call_probe\.([a-z-]+_\d+)\.min_ns: (\d+)/g)) found.set(match[1]!, Number(match[2]));
  return found;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;

export function formatEnvoyBench(result: EnvoyBenchResult): string {
  const header = ['case', 'module', 'req/s', 'vs noop', 'p50 µs', 'p99 µs', 'CPU µs/req', 'added µs', 'CPU vs noop'];
  const rows = result.cases.map((c) => [
    c.name,
    c.module,
    String(c.requestsPerSecond),
    `${c.requestsRatioToNoop.toFixed(2)}×`,
    String(c.p50Us),
    String(c.p99Us),
    c.cpuUsPerRequest.toFixed(2),
    c.name === 'noop' ? '—' : signed(c.addedCpuUs),
    `${c.cpuRatioToNoop.toFixed(2)}×`,
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  return [
    `org-context in real Envoy ${result.envoyVersion} (1 worker, V8), wrk ${result.connections} connections, median of ${result.rounds} rounds of ${result.secondsPerCase} s segments`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    'CPU: utime+stime of the Envoy process per request; added µs and the ratios: against the mean of the no-op segments right before and after each case',
    ...(result.cases.some((c) => c.minNsPerCall !== undefined)
      ? [`probes, fastest timed batch per call (ns): ${result.cases.filter((c) => c.minNsPerCall !== undefined).map((c) => `${c.name} ${c.minNsPerCall}`).join(', ')}`]
      : []),
    ...result.budgets.map((b) => `${b.pass ? 'PASS' : 'FAIL'}  ${b.name}: ${b.value}`),
  ].join('\n');
}
