// `oc-edge simulate` end to end: the real CLI in a child process, on .wat fixture modules (and on
// the release filter when it has been built).
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseEnvFile } from '../../scripts/lib/simulate/simulate.ts';
import { fixture } from '../host/support.ts';

const root = new URL('../..', import.meta.url).pathname;
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
  assert.match(run.stdout, /metrics:\n  configured = 2\n  seen = 1\n/);
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
  const run = simulate('--wasm', wasmFile('probe'), '--header', 'x-op: g', '--header', 'x-name: x-envoy-jwt-payload', '--jwt-claims', '{"sub":"u-1"}', '--json');
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
