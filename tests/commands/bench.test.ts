// The filter benchmark as a tool (not a timing test: no figure is asserted beyond an ordering that
// holds on any machine): one short run of the real modules yields every case, paired against the
// no-op.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { benchFilter } from '../../scripts/bench/filter.ts';
import { filterWasm } from '../support/filter-wasm.ts';

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

