// A failed login callback retried automatically (Wonderwall): in the standalone sidecar a callback
// that fails goes back to login with the original target, counted in a cookie, at most
// CALLBACK_RETRIES times in a row; then the error page with a correlation id (in the log too). A
// transient failure heals by itself and the count is cleared; the provider's own "no" is not
// retried; the ext_authz flavour keeps the error page at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

const RETRY_COOKIE = 'oc-callback-retries';
const isCallback = (url: string) => url.startsWith(`${APP}/oauth2/callback`);

describe('callback retries (standalone)', () => {
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    app = await startUpstreamApp();
    stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url } });
  });
  after(async () => {
    stack.provider.faults = {};
    await stack?.close();
    await app?.close();
  });

  it('retries a failing callback three times with the original target, then shows the error page', async () => {
    stack.provider.faults.token = { status: 503, grantType: 'authorization_code' };
    try {
      const browser = stack.browser();
      const hops = await browser.navigate(`${APP}/oauth2/login?redirect=${encodeURIComponent('/deep/link?x=1')}`, {}, 80, true);
      const callbacks = hops.filter((hop) => isCallback(hop.url));
      assert.equal(callbacks.length, 4, 'one callback and three retries');
      for (const [i, retry] of callbacks.slice(0, 3).entries()) {
        assert.equal(retry.status, 302);
        const login = new URL(retry.headers.get('location')!);
        assert.equal(login.pathname, '/oauth2/login');
        assert.equal(login.searchParams.get('redirect'), '/deep/link?x=1', 'the retry keeps the target');
        assert.ok(retry.setCookies.some((line) => line.startsWith(`${RETRY_COOKIE}=${i + 1};`) && /Path=\/oauth2;/.test(line)), retry.setCookies.join('\n'));
      }
      const page = hops.at(-1)!;
      assert.ok(isCallback(page.url));
      assert.equal(page.status, 503);
      const id = /Correlation id: <code>([A-Za-z0-9_-]+)<\/code>/.exec(page.body)?.[1];
      assert.ok(id, 'the error page shows a correlation id');
      assert.ok(stack.logs.some((line) => line.includes(id) && line.includes('"code":"provider_unavailable"')), 'and the log has it');
      assert.equal(stack.logs.filter((line) => line.includes('starting the login again')).length >= 3, true);
      assert.doesNotMatch(page.body, /code=|state=/, 'no code or state in the page');
      // The provider is back: "Try again" works, and the count is cleared.
      stack.provider.faults = {};
      const retry = /href="([^"]+)" data-action="retry"/.exec(page.body)![1]!.replace(/&amp;/g, '&');
      const again = await browser.navigate(retry, { from: page.url });
      const callback = again.find((hop) => isCallback(hop.url))!;
      assert.equal(callback.headers.get('location'), `${APP}/deep/link?x=1`);
      assert.ok(callback.setCookies.some((line) => line.startsWith(`${RETRY_COOKIE}=;`)), 'the count is cleared');
    } finally {
      stack.provider.faults = {};
    }
  });

  it('heals a transient failure by itself', async () => {
    const browser = stack.browser();
    const { url: callbackUrl } = await browser.follow(`${APP}/oauth2/login?redirect=/after`, `${APP}/oauth2/callback`);
    stack.provider.faults.token = { status: 500, grantType: 'authorization_code' };
    const failed = await browser.request(callbackUrl, { from: stack.provider.issuer });
    stack.provider.faults = {};
    assert.equal(failed.status, 302);
    const hops = await browser.navigate(new URL(failed.headers.get('location')!, APP).href, { from: callbackUrl });
    const callback = hops.find((hop) => isCallback(hop.url))!;
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.get('location'), `${APP}/after`);
    assert.ok(browser.cookie('__Host-oc-session'), 'logged in');
    assert.equal(browser.cookie(RETRY_COOKIE), undefined, 'no count left behind');
  });

  it('does not retry when the provider said no, nor past a forged count', async () => {
    const browser = stack.browser();
    const { url: callbackUrl } = await browser.follow(`${APP}/oauth2/login`, `${APP}/oauth2/callback`);
    const state = new URL(callbackUrl).searchParams.get('state')!;
    const denied = await browser.request(`${APP}/oauth2/callback?error=access_denied&state=${encodeURIComponent(state)}`, { from: stack.provider.issuer });
    assert.equal(denied.status, 400);
    assert.match(denied.body, /Correlation id/);
    const forged = stack.browser();
    forged.storeSetCookie(`${RETRY_COOKIE}=3; Path=/oauth2; Secure`, new URL(APP));
    const unknown = await forged.request(`${APP}/oauth2/callback?code=x&state=never-started`, { from: stack.provider.issuer });
    assert.equal(unknown.status, 400, 'at the limit: the error page at once');
    const junk = stack.browser();
    junk.storeSetCookie(`${RETRY_COOKIE}=-9e99; Path=/oauth2; Secure`, new URL(APP));
    const counted = await junk.request(`${APP}/oauth2/callback?code=x&state=never-started`, { from: stack.provider.issuer });
    assert.equal(counted.status, 302, 'a junk count is none: retried');
    assert.ok(counted.setCookies.some((line) => line.startsWith(`${RETRY_COOKIE}=1;`)));
  });
});

describe('callback failures in the ext_authz flavour', () => {
  it('shows the error page at once (no automatic retry)', async () => {
    const stack: Stack = await startStack();
    try {
      const response = await stack.browser().request(`${APP}/oauth2/callback?code=x&state=never-started`, { from: stack.provider.issuer });
      assert.equal(response.status, 400);
      assert.match(response.body, /Correlation id/);
      assert.ok(!response.setCookies.some((line) => line.startsWith(RETRY_COOKIE)));
    } finally {
      await stack.close();
    }
  });
});
