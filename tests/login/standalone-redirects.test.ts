// The standalone mode's redirect rules (relative targets only, grafted onto APP_ORIGIN): more
// than 100 hostile strings, raw and percent-encoded, never yield another origin or a
// protocol-relative path; a few go through the whole login to show the endpoint uses the rules.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { relativeRedirects } from '../../src/login/redirect.ts';
import { ATTACKS, checkEveryForm } from './hostile-redirects.ts';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

describe('standalone redirect validator', () => {
  const validator = relativeRedirects(APP);

  it(`never leaves the app for ${ATTACKS.length} hostile targets, raw and encoded`, () => {
    assert.ok(ATTACKS.length >= 100, `${ATTACKS.length} attack strings`);
    const refused = checkEveryForm(validator, ATTACKS, (accepted, candidate) => {
      const url = new URL(accepted);
      assert.equal(url.origin, APP, `${JSON.stringify(candidate)} → ${accepted}`);
      assert.ok(!url.pathname.startsWith('//') && !url.pathname.includes('\\'), `${JSON.stringify(candidate)} → ${accepted}`);
      assert.ok(accepted.startsWith(`${APP}/`));
    });
    assert.ok(refused >= ATTACKS.length, `most are refused outright (${refused})`);
  });

  it('keeps legitimate targets exactly, and re-checks stored ones by origin', () => {
    for (const target of ['/', '/a/b?c=d&e=%2F', '/caf%C3%A9', '/x?next=//y']) assert.equal(validator.check(target).ok && (validator.check(target) as { url: string }).url, `${APP}${target}`);
    assert.equal(validator.recheck(`${APP}/ok?x=1`).ok, true);
    assert.equal(validator.recheck('https://evil.test/ok').ok, false);
    assert.equal(validator.recheck('not a url').ok, false);
  });
});

describe('standalone redirects through the endpoints', () => {
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    app = await startUpstreamApp();
    stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, AUTO_LOGIN: 'true' } });
  });
  after(async () => {
    await stack?.close();
    await app?.close();
  });

  it('lands a login with a hostile target on the ingress home', async () => {
    for (const attack of ['//evil.test/x', '/%2F%2Fevil.test', 'https://evil.test/', '/\\evil.test', encodeURIComponent('//evil.test')]) {
      const browser = stack.browser();
      const hops = await stack.login(browser, attack);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!;
      assert.equal(callback.headers.get('location'), `${APP}/`, attack);
    }
  });

  it('builds the autologin return URL from a hostile request path without leaving the app', async () => {
    for (const path of ['//evil.test/x', '/%2F%2Fevil.test/', '/..//evil.test']) {
      const response = await stack.browser().request(`${APP}${path}`, { navigate: true });
      assert.equal(response.status, 302, path);
      const location = new URL(response.headers.get('location')!);
      assert.equal(location.origin, APP);
      const redirect = location.searchParams.get('redirect');
      if (redirect !== null) assert.equal(new URL(redirect, `${APP}/`).origin, APP, `${path} → ${redirect}`);
      assert.ok(redirect === null || !redirect.startsWith('//'), `${path} → ${redirect}`);
    }
  });

  it('sends a logout with a hostile target home after the provider', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const hops = await browser.navigate(`${APP}/oauth2/logout?redirect=${encodeURIComponent('//evil.test')}`, { from: `${APP}/` });
    const back = await browser.submitForm(hops.at(-1)!, {}, 2);
    const logoutCallback = back.find((hop) => hop.url.startsWith(`${APP}/oauth2/logout/callback`))!;
    assert.equal(logoutCallback.headers.get('location'), `${APP}/`);
  });
});
