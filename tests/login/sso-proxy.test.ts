// Single sign-on in a real browser: an SSO server and two SSO proxies (app A, app B, each in front
// of an echo app) on *.sso.localhost, sessions in a real Redis, a real oidc-provider, Chromium.
// Signing in once at app A signs app B in without the password; the login parameters reach the
// server (prompt=login asks again); the session endpoints answer through the proxies; logging out
// at app B ends the session at app A. The proxies' environments hold no OIDC client at all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { requireTool } from '../support/tools.ts';
import { SSO_COOKIE, SSO_DOMAIN, startSsoStack, type ProxiedApp, type SsoStack } from './sso-proxy-stack.ts';
import type { Seen } from './upstream-app.ts';

const browserTool = requireTool('/usr/bin/chromium', 'chromium');
const redisTool = requireTool('redis-server');

/** What the echo app behind a proxy saw for the page now shown. */
async function shown(page: Page): Promise<Seen> {
  return JSON.parse((await page.textContent('body')) ?? '') as Seen;
}

describe('sso-proxy in Chromium: one sign-in for the apps of a domain', { skip: browserTool.skip ?? redisTool.skip, timeout: 150_000 }, () => {
  let stack: SsoStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let a: ProxiedApp;
  let b: ProxiedApp;
  /** Every URL the page requested (main frame and fetches), in order. */
  const requested: string[] = [];

  before(async () => {
    stack = await startSsoStack({
      redisBinary: redisTool.path!,
      proxies: { a: { AUTO_LOGIN: 'true' }, b: { AUTO_LOGIN: 'true', AUTO_LOGIN_IGNORE_PATHS: '/public/**' } },
    });
    a = stack.apps.a!;
    b = stack.apps.b!;
    browser = await chromium.launch({ executablePath: browserTool.path!, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    context = await browser.newContext();
    page = await context.newPage();
    page.on('request', (req) => requested.push(req.url()));
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const since = (mark: number) => requested.slice(mark);

  test('the proxies hold no OIDC client id, secret or issuer', () => {
    for (const app of [a, b]) {
      assert.deepEqual(Object.keys(app.env).filter((name) => /OIDC|ISSUER|CLIENT|SECRET/.test(name)), [], app.origin);
      assert.doesNotMatch(app.output(), new RegExp(stack.provider.client.clientSecret), 'nor does the secret reach their logs');
    }
  });

  test('signing in at app A goes through the server once; app B is signed in without the password', async () => {
    const mark = requested.length;
    await page.goto(`${a.origin}/dashboard?x=1`);
    assert.equal(page.url(), `${a.origin}/dashboard?x=1`, 'back where the user started');
    const chain = since(mark);
    const serverLogin = chain.find((url) => url.startsWith(`${stack.serverOrigin}/oauth2/login`));
    assert.ok(chain.some((url) => url.startsWith(`${a.origin}/oauth2/login?redirect=`)), 'autologin sent the page to its own proxy first');
    assert.equal(new URL(serverLogin!).searchParams.get('redirect'), `${a.origin}/dashboard?x=1`, 'then to the server, with an absolute return URL');
    assert.equal(stack.provider.interactions, 1, 'the password was asked once');
    const atA = await shown(page);
    assert.match(String(atA.headers.authorization), /^Bearer /);
    const cookie = (await context.cookies()).find((c) => c.name === SSO_COOKIE);
    assert.equal(cookie?.domain, `.${SSO_DOMAIN}`, 'the session cookie is the whole domain\'s');
    assert.ok(cookie.httpOnly);

    const markB = requested.length;
    await page.goto(`${b.origin}/welcome`);
    assert.equal(page.url(), `${b.origin}/welcome`);
    assert.deepEqual(since(markB), [`${b.origin}/welcome`], 'no detour through the server or the provider');
    const atB = await shown(page);
    assert.equal(atB.headers.authorization, atA.headers.authorization, 'the same session, the same access token');
    assert.equal(atB.headers.cookie, undefined, 'the session cookie never reaches the app');
    assert.equal(stack.provider.interactions, 1);
  });

  test('session, session/refresh and logout/local answer through the proxies, from the server', async () => {
    await page.goto(`${b.origin}/welcome`);
    const answers = await page.evaluate(async () => {
      const session = await fetch('/oauth2/session');
      const refresh = await fetch('/oauth2/session/refresh', { method: 'POST' });
      return { session: session.status, view: (await session.json()) as { session: { active: boolean } }, refresh: refresh.status };
    });
    assert.equal(answers.session, 200);
    assert.equal(answers.view.session.active, true);
    assert.equal(answers.refresh, 200, 'a same-origin POST from the app is the server\'s to answer');
  });

  test('prompt=login at a proxy reaches the server: the password is asked again, the user lands back on the app', async () => {
    const mark = requested.length;
    await page.goto(`${a.origin}/oauth2/login?prompt=login&locale=nb&redirect=${encodeURIComponent('/again?y=2')}`);
    assert.equal(page.url(), `${a.origin}/again?y=2`);
    const serverLogin = new URL(since(mark).find((url) => url.startsWith(`${stack.serverOrigin}/oauth2/login`))!);
    assert.equal(serverLogin.searchParams.get('prompt'), 'login');
    assert.equal(serverLogin.searchParams.get('locale'), 'nb');
    const authorize = new URL(since(mark).find((url) => url.startsWith(`${stack.provider.issuer}/auth`))!);
    assert.equal(authorize.searchParams.get('prompt'), 'login');
    assert.equal(authorize.searchParams.get('ui_locales'), 'nb');
    assert.equal(stack.provider.interactions, 2, 'asked again');
    await page.goto(`${b.origin}/welcome`);
    assert.match(String((await shown(page)).headers.authorization), /^Bearer /, 'app B follows the new session');
  });

  test('logging out at app B ends the session at app A too', async () => {
    const ticket = (await context.cookies()).find((c) => c.name === SSO_COOKIE)!.value;
    await page.goto(`${b.origin}/oauth2/logout?redirect=${encodeURIComponent('/public/bye')}`);
    // The provider asks to confirm the end of its session.
    assert.ok(page.url().startsWith(stack.provider.issuer), page.url());
    await Promise.all([page.waitForURL(`${b.origin}/public/bye`), page.locator('button[name="logout"]').click()]);
    assert.equal((await shown(page)).headers.authorization, undefined, 'back on app B, signed out');
    assert.equal((await context.cookies()).find((c) => c.name === SSO_COOKIE), undefined, 'the domain cookie is gone');
    // /robots.txt is never sent to login: a page of app A to ask from.
    await page.goto(`${a.origin}/robots.txt`);
    assert.equal((await shown(page)).headers.authorization, undefined, 'app A has no session either');
    const api = await page.evaluate(async () => {
      const response = await fetch('/api/me', { headers: { accept: 'application/json' } });
      return { status: response.status, location: response.headers.get('location') };
    });
    assert.equal(api.status, 401);
    assert.equal(api.location, `${a.origin}/oauth2/login?redirect=%2Fapi%2Fme`, "autologin's Location: the proxy's own login");
    const replay = await request(`${a.url}/api/me`, { headers: { cookie: `${SSO_COOKIE}=${ticket}`, accept: 'application/json' } });
    await replay.body.dump();
    assert.equal(replay.statusCode, 401, 'the old cookie opens nothing: the session left the shared store');
  });
});
