// The Envoy API validator (Envoy's own protos: unknown fields, unresolvable @types, deprecated
// fields and the common validate rules are errors), shown on the envoy/ bootstraps; every bootstrap
// the project writes passes real `envoy --mode validate` (the check of record) with no deprecated
// field (the translated envoy/ files: translate.test.ts). Envoy is found as every command finds it
// (scripts/lib/envoy/locate.ts), whose order is checked here too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { EnvoyProtos, validateEnvoyConfig } from '../../scripts/lib/envoy/validate.ts';
import { ENVOY_FILES } from '../../scripts/lib/envoy/bootstrap.ts';
import { defaultLocalBindings } from '../../scripts/lib/envoy/translate/index.ts';
import { EnvoyNotFoundError, locateEnvoy } from '../../scripts/lib/envoy/locate.ts';
import { envoyInvocation, validateWithEnvoy } from '../../scripts/lib/envoy/run.ts';
import { INSTALL_COMMAND, PINNED_ENVOY_VERSION, ToolSettingError } from '../../scripts/lib/envoy/tools.ts';
import { requireEnvoy } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { filterSmokeBootstrap } from './filter-fixture.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { serviceByName } from '../../src/topology/index.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

let protos: EnvoyProtos | undefined;
const envoyProtos = () => (protos ??= new EnvoyProtos());
// The translated configs' own tests are in translate.test.ts; these use them to exercise the validator.
const committed = (role: keyof typeof ENVOY_FILES) => parse(readFileSync(join(REPO_ROOT, ENVOY_FILES[role]), 'utf8')) as any;
const serviceHcm = (config: any, service: string) =>
  config.static_resources.listeners[0].filter_chains.find((c: any) => c.filter_chain_match.destination_port === defaultLocalBindings().waypointPorts[service]).filters[0].typed_config;

test('the validator rejects unknown fields, unresolvable @types, bad enums, deprecated fields and broken rules', () => {
  const config = structuredClone(committed('waypoint'));
  const https = serviceHcm(config, 'dashboard');
  https.http_filters[0].typed_config.alowed_headers = {};
  https.http_filters[0].typed_config.http_service.authorization_request = { allowed_headers: { patterns: [{ exact: 'cookie' }] } };
  https.http_filters[2].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasmm';
  config.static_resources.clusters[0].type = 'STATICC';
  config.static_resources.clusters[1].connect_timeout = '5 seconds';
  https.route_config.virtual_hosts[0].routes[0].match = { prefix: '/a', path: '/b' };
  serviceHcm(config, 'login-service').route_config.virtual_hosts[0].routes[0].route = {};
  const errors = validateEnvoyConfig(envoyProtos(), config).join('\n');
  assert.match(errors, /alowed_headers: unknown field/);
  assert.match(errors, /authorization_request\/allowed_headers: deprecated field/);
  assert.match(errors, /cannot resolve type\.googleapis\.com\/envoy\.extensions\.filters\.http\.wasm\.v3\.Wasmm/);
  assert.match(errors, /"STATICC" is not a value/);
  assert.match(errors, /connect_timeout: expected a duration/);
  assert.match(errors, /only one of .*prefix.*path/);
  assert.match(errors, /one of cluster, .* is required/);
});

test('the validator knows the Envoy API newer than its protos: failure_policy and sourced_metadata; fail_open and Principal.metadata are deprecated', () => {
  const config = structuredClone(committed('waypoint'));
  const wasm = serviceHcm(config, 'dashboard').http_filters[2].typed_config.config;
  wasm.fail_open = false;
  wasm.failure_policy = 'FAIL_CLOSE';
  const rbac = serviceHcm(config, 'onboarding').http_filters.find((f: any) => f.name === 'envoy.filters.http.rbac').typed_config;
  const ids = (Object.values(rbac.rules.policies)[0] as any).principals[0].and_ids.ids;
  ids[1] = { metadata: ids[1].sourced_metadata.metadata_matcher };
  ids[2].or_ids.ids[0].sourced_metadata = {};
  const errors = validateEnvoyConfig(envoyProtos(), config).join('\n');
  assert.match(errors, /config\/fail_open: deprecated field/);
  assert.match(errors, /"FAIL_CLOSE" is not a value of envoy\.extensions\.wasm\.v3\.FailurePolicy/);
  assert.match(errors, /ids\/1\/metadata: deprecated field/);
  assert.match(errors, /ids\/0\/sourced_metadata\/metadata_matcher: required/);
});

/** Executable stand-ins at `paths` under `root` (discovery only checks for executable files). */
function fakeBinaries(root: string, paths: string[]): void {
  for (const path of paths) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '#!/bin/sh\n');
    chmodSync(join(root, path), 0o755);
  }
}

/** An environment that sees only `dir`: its own tools folder and home, nothing on PATH. */
function isolatedEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: '', HOME: join(dir, 'home'), OC_TOOLS_DIR: join(dir, 'tools'), ...extra };
}

function inTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-locate-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pinned = `tools/func-e/versions/${PINNED_ENVOY_VERSION}/bin/envoy`;

test('Envoy is found in one order: ENVOY_PATH, the project install, func-e’s own; never an envoy on PATH', () => {
  inTempDir((dir) => {
    fakeBinaries(dir, ['custom/envoy', pinned, 'tools/bin/func-e', `home/.local/share/func-e/envoy-versions/${PINNED_ENVOY_VERSION}/bin/envoy`, 'path/envoy']);
    const env = isolatedEnv(dir);
    assert.deepEqual(locateEnvoy({ ...env, ENVOY_PATH: join(dir, 'custom/envoy') }), { envoy: join(dir, 'custom/envoy'), source: 'ENVOY_PATH', funcE: join(dir, 'tools/bin/func-e') });
    assert.deepEqual(locateEnvoy(env), { envoy: join(dir, pinned), version: PINNED_ENVOY_VERSION, source: 'project', funcE: join(dir, 'tools/bin/func-e') });
    rmSync(join(dir, 'tools'), { recursive: true });
    assert.deepEqual(locateEnvoy(env), { envoy: join(dir, `home/.local/share/func-e/envoy-versions/${PINNED_ENVOY_VERSION}/bin/envoy`), version: PINNED_ENVOY_VERSION, source: 'func-e' });
    rmSync(join(dir, 'home'), { recursive: true });
    assert.throws(() => locateEnvoy({ ...env, PATH: join(dir, 'path') }), (error: Error) => error instanceof EnvoyNotFoundError && error.message.includes(`run \`${INSTALL_COMMAND}\``));
    assert.throws(() => locateEnvoy({ ...env, ENVOY_PATH: join(dir, 'custom') }), /ENVOY_PATH=.*custom is not an executable file/);
  });
});

test('func-e’s own installs are where func-e v1.6 keeps them: $FUNC_E_HOME/versions, else $FUNC_E_DATA_HOME/envoy-versions', () => {
  inTempDir((dir) => {
    fakeBinaries(dir, [`legacy/versions/${PINNED_ENVOY_VERSION}/bin/envoy`, `data/envoy-versions/${PINNED_ENVOY_VERSION}/bin/envoy`]);
    assert.equal(locateEnvoy(isolatedEnv(dir, { FUNC_E_HOME: join(dir, 'legacy'), FUNC_E_DATA_HOME: join(dir, 'data') })).envoy, join(dir, `legacy/versions/${PINNED_ENVOY_VERSION}/bin/envoy`));
    assert.equal(locateEnvoy(isolatedEnv(dir, { FUNC_E_DATA_HOME: join(dir, 'data') })).envoy, join(dir, `data/envoy-versions/${PINNED_ENVOY_VERSION}/bin/envoy`));
  });
});

test('OC_ENVOY_VERSION picks another version: exact, or the newest patch of a minor; a bad value is an error', () => {
  inTempDir((dir) => {
    fakeBinaries(dir, ['tools/func-e/versions/1.36.2/bin/envoy', 'tools/func-e/versions/1.36.10/bin/envoy', pinned]);
    assert.equal(locateEnvoy(isolatedEnv(dir, { OC_ENVOY_VERSION: '1.36.x' })).version, '1.36.10');
    assert.equal(locateEnvoy(isolatedEnv(dir, { OC_ENVOY_VERSION: '1.36' })).version, '1.36.10');
    assert.equal(locateEnvoy(isolatedEnv(dir, { OC_ENVOY_VERSION: '1.36.2' })).version, '1.36.2');
    assert.throws(() => locateEnvoy(isolatedEnv(dir, { OC_ENVOY_VERSION: '1.40.0' })), /no Envoy 1\.40\.0: run `npm run tools:install`/);
    assert.throws(() => locateEnvoy(isolatedEnv(dir, { OC_ENVOY_VERSION: 'latest' })), (error: Error) => error instanceof ToolSettingError && /OC_ENVOY_VERSION=latest/.test(error.message));
  });
});

test('Envoy runs through func-e with ENVOY_PATH set to the located binary (no version lookup, no download)', () => {
  const found = { envoy: '/x/envoy', source: 'project' as const, version: PINNED_ENVOY_VERSION, funcE: '/x/func-e' };
  const viaFuncE = envoyInvocation(found, ['-c', 'b.yaml'], { PATH: '/usr/bin', OC_TOOLS_DIR: '/t' });
  assert.deepEqual([viaFuncE.command, viaFuncE.args, viaFuncE.env.ENVOY_PATH, viaFuncE.env.FUNC_E_HOME], ['/x/func-e', ['run', '-c', 'b.yaml'], '/x/envoy', '/t/func-e']);
  // The user's own func-e directories are kept.
  assert.equal(envoyInvocation(found, [], { FUNC_E_DATA_HOME: '/d', OC_TOOLS_DIR: '/t' }).env.FUNC_E_HOME, undefined);
  const { funcE: _none, ...withoutFuncE } = found;
  assert.deepEqual(envoyInvocation(withoutFuncE, ['-c', 'b.yaml'], {}), { command: '/x/envoy', args: ['-c', 'b.yaml'], env: {} });
});

test('without Envoy, oc-edge envoy exits 2 and names the install command', () => {
  inTempDir((dir) => {
    const env = { ...process.env, PATH: '/usr/bin:/bin', ENVOY_PATH: '', OC_ENVOY_VERSION: '', OC_TOOLS_DIR: join(dir, 'tools'), FUNC_E_HOME: join(dir, 'func-e') };
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/oc-edge.js'), 'envoy'], { encoding: 'utf8', env, cwd: dir, timeout: 60_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`no Envoy ${PINNED_ENVOY_VERSION.replace(/\./g, '\\.')}: run \`npm run tools:install\``));
  });
});

// Real Envoy: locally a missing Envoy or module skips with how to get it; under CI=true it fails.
const { envoy: realEnvoy, skip: noEnvoy } = requireEnvoy();
const { path: wasmFile, skip: noWasm } = filterWasm();
const realSkip = noEnvoy ?? noWasm;
const SECRETS = { ORG_COOKIE_SECRETS: JSON.stringify(['validate-only-secret-of-32-bytes!']) };

/**
 * A working directory holding what the default bootstrap names relative to it (the module and the
 * local certificates): Envoy's validate mode reads both, and configures the module.
 */
function bootstrapWorkdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-validate-'));
  const defaults = defaultLocalBindings();
  mkdirSync(join(dir, dirname(defaults.wasmFile)), { recursive: true });
  copyFileSync(wasmFile!, join(dir, defaults.wasmFile));
  ensureLocalCertificates(join(dir, dirname(defaults.gatewayCertificate.privateKey)));
  return dir;
}

function assertEnvoyAccepts(file: string, cwd: string, env: Record<string, string> = SECRETS): void {
  const result = validateWithEnvoy(realEnvoy!.envoy, file, { cwd, env });
  assert.ok(result.ok, `envoy --mode validate -c ${file} failed:\n${result.output}`);
  assert.doesNotMatch(result.output, /Deprecated field/, `${file} uses a deprecated field:\n${result.output}`);
}

test('real Envoy refuses the bootstrap when the module cannot configure (no ORG_COOKIE_SECRETS): validate runs the filter', { skip: realSkip }, () => {
  const dir = bootstrapWorkdir();
  try {
    const result = validateWithEnvoy(realEnvoy!.envoy, join(REPO_ROOT, ENVOY_FILES.waypoint), { cwd: dir, env: { ORG_COOKIE_SECRETS: '' } });
    assert.equal(result.ok, false, result.output);
    assert.match(result.output, /ORG_COOKIE_SECRETS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real Envoy accepts the bootstraps `oc-edge envoy --config-only` writes', { skip: realSkip }, () => {
  const dir = bootstrapWorkdir();
  try {
    const out = join(dir, '.data');
    const args = ['envoy', '--config-only', '--out', out, '--issuer', 'http://127.0.0.1:9/pool'];
    const written = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/oc-edge.js'), ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    assert.equal(written.status, 0, written.stderr);
    assertEnvoyAccepts(join(out, 'envoy-gateway.yaml'), dir);
    assertEnvoyAccepts(join(out, 'envoy-waypoint.yaml'), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real Envoy accepts the smoke test’s Istio-style bootstrap (tests/envoy/filter-fixture.ts)', { skip: realSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-validate-'));
  try {
    const file = join(dir, 'smoke.yaml');
    writeFileSync(file, stringify(filterSmokeBootstrap({ wasm: wasmFile!, upstreamPort: 9 })));
    assertEnvoyAccepts(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the local defaults match the harness (issuer, client id, plugin settings of the local overlay)', async () => {
  const { USER_POOL_ID: DEFAULT_USER_POOL_ID, APP_CLIENT_ID } = await import('../../src/topology/waypoint.ts');
  const waypoint = committed('waypoint');
  const chain = waypoint.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  const provider = chain.http_filters.find((f: any) => f.name === 'envoy.filters.http.jwt_authn').typed_config.providers['id-token-0'];
  assert.equal(provider.issuer, `http://127.0.0.1:${serviceByName("identity-provider").port}/${DEFAULT_USER_POOL_ID}`);
  assert.deepEqual(provider.audiences, [APP_CLIENT_ID]);
  const wasm = chain.http_filters.find((f: any) => f.name === 'oneconnect.org-context').typed_config.config;
  assert.ok(wasm.vm_config.environment_variables.key_values.BOOTSTRAPPED_ORGANISATIONS, 'no bootstrapped organisations from the local overlay');
});
