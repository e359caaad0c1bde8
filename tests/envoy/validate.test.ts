// envoy/: the bootstrap validates against Envoy's own API protos (unknown fields, unresolvable
// @types, deprecated fields and the common validate rules are errors), has the topology of
// src/topology, and every bootstrap the project writes passes real `envoy --mode validate` (the
// check of record) with no deprecated field. Envoy is found as every command finds it
// (scripts/lib/envoy/locate.ts), whose order is checked here too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { EnvoyProtos, validateEnvoyConfig } from '../../scripts/lib/envoy/validate.ts';
import { ENVOY_FILE, defaultEnvoyOptions, envoyBootstrap } from '../../scripts/lib/envoy/bootstrap.ts';
import { EnvoyNotFoundError, locateEnvoy } from '../../scripts/lib/envoy/locate.ts';
import { envoyInvocation, validateWithEnvoy } from '../../scripts/lib/envoy/run.ts';
import { INSTALL_COMMAND, PINNED_ENVOY_VERSION, ToolSettingError } from '../../scripts/lib/envoy/tools.ts';
import { requireEnvoy } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { filterSmokeBootstrap } from './filter-fixture.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { REPO_ROOT } from '../../scripts/lib/render/render.ts';
import { GATEWAY_PORTS, ROUTES, matchRoute, rewritePath, serviceByName, type ListenerName } from '../../src/topology/index.ts';
import { PLUGIN_SETTINGS, HOST_ENV_SETTINGS } from '../../src/topology/plugin-settings.ts';
import { EXT_AUTHZ_DEFAULTS } from '../../src/gateway/ext-authz.ts';

let protos: EnvoyProtos | undefined;
const envoyProtos = () => (protos ??= new EnvoyProtos());
const committed = () => parse(readFileSync(join(REPO_ROOT, ENVOY_FILE), 'utf8')) as any;
const hcm = (config: any, listener: string) => config.static_resources.listeners.find((l: any) => l.name === listener).filter_chains[0].filters[0].typed_config;

test('envoy/envoy.yaml validates against the Envoy API protos', () => {
  assert.deepEqual(validateEnvoyConfig(envoyProtos(), committed()), []);
});

test('the validator rejects unknown fields, unresolvable @types, bad enums, deprecated fields and broken rules', () => {
  const config = structuredClone(committed());
  const https = hcm(config, 'https');
  https.http_filters[0].typed_config.alowed_headers = {};
  https.http_filters[0].typed_config.http_service.authorization_request = { allowed_headers: { patterns: [{ exact: 'cookie' }] } };
  https.http_filters[2].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasmm';
  config.static_resources.clusters[0].type = 'STATICC';
  config.static_resources.clusters[1].connect_timeout = '5 seconds';
  https.route_config.virtual_hosts[0].routes[0].match = { prefix: '/a', path: '/b' };
  https.route_config.virtual_hosts[0].routes[1].route = {};
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
  const config = structuredClone(committed());
  const wasm = hcm(config, 'https').http_filters[2].typed_config.config;
  wasm.fail_open = false;
  wasm.failure_policy = 'FAIL_CLOSE';
  const ids = hcm(config, 'internal').http_filters[1].typed_config.rules.policies['m2m-access-token'].principals[0].and_ids.ids;
  ids[0] = { metadata: ids[0].sourced_metadata.metadata_matcher };
  ids[1].sourced_metadata = {};
  const errors = validateEnvoyConfig(envoyProtos(), config).join('\n');
  assert.match(errors, /config\/fail_open: deprecated field/);
  assert.match(errors, /"FAIL_CLOSE" is not a value of envoy\.extensions\.wasm\.v3\.FailurePolicy/);
  assert.match(errors, /ids\/0\/metadata: deprecated field/);
  assert.match(errors, /ids\/1\/sourced_metadata\/metadata_matcher: required/);
});

test('filters run in Envoy order on the external listener: ext_authz, jwt_authn, wasm, router', () => {
  const config = committed();
  assert.deepEqual(hcm(config, 'https').http_filters.map((f: any) => f.name), ['envoy.filters.http.ext_authz', 'envoy.filters.http.jwt_authn', 'envoy.filters.http.wasm', 'envoy.filters.http.router']);
  // The internal (M2M) listener has no ext_authz and no plugin; RBAC checks what jwt_authn verified.
  assert.deepEqual(hcm(config, 'internal').http_filters.map((f: any) => f.name), ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);
  const ports = Object.fromEntries(config.static_resources.listeners.map((l: any) => [l.name, l.address.socket_address.port_value]));
  assert.deepEqual(ports, { http: GATEWAY_PORTS.http, https: GATEWAY_PORTS.https, internal: GATEWAY_PORTS.internal });
  assert.equal(config.admin.address.socket_address.address, '127.0.0.1');
});

test('the internal listener admits only client-credentials access tokens with the onboarding scope', () => {
  // jwt_authn alone checks issuer and signature: a user's ID token from the same pool would pass.
  // The RBAC filter is the Istio AuthorizationPolicy's counterpart (and what the Node gateway's M2M
  // verifier checks): token_use access, the onboarding scope.
  const rbac = hcm(committed(), 'internal').http_filters[1].typed_config;
  assert.equal(rbac.rules.action, 'ALLOW');
  const guarded = ROUTES.filter((r) => r.listener === 'internal' && r.requireM2mToken);
  assert.ok(guarded.length > 0);
  const policy = rbac.rules.policies['m2m-access-token'];
  const matchers = policy.principals[0].and_ids.ids.map((id: any) => id.sourced_metadata.metadata_matcher);
  const claims = Object.fromEntries(matchers.map((m: any) => [m.path.map((p: any) => p.key).join('.'), m.value.string_match]));
  assert.deepEqual(claims['payload.token_use'], { exact: 'access' });
  assert.ok(new RegExp(claims['payload.scope'].safe_regex.regex).test('openid onboarding/read'));
  assert.ok(!new RegExp(claims['payload.scope'].safe_regex.regex).test('onboarding/readwrite'));
  for (const matcher of matchers) assert.equal(matcher.filter, 'envoy.filters.http.jwt_authn');
  const prefixes = policy.permissions[0].or_rules.rules.map((rule: any) => rule.url_path.path.prefix ?? rule.url_path.path.exact);
  for (const route of guarded) assert.ok(prefixes.includes(route.prefix), `${route.prefix} guarded`);
});

test('ext_authz, jwt_authn and wasm carry the shared settings', () => {
  const [extAuthz, jwt, wasm] = hcm(committed(), 'https').http_filters.map((f: any) => f.typed_config);
  assert.deepEqual(extAuthz.allowed_headers.patterns.map((p: any) => p.exact), EXT_AUTHZ_DEFAULTS.includeRequestHeadersInCheck);
  assert.deepEqual(extAuthz.http_service.authorization_response.allowed_upstream_headers.patterns.map((p: any) => p.exact), EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow);
  assert.ok(EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow.includes('authorization'), 'the ID token reaches jwt_authn');
  assert.equal(extAuthz.failure_mode_allow, false);
  // As the mesh config and the Node gateway: the login service's 503 stays a 503, checks go under the prefix.
  assert.equal(extAuthz.status_on_error.code, 'ServiceUnavailable');
  assert.equal(extAuthz.http_service.path_prefix, EXT_AUTHZ_DEFAULTS.pathPrefix);
  assert.equal(extAuthz.http_service.server_uri.timeout, `${EXT_AUTHZ_DEFAULTS.timeoutMs / 1000}s`);
  const provider = jwt.providers['id-token'];
  assert.equal(provider.forward, true);
  assert.equal(provider.forward_payload_header, 'x-envoy-jwt-payload');
  assert.equal(provider.payload_in_metadata, 'payload');
  assert.ok(jwt.rules[0].requires.requires_any.requirements.some((r: any) => 'allow_missing' in r));
  const vm = wasm.config.vm_config;
  assert.equal(vm.runtime, 'envoy.wasm.runtime.v8');
  assert.equal(vm.code.local.filename, 'dist/org-context.wasm');
  // failure_policy replaces the deprecated fail_open: a VM that fails rejects requests (Istio FAIL_CLOSE).
  assert.equal(wasm.config.failure_policy, 'FAIL_CLOSED');
  assert.equal('fail_open' in wasm.config, false);
  assert.deepEqual(vm.environment_variables.host_env_keys, HOST_ENV_SETTINGS);
  const inline = Object.keys(vm.environment_variables.key_values);
  for (const name of inline) assert.ok(PLUGIN_SETTINGS.some((s) => s.env === name && !s.secret), `${name} is not an inline setting of the filter`);
  const options = defaultEnvoyOptions();
  options.wasm.env.ORG_COOKIE_SECRETS = 'inline-secret';
  assert.throws(() => envoyBootstrap(options), /is a secret/);
});

/** Envoy's first-match route table, applied the way Envoy applies it (path / prefix + prefix_rewrite). */
function envoyRoute(config: any, listener: string, path: string): { cluster: string; path: string; extAuthz: boolean } | undefined {
  const pathOnly = path.split('?')[0]!;
  for (const route of hcm(config, listener).route_config.virtual_hosts[0].routes) {
    const { match } = route;
    const matched = match.path !== undefined ? pathOnly === match.path : pathOnly.startsWith(match.prefix);
    if (!matched) continue;
    const rewrite = route.route.prefix_rewrite;
    const matchedPart = match.path ?? match.prefix;
    const rewritten = rewrite === undefined ? path : rewrite + path.slice(matchedPart.length);
    return { cluster: route.route.cluster, path: rewritten, extAuthz: !route.typed_per_filter_config?.['envoy.filters.http.ext_authz']?.disabled };
  }
  return undefined;
}

test('Envoy routes the same paths to the same services with the same rewrite as src/topology', () => {
  const config = committed();
  const samples = ['/', '/x?y=1', '/user', '/user/', '/user/me?a=b', '/users', '/organisation/select', '/oauth2/callback?code=1', '/oauth2', '/oauth2x', '/onboarding/users/42', '/onboarding', '/onboardingx'];
  const listeners: [ListenerName, string][] = [['external', 'https'], ['internal', 'internal']];
  for (const [listener, envoyListener] of listeners) {
    for (const path of samples) {
      const expected = matchRoute(listener, path);
      const actual = envoyRoute(config, envoyListener, path);
      assert.equal(actual?.cluster, expected?.service, `${listener} ${path}`);
      if (expected) {
        assert.equal(actual!.path, rewritePath(expected, path), `${listener} ${path} rewrite`);
        if (listener === 'external') assert.equal(actual!.extAuthz, expected.extAuthz, `${path} ext_authz`);
      }
    }
  }
  assert.ok(ROUTES.length > 0);
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
  const defaults = defaultEnvoyOptions();
  mkdirSync(join(dir, dirname(defaults.wasm.filename)), { recursive: true });
  copyFileSync(wasmFile!, join(dir, defaults.wasm.filename));
  ensureLocalCertificates(join(dir, dirname(defaults.tls.privateKey)));
  return dir;
}

function assertEnvoyAccepts(file: string, cwd: string, env: Record<string, string> = SECRETS): void {
  const result = validateWithEnvoy(realEnvoy!.envoy, file, { cwd, env });
  assert.ok(result.ok, `envoy --mode validate -c ${file} failed:\n${result.output}`);
  assert.doesNotMatch(result.output, /Deprecated field/, `${file} uses a deprecated field:\n${result.output}`);
}

test('real Envoy accepts envoy/envoy.yaml (--mode validate), with no deprecated field', { skip: realSkip }, () => {
  const dir = bootstrapWorkdir();
  try {
    assertEnvoyAccepts(join(REPO_ROOT, ENVOY_FILE), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real Envoy refuses the bootstrap when the module cannot configure (no ORG_COOKIE_SECRETS): validate runs the filter', { skip: realSkip }, () => {
  const dir = bootstrapWorkdir();
  try {
    const result = validateWithEnvoy(realEnvoy!.envoy, join(REPO_ROOT, ENVOY_FILE), { cwd: dir, env: { ORG_COOKIE_SECRETS: '' } });
    assert.equal(result.ok, false, result.output);
    assert.match(result.output, /ORG_COOKIE_SECRETS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real Envoy accepts the bootstrap `oc-edge envoy --config-only` writes', { skip: realSkip }, () => {
  const dir = bootstrapWorkdir();
  try {
    const out = join(dir, '.data', 'envoy.yaml');
    const args = ['envoy', '--config-only', '--out', out, '--issuer', 'http://127.0.0.1:9/pool', '--client-id', 'validate-client'];
    const written = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/oc-edge.js'), ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    assert.equal(written.status, 0, written.stderr);
    assertEnvoyAccepts(out, dir);
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
  const { DEFAULT_USER_POOL_ID } = await import('../../src/harness/idp/index.ts');
  const { APP_CLIENT_ID } = await import('../../src/harness/stack.ts');
  const options = defaultEnvoyOptions();
  assert.equal(options.jwt.issuer, `http://127.0.0.1:${serviceByName("identity-provider").port}/${DEFAULT_USER_POOL_ID}`);
  assert.deepEqual(options.jwt.audiences, [APP_CLIENT_ID]);
  assert.ok(options.wasm.env.BOOTSTRAPPED_ORGANISATIONS, 'no bootstrapped organisations from the local overlay');
});
