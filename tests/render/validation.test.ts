// The validator behind the manifest tests can fail, and says where: core kinds against Kubernetes'
// definitions, CRD CEL rules evaluated (not listed), unsupported CEL reported, transition rules
// recognised; the schemas it reads are the repository's own (schemas/), and the refresh script
// copies what it is given. No kubectl needed: the objects come from the same generators as istio/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ManifestValidator, DEFAULT_SCHEMAS_DIR, type K8sObject } from '../../scripts/lib/render/schema.ts';
import { CelRules } from '../../scripts/lib/render/cel.ts';
import { parseRequestUri } from '../../scripts/lib/render/cel-k8s-url.ts';
import { closure, refreshCrds, refreshKubernetes } from '../../scripts/schemas/refresh.ts';
import { httpRoute, service } from '../../scripts/lib/render/manifests.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { ROUTES } from '../../src/topology/index.ts';

let shared: ManifestValidator | undefined;
const validator = () => (shared ??= new ManifestValidator());
const messages = (object: unknown) => validator().validate(object as K8sObject).map((i) => `${i.object}: ${i.message}`).join('\n');

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'login-service', namespace: 'oneconnect' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'login-service' } },
    template: {
      metadata: { labels: { app: 'login-service' } },
      spec: { containers: [{ name: 'login-service', image: 'login-service:1', ports: [{ containerPort: 8080, name: 'http' }] }] },
    },
  },
});

test('the schemas are the repository\'s own', () => {
  assert.equal(relative(REPO_ROOT, DEFAULT_SCHEMAS_DIR), 'schemas');
});

test('core kinds: a valid Service and Deployment pass', () => {
  assert.equal(messages(service('login-service')), '');
  assert.equal(messages(deployment()), '');
  assert.match(validator().kubernetesVersion, /^v1\.\d+\.\d+$/);
});

test('core kinds: a Service port given as a name, an unknown field and a wrong type are errors', () => {
  const svc = service('login-service') as any;
  svc.spec.ports[0].port = 'http';
  svc.spec.ports[0].protocl = 'TCP';
  svc.spec.selector = ['login-service'];
  const found = messages(svc);
  assert.match(found, /^Service oneconnect\/login-service: \/spec\/ports\/0\/port: must be integer$/m);
  assert.match(found, /\/spec\/ports\/0: unknown field "protocl"/);
  assert.match(found, /\/spec\/selector: must be object/);
});

test('core kinds: a Deployment without a selector, and bad metadata, are errors', () => {
  const broken = deployment() as any;
  delete broken.spec.selector;
  broken.metadata.uid = 'set-by-the-server';
  broken.spec.template.spec.containers[0].ports[0].containerPort = '8080';
  const found = messages(broken);
  assert.match(found, /Deployment oneconnect\/login-service: \/spec: must have required property 'selector'/);
  assert.match(found, /\/metadata: unknown field "uid"/);
  assert.match(found, /\/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort: must be integer/);
});

test('an unknown core kind is an error, not a pass', () => {
  assert.match(messages({ apiVersion: 'v1', kind: 'Servce', metadata: { name: 'x' } }), /no schema for v1 Servce/);
});

test('HTTPRoute CEL: a PathPrefix that is not an absolute path violates the Gateway API rule', () => {
  const route = httpRoute(ROUTES.find((r) => r.prefix !== '/')!) as any;
  assert.equal(messages(route), '');
  route.spec.rules[0].matches[0].path.value = route.spec.rules[0].matches[0].path.value.slice(1);
  const found = validator().validate(route);
  assert.deepEqual(found, [{
    object: `HTTPRoute oneconnect/${route.metadata.name}`,
    message: "/spec/rules/0/matches/0/path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
  }]);
});

test('HTTPRoute CEL: ReplacePrefixMatch needs exactly one PathPrefix match, defaults included', () => {
  const route = httpRoute(ROUTES.find((r) => r.prefix !== '/' && r.rewritePrefix !== undefined)!) as any;
  // Without matches the API server defaults one (PathPrefix "/"), which satisfies the rule.
  delete route.spec.rules[0].matches;
  assert.equal(messages(route), '');
  route.spec.rules[0].matches = [{ path: { type: 'Exact', value: '/user' } }];
  assert.match(messages(route), /\/spec\/rules\/0: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified/);
});

test('WasmPlugin CEL: the url rule goes through Kubernetes\' URL library', () => {
  const plugin = {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name: 'org-context', namespace: 'oneconnect' },
    spec: { url: 'oci://registry.example.com/org-context:1.0', targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] },
  };
  assert.equal(messages(plugin), '');
  plugin.spec.url = 'registry.example.com/org-context:1.0';
  assert.equal(messages(plugin), '', 'no scheme: taken as http:// by the rule');
  // Go's URL parser reads "localhost" as the scheme here, so Istio's rule rejects it.
  plugin.spec.url = 'localhost:5000/org-context:1.0';
  assert.match(messages(plugin), /WasmPlugin oneconnect\/org-context: \/spec\/url: url must have schema one of \[http, https, file, oci\]/);
});

test('CEL: an unsupported function is reported, a transition rule is skipped and counted', () => {
  const rules = new CelRules({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { ports: { type: 'array', items: { type: 'integer' }, 'x-kubernetes-validations': [{ rule: 'self.isSorted()' }, { rule: 'self.size() <= 2', message: 'at most two ports' }] } },
        'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }],
      },
    },
  });
  assert.equal(rules.transitionRules, 1);
  const { violations, evaluated } = rules.evaluate({ spec: { ports: [3, 1, 2] } });
  assert.equal(evaluated, 1);
  assert.deepEqual(violations, [
    { path: '/spec/ports', message: 'CEL rule not evaluated: it calls isSorted, which this evaluator does not implement: self.isSorted()' },
    { path: '/spec/ports', message: 'at most two ports' },
  ]);
  assert.deepEqual(rules.evaluate({ spec: {} }).violations, [], 'rules of absent fields do not run');
});

test('CEL: integers are ints, as on the API server', () => {
  const rules = new CelRules({ type: 'object', properties: { port: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self / 2 == 40 && type(self) == int' }] } } });
  assert.deepEqual(rules.evaluate({ port: 81 }).violations, []);
});

test('Kubernetes URL library: Go request-URI semantics', () => {
  const scheme = (text: string) => {
    const parsed = parseRequestUri(text);
    return 'error' in parsed ? undefined : parsed.scheme;
  };
  assert.equal(scheme('https://cognito-idp.eu-west-1.amazonaws.com/pool'), 'https');
  assert.equal(scheme('HTTP://x'), 'http');
  assert.equal(scheme('/just/a/path'), '');
  assert.equal(scheme('localhost:5000/x'), 'localhost');
  assert.equal(scheme('registry.example.com/x'), undefined);
  assert.equal(scheme('http://bad host/'), undefined);
  assert.equal(scheme('http://host:80x/'), undefined);
  assert.equal(scheme('http://host/%zz'), undefined);
  assert.equal(scheme(''), undefined);
  assert.deepEqual(parseRequestUri('http://user@[::1]:8080/p'), { scheme: 'http', host: '[::1]:8080', hostname: '::1', port: '8080' });
});

test('the schemas README names each vendored upstream at the version its files carry', () => {
  const readme = readFileSync(join(DEFAULT_SCHEMAS_DIR, 'README.md'), 'utf8');
  const gatewayApi = /bundle-version: (v[\d.]+)/.exec(readFileSync(join(DEFAULT_SCHEMAS_DIR, 'gateway-api/gateway.networking.k8s.io_httproutes.yaml'), 'utf8'))![1]!;
  assert.ok(readme.includes(gatewayApi), `README does not name Gateway API ${gatewayApi}`);
  assert.ok(readme.includes(validator().kubernetesVersion), `README does not name Kubernetes ${validator().kubernetesVersion}`);
  for (const folder of ['istio/', 'gateway-api/', 'cert-manager/', 'kubernetes/']) assert.ok(readme.includes(folder), `README does not describe ${folder}`);
});

test('refresh: CRDs are copied from the given folder, which must hold CRDs', () => {
  const from = mkdtempSync(join(tmpdir(), 'schemas-from-'));
  const to = mkdtempSync(join(tmpdir(), 'schemas-to-'));
  mkdirSync(join(from, 'gateway-api'));
  const crd = readFileSync(join(DEFAULT_SCHEMAS_DIR, 'gateway-api/gateway.networking.k8s.io_referencegrants.yaml'), 'utf8');
  writeFileSync(join(from, 'gateway-api', 'referencegrants.yaml'), crd);
  assert.deepEqual(refreshCrds(from, to), ['gateway-api/referencegrants.yaml']);
  assert.equal(readFileSync(join(to, 'gateway-api', 'referencegrants.yaml'), 'utf8'), crd);
  writeFileSync(join(from, 'gateway-api', 'notes.yaml'), 'kind: ConfigMap\n');
  assert.throws(() => refreshCrds(from, to), /notes.yaml holds no CustomResourceDefinition/);
  assert.throws(() => refreshCrds(to + '-missing', to), /has none of istio, gateway-api, cert-manager/);
});

test('refresh: core definitions are the closure of the kinds, from a strict folder only', () => {
  const defs = { A: { $ref: '#/$defs/B' }, B: { properties: { c: { $ref: '#/$defs/C' } } }, C: {}, D: {} };
  assert.deepEqual(Object.keys(closure(defs, ['A'])), ['A', 'B', 'C']);
  const loose = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'v1.0.0-local');
  mkdirSync(loose);
  assert.throws(() => refreshKubernetes(loose), /vX.Y.Z-local-strict/);
});

test('nothing under scripts/, src/ or tests/ reads the workplace\'s shared folder', () => {
  // A path in a string literal or template: what code would read. Comments may name the folder (a
  // test explaining why a read from outside the clone fails); the pattern is built from parts so
  // that this file does not match itself.
  const needle = new RegExp(`['"\`][^'"\`]*${['\\.\\.', 'shared'].join('/')}`);
  const code = (text: string) => text.split('\n').filter((line) => !/^\s*(\/\/|\/?\*|#)/.test(line));
  const offenders: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) visit(path);
      else if (/\.(ts|js|mjs|cjs|json|ya?ml|sh)$/.test(entry) && code(readFileSync(path, 'utf8')).some((line) => needle.test(line))) offenders.push(relative(REPO_ROOT, path));
    }
  };
  for (const dir of ['scripts', 'src', 'tests']) visit(join(REPO_ROOT, dir));
  assert.deepEqual(offenders, []);
});
