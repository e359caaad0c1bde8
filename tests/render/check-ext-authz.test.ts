// The cross-reference check of the ext_authz provider (scripts/lib/render/check.ts): the mesh
// config's provider must point at the login service and send upstream every header the check's
// 200 sets — `authorization` (the ID token) and `cookie` (rewritten without the session cookie;
// without it, the browser's session cookie would reach the backends).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkReferences } from '../../scripts/lib/render/check.ts';
import { serviceHost } from '../../scripts/lib/render/manifests.ts';
import type { K8sObject } from '../../scripts/lib/render/schema.ts';
import { EXT_AUTHZ_DEFAULTS, serviceByName } from '../../src/topology/index.ts';

const PROVIDER = 'login-service';

const objects = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'oneconnect' } },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'login-service-ext-authz', namespace: 'oneconnect' },
    spec: { action: 'CUSTOM', provider: { name: PROVIDER }, targetRefs: [] },
  },
] as unknown as K8sObject[];

function meshSending(headersToUpstreamOnAllow: readonly string[]) {
  return {
    meshConfig: {
      extensionProviders: [
        { name: PROVIDER, envoyExtAuthzHttp: { service: serviceHost('login-service'), port: serviceByName('login-service').port, headersToUpstreamOnAllow } },
      ],
    },
  };
}

const providerProblems = (headers: readonly string[]) =>
  checkReferences(objects, { meshValues: meshSending(headers) }).filter((problem) => problem.startsWith(`provider ${PROVIDER}`));

test('a provider sending the headers the check sets passes', () => {
  assert.deepEqual([...EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow].sort(), ['authorization', 'cookie']);
  assert.deepEqual(providerProblems(EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow), []);
  assert.deepEqual(providerProblems(['x-extra', 'cookie', 'authorization']), [], 'more headers are allowed, in any order');
});

test('a provider that does not send cookie upstream is refused', () => {
  assert.deepEqual(providerProblems(['authorization']), [`provider ${PROVIDER} must send the cookie header upstream on allow`]);
});

test('a provider that does not send authorization upstream is refused', () => {
  assert.deepEqual(providerProblems(['cookie']), [`provider ${PROVIDER} must send the authorization header upstream on allow`]);
});

test('a provider without the list is refused for both', () => {
  assert.deepEqual(providerProblems([]), [
    `provider ${PROVIDER} must send the authorization header upstream on allow`,
    `provider ${PROVIDER} must send the cookie header upstream on allow`,
  ]);
});
