// The built dist/org-context.wasm in real Envoy (the pinned version, found as every command finds
// it, run through func-e), configured as Istio configures the WasmPlugin, in front of a Node echo
// upstream: a cookie signed by the real `cookie-signature` selects its organisation, a client's
// copy of the header is replaced, and /stats shows the V8 VM and the filter's own counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { sign } from 'cookie-signature';
import { requireEnvoy } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { listen } from '../support/http.ts';
import { inlinePluginEnv } from '../../scripts/lib/envoy/bootstrap.ts';
import { PLUGIN_SETTINGS } from '../../src/topology/plugin-settings.ts';
import { startEnvoy } from '../../scripts/lib/envoy/process.ts';
import { SMOKE_LISTENER, filterSmokeBootstrap } from './filter-fixture.ts';

const { envoy: found, skip: noEnvoy } = requireEnvoy();
const { path: wasm, skip: noWasm } = filterWasm();

const setting = (env: string) => PLUGIN_SETTINGS.find((s) => s.env === env)!;
const ORG_HEADER = setting('ORG_HEADER').defaultValue!;
const COOKIE_NAME = setting('ORG_COOKIE_NAME').defaultValue!;

test('real Envoy runs the org-context filter as Istio configures it', { skip: noEnvoy ?? noWasm, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-smoke-'));
  // What the upstream saw, per request id.
  const seen = new Map<string, Record<string, string | string[] | undefined>>();
  const upstream = await listen((req, res) => {
    seen.set(String(req.headers['x-smoke-id']), req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  const secret = randomBytes(32).toString('base64url');
  const config = join(dir, 'envoy.yaml');
  writeFileSync(config, stringify(filterSmokeBootstrap({ wasm: wasm!, upstreamPort: upstream.port })));
  const envoy = await startEnvoy(found!, {
    config,
    adminAddressFile: join(dir, 'admin-address.txt'),
    env: {
      ORG_COOKIE_SECRETS: JSON.stringify([secret]),
      // func-e's per-run logs and config dump go with the test's files, not into .tools/func-e/runs.
      FUNC_E_HOME: join(dir, 'func-e'),
    },
  });
  try {
    const port = await envoy.listenerPort(SMOKE_LISTENER);
    const send = async (id: string, headers: Record<string, string>) => {
      const response = await fetch(`http://127.0.0.1:${port}/anything`, { headers: { 'x-smoke-id': id, ...headers }, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      assert.equal(response.status, 200, `${id}: Envoy answered ${response.status} (the filter or the route refused it)\n${envoy.log()}`);
      const upstreamHeaders = seen.get(id);
      assert.ok(upstreamHeaders, `${id}: the upstream never saw the request\n${envoy.log()}`);
      return upstreamHeaders;
    };

    const selected = 'org-globex';
    const cookie = `${COOKIE_NAME}=${encodeURIComponent(`s:${sign(selected, secret)}`)}`;
    const signed = await send('signed-cookie', { cookie });
    assert.equal(signed[ORG_HEADER], selected, `the signed cookie selects ${selected}\n${envoy.log()}`);

    const fallback = inlinePluginEnv('local').BOOTSTRAPPED_ORGANISATIONS!.split(',')[0]!;
    const spoofed = await send('spoofed-header', { [ORG_HEADER]: 'org-spoofed' });
    assert.equal(spoofed[ORG_HEADER], fallback, `the client's ${ORG_HEADER} is replaced by the fallback ${fallback}\n${envoy.log()}`);

    // The pid is Envoy's own (func-e is its parent), for CPU and memory readings.
    assert.equal(readFileSync(`/proc/${envoy.pid}/comm`, 'utf8').trim(), 'envoy', `pid ${envoy.pid} is not the envoy process`);
    const stats = await (await fetch(`${envoy.adminUrl}/stats`)).text();
    const counter = (name: string) => Number(new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(stats)?.[1] ?? NaN);
    assert.ok(counter('wasm.envoy.wasm.runtime.v8.created') >= 1, `V8 created a VM\n${stats}`);
    assert.equal(counter('wasmcustom.org_context.requests'), 2, `the filter's counters in /stats\n${stats}`);
    assert.equal(counter('wasmcustom.org_context.cookie_valid'), 1);
    assert.equal(counter('wasmcustom.org_context.spoofed_header_removed'), 1);
    assert.equal(counter('wasmcustom.org_context.fallback_used'), 1);
  } finally {
    await envoy.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
