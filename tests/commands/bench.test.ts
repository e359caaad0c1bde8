// The benchmarks as tools (not timing tests: no figure is asserted beyond what holds on any
// machine): one short run of the real modules yields every case, paired against the no-op.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { benchEnvoy, formatEnvoyBench } from '../../scripts/bench/envoy.ts';
import { benchFilter } from '../../scripts/bench/filter.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { requireEnvoy, requireTool } from '../support/tools.ts';

const { path: wasm, skip } = filterWasm();

test('one run times every case against the no-op of the same rounds', { skip }, async () => {
  const progress: string[] = [];
  const result = await benchFilter({ runs: 1, onProgress: (line) => progress.push(line) });
  assert.equal(result.sizeBytes, statSync(wasm!).size);
  assert.deepEqual(
    result.cases.map((c) => c.name),
    ['noop', 'host-calls', 'no-cookie', 'valid-uncached', 'valid-cached', 'invalid-signature', 'membership'],
  );
  const noop = result.cases[0];
  assert.equal(noop.addedNs, 0, 'the no-op adds nothing to itself');
  assert.equal(noop.ratioToNoop, 1);
  for (const c of result.cases) assert.ok(c.nsPerRequest > 0 && Number.isFinite(c.addedNs), `${c.name}: ${JSON.stringify(c)}`);
  // A signature check is work no cached lookup does: the one ordering that holds on any machine.
  const added = (name: string) => result.cases.find((c) => c.name === name)!.addedNs;
  assert.ok(added('invalid-signature') > added('valid-cached'), JSON.stringify(result.cases));
  assert.ok(progress.some((line) => line.startsWith('filter: run 1/1:')), progress.join('\n'));
});


// The Envoy bench, one quick round: real Envoy (one worker), wrk, the SDK baseline compiled if
// stale. Its figures are machine-bound, so only what holds anywhere is asserted: every case ran
// and measured something, the no-op is its own reference, and the budgets were judged.
const envoyTools = { wrk: requireTool('wrk'), envoy: requireEnvoy() };
const envoySkip = skip ?? envoyTools.wrk.skip ?? envoyTools.envoy.skip;

test('the Envoy bench prints every case with figures > 0 and both budget lines', { skip: envoySkip, timeout: 120_000 }, async () => {
  const progress: string[] = [];
  const result = await benchEnvoy({ rounds: 1, seconds: 1, connections: 8, warmupSeconds: 0, onProgress: (line) => progress.push(line) });
  const names = ['no-wasm', 'noop', 'host-calls', 'no-cookie', 'valid-cached', 'valid-uncached', 'invalid-signature', 'membership', 'sdk-no-cookie', 'sdk-valid-uncached', 'sdk-invalid-signature'];
  assert.deepEqual(result.cases.map((c) => c.name), names);
  assert.match(result.envoyVersion, /1\.39\.0/);
  for (const c of result.cases) {
    for (const figure of [c.requestsPerSecond, c.p50Us, c.p99Us, c.cpuUsPerRequest, c.requestsRatioToNoop, c.cpuRatioToNoop]) {
      assert.ok(Number.isFinite(figure) && figure > 0, `${c.name}: ${JSON.stringify(c)}`);
    }
    assert.ok(c.p99Us >= c.p50Us, `${c.name}: p99 below p50: ${JSON.stringify(c)}`);
    // A request through Envoy costs microseconds of CPU, not nanoseconds nor seconds.
    assert.ok(c.cpuUsPerRequest > 1 && c.cpuUsPerRequest < 10_000, `${c.name}: ${c.cpuUsPerRequest} µs/request`);
  }
  const noop = result.cases.find((c) => c.name === 'noop')!;
  assert.equal(noop.addedCpuUs, 0);
  assert.equal(noop.cpuRatioToNoop, 1);

  const table = formatEnvoyBench(result);
  for (const name of names) assert.match(table, new RegExp(`^${name}\\s+\\S+\\s+\\d+\\s+\\d+\\.\\d\\d×`, 'm'), table);
  assert.match(table, /^(PASS|FAIL) {2}valid-cached requests\/s ≥ 0\.97× the no-op's: [\d.]+$/m, table);
  assert.match(table, /^(PASS|FAIL) {2}valid-uncached added CPU ≤ 1\.5 µs\/request: -?[\d.]+$/m, table);
  assert.ok(progress.some((line) => line.startsWith('envoy: round 1/1:')), progress.join('\n'));
});
