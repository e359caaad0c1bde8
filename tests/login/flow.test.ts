// The whole code flow against a real oidc-provider, with cookies kept as a browser keeps them:
// login, the ext_authz check, the session endpoints, refresh (once under concurrency), logout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APP, bearer, jwtPayload, startStack, type Stack } from './stack.ts';

describe('login flow (memory store)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { LOGOUT_MODE: 'oidc' } });
  });
  after(() => stack?.close());

  it('denies a browser navigation without a session with a 302 to login carrying the original URL', async () => {
    const browser = stack.browser();
    const response = await browser.request(`${APP}/organisation/list?x=1&y=%2F`, { navigate: true });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.origin, APP);
    assert.equal(location.pathname, '/oauth2/login');
    assert.equal(location.searchParams.get('redirect'), '/organisation/list?x=1&y=%2F');
  });

  it('denies API calls without a session with 401 JSON', async () => {
    const response = await stack.check(stack.browser(), '/user/me');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal((JSON.parse(response.body) as { error: string }).error, 'unauthenticated');
  });

  it('treats Accept: text/html as a navigation only when Sec-Fetch is absent', async () => {
    const browser = stack.browser();
    const html = await browser.request(`${APP}/x`, { navigate: false, headers: { accept: 'text/html' } });
    assert.equal(html.status, 302);
    const fetchFromScript = await browser.request(`${APP}/x`, { navigate: false, headers: { accept: 'text/html', 'sec-fetch-mode': 'cors' } });
    assert.equal(fetchFromScript.status, 401);
    const post = await browser.request(`${APP}/x`, { method: 'POST', navigate: true });
    assert.equal(post.status, 401, 'a POST is never redirected to login');
  });

  it('logs in with code + PKCE S256 + state + nonce and lands on the requested page', async () => {
    const browser = stack.browser();
    const hops = await stack.login(browser, '/dashboard?tab=2');
    const authorize = new URL(hops[0]!.headers.get('location')!);
    assert.equal(authorize.origin, stack.provider.issuer);
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(authorize.searchParams.get('state'));
    assert.ok(authorize.searchParams.get('nonce'));
    assert.equal(authorize.searchParams.get('redirect_uri'), `${APP}/oauth2/callback`);
    const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!;
    assert.ok(new URL(callback.url).searchParams.get('iss'), 'the provider sends RFC 9207 iss');
    assert.equal(callback.headers.get('location'), `${APP}/dashboard?tab=2`);

    const cookie = browser.cookie('__Host-oc-session')!;
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.path, '/');
    assert.ok(cookie.secure && cookie.httpOnly);
    const line = callback.setCookies.find((l) => l.startsWith('__Host-oc-session='))!;
    assert.match(line, /SameSite=Lax/);
    assert.doesNotMatch(line, /Domain=/i);
    // The cookie holds only an opaque ticket: no JWT, nothing readable.
    assert.doesNotMatch(cookie.value, /^eyJ|\./);
    assert.ok(cookie.value.length < 200);
    // The login-state cookie is gone after the callback.
    assert.equal(browser.cookies.filter((c) => c.name.startsWith('oc-login-')).length, 0);

    const check = await stack.check(browser, '/dashboard');
    assert.equal(check.status, 200);
    const claims = jwtPayload(bearer(check));
    assert.equal(claims.aud, stack.provider.client.clientId);
    assert.equal(claims.iss, stack.provider.issuer);
    assert.equal(claims.sub, 'user-1');
  });

  it('issues a fresh session id at every login and kills the previous one', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const first = browser.cookie('__Host-oc-session')!.value;
    await stack.login(browser);
    const second = browser.cookie('__Host-oc-session')!.value;
    assert.notEqual(first, second);
    const replay = stack.browser();
    replay.storeSetCookie(`__Host-oc-session=${first}; Path=/; Secure; HttpOnly`, new URL(APP));
    assert.equal((await stack.check(replay)).status, 401, 'the old session is gone');
    assert.equal((await stack.check(browser)).status, 200);
  });

  it('lets several tabs log in at once (one state cookie per login)', async () => {
    const browser = stack.browser();
    const starts = await Promise.all(['/a', '/b', '/c'].map((target) => browser.request(`${APP}/oauth2/login?redirect=${target}`)));
    assert.equal(browser.cookies.filter((c) => c.name.startsWith('oc-login-')).length, 3);
    // Finish them in reverse order: each callback finds its own state cookie.
    const landed: string[] = [];
    for (const start of starts.reverse()) {
      const hops = await browser.navigate(start.headers.get('location')!, { from: APP });
      landed.push(hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!.headers.get('location')!);
    }
    assert.deepEqual(landed, [`${APP}/c`, `${APP}/b`, `${APP}/a`]);
    assert.equal(browser.cookies.filter((c) => c.name.startsWith('oc-login-')).length, 0);
  });

  it('caps parallel login-state cookies so a tab storm cannot exhaust the cookie jar', async () => {
    const browser = stack.browser();
    for (let i = 0; i < 12; i++) await browser.request(`${APP}/oauth2/login`);
    assert.ok(browser.cookies.filter((c) => c.name.startsWith('oc-login-')).length <= 5);
  });

  it('reports the session at /oauth2/session, with a logout CSRF token', async () => {
    const browser = stack.browser();
    assert.equal((await browser.request(`${APP}/oauth2/session`, { navigate: false })).status, 401);
    await stack.login(browser);
    const response = await browser.request(`${APP}/oauth2/session`, { navigate: false });
    assert.equal(response.status, 200);
    const body = JSON.parse(response.body) as { session: { active: boolean; ends_in_seconds: number }; tokens: { expire_in_seconds: number }; logout_csrf: string };
    assert.equal(body.session.active, true);
    assert.ok(body.session.ends_in_seconds > 35000);
    assert.ok(body.tokens.expire_in_seconds > 3000);
    assert.match(body.logout_csrf, /^[A-Za-z0-9_-]{43}$/);
    assert.doesNotMatch(response.body, /eyJ/, 'no token in the session view');
  });

  it('logs out through the provider: session dead, refresh token revoked, provider session ended, browser home', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const oldCookie = browser.cookie('__Host-oc-session')!.value;
    const revocationsBefore = stack.provider.revocations;
    const interactionsBefore = stack.provider.interactions;

    // The app's logout button: a same-origin form POST.
    const hops = await browser.navigate(`${APP}/oauth2/logout`, { method: 'POST', form: { redirect: '/goodbye' }, from: `${APP}/dashboard` });
    const endSession = new URL(hops[0]!.headers.get('location')!);
    assert.equal(endSession.origin, stack.provider.issuer);
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${APP}/oauth2/logout/callback`);
    assert.ok(endSession.searchParams.get('id_token_hint'));
    assert.equal(browser.cookie('__Host-oc-session'), undefined, 'session cookie expired');
    assert.equal(stack.provider.revocations, revocationsBefore + 1, 'refresh token revoked');

    // The provider asks for confirmation, then sends the browser back through logout/callback.
    const back = await browser.submitForm(hops.at(-1)!, {}, 2);
    const logoutCallback = back.find((hop) => hop.url.startsWith(`${APP}/oauth2/logout/callback`))!;
    assert.equal(logoutCallback.headers.get('location'), `${APP}/goodbye`);

    // Replaying the old cookie is denied.
    const replay = stack.browser();
    replay.storeSetCookie(`__Host-oc-session=${oldCookie}; Path=/; Secure; HttpOnly`, new URL(APP));
    assert.equal((await stack.check(replay)).status, 401);

    // The provider's session is over: the next login asks for the password again (a new
    // interaction), where a live provider session would have logged in silently.
    await stack.login(browser);
    assert.equal(stack.provider.interactions, interactionsBefore + 1);
    await stack.login(browser);
    assert.equal(stack.provider.interactions, interactionsBefore + 1, 'control: a second login is silent');
  });

  it('refuses a cross-site logout (POST from another origin, or GET without the CSRF token)', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const crossPost = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: {}, from: 'https://evil.test/' });
    assert.equal(crossPost.status, 403);
    const bareGet = await browser.request(`${APP}/oauth2/logout`);
    assert.equal(bareGet.status, 403);
    const wrongToken = await browser.request(`${APP}/oauth2/logout?csrf=AAAA`);
    assert.equal(wrongToken.status, 403);
    assert.equal((await stack.check(browser)).status, 200, 'still logged in');

    const session = JSON.parse((await browser.request(`${APP}/oauth2/session`, { navigate: false })).body) as { logout_csrf: string };
    const local = await browser.request(`${APP}/oauth2/logout/local?csrf=${session.logout_csrf}&redirect=/bye`);
    assert.equal(local.status, 302);
    assert.equal(local.headers.get('location'), `${APP}/bye`);
    assert.equal((await stack.check(browser)).status, 401);
  });

  it('lets a backend end the session with a 307 from its same-origin POST', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    // What feature-user-backend does: answer its POST /user/logout with 307 Location: /oauth2/logout.
    // The browser repeats the POST (same method, same body, Origin of the app) at the login service.
    const response = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: { redirect: '/' }, from: `${APP}/user/logout` });
    assert.equal(response.status, 302);
    assert.equal((await stack.check(browser)).status, 401);
  });

  it('never writes a token, code or cookie value to the logs', async () => {
    const browser = stack.browser();
    const hops = await stack.login(browser);
    const check = await stack.check(browser);
    const token = bearer(check);
    const code = new URL(hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!.url).searchParams.get('code')!;
    const ticket = browser.cookie('__Host-oc-session')!.value;
    const logs = stack.logs.join('\n');
    for (const secret of [token, code, ticket, stack.provider.client.clientSecret]) assert.ok(!logs.includes(secret));
    assert.ok(logs.includes('login completed'), 'logs were captured');
  });

  it('serves health and Prometheus metrics on the separate port', async () => {
    const health = await fetch(`${stack.service.metricsUrl}/healthz`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`${stack.service.metricsUrl}/metrics`)).text();
    assert.match(metrics, /oc_login_checks_total\{result="allowed"\} [1-9]/);
    assert.match(metrics, /oc_login_logins_total\{result="completed"\} [1-9]/);
    assert.match(metrics, /oc_login_provider_up 1/);
    assert.equal((await fetch(`${stack.service.url}/metrics`, { headers: { accept: 'application/json' } })).status, 401, 'metrics are not on the public port');
  });
});
