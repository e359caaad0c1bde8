// The ext_authz check builds the login's return URL from the URL the user asked for at the
// gateway: x-envoy-original-path (set by the gateway when a route rewrote the path) wins over the
// rewritten check path, and it is judged by the same redirect rules.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APP, startStack, type Stack } from './stack.ts';

describe('ext_authz check: return URL from x-envoy-original-path', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { CHECK_PATH_PREFIX: '/ext-authz' } });
  });
  after(() => stack?.close());

  const redirectOf = (location: string | null) => new URL(location!).searchParams.get('redirect');

  it('prefers the original path over the rewritten one', async () => {
    const response = await stack.browser().request(`${APP}/ext-authz/me?tab=1`, { navigate: true, headers: { 'x-envoy-original-path': '/user/me?tab=1' } });
    assert.equal(response.status, 302);
    assert.equal(redirectOf(response.headers.get('location')), '/user/me?tab=1');
  });

  it('uses the check path when the gateway did not rewrite', async () => {
    const response = await stack.browser().request(`${APP}/ext-authz/dashboard`, { navigate: true });
    assert.equal(redirectOf(response.headers.get('location')), '/dashboard');
  });

  it('judges the original path like any redirect target', async () => {
    for (const hostile of ['//evil.test/x', '/%2F%2Fevil.test', 'https://evil.test/']) {
      const response = await stack.browser().request(`${APP}/ext-authz/me`, { navigate: true, headers: { 'x-envoy-original-path': hostile } });
      assert.equal(response.status, 302);
      const redirect = redirectOf(response.headers.get('location'));
      assert.ok(redirect === null || redirect === '/me', `${hostile} → ${redirect}`);
      assert.equal(new URL(response.headers.get('location')!).origin, APP);
    }
  });
});
