// The standalone sidecar's /oauth2 endpoints answer as Wonderwall's do: ping, session (with its
// sentinels; active:false once timed out), session/refresh by GET and POST, logout/local 204,
// GET logout from the app (not from another site), login parameters (prompt, locale, level),
// 401 JSON to scripts at interactive endpoints, and endpoints under every ingress prefix.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

const json = (body: string) => JSON.parse(body) as Record<string, Record<string, unknown>>;

describe('Wonderwall endpoints (standalone)', () => {
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    app = await startUpstreamApp();
    stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, INGRESS: `${APP},${APP}/admin` } });
  });
  after(async () => {
    await stack?.close();
    await app?.close();
  });

  it('answers ping with pong, under every ingress', async () => {
    for (const path of ['/oauth2/ping', '/admin/oauth2/ping']) {
      const response = await stack.browser().request(`${APP}${path}`, { navigate: false });
      assert.equal(response.status, 200);
      assert.equal(response.body, 'pong');
    }
    assert.equal(app.seen.length, 0, 'endpoints are never proxied');
  });

  it('reports the session with Wonderwall sentinels, refreshes by GET and POST', async () => {
    const browser = stack.browser();
    assert.equal((await browser.request(`${APP}/oauth2/session`, { navigate: false })).status, 401);
    await stack.login(browser);
    const view = json((await browser.request(`${APP}/oauth2/session`, { navigate: false })).body);
    assert.equal(view.session!.active, true);
    assert.equal(view.session!.timeout_at, '0001-01-01T00:00:00Z');
    assert.equal(view.session!.timeout_in_seconds, -1);
    assert.doesNotMatch(JSON.stringify(view), /eyJ/, 'no token in the view');
    const get = await browser.request(`${APP}/oauth2/session/refresh`, { navigate: false, from: `${APP}/` });
    assert.equal(get.status, 200);
    const post = await browser.request(`${APP}/oauth2/session/refresh`, { method: 'POST', navigate: false, from: `${APP}/` });
    assert.equal(post.status, 200);
    assert.equal(json(post.body).tokens!.refresh_cooldown, true);
    const foreign = await browser.request(`${APP}/oauth2/session/refresh`, { method: 'POST', navigate: false, from: 'https://evil.test/' });
    assert.equal(foreign.status, 403);
  });

  it('logs out locally with 204 from a script of the app, never from another site', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const foreign = await browser.request(`${APP}/oauth2/logout/local`, { navigate: false, from: 'https://evil.test/' });
    assert.equal(foreign.status, 403);
    const local = await browser.request(`${APP}/oauth2/logout/local`, { navigate: false, from: `${APP}/page` });
    assert.equal(local.status, 204);
    assert.equal(browser.cookie('__Host-oc-session'), undefined);
    assert.equal((await browser.request(`${APP}/oauth2/session`, { navigate: false })).status, 401);
  });

  it('logs out by GET from a link in the app, refuses a script and a foreign site', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const script = await browser.request(`${APP}/oauth2/logout`, { navigate: false, from: `${APP}/` });
    assert.equal(script.status, 401);
    assert.equal(json(script.body).error as unknown, 'navigation_required');
    const foreign = await browser.request(`${APP}/oauth2/logout`, { navigate: true, from: 'https://evil.test/' });
    assert.equal(foreign.status, 403);
    const link = await browser.request(`${APP}/oauth2/logout?redirect=/bye`, { navigate: true, from: `${APP}/page` });
    assert.equal(link.status, 302);
    assert.equal(new URL(link.headers.get('location')!).origin, stack.provider.issuer, 'on to the provider logout');
    assert.equal(browser.cookie('__Host-oc-session'), undefined);
  });

  it('answers a script at login with 401 JSON, and checks prompt, level and locale', async () => {
    const browser = stack.browser();
    const script = await browser.request(`${APP}/oauth2/login`, { navigate: false, headers: { accept: 'application/json' } });
    assert.equal(script.status, 401);
    assert.equal(json(script.body).error as unknown, 'navigation_required');
    assert.equal((await browser.request(`${APP}/oauth2/login?prompt=none`)).status, 400);
    assert.equal((await browser.request(`${APP}/oauth2/login?level=idporten-loa-high`)).status, 400, 'a level the provider does not advertise');
    assert.equal((await browser.request(`${APP}/oauth2/login?locale=%22%3E`)).status, 400);
    const start = await browser.request(`${APP}/oauth2/login?prompt=select_account&locale=nb&domain_hint=example.com`);
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location')!);
    assert.equal(authorize.searchParams.get('prompt'), 'select_account');
    assert.equal(authorize.searchParams.get('ui_locales'), 'nb');
    assert.equal(authorize.searchParams.get('domain_hint'), 'example.com');
    assert.equal(authorize.searchParams.get('max_age'), null);
  });

  it('prompt=login ends the session here and makes the provider ask for the password again', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const old = browser.cookie('__Host-oc-session')!.value;
    const interactions = stack.provider.interactions;
    await stack.login(browser);
    assert.equal(stack.provider.interactions, interactions, 'control: a plain second login is silent');
    const hops = await browser.navigate(`${APP}/oauth2/login?prompt=login&redirect=/again`);
    const authorize = new URL(hops[0]!.headers.get('location')!);
    assert.equal(authorize.searchParams.get('prompt'), 'login');
    assert.equal(authorize.searchParams.get('max_age'), '0');
    assert.ok(hops[0]!.setCookies.some((line) => line.startsWith('__Host-oc-session=;')), 'the local session ends at once');
    assert.equal(stack.provider.interactions, interactions + 1, 'the password was asked again');
    assert.equal(hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!.headers.get('location'), `${APP}/again`);
    const replay = stack.browser();
    replay.storeSetCookie(`__Host-oc-session=${old}; Path=/; Secure; HttpOnly`, new URL(APP));
    assert.equal((await replay.request(`${APP}/oauth2/session`, { navigate: false })).status, 401);
  });

  it('starts a login on a prefixed ingress with its own callback and cookie path', async () => {
    const start = await stack.browser().request(`${APP}/admin/oauth2/login?redirect=/admin/page`);
    assert.equal(start.status, 302);
    assert.equal(new URL(start.headers.get('location')!).searchParams.get('redirect_uri'), `${APP}/admin/oauth2/callback`);
    assert.ok(start.setCookies.some((line) => /^oc-login-[^;]+;.*Path=\/admin\/oauth2;/.test(line)), start.setCookies.join('\n'));
    const fallback = await stack.browser().request(`${APP}/admin/oauth2/logout/local`, { method: 'POST', from: `${APP}/` });
    assert.equal(fallback.status, 204);
  });
});

describe('Wonderwall session inactivity', () => {
  it('reports a timed-out session as active:false once, then 401', async () => {
    const app = await startUpstreamApp();
    const stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, SESSION_INACTIVITY_TIMEOUT: '2s' } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const live = json((await browser.request(`${APP}/oauth2/session`, { navigate: false })).body);
      assert.equal(live.session!.active, true);
      assert.ok(Number(live.session!.timeout_in_seconds) > 0);
      await new Promise((resolve) => setTimeout(resolve, 2300));
      const timedOut = await browser.request(`${APP}/oauth2/session`, { navigate: false });
      assert.equal(timedOut.status, 200);
      assert.equal(json(timedOut.body).session!.active, false);
      assert.equal((await browser.request(`${APP}/oauth2/session`, { navigate: false })).status, 401);
    } finally {
      await stack.close();
      await app.close();
    }
  });
});
