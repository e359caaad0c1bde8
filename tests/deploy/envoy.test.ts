// envoy/: the bootstrap validates against Envoy's own API protos (unknown fields, unresolvable
// @types, deprecated fields and the common validate rules are errors), has the topology of
// src/topology, and runs on real Envoy where one is available (ENVOY_PATH or func-e).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EnvoyProtos, validateEnvoyConfig } from '../../scripts/lib/envoy-validate.ts';
import { ENVOY_FILE, defaultEnvoyOptions, envoyBootstrap } from '../../scripts/lib/envoy-bootstrap.ts';
import { findEnvoy } from '../../scripts/lib/envoy-run.ts';
import { REPO_ROOT } from '../../scripts/lib/manifests-render.ts';
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
  const claims = Object.fromEntries(
    policy.principals[0].and_ids.ids.map((id: any) => [id.metadata.path.map((p: any) => p.key).join('.'), id.metadata.value.string_match]),
  );
  assert.deepEqual(claims['payload.token_use'], { exact: 'access' });
  assert.ok(new RegExp(claims['payload.scope'].safe_regex.regex).test('openid onboarding/read'));
  assert.ok(!new RegExp(claims['payload.scope'].safe_regex.regex).test('onboarding/readwrite'));
  for (const id of policy.principals[0].and_ids.ids) assert.equal(id.metadata.filter, 'envoy.filters.http.jwt_authn');
  const prefixes = policy.permissions[0].or_rules.rules.map((rule: any) => rule.url_path.path.prefix ?? rule.url_path.path.exact);
  for (const route of guarded) assert.ok(prefixes.includes(route.prefix), `${route.prefix} guarded`);
});

test('ext_authz, jwt_authn and wasm carry the shared settings', () => {
  const [extAuthz, jwt, wasm] = hcm(committed(), 'https').http_filters.map((f: any) => f.typed_config);
  assert.deepEqual(extAuthz.allowed_headers.patterns.map((p: any) => p.exact), EXT_AUTHZ_DEFAULTS.includeRequestHeadersInCheck);
  assert.deepEqual(extAuthz.http_service.authorization_response.allowed_upstream_headers.patterns.map((p: any) => p.exact), ['authorization']);
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
  assert.equal(wasm.config.fail_open, false);
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

test('oc-edge envoy finds Envoy through ENVOY_PATH', () => {
  assert.deepEqual(findEnvoy({ ENVOY_PATH: '/opt/envoy/bin/envoy', PATH: '' }), { command: '/opt/envoy/bin/envoy', prefix: [] });
  assert.equal(findEnvoy({ PATH: '' }), undefined);
});

const envoy = findEnvoy();
// No Envoy binary can be installed on the build machines (no Debian or npm package ships one, and
// func-e downloads). Where one exists, real Envoy validates the bootstrap; where none does, what a
// user meets is checked instead: `oc-edge envoy` says how to get one and exits 2. Neither branch skips.
if (envoy) {
  test('real Envoy accepts the bootstrap (--mode validate)', async () => {
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(envoy.command, [...envoy.prefix, '--mode', 'validate', '-c', join(REPO_ROOT, ENVOY_FILE)], { encoding: 'utf8', env: { ...process.env, ORG_COOKIE_SECRETS: '["test-only-secret"]' }, timeout: 120_000 });
    assert.equal(result.status, 0, result.stderr);
  });
} else {
  test('without Envoy, oc-edge envoy exits 2 and says how to get one', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dataDir = mkdtempSync(join(tmpdir(), 'oc-edge-envoy-'));
    const env = { ...process.env, PATH: '/usr/bin:/bin', ENVOY_PATH: '' };
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/oc-edge.js'), 'envoy'], { encoding: 'utf8', env, cwd: dataDir, timeout: 60_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /no Envoy: set ENVOY_PATH to an envoy binary, or install func-e/);
  });
}

test('the local defaults match the harness (issuer, client id, plugin settings of the local overlay)', async () => {
  const { DEFAULT_USER_POOL_ID } = await import('../../src/harness/idp/index.ts');
  const { APP_CLIENT_ID } = await import('../../src/harness/stack.ts');
  const options = defaultEnvoyOptions();
  assert.equal(options.jwt.issuer, `http://127.0.0.1:${serviceByName("identity-provider").port}/${DEFAULT_USER_POOL_ID}`);
  assert.deepEqual(options.jwt.audiences, [APP_CLIENT_ID]);
  assert.ok(options.wasm.env.BOOTSTRAPPED_ORGANISATIONS, 'no bootstrapped organisations from the local overlay');
});
