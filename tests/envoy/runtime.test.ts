// The Envoy runtime itself (scripts/lib/simulate/runtime-envoy.ts): its bootstrap passes Envoy's
// own `--mode validate` (the check of record for every bootstrap the project writes), the runtime
// setting is checked, a request field a client of Envoy cannot set is refused by name, and the
// process handed out is the envoy process itself (func-e is its parent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { requireEnvoy } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { validateWithEnvoy } from '../../scripts/lib/envoy/run.ts';
import { createEnvoyRuntime, envoyRuntimeBootstrap } from '../../scripts/lib/simulate/runtime-envoy.ts';
import { createJwtSigner } from '../../scripts/lib/simulate/jwt-signer.ts';
import { RuntimeUnsupportedError, runtimeKind } from '../../scripts/lib/simulate/runtime.ts';

const { envoy: found, skip: noEnvoy } = requireEnvoy();
const { path: wasm, skip: noWasm } = filterWasm();

test('OC_RUNTIME is node by default, envoy when asked, and anything else is an error naming it', () => {
  assert.equal(runtimeKind({}), 'node');
  assert.equal(runtimeKind({ OC_RUNTIME: 'envoy' }), 'envoy');
  assert.throws(() => runtimeKind({ OC_RUNTIME: 'wasmtime' }), /OC_RUNTIME must be one of node, envoy/);
});

test('the runtime bootstrap (echo upstream and direct response) passes envoy --mode validate', { skip: noEnvoy ?? noWasm, timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-runtime-validate-'));
  try {
    for (const directResponse of [false, true]) {
      const config = join(dir, `runtime-${directResponse}.yaml`);
      const bootstrap = envoyRuntimeBootstrap({ wasm: wasm!, upstreamPort: 9, jwks: createJwtSigner().jwks, filter: { keyValues: { BOOTSTRAPPED_ORGANISATIONS: 'org-1' } }, directResponse });
      writeFileSync(config, stringify(bootstrap));
      const result = validateWithEnvoy(found!.envoy, config, { env: { ORG_COOKIE_SECRETS: JSON.stringify(['a-secret-long-enough-for-the-filter-0123']) }, timeoutMs: 60_000 });
      assert.ok(result.ok, `envoy --mode validate refused the runtime bootstrap (directResponse ${directResponse}):\n${result.output.slice(-4000)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Envoy runtime refuses node-only request fields by name and hands out the envoy pid', { skip: noEnvoy ?? noWasm, timeout: 90_000 }, async () => {
  const runtime = await createEnvoyRuntime({ wasm: wasm!, env: { ORG_COOKIE_SECRETS: 'a-secret-long-enough-for-the-filter-0123' } });
  try {
    await assert.rejects(runtime.request({ worker: 1 } as never), (error: Error) => error instanceof RuntimeUnsupportedError && /worker/.test(error.message));
    await assert.rejects(runtime.request({ authority: 'a.test', headers: [['host', 'b.test']] }), RuntimeUnsupportedError);
    assert.equal(readFileSync(`/proc/${runtime.envoy.pid}/comm`, 'utf8').trim(), 'envoy');
    const ok = await runtime.request({ headers: [['x-a', 'b']] });
    assert.equal(ok.localResponse, null, `the runtime still answers after refusing: ${JSON.stringify(ok)}`);
    assert.deepEqual(ok.headers.slice(0, 4), [[':authority', 'localhost'], [':path', '/'], [':method', 'GET'], [':scheme', 'http']]);
  } finally {
    await runtime.close();
  }
});
