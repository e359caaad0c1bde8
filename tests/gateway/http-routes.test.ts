// Routes read from HTTPRoute YAML match the topology the gateway uses by default.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRoutesFile, routesFromHttpRoutes } from '../../src/gateway/http-routes.ts';
import { ROUTES } from '../../src/topology/index.ts';

const GENERATED = new URL('../../istio/base/generated/httproutes.yaml', import.meta.url).pathname;

test('the rendered istio/ HTTPRoutes give the same routes as src/topology', () => {
  const sorted = (routes: readonly object[]) => [...routes].map((route) => JSON.stringify(route, Object.keys(route).sort())).sort();
  assert.deepEqual(sorted(loadRoutesFile(GENERATED)), sorted(ROUTES));
});

const route = (body: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: extra }
spec:
  parentRefs: [{ name: oneconnect-gateway }]
  rules:
${body}`;

test('a route known only to the YAML gets ext_authz (never an open door)', () => {
  const [extra] = routesFromHttpRoutes(route('    - matches: [{ path: { type: PathPrefix, value: /extra } }]\n      backendRefs: [{ name: feature-user-backend, port: 3002 }]\n'));
  assert.equal(extra!.extAuthz, true);
  assert.equal(extra!.prefix, '/extra');
});

test('what the gateway cannot do is refused with the route named', () => {
  assert.throws(() => routesFromHttpRoutes(route('    - matches: [{ path: { type: RegularExpression, value: /x.* } }]\n      backendRefs: [{ name: dashboard }]\n')), /HTTPRoute extra: only PathPrefix/);
  assert.throws(() => routesFromHttpRoutes(route('    - backendRefs: [{ name: nowhere }]\n')), /unknown backend nowhere/);
  assert.throws(() => routesFromHttpRoutes(route('    - backendRefs: [{ name: dashboard }, { name: onboarding }]\n')), /exactly one backendRef/);
  assert.throws(() => routesFromHttpRoutes(route('    - backendRefs: [{ name: dashboard }]\n      filters: [{ type: RequestRedirect }]\n')), /only URLRewrite/);
  assert.throws(() => routesFromHttpRoutes(route('    - backendRefs: [{ name: dashboard }]\n').replace('oneconnect-gateway', 'other-gateway')), /parentRef other-gateway/);
  assert.throws(() => routesFromHttpRoutes('kind: Service\n'), /no HTTPRoute/);
  // A match condition the gateway would ignore widens the route: refused, not dropped.
  for (const condition of ['headers: [{ name: x-canary, value: "1" }]', 'queryParams: [{ name: beta, value: "1" }]', 'method: POST']) {
    const yaml = route(`    - matches: [{ path: { type: PathPrefix, value: /extra }, ${condition} }]\n      backendRefs: [{ name: dashboard }]\n`);
    assert.throws(() => routesFromHttpRoutes(yaml), /HTTPRoute extra: only path matches are supported, got (headers|queryParams|method)/, condition);
  }
});
