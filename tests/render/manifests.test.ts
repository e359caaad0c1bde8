// istio/: the rendered overlays must be what a cluster accepts (every object against its CRD
// schema and CEL rules, or against Kubernetes' own definitions for core kinds, all vendored in
// schemas/; unknown fields are errors) and hang together (every reference resolves, the plugin's
// environment matches the filter's settings and what the waypoint provides).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requireTool } from '../support/tools.ts';
import { CrdValidator, parseObjects, type K8sObject } from '../../scripts/lib/render/schema.ts';
import { checkReferences } from '../../scripts/lib/render/check.ts';
import { OVERLAYS, kustomize, overlayDir, staleGeneratedFiles } from '../../scripts/lib/render/render.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { extAuthzServices } from '../../scripts/lib/render/manifests.ts';
import { ROUTES } from '../../src/topology/index.ts';
import { EXT_AUTHZ_DEFAULTS } from '../../src/gateway/filters/ext-authz.ts';
import { SETTINGS, parseDuration } from '../../src/login/config.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const kubectl = requireTool('kubectl');
const meshValues = parse(readFileSync(join(REPO_ROOT, 'istio/mesh/istiod-values.yaml'), 'utf8'));
/** Core kinds the overlays hold: validated against schemas/kubernetes, not a CRD. */
const CORE_KINDS = new Set(['Namespace', 'Service', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding']);

let validator: CrdValidator | undefined;
const crds = () => (validator ??= new CrdValidator());
const rendered = new Map<string, Promise<K8sObject[]>>();
function render(dir: string): Promise<K8sObject[]> {
  if (!rendered.has(dir)) rendered.set(dir, kustomize(dir, kubectl.path).then(parseObjects));
  return rendered.get(dir)!;
}
const clone = <T>(value: T): T => structuredClone(value);
const byKind = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as any;

test('the files generated from src/topology are up to date (run: oc-edge render)', () => {
  assert.deepEqual(staleGeneratedFiles(), []);
});

test('the mesh\'s ext_authz provider is what the local gateway runs and what the login service answers', () => {
  const provider = meshValues.meshConfig.extensionProviders[0].envoyExtAuthzHttp;
  // The login service answers 503 when its store (or the provider) is down: the mesh surfaces that
  // as 503 too (Envoy turns every auth-service 5xx into statusOnError), never a misleading 403.
  assert.equal(EXT_AUTHZ_DEFAULTS.statusOnError, 503);
  assert.equal(provider.statusOnError, '503');
  assert.equal(provider.failOpen, false);
  // A check may wait for a token refresh, bounded by the login service's PROVIDER_TIMEOUT.
  const providerTimeout = parseDuration('PROVIDER_TIMEOUT', SETTINGS.find((s) => s.env === 'PROVIDER_TIMEOUT')!.default!);
  assert.equal(provider.timeout, `${EXT_AUTHZ_DEFAULTS.timeoutMs / 1000}s`);
  assert.ok(EXT_AUTHZ_DEFAULTS.timeoutMs > providerTimeout, 'the check timeout leaves room for a refresh');
  // On the waypoint the path is already rewritten (/user/oauth2/x arrives as /oauth2/x): only a
  // pathPrefix keeps such a check from being taken for one of the login service's own endpoints.
  assert.equal(provider.pathPrefix, EXT_AUTHZ_DEFAULTS.pathPrefix);
  assert.match(EXT_AUTHZ_DEFAULTS.pathPrefix, /^\/[a-z-]+$/);
  assert.deepEqual(provider.includeRequestHeadersInCheck, EXT_AUTHZ_DEFAULTS.includeRequestHeadersInCheck);
  assert.deepEqual(provider.headersToUpstreamOnAllow, EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow);
  assert.deepEqual(provider.headersToDownstreamOnAllow, EXT_AUTHZ_DEFAULTS.headersToDownstreamOnAllow);
  assert.deepEqual(provider.headersToDownstreamOnDeny, EXT_AUTHZ_DEFAULTS.headersToDownstreamOnDeny);
});

test('a generated file edited by hand is reported as stale', () => {
  const files = new Map([['istio/base/generated/httproutes.yaml', 'edited by hand\n']]);
  assert.deepEqual(staleGeneratedFiles(REPO_ROOT, files), ['istio/base/generated/httproutes.yaml']);
});

for (const overlay of OVERLAYS) {
  test(`overlay ${overlay}: every object validates against its CRD schema and CEL rules, core kinds against Kubernetes' definitions`, { skip: kubectl.skip }, async () => {
    const objects = await render(overlayDir(overlay));
    assert.ok(objects.length > 20, `only ${objects.length} objects rendered`);
    const evaluatedBefore = crds().celRulesEvaluated;
    const issues = objects.flatMap((o) => (crds().has(o) ? crds().validate(o) : [{ object: o.kind, message: 'no schema' }]));
    assert.deepEqual(issues, []);
    for (const kind of ['Gateway', 'HTTPRoute', 'Certificate', 'ClusterIssuer', 'RequestAuthentication', 'AuthorizationPolicy', 'WasmPlugin']) {
      assert.ok(objects.some((o) => o.kind === kind && crds().hasCrd(o)), `no ${kind} validated`);
    }
    for (const o of objects.filter((x) => CORE_KINDS.has(x.kind))) assert.ok(crds().has(o) && !crds().hasCrd(o), `${o.kind} ${o.metadata.name} not validated as a core kind`);
    for (const kind of ['Namespace', 'Service', 'ConfigMap']) assert.ok(objects.some((o) => o.kind === kind), `no ${kind} rendered`);
    // The HTTPRoutes alone reach dozens of rules (paths, filters, parentRefs): none may be skipped.
    assert.ok(crds().celRulesEvaluated - evaluatedBefore > 50, `only ${crds().celRulesEvaluated - evaluatedBefore} CEL rules evaluated`);
  });

  test(`overlay ${overlay}: references resolve and no placeholder is left`, { skip: kubectl.skip }, async () => {
    const objects = await render(overlayDir(overlay));
    assert.deepEqual(checkReferences(objects, { meshValues, requireFilled: true }), []);
  });
}

test('base: validates too, and still has placeholders an overlay must fill', { skip: kubectl.skip }, async () => {
  const objects = await render(join(REPO_ROOT, 'istio/base'));
  assert.deepEqual(objects.filter((o) => crds().has(o)).flatMap((o) => crds().validate(o)), []);
  const problems = checkReferences(objects, { meshValues, requireFilled: true });
  assert.ok(problems.some((p) => p.startsWith('WasmPlugin oneconnect/org-context still holds a placeholder')), problems.join('\n'));
});

test('production: the shapes the issue asks for', { skip: kubectl.skip }, async () => {
  const objects = await render(overlayDir('production'));
  const gateway = byKind(objects, 'Gateway', 'oneconnect-gateway');
  const https = gateway.spec.listeners.find((l: any) => l.name === 'https');
  assert.equal(https.tls.certificateRefs[0].name, 'oneconnect-gateway-tls-secrets');
  assert.deepEqual(https.allowedRoutes.namespaces.selector.matchLabels, { 'gateway-access': 'oneconnect' });
  assert.match(gateway.spec.infrastructure.annotations['service.beta.kubernetes.io/aws-load-balancer-security-groups'], /^sg-/);
  const redirect = byKind(objects, 'HTTPRoute', 'https-redirect');
  assert.deepEqual(redirect.spec.rules[0].filters[0].requestRedirect, { scheme: 'https', statusCode: 301 });
  const issuer = byKind(objects, 'ClusterIssuer', 'letsencrypt');
  assert.ok(issuer.spec.acme.solvers[0].dns01.route53.role.startsWith('arn:aws:iam::'));
  const auth = byKind(objects, 'RequestAuthentication', 'id-token').spec.jwtRules[0];
  assert.match(auth.issuer, /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9-]+_[A-Za-z0-9]+$/);
  assert.equal(auth.forwardOriginalToken, true);
  assert.equal(auth.outputPayloadToHeader, JWT_PAYLOAD_HEADER);
  assert.deepEqual(auth.fromHeaders, [{ name: 'Authorization', prefix: 'Bearer ' }]);
  // One HTTPRoute per topology route, rewriting as the topology says.
  for (const route of ROUTES) {
    const object = byKind(objects, 'HTTPRoute', route.name);
    assert.ok(object, `no HTTPRoute ${route.name}`);
    assert.equal(object.spec.rules[0].matches[0].path.value, route.prefix);
    const rewrite = object.spec.rules[0].filters?.[0]?.urlRewrite?.path?.replacePrefixMatch;
    assert.equal(rewrite, route.prefix === '/' ? undefined : route.rewritePrefix);
  }
  const custom = byKind(objects, 'AuthorizationPolicy', 'login-service-ext-authz');
  assert.deepEqual(custom.spec.targetRefs.map((t: any) => t.name).sort(), extAuthzServices().sort());
  assert.ok(!extAuthzServices().includes('onboarding') && !extAuthzServices().includes('login-service'));
});

// The checks themselves must be able to fail.
test('schema validation reports unknown fields, bad enums and bad metadata', { skip: kubectl.skip }, async () => {
  const objects = await render(overlayDir('production'));
  const gateway = clone(byKind(objects, 'Gateway', 'oneconnect-gateway'));
  gateway.spec.listeners[0].hostnme = 'typo';
  assert.match(crds().validate(gateway).map((i) => i.message).join('\n'), /unknown field "hostnme"/);
  const plugin = clone(byKind(objects, 'WasmPlugin', 'org-context'));
  plugin.spec.phase = 'LATE';
  plugin.metadata.nmespace = 'x';
  const messages = crds().validate(plugin).map((i) => i.message).join('\n');
  assert.match(messages, /\/spec\/phase: must be one of/);
  assert.match(messages, /unknown field "nmespace"/);
  const cert = clone(byKind(objects, 'Certificate', 'oneconnect-gateway-tls'));
  cert.spec.issuerRef = { kind: 'ClusterIssuer' };
  assert.match(crds().validate(cert).map((i) => i.message).join('\n'), /name/);
});

test('cross-reference checks report what does not resolve', { skip: kubectl.skip }, async () => {
  const base = await render(overlayDir('production'));
  const cases: [string, (objects: any[]) => void, RegExp][] = [
    ['parentRef', (o) => (byKind(o, 'HTTPRoute', 'user').spec.parentRefs[0].name = 'nope'), /parentRef istio-ingress\/nope is not a Gateway/],
    ['backendRef', (o) => (byKind(o, 'HTTPRoute', 'user').spec.rules[0].backendRefs[0].port = 1), /has no port 1/],
    ['namespace label', (o) => delete byKind(o, 'Namespace', 'oneconnect').metadata.labels['gateway-access'], /does not admit routes from namespace oneconnect/],
    ['waypoint env', (o) => (byKind(o, 'ConfigMap', 'waypoint-environment').data.deployment = 'spec: {}'), /HOST env ORG_COOKIE_SECRETS is not in the environment/],
    ['unknown plugin env', (o) => byKind(o, 'WasmPlugin', 'org-context').spec.vmConfig.env.push({ name: 'ORG_COOKIE_NAMES', value: 'x' }), /ORG_COOKIE_NAMES is not a setting/],
    ['inline secret', (o) => (byKind(o, 'WasmPlugin', 'org-context').spec.vmConfig.env[0] = { name: 'ORG_COOKIE_SECRETS', valueFrom: 'INLINE', value: 'x' }), /is a secret/],
    ['plugin value', (o) => (byKind(o, 'WasmPlugin', 'org-context').spec.vmConfig.env.find((e: any) => e.name === 'ORGANISATION_FEATURES').value = '{"org a":["x"]}'), /ORGANISATION_FEATURES must be/],
    ['bootstrapped id', (o) => (byKind(o, 'WasmPlugin', 'org-context').spec.vmConfig.env.find((e: any) => e.name === 'BOOTSTRAPPED_ORGANISATIONS').value = 'org-1,org 2'), /invalid organisation id "org 2"/],
    ['certificate', (o) => (byKind(o, 'Certificate', 'oneconnect-gateway-tls').spec.dnsNames = ['other.example.com']), /is not among/],
    ['provider', (o) => (byKind(o, 'AuthorizationPolicy', 'login-service-ext-authz').spec.provider.name = 'oauth2-proxy'), /not declared in the mesh config/],
    ['m2m under CUSTOM', (o) => byKind(o, 'AuthorizationPolicy', 'login-service-ext-authz').spec.targetRefs.push({ kind: 'Service', name: 'onboarding' }), /an M2M route of the internal gateway/],
    ['waypoint label', (o) => (byKind(o, 'Service', 'dashboard').metadata.labels['istio.io/ingress-use-waypoint'] = 'false'), /must carry istio.io\/use-waypoint/],
  ];
  for (const [name, mutate, expected] of cases) {
    const objects = clone(base);
    mutate(objects);
    const problems = checkReferences(objects, { meshValues, requireFilled: true });
    assert.match(problems.join('\n'), expected, `case ${name}: ${problems.join('; ')}`);
  }
});
