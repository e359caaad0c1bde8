// The local Envoy configuration is translated from the rendered istio/ local overlay, the way istiod
// translates it (scripts/lib/envoy/translate): the gateway Envoy from the Gateways and HTTPRoutes,
// the waypoint Envoy per Service from AuthorizationPolicies, RequestAuthentications and the
// WasmPlugin. envoy/ is that translation; both bootstraps pass the protos and real `envoy --mode
// validate`; and an edited overlay (an HTTPRoute prefix, a WasmPlugin env value) changes what two
// real Envoys route and inject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { Agent, request } from 'undici';
import { EnvoyProtos, validateEnvoyConfig } from '../../scripts/lib/envoy/validate.ts';
import { ENVOY_FILES, envoyFiles, harnessBindings, inlinePluginEnv, localEnvoyConfigs, startLocalEnvoys } from '../../scripts/lib/envoy/bootstrap.ts';
import { defaultLocalBindings, istioInput, TranslationError } from '../../scripts/lib/envoy/translate/index.ts';
import { validateWithEnvoy } from '../../scripts/lib/envoy/run.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { EXT_AUTHZ_DEFAULTS, ROUTES, matchRoute, rewritePath, serviceByName, type ListenerName } from '../../src/topology/index.ts';
import { HOST_ENV_SETTINGS } from '../../src/topology/plugin-settings.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { requireEnvoy, requireTool } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { listen } from '../support/http.ts';
import { freePort } from '../../src/harness/common/free-port.ts';

const { skip: noKubectl } = requireTool(process.env.KUBECTL || 'kubectl');
const { envoy: found, skip: noEnvoy } = requireEnvoy();
const { path: wasmFile, skip: noWasm } = filterWasm();
const realSkip = noKubectl ?? noEnvoy ?? noWasm;

const committed = (role: keyof typeof ENVOY_FILES) => parse(readFileSync(join(REPO_ROOT, ENVOY_FILES[role]), 'utf8')) as any;
const listener = (config: any, name: string) => config.static_resources.listeners.find((l: any) => l.name === name);
const hcm = (chain: any) => chain.filters[0].typed_config;
const waypointChain = (config: any, service: string) => {
  const port = defaultLocalBindings().waypointPorts[service];
  return listener(config, 'waypoint').filter_chains.find((c: any) => c.filter_chain_match.destination_port === port);
};

test('envoy/ is the translation of the rendered local overlay, and both bootstraps pass the Envoy API protos', { skip: noKubectl }, () => {
  for (const [path, content] of envoyFiles()) assert.equal(readFileSync(join(REPO_ROOT, path), 'utf8'), content, `${path} is stale: run oc-edge render`);
  const protos = new EnvoyProtos();
  assert.deepEqual(validateEnvoyConfig(protos, committed('gateway')), []);
  assert.deepEqual(validateEnvoyConfig(protos, committed('waypoint')), []);
});

test('the waypoint runs Istio’s order per Service: ext_authz (CUSTOM) → jwt_authn → Wasm AUTHZ → rbac (ALLOW) → router', { skip: noKubectl }, () => {
  const waypoint = committed('waypoint');
  const names = (service: string) => hcm(waypointChain(waypoint, service)).http_filters.map((f: any) => f.name);
  // CUSTOM targets the guarded Services only: the login service's own endpoints and onboarding are outside it.
  for (const route of ROUTES.filter((r) => r.extAuthz)) {
    assert.deepEqual(names(route.service), ['envoy.filters.http.ext_authz', 'envoy.filters.http.jwt_authn', 'oneconnect.org-context', 'envoy.filters.http.router'], route.service);
  }
  assert.deepEqual(names('login-service'), ['envoy.filters.http.jwt_authn', 'oneconnect.org-context', 'envoy.filters.http.router']);
  assert.deepEqual(names('onboarding'), ['envoy.filters.http.jwt_authn', 'oneconnect.org-context', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);
});

test('jwt_authn, ext_authz and the Wasm filter carry what the manifests and the mesh config say', { skip: noKubectl }, () => {
  const filters = hcm(waypointChain(committed('waypoint'), 'dashboard')).http_filters;
  const [extAuthz, jwt, wasm] = filters.map((f: any) => f.typed_config);
  assert.equal(jwt.bypass_cors_preflight, true);
  const provider = jwt.providers['id-token-0'];
  assert.equal(provider.forward, true);
  assert.equal(provider.forward_payload_header, 'x-envoy-jwt-payload');
  assert.equal(provider.payload_in_metadata, 'payload');
  assert.equal(provider.clear_route_cache, true);
  assert.deepEqual(provider.normalize_payload_in_metadata.space_delimited_claims, ['scope', 'permission']);
  assert.deepEqual(provider.audiences, ['oneconnect-local']);
  assert.ok(jwt.rules[0].requires.requires_any.requirements.some((r: any) => 'allow_missing' in r), 'no token passes: RequestAuthentication semantics');
  assert.equal(extAuthz.failure_mode_allow, false);
  assert.equal(extAuthz.status_on_error.code, 'ServiceUnavailable');
  assert.equal(extAuthz.http_service.path_prefix, EXT_AUTHZ_DEFAULTS.pathPrefix);
  assert.equal(extAuthz.http_service.server_uri.timeout, `${EXT_AUTHZ_DEFAULTS.timeoutMs / 1000}s`);
  assert.deepEqual(extAuthz.allowed_headers.patterns.map((p: any) => p.exact), EXT_AUTHZ_DEFAULTS.includeRequestHeadersInCheck);
  assert.deepEqual(extAuthz.http_service.authorization_response.allowed_upstream_headers.patterns.map((p: any) => p.exact), EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow);
  assert.equal(wasm.config.failure_policy, 'FAIL_CLOSED');
  assert.equal(wasm.config.root_id, 'org-context');
  assert.deepEqual(wasm.config.vm_config.environment_variables.host_env_keys, HOST_ENV_SETTINGS);
  assert.deepEqual(wasm.config.vm_config.environment_variables.key_values, inlinePluginEnv('local'));
  // The M2M guard: the internal gateway's identity (its local source address), a verified token, the M2M client.
  const rbac = hcm(waypointChain(committed('waypoint'), 'onboarding')).http_filters.find((f: any) => f.name === 'envoy.filters.http.rbac').typed_config;
  const ids = (Object.values(rbac.rules.policies)[0] as any).principals[0].and_ids.ids;
  assert.equal(ids[0].or_ids.ids[0].direct_remote_ip.address_prefix, defaultLocalBindings().gatewaySourceAddresses['oneconnect-internal-gateway']);
  assert.deepEqual(ids[2].or_ids.ids[0].sourced_metadata.metadata_matcher.path.map((p: any) => p.key), ['payload', 'client_id']);
  assert.equal(ids[2].or_ids.ids[0].sourced_metadata.metadata_matcher.value.string_match.exact, 'oneconnect-local-m2m');
});

/** Envoy's first-match route table as Envoy applies it (path_separated_prefix, prefix, prefix_rewrite, regex_rewrite). */
function envoyRoute(config: any, listenerName: string, path: string): { cluster: string; path: string } | undefined {
  const pathOnly = path.split('?')[0]!;
  for (const route of listener(config, listenerName).filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes) {
    const { match } = route;
    const separated = match.path_separated_prefix;
    const matched = separated !== undefined ? pathOnly === separated || pathOnly.startsWith(`${separated}/`) : pathOnly.startsWith(match.prefix);
    if (!matched) continue;
    let rewritten = path;
    if (route.route.prefix_rewrite !== undefined) rewritten = route.route.prefix_rewrite + path.slice((separated ?? match.prefix).length);
    if (route.route.regex_rewrite) rewritten = pathOnly.replace(new RegExp(route.route.regex_rewrite.pattern.regex), route.route.regex_rewrite.substitution) + path.slice(pathOnly.length);
    return { cluster: route.route.cluster, path: rewritten };
  }
  return undefined;
}

test('the gateway routes every path to the same Service, through the waypoint, with the same rewrite as the topology', { skip: noKubectl }, () => {
  const gateway = committed('gateway');
  const samples = ['/', '/x?y=1', '/user', '/user/', '/user/me?a=b', '/users', '/organisation/select', '/oauth2/callback?code=1', '/oauth2', '/oauth2x', '/onboarding/users/42', '/onboarding', '/onboardingx'];
  const listeners: [ListenerName, string][] = [['external', 'oneconnect-gateway/https'], ['internal', 'oneconnect-internal-gateway/http']];
  const clusters = Object.fromEntries(gateway.static_resources.clusters.map((c: any) => [c.name, c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value]));
  for (const [name, envoyListener] of listeners) {
    for (const path of samples) {
      const expected = matchRoute(name, path);
      const actual = envoyRoute(gateway, envoyListener, path);
      assert.equal(actual === undefined, expected === undefined, `${name} ${path}: Envoy ${actual?.cluster}, topology ${expected?.service} (no route is Envoy's 404)`);
      if (!expected || !actual) continue;
      assert.equal(clusters[actual.cluster], defaultLocalBindings().waypointPorts[expected.service], `${name} ${path} goes to ${expected.service}'s waypoint port`);
      assert.equal(actual.path, rewritePath(expected, path), `${name} ${path} rewrite`);
    }
  }
  const redirect = listener(gateway, 'oneconnect-gateway/http').filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].redirect;
  assert.deepEqual(redirect, { scheme_redirect: 'https', port_redirect: defaultLocalBindings().listenerPorts['oneconnect-gateway/https'], response_code: 'MOVED_PERMANENTLY' });
});

test('a manifest the translation cannot express is refused with its name, never translated differently', { skip: noKubectl }, () => {
  const input = istioInput('local');
  const route = input.objects.find((o) => o.kind === 'HTTPRoute' && o.metadata.name === 'user') as any;
  route.spec.rules[0].matches[0].headers = [{ name: 'x', value: 'y' }];
  assert.throws(() => localEnvoyConfigs(defaultLocalBindings(), input), (error: Error) => error instanceof TranslationError && /HTTPRoute oneconnect\/user rule 0: only path matches/.test(error.message));
  const policy = istioInput('local');
  (policy.objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'login-service-ext-authz') as any).spec.rules = [{ to: [{ operation: { paths: ['/x'] } }] }];
  assert.throws(() => localEnvoyConfigs(defaultLocalBindings(), policy), /login-service-ext-authz: only CUSTOM rules \[\{\}\]/);
});

/** A workdir holding what the committed bootstraps name relative to it: the module and the local certificates. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-translate-'));
  const defaults = defaultLocalBindings();
  mkdirSync(join(dir, dirname(defaults.wasmFile)), { recursive: true });
  copyFileSync(wasmFile!, join(dir, defaults.wasmFile));
  ensureLocalCertificates(join(dir, dirname(defaults.gatewayCertificate.privateKey)));
  return dir;
}

test('real Envoy accepts both committed bootstraps (--mode validate), with no deprecated field', { skip: realSkip }, () => {
  const dir = workdir();
  try {
    for (const path of Object.values(ENVOY_FILES)) {
      const result = validateWithEnvoy(found!.envoy, join(REPO_ROOT, path), { cwd: dir, env: { ORG_COOKIE_SECRETS: JSON.stringify(['validate-only-secret-of-32-bytes!']) } });
      assert.ok(result.ok, `envoy --mode validate -c ${path} failed:\n${result.output}`);
      assert.doesNotMatch(result.output, /Deprecated field/, `${path} uses a deprecated field:\n${result.output}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an edited overlay changes what real Envoy routes and injects: HTTPRoute prefix and WasmPlugin env', { skip: realSkip, timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'oc-envoy-overlay-'));
  // Every workload (and the ext_authz provider) is one recording server that allows every check.
  const seen: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const echo = await listen((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  let envoys: Awaited<ReturnType<typeof startLocalEnvoys>> | undefined;
  const trust = new Agent({ connect: { ca: ensureLocalCertificates(join(root, 'tls')).ca, servername: 'localhost' } });
  try {
    cpSync(join(REPO_ROOT, 'istio'), join(root, 'istio'), { recursive: true });
    const routes = join(root, 'istio/base/generated/httproutes.yaml');
    writeFileSync(routes, readFileSync(routes, 'utf8').replace('value: /user\n', 'value: /people\n'));
    const settings = join(root, 'istio/overlays/local/settings.yaml');
    writeFileSync(settings, readFileSync(settings, 'utf8').replace(/supportedFeatures: .*\n/, 'supportedFeatures: edited-in-the-overlay\n'));

    const upstreams = Object.fromEntries(['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service', 'onboarding'].map((name) => [name, echo.url]));
    const gatewayPorts = { http: await freePort(), https: await freePort(), internal: await freePort() };
    const waypointPorts = Object.fromEntries(await Promise.all(Object.keys(upstreams).map(async (name) => [name, await freePort()] as const)));
    const idp = `http://127.0.0.1:${echo.port}/${serviceByName('identity-provider').name}`;
    const bindings = harnessBindings({ upstreams, gatewayPorts, waypointPorts, identityProvider: { issuer: idp, jwksUri: `${idp}/jwks.json` }, tlsDir: join(root, 'tls'), wasmFile: wasmFile! });
    const configs = localEnvoyConfigs(bindings, istioInput('local', root));
    envoys = await startLocalEnvoys(found!, { configs, dir: root, env: { ORG_COOKIE_SECRETS: JSON.stringify(['edited-overlay-secret-of-32-bytes']) }, timeoutMs: 60_000 });

    const get = async (path: string) => {
      const response = await request(`https://localhost:${gatewayPorts.https}${path}`, { dispatcher: trust });
      await response.body.dump();
      return response.statusCode;
    };
    seen.length = 0;
    assert.equal(await get('/people/me'), 200, envoys.gateway.log());
    const upstream = seen.find((s) => s.path === '/me');
    assert.ok(upstream, `the edited prefix /people reached feature-user-backend as /me: ${JSON.stringify(seen.map((s) => s.path))}`);
    assert.equal(upstream.headers['x-envoy-original-path'], '/people/me', 'Envoy keeps the path the browser asked for');
    // Global features first, then the fallback organisation's own (ORGANISATION_FEATURES).
    assert.match(String(upstream.headers['x-supported-features']), /^edited-in-the-overlay(,|$)/, `the WasmPlugin env from the overlay: ${envoys.waypoint.log().slice(-2000)}`);
    assert.ok(seen.some((s) => s.path === `${EXT_AUTHZ_DEFAULTS.pathPrefix}/me`), 'the waypoint checked the rewritten path with ext_authz');
    // /user is no longer routed to feature-user-backend: the dashboard's catch-all takes it unrewritten.
    seen.length = 0;
    assert.equal(await get('/user/me'), 200);
    assert.ok(seen.some((s) => s.path === '/user/me') && !seen.some((s) => s.path === '/me'), JSON.stringify(seen.map((s) => s.path)));
  } finally {
    await trust.close();
    await envoys?.stop();
    await echo.close();
    rmSync(root, { recursive: true, force: true });
  }
});
