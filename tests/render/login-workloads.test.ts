// istio/components/login-sidecar and istio/components/sso, rendered by real kustomize through the
// login-examples overlay: the shapes issue 15 asks for (the sidecar in front of the app, the SSO
// server with its Service, HTTPRoute and Redis, an app behind an SSO proxy), secrets only from
// Secret refs, and the login-specific cross-reference checks failing on broken copies. The
// overlay's schema validation and the general reference checks run in manifests.test.ts with the
// other overlays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requireTool } from '../support/tools.ts';
import { parseObjects, type K8sObject } from '../../scripts/lib/render/schema.ts';
import { checkReferences } from '../../scripts/lib/render/check.ts';
import { checkLoginWorkloads, hostnameMatches } from '../../scripts/lib/render/check-login.ts';
import { APP_PORT, LOGIN_PORTS, LOGIN_WORKLOADS, loginWorkloadFiles } from '../../scripts/lib/render/login-workloads.ts';
import { kustomize, overlayDir, staleGeneratedFiles } from '../../scripts/lib/render/render.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { SETTINGS } from '../../src/login/config.ts';

const kubectl = requireTool('kubectl');
const meshValues = parse(readFileSync(join(REPO_ROOT, 'istio/mesh/istiod-values.yaml'), 'utf8'));
let rendered: Promise<K8sObject[]> | undefined;
const objects = () => (rendered ??= kustomize(overlayDir('login-examples'), kubectl.path).then(parseObjects));
const clone = <T>(value: T): T => structuredClone(value);
const find = (all: K8sObject[], kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata.name === name) as any;
const container = (deployment: any, name: string) => deployment.spec.template.spec.containers.find((c: any) => c.name === name);
const env = (c: any, name: string) => c.env.find((e: any) => e.name === name);
const W = LOGIN_WORKLOADS;

test('the components\' generated files are current, and an edited one is reported', () => {
  const files = loginWorkloadFiles();
  assert.deepEqual([...files.keys()].sort(), ['istio/components/login-sidecar/generated/login-sidecar.yaml', 'istio/components/sso/generated/sso.yaml']);
  assert.deepEqual(staleGeneratedFiles(REPO_ROOT, files), []);
  const edited = new Map([...files].map(([path, text]) => [path, text.replace('LOGIN_MODE', 'LOGIN_MOOD')]));
  assert.deepEqual(staleGeneratedFiles(REPO_ROOT, edited).sort(), [...files.keys()].sort());
});

test('login-examples: the login checks pass on the rendered overlay', { skip: kubectl.skip }, async () => {
  const all = await objects();
  assert.deepEqual(checkLoginWorkloads(all), []);
  assert.deepEqual(checkReferences(all, { meshValues, requireFilled: true }), []);
});

test('the standalone sidecar: app and login service in one Pod, the Service and route reach only the login service', { skip: kubectl.skip }, async () => {
  const all = await objects();
  const deployment = find(all, 'Deployment', W.sidecarApp);
  const login = container(deployment, W.loginContainer);
  const app = container(deployment, W.appContainer);
  assert.equal(env(login, 'LOGIN_MODE').value, 'standalone');
  assert.equal(env(login, 'UPSTREAM_URL').value, `http://127.0.0.1:${APP_PORT}`);
  assert.deepEqual(app.ports.map((p: any) => p.containerPort), [APP_PORT]);
  const domain = find(all, 'Gateway', 'oneconnect-gateway').spec.listeners.find((l: any) => l.name === 'https').hostname;
  assert.equal(env(login, 'INGRESS').value, `https://${domain}${W.sidecarPrefix}`);
  const auth = find(all, 'RequestAuthentication', 'id-token').spec.jwtRules[0];
  assert.equal(env(login, 'OIDC_ISSUER').value, auth.issuer);
  assert.equal(env(login, 'OIDC_CLIENT_ID').value, auth.audiences[0]);
  assert.match(login.image, /login-service:/);
  const service = find(all, 'Service', W.sidecarApp);
  assert.deepEqual(service.spec.ports.map((p: any) => [p.port, p.targetPort]), [[LOGIN_PORTS.http, 'login-http']]);
  const route = find(all, 'HTTPRoute', W.sidecarApp);
  assert.equal(route.spec.rules[0].matches[0].path.value, W.sidecarPrefix);
  assert.deepEqual(route.spec.rules[0].backendRefs, [{ name: W.sidecarApp, port: LOGIN_PORTS.http }]);
});

test('SSO: the server\'s Deployment, Service and HTTPRoute on sso.apps.<domain>, its Redis, a proxy with no client', { skip: kubectl.skip }, async () => {
  const all = await objects();
  const domain = find(all, 'Gateway', 'oneconnect-gateway').spec.listeners.find((l: any) => l.name === 'https').hostname;
  const ssoDomain = `${W.ssoSubdomain}.${domain}`;
  const server = container(find(all, 'Deployment', W.ssoServer), W.loginContainer);
  assert.equal(env(server, 'LOGIN_MODE').value, 'sso-server');
  assert.equal(env(server, 'SSO_DOMAIN').value, ssoDomain);
  assert.equal(env(server, 'APP_ORIGIN').value, `https://${W.ssoServerHost}.${ssoDomain}`);
  assert.equal(env(server, 'SESSION_COOKIE_NAME').value, W.ssoCookie);
  assert.ok(!W.ssoCookie.startsWith('__Host-'), '__Host- cookies cannot carry a Domain');
  assert.equal(find(all, 'HTTPRoute', W.ssoServer).spec.hostnames[0], `${W.ssoServerHost}.${ssoDomain}`);
  assert.equal(find(all, 'HTTPRoute', W.ssoServer).spec.parentRefs[0].sectionName, W.ssoListener);
  const listener = find(all, 'Gateway', 'oneconnect-gateway').spec.listeners.find((l: any) => l.name === W.ssoListener);
  assert.equal(listener.hostname, `*.${ssoDomain}`);
  assert.deepEqual(find(all, 'Certificate', W.ssoCertificate).spec.dnsNames, [`*.${ssoDomain}`]);
  assert.ok(find(all, 'Deployment', W.ssoRedis) && find(all, 'Service', W.ssoRedis));
  const redisPolicy = find(all, 'AuthorizationPolicy', `${W.ssoRedis}-clients`);
  assert.deepEqual(redisPolicy.spec.rules[0].from[0].source.principals.map((p: string) => p.split('/').pop()).sort(), [W.ssoApp, W.ssoServer].sort());
  const proxy = container(find(all, 'Deployment', W.ssoApp), W.loginContainer);
  assert.equal(env(proxy, 'LOGIN_MODE').value, 'sso-proxy');
  assert.equal(env(proxy, 'SSO_SERVER_URL').value, env(server, 'APP_ORIGIN').value);
  assert.deepEqual(proxy.env.map((e: any) => e.name).filter((name: string) => name.startsWith('OIDC_')), [], 'no OIDC client in the proxy');
  // The cookie goes to apps.<domain> only: never to the main app's backends on <domain>.
  assert.notEqual(ssoDomain, domain);
});

test('secrets come only from Secret refs, named after the setting', { skip: kubectl.skip }, async () => {
  const secretOnly = new Set(SETTINGS.filter((s) => !s.flag).map((s) => s.env));
  let refs = 0;
  for (const deployment of (await objects()).filter((o) => o.kind === 'Deployment') as any[]) {
    for (const c of deployment.spec.template.spec.containers) {
      for (const e of c.env ?? []) {
        if (!secretOnly.has(e.name)) continue;
        assert.equal(e.value, undefined, `${deployment.metadata.name}/${e.name} is a literal`);
        assert.equal(e.valueFrom.secretKeyRef.key, e.name);
        assert.ok([W.sidecarSecret, W.ssoSecret].includes(e.valueFrom.secretKeyRef.name));
        refs++;
      }
    }
  }
  // sidecar: client secret + key; server: client secret, key, Redis; proxy: key, Redis.
  assert.equal(refs, 7);
});

test('the login checks fail on broken copies', { skip: kubectl.skip }, async () => {
  const base = await objects();
  const serverOf = (o: K8sObject[]) => container(find(o, 'Deployment', W.ssoServer), W.loginContainer);
  const proxyOf = (o: K8sObject[]) => container(find(o, 'Deployment', W.ssoApp), W.loginContainer);
  const sidecarOf = (o: K8sObject[]) => container(find(o, 'Deployment', W.sidecarApp), W.loginContainer);
  const cases: [string, (o: K8sObject[]) => void, RegExp][] = [
    ['literal secret', (o) => {
      const key = env(sidecarOf(o), 'ENCRYPTION_KEY');
      delete key.valueFrom;
      key.value = 'a-literal-key';
    }, /ENCRYPTION_KEY is a secret: valueFrom.secretKeyRef, never a literal/],
    ['unknown setting', (o) => sidecarOf(o).env.push({ name: 'LOGIN_MOOD', value: 'x' }), /env LOGIN_MOOD is not a login service setting/],
    ['refused value', (o) => (env(serverOf(o), 'SSO_DOMAIN').value = 'example.org'), /the login service refuses this environment: SSO_DOMAIN/],
    ['service around the sidecar', (o) => (find(o, 'Service', W.sidecarApp).spec.ports[0].targetPort = 'app-http'), /targets app-http, not the login container/],
    ['upstream not in the Pod', (o) => (env(sidecarOf(o), 'UPSTREAM_URL').value = 'http://demo-app-backend:8080'), /UPSTREAM_URL must be http:\/\/127\.0\.0\.1/],
    ['proxy with a client secret', (o) => proxyOf(o).env.push({ name: 'OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: W.ssoSecret, key: 'OIDC_CLIENT_SECRET' } } }), /an SSO proxy has no OIDC client: remove OIDC_CLIENT_SECRET/],
    ['cookie name', (o) => (env(proxyOf(o), 'SESSION_COOKIE_NAME').value = '__Secure-other'), /SESSION_COOKIE_NAME __Secure-other is not the SSO server's/],
    ['other key', (o) => (env(proxyOf(o), 'ENCRYPTION_KEY').valueFrom.secretKeyRef.name = 'another-secret'), /ENCRYPTION_KEY must come from the SSO server's Secret ref/],
    ['server not routed', (o) => (env(proxyOf(o), 'SSO_SERVER_URL').value = 'https://login.elsewhere.example'), /is not routed to an SSO server here/],
    ['app outside the domain', (o) => (env(proxyOf(o), 'APP_ORIGIN').value = 'https://app-a.example.org'), /is outside the SSO server's SSO_DOMAIN/],
    ['route hostname', (o) => (find(o, 'HTTPRoute', W.ssoApp).spec.hostnames = ['app-a.elsewhere.example']), /hostname app-a\.elsewhere\.example is not served by listener sso-https/],
  ];
  for (const [name, mutate, expected] of cases) {
    const copy = clone(base);
    mutate(copy);
    const problems = checkReferences(copy, { meshValues, requireFilled: true });
    assert.match(problems.join('\n'), expected, `case ${name}: ${problems.join('; ')}`);
  }
});

test('listener hostnames as Gateway API matches them', () => {
  assert.ok(hostnameMatches('*.apps.example.com', 'sso.apps.example.com'));
  assert.ok(!hostnameMatches('*.apps.example.com', 'apps.example.com'), 'a wildcard does not cover its apex');
  assert.ok(!hostnameMatches('*.apps.example.com', 'evilapps.example.com'));
  assert.ok(hostnameMatches('example.com', 'example.com'));
  assert.ok(!hostnameMatches('example.com', 'sso.example.com'));
  assert.ok(hostnameMatches(undefined, 'anything.example'));
});
