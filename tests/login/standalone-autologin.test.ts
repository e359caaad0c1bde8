// Autologin in the standalone sidecar: without a session, page loads go to login with the URL
// they asked for, everything else gets 401 with a Location; ignored paths (globs, plus
// /favicon.ico and /robots.txt) pass through; with autologin off every request passes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AutoLogin } from '../../src/login/http/autologin.ts';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

describe('standalone autologin', () => {
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    app = await startUpstreamApp();
    stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, AUTO_LOGIN: 'true', AUTO_LOGIN_IGNORE_PATHS: '/public/**,/assets/*.css,/health' } });
  });
  after(async () => {
    await stack?.close();
    await app?.close();
  });

  it('sends a page load to login with the URL it asked for', async () => {
    const response = await stack.browser().request(`${APP}/reports/2024?tab=a%2Fb`, { navigate: true });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, `${APP}/oauth2/login`);
    assert.equal(location.searchParams.get('redirect'), '/reports/2024?tab=a%2Fb');
  });

  it('treats Accept: text/html as a page load only without Sec-Fetch, and never redirects a script or a POST', async () => {
    const browser = stack.browser();
    const legacy = await browser.request(`${APP}/page`, { navigate: false, headers: { accept: 'text/html' } });
    assert.equal(legacy.status, 302);
    const iframe = await browser.request(`${APP}/page`, { navigate: false, headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' } });
    assert.equal(iframe.status, 401, 'an iframe cannot show the provider');
    const api = await browser.request(`${APP}/api/data`, { navigate: false, headers: { accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } });
    assert.equal(api.status, 401);
    assert.equal(api.headers.get('content-type'), 'application/json');
    assert.equal(new URL(api.headers.get('location')!).searchParams.get('redirect'), '/api/data');
    assert.equal((JSON.parse(api.body) as { error: string }).error, 'unauthenticated');
    const post = await browser.request(`${APP}/form`, { method: 'POST', form: { a: '1' }, navigate: true, from: `${APP}/` });
    assert.equal(post.status, 401);
    assert.equal(app.seen.length, 0, 'nothing reached the app');
  });

  it('lets ignored paths through without a session', async () => {
    const browser = stack.browser();
    for (const path of ['/favicon.ico', '/robots.txt', '/public/a/b/c.js', '/public', '/assets/site.css', '/health/', '/health']) {
      const response = await browser.request(`${APP}${path}`, { navigate: true });
      assert.equal(response.status, 200, `${path} passes`);
    }
    for (const path of ['/assets/deep/site.css', '/assets/site.js', '/healthz', '/publicity']) {
      const response = await browser.request(`${APP}${path}`, { navigate: true });
      assert.equal(response.status, 302, `${path} needs a login`);
    }
  });

  it('lets a request with a session through', async () => {
    const browser = stack.browser();
    const hops = await stack.login(browser, '/reports');
    assert.equal(hops.at(-1)!.url, `${APP}/reports`);
    assert.equal(hops.at(-1)!.status, 200, 'the login lands on the app page');
    assert.match(String((JSON.parse(hops.at(-1)!.body) as { headers: { authorization: string } }).headers.authorization), /^Bearer /);
  });

  it('matches globs segment by segment (unit)', () => {
    const auto = new AutoLogin(true, ['/a/*', '/b/**', '/c/*/d']);
    assert.equal(auto.applies('/a/x'), false);
    assert.equal(auto.applies('/a/x/y'), true);
    assert.equal(auto.applies('/b/x/y/z'), false);
    assert.equal(auto.applies('/c/x/d'), false);
    assert.equal(auto.applies('/c/x/y/d'), true);
    assert.equal(auto.applies('/a.x'), true, 'a dot in a pattern is literal');
    assert.equal(new AutoLogin(false, []).applies('/anything'), false);
  });
});

describe('standalone without autologin', () => {
  it('passes every request without a session through to the app', async () => {
    const app = await startUpstreamApp();
    const stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url } });
    try {
      const response = await stack.browser().request(`${APP}/private`, { navigate: true });
      assert.equal(response.status, 200);
      assert.equal(app.seen.length, 1);
    } finally {
      await stack.close();
      await app.close();
    }
  });
});
