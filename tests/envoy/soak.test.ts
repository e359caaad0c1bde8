// Soak in real Envoy: OC_ENVOY_SOAK_REQUESTS (default 1,000,000 under CI=true, else 200,000)
// mixed requests through the release module in the WasmPlugin's filter, one Envoy worker, the route answering itself (direct_response:
// the filter runs on every request, no upstream to wait for). Envoy's memory — tcmalloc's
// allocated and heap size from admin /memory, and the process's resident set, which holds the Wasm
// VM's linear memory — must stay flat after warm-up; the filter must count every request and still
// decide right at the end. The load is an undici Pool: keep-alive connections, pipelined.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sign } from 'cookie-signature';
import { Pool } from 'undici';
import { filterWasm } from '../support/filter-wasm.ts';
import { requireEnvoy } from '../support/tools.ts';
import { createEnvoyRuntime } from '../../scripts/lib/simulate/runtime-envoy.ts';
import { processCpuSeconds, rssBytes } from '../../scripts/lib/proc.ts';

const { skip: noEnvoy } = requireEnvoy();
const { path: wasm, skip: noWasm } = filterWasm();
/** The million in CI (about 2 min there); a fifth of it on a developer's run, unless asked. */
const TOTAL = Number(process.env.OC_ENVOY_SOAK_REQUESTS ?? (process.env.CI === 'true' ? 1_000_000 : 200_000));
const WARM_UP = Math.min(100_000, Math.ceil(TOTAL / 5));
const SAMPLES = 5;
const CONNECTIONS = 8;
const PIPELINING = 8;
/** Growth allowed after warm-up: well under what one leaked byte per request would add. */
const ALLOWED_HEAP_GROWTH = 4 * 1024 * 1024;
const ALLOWED_RSS_GROWTH = 16 * 1024 * 1024;

const NAME = 'previouslySelectedOrganisation';
const ORG = 'x-currently-selected-organisation';
const SECRET = 'soak-test-secret-0123456789abcdef0123456';
const cookieFor = (id: string, secret = SECRET) => `${NAME}=${encodeURIComponent(`s:${sign(id, secret)}`)}`;

/** Every kind of request, with more distinct valid cookies than the filter's cache holds. */
function mixedRequests(token: (claims: object) => string): string[][] {
  const requests: string[][] = [];
  const spoof = ['x-currently-selected-organisation', 'evil', 'x-supported-features', 'admin'];
  for (let i = 0; i < 3000; i++) {
    const org = `org-${i}`;
    const valid = cookieFor(org);
    const kinds = [
      ['accept', 'text/html'],
      ['cookie', cookieFor(org, 'another-secret-entirely-0123456789abcd')],
      ['cookie', `${valid.slice(0, -2)}xx`],
      [...spoof, 'cookie', `a=1; ${valid}`],
      ['cookie', 'theme=dark', 'cookie', valid, 'authorization', `Bearer ${token({ organisations: [org, 'org-x'] })}`],
      ['cookie', `${NAME}=%E0%A4%A; x=${'y'.repeat(4000)}`],
      ['cookie', `${NAME}=${encodeURIComponent(`s:${sign(`j:${JSON.stringify({ id: org })}`, SECRET)}`)}`],
    ];
    // The hot path: one of few organisations, usually cached, with verified claims.
    const hot = ['cookie', cookieFor(`org-${i % 7}`), 'authorization', `Bearer ${token({ organisations: [`org-${i % 7}`] })}`];
    requests.push(i % 10 < kinds.length ? kinds[i % 10]! : hot);
  }
  return requests;
}

async function memory(adminUrl: string, pid: number): Promise<{ allocated: number; heapSize: number; rss: number }> {
  const body = (await (await fetch(`${adminUrl}/memory`)).json()) as { allocated: string; heap_size: string };
  return { allocated: Number(body.allocated), heapSize: Number(body.heap_size), rss: rssBytes(pid) };
}

/** Sends `count` requests from `requests` (round robin from `offset`), all answered 200. */
async function load(pool: Pool, requests: string[][], offset: number, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const { statusCode, body } = await pool.request({ method: 'GET', path: '/', headers: requests[(offset + i) % requests.length]! });
      await body.dump();
      if (statusCode !== 200) throw new Error(`request ${offset + i}: status ${statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS * PIPELINING }, worker));
}

test(`Envoy soak: ${TOTAL} mixed requests, Envoy's memory flat after warm-up`, { skip: noEnvoy ?? noWasm, timeout: 1_500_000 }, async (t) => {
  const runtime = await createEnvoyRuntime({
    wasm: wasm!,
    env: { ORG_COOKIE_SECRETS: SECRET, BOOTSTRAPPED_ORGANISATIONS: 'org-1,org-2', SUPPORTED_FEATURES: 'a,b', ORG_MEMBERSHIP_CLAIM: 'organisations' },
    logLevel: 'critical',
    directResponse: true,
  });
  const pool = new Pool(`http://127.0.0.1:${runtime.port}`, { connections: CONNECTIONS, pipelining: PIPELINING });
  try {
    // One token per distinct claims, as a client holds one: jwt_authn's cache then spares re-verifying.
    const tokens = new Map<string, string>();
    const token = (claims: object) => tokens.get(JSON.stringify(claims)) ?? tokens.set(JSON.stringify(claims), runtime.token(claims)).get(JSON.stringify(claims))!;
    const requests = mixedRequests(token);
    await load(pool, requests, 0, WARM_UP);
    const warm = await memory(runtime.envoy.adminUrl, runtime.envoy.pid);
    const samples = [warm];
    const started = process.hrtime.bigint();
    const cpuBefore = processCpuSeconds(runtime.envoy.pid);
    const step = Math.ceil(TOTAL / SAMPLES);
    for (let sent = 0; sent < TOTAL; sent += step) {
      await load(pool, requests, WARM_UP + sent, Math.min(step, TOTAL - sent));
      samples.push(await memory(runtime.envoy.adminUrl, runtime.envoy.pid));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuPerRequest = ((processCpuSeconds(runtime.envoy.pid) - cpuBefore) / TOTAL) * 1e6;
    const last = samples.at(-1)!;
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    const table = samples.map((s, i) => `${i === 0 ? 'warm' : `+${Math.min(i * step, TOTAL)}`}: allocated ${mib(s.allocated)}, heap ${mib(s.heapSize)}, rss ${mib(s.rss)}`).join('\n');
    t.diagnostic(`${TOTAL} requests in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} requests/s), Envoy CPU ${cpuPerRequest.toFixed(1)} µs/request\n${table}`);
    assert.ok(last.allocated - warm.allocated <= ALLOWED_HEAP_GROWTH, `Envoy's allocated memory grew after warm-up:\n${table}`);
    assert.ok(last.heapSize - warm.heapSize <= ALLOWED_HEAP_GROWTH, `Envoy's heap grew after warm-up:\n${table}`);
    assert.ok(last.rss - warm.rss <= ALLOWED_RSS_GROWTH, `Envoy's resident set grew after warm-up:\n${table}`);

    const metrics = await runtime.metrics();
    assert.equal(metrics['org_context.requests'], WARM_UP + TOTAL, `the filter counted every request: ${JSON.stringify(metrics)}`);
    const check = await runtime.request({ headers: [['cookie', cookieFor('org-1')]], jwtPayload: { organisations: ['org-1'] } });
    // The route's own answer, not the fail-closed 503 of a failed VM.
    assert.deepEqual(check.localResponse && { status: check.localResponse.status, details: check.localResponse.details }, { status: 200, details: 'direct_response' });
  } finally {
    await pool.close();
    await runtime.close();
  }
});
