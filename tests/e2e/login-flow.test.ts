// The login/logout flow in a real browser against the started stack: the four steps of "What a
// user sees" (docs LOGIN-FLOW.md) and the edges that keep it safe. One stack per gateway: the Node
// gateway, then the two real Envoys translated from the overlay (under CI=true neither may skip).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import signature from 'cookie-signature';
import { request } from 'undici';
import { loadSecrets } from '../../src/keys/index.ts';
import {
  ADMIN,
  MEMBER,
  ORG_COOKIE,
  appCookies,
  backendView,
  chromiumPath,
  GATEWAYS,
  filterWasm,
  gatewaySkip,
  isLoginPage,
  logIn,
  newContext,
  readDashboard,
  screenshot,
  startE2e,
  submitLogin,
  switchOrganisation,
  type E2e,
} from './support.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const wasm = filterWasm();
const browserPath = chromiumPath();
const skip = wasm.skip ?? browserPath.skip;

const ACME_FEATURES = ['dashboard', 'organisation-switcher', 'billing'];
const GLOBEX_FEATURES = ['dashboard', 'organisation-switcher', 'reports', 'billing'];
const SESSION_COOKIE = /^(__Host-)?oc-session$/;

async function revocations(e2e: E2e): Promise<number> {
  const response = await request(`${e2e.stack.login.metricsUrl}/metrics`);
  const text = await response.body.text();
  return Number(/oc_login_revocations_total\{result="ok"\} (\d+)/.exec(text)?.[1] ?? 0);
}

for (const gateway of GATEWAYS) describe(`login/logout flow in Chromium through the ${gateway} gateway`, { skip: skip ?? gatewaySkip(gateway), timeout: 170_000 }, () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e(wasm.path!, browserPath.path!, gateway);
  });
  after(() => e2e?.close());

  test('step 1: no session → the identity provider’s login page (also from plain HTTP)', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await page.goto(`${e2e.stack.urls.http}/`);
    assert.ok(isLoginPage(page, e2e), `on ${page.url()}`);
    await page.locator('input[name="password"]').waitFor();
    const cookies = await appCookies(context, e2e);
    assert.ok(!cookies.some((cookie) => SESSION_COOKIE.test(cookie.name)), 'no session before login');
    await screenshot(page, e2e, '1-login-page');
    await context.close();
  });

  test('step 2: log in → the dashboard shows the user, userType, first bootstrapped organisation and its features', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await logIn(page, e2e, ADMIN);
    assert.equal(page.url(), `${e2e.app}/`);
    assert.deepEqual(await readDashboard(page), { user: ADMIN.email, userType: 'admin', organisation: 'org-acme', features: ACME_FEATURES });
    await screenshot(page, e2e, '2-dashboard-after-login');

    const session = (await appCookies(context, e2e)).find((cookie) => SESSION_COOKIE.test(cookie.name));
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/');
    assert.equal(session.domain, 'localhost', 'host-only');
    // The cookie holds an opaque ticket, never a token.
    assert.ok(!session.value.startsWith('eyJ'));

    const seen = await backendView(page);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.email, ADMIN.email);
    assert.equal(seen.body.userType, 'admin');
    assert.equal(seen.body.organisation, 'org-acme');
    assert.deepEqual(seen.body.features, ACME_FEATURES);
    await context.close();
  });

  test('step 3: switching organisation shows it and its features, after a reload and after a new login', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await logIn(page, e2e, ADMIN);
    await switchOrganisation(page, 'org-globex');
    assert.deepEqual(await readDashboard(page), { user: ADMIN.email, userType: 'admin', organisation: 'org-globex', features: GLOBEX_FEATURES });
    await screenshot(page, e2e, '3-dashboard-after-switch');

    const cookie = (await appCookies(context, e2e)).find((candidate) => candidate.name === ORG_COOKIE);
    assert.ok(cookie, 'organisation cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Lax');
    // Exactly what cookie-parser signs with the current secret of the key file.
    const [current] = loadSecrets(join(e2e.stack.dataDir, 'keys.json'));
    assert.equal(signature.unsign(decodeURIComponent(cookie.value).slice(2), current!), 'org-globex');

    await page.reload();
    assert.equal((await readDashboard(page)).organisation, 'org-globex');

    // A new login (the session is gone, the organisation cookie stays) keeps the choice.
    const all = await context.cookies();
    const oldSession = all.find((candidate) => SESSION_COOKIE.test(candidate.name))!;
    await context.clearCookies();
    await context.addCookies(all.filter((candidate) => candidate !== oldSession));
    const callbacks: string[] = [];
    page.on('request', (req) => {
      if (req.url().startsWith(`${e2e.app}/oauth2/callback`)) callbacks.push(req.url());
    });
    await page.goto(`${e2e.app}/`);
    // The provider still has its own session, so it may not ask for the password; either way the
    // browser goes through a fresh code flow and lands home with a new session.
    if (isLoginPage(page, e2e)) await submitLogin(page, e2e, ADMIN);
    assert.equal(callbacks.length, 1, 'a new login happened');
    const newSession = (await appCookies(context, e2e)).find((candidate) => SESSION_COOKIE.test(candidate.name));
    assert.ok(newSession && newSession.value !== oldSession.value, 'a new session');
    assert.deepEqual(await readDashboard(page), { user: ADMIN.email, userType: 'admin', organisation: 'org-globex', features: GLOBEX_FEATURES });
    await context.close();
  });

  test('step 4: logout clears every app cookie, kills the session and the provider session, revokes the refresh token, lands home → login', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await logIn(page, e2e, ADMIN);
    await switchOrganisation(page, 'org-globex');
    const before = await appCookies(context, e2e);
    const oldSession = before.find((cookie) => SESSION_COOKIE.test(cookie.name))!;
    const revokedBefore = await revocations(e2e);

    const visited: string[] = [];
    page.on('request', (req) => {
      if (req.isNavigationRequest()) visited.push(req.url());
    });
    await page.locator('[data-testid="logout"]').click();
    await page.waitForURL(`${e2e.stack.urls.identityProvider}/**`);
    await page.locator('input[name="password"]').waitFor();
    await screenshot(page, e2e, '4-after-logout');

    // Through the provider's logout and back to the home page, which sent the browser to login.
    assert.ok(visited.includes(`${e2e.app}/`), `visited ${visited.join(' → ')}`);
    assert.ok(isLoginPage(page, e2e), 'the next login asks for the password: the provider session has ended');

    const after = await appCookies(context, e2e);
    assert.ok(!after.some((cookie) => SESSION_COOKIE.test(cookie.name)), 'session cookie gone');
    assert.ok(!after.some((cookie) => cookie.name === ORG_COOKIE), 'organisation cookie gone');
    // All that may be left is the state cookie of the login that just started.
    assert.deepEqual(after.filter((cookie) => !cookie.name.startsWith('oc-login')).map((cookie) => cookie.name), []);

    assert.equal(await revocations(e2e), revokedBefore + 1, 'the refresh token was revoked at the provider');

    // Replaying the old session cookie gets no access.
    const replay = await newContext(e2e);
    await replay.addCookies([oldSession]);
    const api = await replay.request.get(`${e2e.app}/user/me`, { headers: { accept: 'application/json' } });
    assert.equal(api.status(), 401);
    const replayPage = await replay.newPage();
    await replayPage.goto(`${e2e.app}/`);
    assert.ok(isLoginPage(replayPage, e2e));
    await replay.close();
    await context.close();
  });

  test('a client-sent organisation, features or payload header is never what a backend sees', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await logIn(page, e2e, MEMBER);
    await context.setExtraHTTPHeaders({
      'x-currently-selected-organisation': 'org-globex',
      'x-supported-features': 'everything',
      [JWT_PAYLOAD_HEADER]: Buffer.from(JSON.stringify({ sub: 'someone-else', userType: 'admin' })).toString('base64url'),
    });
    await page.reload();
    assert.deepEqual(await readDashboard(page), { user: MEMBER.email, userType: 'member', organisation: 'org-acme', features: ACME_FEATURES });
    const seen = await backendView(page);
    assert.equal(seen.body.organisation, 'org-acme');
    assert.deepEqual(seen.body.features, ACME_FEATURES);
    assert.equal(seen.body.email, MEMBER.email);
    assert.equal(seen.body.userType, 'member');
    await context.close();
  });

  test('another user’s organisation cookie selects nothing the user is not a member of', async () => {
    const adminContext = await newContext(e2e);
    const adminPage = await adminContext.newPage();
    await logIn(adminPage, e2e, ADMIN);
    await switchOrganisation(adminPage, 'org-globex');
    const stolen = (await appCookies(adminContext, e2e)).find((cookie) => cookie.name === ORG_COOKIE)!;
    await adminContext.close();

    const memberContext = await newContext(e2e);
    const memberPage = await memberContext.newPage();
    await logIn(memberPage, e2e, MEMBER);
    await memberContext.addCookies([stolen]);
    await memberPage.reload();
    // Validly signed, but Max is not in org-globex: the filter falls back to his organisation.
    assert.deepEqual(await readDashboard(memberPage), { user: MEMBER.email, userType: 'member', organisation: 'org-acme', features: ACME_FEATURES });
    assert.equal((await backendView(memberPage)).body.organisation, 'org-acme');
    await screenshot(memberPage, e2e, '5-member-with-foreign-cookie');

    // And the backend refuses to select it for him.
    const select = await memberPage.evaluate(async () => {
      const response = await fetch('/organisation/select', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'org-globex' }) });
      return response.status;
    });
    assert.equal(select, 403);
    await memberContext.close();
  });

  test('a tampered organisation cookie falls back to the first bootstrapped organisation', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await logIn(page, e2e, ADMIN);
    await switchOrganisation(page, 'org-globex');
    const cookie = (await appCookies(context, e2e)).find((candidate) => candidate.name === ORG_COOKIE)!;
    const [, sig] = decodeURIComponent(cookie.value).split('.');
    for (const forged of [`s:org-globex.${'A'.repeat(43)}`, `s:org-acme2.${sig}`, 'org-globex', `s:org-globex.${sig}=`]) {
      await context.addCookies([{ ...cookie, value: encodeURIComponent(forged) }]);
      await page.reload();
      assert.equal((await readDashboard(page)).organisation, 'org-acme', `forged ${forged}`);
    }
    await context.close();
  });

  test('without a session, API calls get 401 and navigations get the login page', async () => {
    const context = await newContext(e2e);
    for (const path of ['/user/me', '/organisation/']) {
      const response = await context.request.get(`${e2e.app}${path}`, { headers: { accept: 'application/json' }, maxRedirects: 0 });
      assert.equal(response.status(), 401, path);
    }
    const post = await context.request.post(`${e2e.app}/organisation/select`, { data: { id: 'org-acme' }, maxRedirects: 0 });
    assert.equal(post.status(), 401);
    assert.equal(post.headers()['set-cookie'], undefined);

    const page = await context.newPage();
    for (const path of ['/', '/organisation/', '/user/me']) {
      await page.goto(`${e2e.app}${path}`);
      assert.ok(isLoginPage(page, e2e), `${path} → ${page.url()}`);
    }
    await context.close();
  });

  test('a login started at a rewritten path returns to the URL the browser asked for, not the rewritten one', async () => {
    const context = await newContext(e2e);
    const page = await context.newPage();
    await page.goto(`${e2e.app}/user/me?from=e2e`);
    assert.ok(isLoginPage(page, e2e), page.url());
    await page.locator('input[name="email"]').fill(MEMBER.email);
    await page.locator('input[name="password"]').fill(MEMBER.password);
    await Promise.all([page.waitForURL(`${e2e.app}/**`), page.locator('form [type="submit"]').first().click()]);
    assert.equal(page.url(), `${e2e.app}/user/me?from=e2e`);
    await context.close();
  });

  test('logout in one tab ends the session in the other', async () => {
    const context = await newContext(e2e);
    const first = await context.newPage();
    await logIn(first, e2e, MEMBER);
    const second = await context.newPage();
    await second.goto(`${e2e.app}/`);
    assert.equal((await readDashboard(second)).user, MEMBER.email);

    await second.locator('[data-testid="logout"]').click();
    await second.waitForURL(`${e2e.stack.urls.identityProvider}/**`);

    // The first tab still shows the old page; its next API call and its reload find no session.
    assert.equal((await backendView(first)).status, 401);
    await first.reload();
    assert.ok(isLoginPage(first, e2e), `first tab on ${first.url()}`);
    await context.close();
  });
});
