// `oc-edge simulate` end to end: the real CLI in a child process, on .wat fixture modules (and on
// the release filter when it has been built), with the Node runtime and with real Envoy.
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseEnvFile } from '../../scripts/lib/simulate/simulate.ts';
import { fixture } from '../host/support.ts';
import { requireEnvoy } from '../support/tools.ts';
import { sign } from 'cookie-signature';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';

const root = REPO_ROOT;
const dir = mkdtempSync(join(tmpdir(), 'oc-simulate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const wasmFile = (name: string) => {
  const path = join(dir, `${name}.wasm`);
  if (!existsSync(path)) writeFileSync(path, fixture(name));
  return path;
};

function simulate(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/oc-edge.ts', 'simulate', ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('text output: request headers, local response, logs and metrics', () => {
  const run = simulate('--wasm', wasmFile('lifecycle'), '--method', 'POST', '--path', '/x?y=1', '--header', 'Host: app.test', '--header', 'X-A: b');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^request headers:\n  :authority: app.test\n  :path: \/x\?y=1\n  :method: POST\n  :scheme: http\n  x-a: b\n/);
  assert.match(run.stdout, /local response: none/);
  assert.match(run.stdout, /\[info\] create 2 1\n  \[info\] headers 2 1\n  \[info\] log 2\n  \[info\] done 2\n  \[info\] delete 2/);
  assert.match(run.stdout, /metrics:\n  configured = 3\n  seen = 1\n/);
});

test('--json prints { headers, localResponse, logs, metrics }', () => {
  const run = simulate('--wasm', wasmFile('probe'), '--header', 'x-op: L', '--json');
  assert.equal(run.status, 0, run.stderr);
  const output = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(output), ['headers', 'localResponse', 'logs', 'metrics']);
  assert.deepEqual(output.localResponse, { status: 403, details: 'denied' });
  assert.deepEqual(output.headers.slice(-1), [['x-op', 'L']]);
  assert.equal(output.metrics.status, 0);
  assert.deepEqual(output.logs, []);
});

test('--jwt-claims reaches the module as jwt_authn metadata and payload header', () => {
  const run = simulate('--wasm', wasmFile('probe'), '--header', 'x-op: g', '--header', `x-name: ${JWT_PAYLOAD_HEADER}`, '--jwt-claims', '{"sub":"u-1"}', '--json');
  assert.equal(run.status, 0, run.stderr);
  const output = JSON.parse(run.stdout);
  assert.equal(Buffer.from(output.logs[0].message, 'base64url').toString(), '{"sub":"u-1"}');
});

test('a configuration the plugin rejects exits 2 with the plugin\'s own message', () => {
  const run = simulate('--wasm', wasmFile('configure'), '--plugin-config', '"no"');
  assert.equal(run.status, 2);
  assert.equal(run.stderr, "oc-edge: setting 'mode' must be yes\n");
  assert.equal(simulate('--wasm', wasmFile('configure'), '--plugin-config', '"yes"').status, 0);
});

test('bad flags exit 2 and never echo an environment value', () => {
  const badEnv = simulate('--wasm', wasmFile('noop'), '--env', 'bad key=supersecret-value');
  assert.equal(badEnv.status, 2);
  assert.doesNotMatch(badEnv.stderr, /supersecret/);
  assert.equal(simulate('--wasm', wasmFile('noop'), '--header', 'no colon here').status, 2);
  assert.equal(simulate('--wasm', wasmFile('noop'), '--header', 'x-a: b\u0001').status, 2);
  assert.equal(simulate('--wasm', wasmFile('noop'), '--jwt-claims', '[1]').status, 2);
  assert.equal(simulate('--wasm', wasmFile('noop'), '--plugin-config', '{').status, 2);
  assert.equal(simulate('--wasm', wasmFile('noop'), '--path', 'no-slash').status, 2);
  assert.equal(simulate('--wasm', join(dir, 'missing.wasm')).status, 2);
  const badFile = join(dir, 'bad.env');
  writeFileSync(badFile, 'GOOD=1\nnot valid=secret-in-file\n');
  const run = simulate('--wasm', wasmFile('noop'), '--env-file', badFile);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /bad\.env:2/);
  assert.doesNotMatch(run.stderr, /secret-in-file/);
});

test('env files: comments, export, quotes; later --env wins', () => {
  assert.deepEqual(parseEnvFile('# c\nexport A=1\nB="two words"\nC=\'x=y\'\n\nD=plain # not a comment\n', 'f'), {
    A: '1',
    B: 'two words',
    C: 'x=y',
    D: 'plain # not a comment',
  });
});

test('simulate runs the release filter', { skip: filterWasm().skip }, () => {
  const run = simulate('--env', 'ORG_COOKIE_SECRETS=a-long-enough-secret-for-the-filter-0123', '--env', 'BOOTSTRAPPED_ORGANISATIONS=org-1', '--header', 'x-currently-selected-organisation: spoofed', '--json');
  assert.equal(run.status, 0, run.stderr);
  const output = JSON.parse(run.stdout);
  assert.deepEqual(output.headers.filter(([n]: string[]) => n === 'x-currently-selected-organisation'), [['x-currently-selected-organisation', 'org-1']]);
  const missing = simulate();
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /ORG_COOKIE_SECRETS/);
});

// --runtime envoy: the same request through a real Envoy (the WasmPlugin's filter, jwt_authn, an
// echo upstream) prints the same JSON. The one header Envoy adds, its HCM's x-forwarded-proto
// (set before any filter runs), is the only allowed difference in what the upstream received.
const { skip: noEnvoy } = requireEnvoy();
const withoutForwardedProto = (headers: [string, string][]) => headers.filter(([name]) => name !== 'x-forwarded-proto');

test('--runtime envoy prints the same JSON as --runtime node, from real Envoy', { skip: noEnvoy ?? filterWasm().skip, timeout: 120_000 }, () => {
  const secret = 'a-long-enough-secret-for-the-filter-0123';
  const cookie = `previouslySelectedOrganisation=${encodeURIComponent(`s:${sign('org-m', secret)}`)}`;
  const args = ['--env', `ORG_COOKIE_SECRETS=${secret}`, '--env', 'BOOTSTRAPPED_ORGANISATIONS=org-1,org-2', '--env', 'ORG_MEMBERSHIP_CLAIM=organisations',
    '--method', 'DELETE', '--path', '/a?b=c', '--header', 'Host: app.test', '--header', `cookie: ${cookie}`, '--header', 'X-Currently-Selected-Organisation: spoofed',
    '--jwt-claims', '{"sub":"u-1","organisations":["org-m"]}', '--json'];
  const node = simulate(...args, '--runtime', 'node');
  const envoy = simulate(...args, '--runtime', 'envoy');
  assert.equal(node.status, 0, node.stderr);
  assert.equal(envoy.status, 0, envoy.stderr);
  const [fromNode, fromEnvoy] = [JSON.parse(node.stdout), JSON.parse(envoy.stdout)];
  assert.deepEqual(Object.keys(fromEnvoy), ['headers', 'localResponse', 'logs', 'metrics']);
  assert.deepEqual(fromEnvoy.headers.filter(([n]: string[]) => n === 'x-currently-selected-organisation'), [['x-currently-selected-organisation', 'org-m']], 'the membership claim came through jwt_authn');
  assert.deepEqual(withoutForwardedProto(fromEnvoy.headers), fromNode.headers);
  assert.deepEqual(fromEnvoy.localResponse, fromNode.localResponse);
  assert.deepEqual(fromEnvoy.metrics, fromNode.metrics);
  assert.deepEqual(fromEnvoy.logs, fromNode.logs);
});

test('--runtime envoy: a local response and a refused configuration, as with node', { skip: noEnvoy, timeout: 120_000 }, () => {
  const denied = simulate('--wasm', wasmFile('probe'), '--header', 'x-op: L', '--json', '--runtime', 'envoy');
  assert.equal(denied.status, 0, denied.stderr);
  assert.deepEqual(JSON.parse(denied.stdout).localResponse, { status: 403, details: 'denied' });
  const refused = simulate('--wasm', wasmFile('configure'), '--plugin-config', '"no"', '--runtime', 'envoy');
  assert.equal(refused.status, 2);
  assert.equal(refused.stderr, "oc-edge: setting 'mode' must be yes\n");
  assert.equal(simulate('--wasm', wasmFile('noop'), '--runtime', 'bogus').status, 2);
});
