// HEAD on login, logout and logout/local — the endpoints Wonderwall routes HEAD to — is answered
// in every mode as the GET with the same headers would be (status, Location, Set-Cookie, the
// session ended), with no body; the GET's checks hold for it (a foreign site still cannot log
// out, ext-authz still wants the csrf token). Other endpoints keep refusing HEAD with 405.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Browser, type BrowserResponse, type RequestOptions } from '../../fixtures/browser.ts';
import { requireTool } from '../support/tools.ts';
import { SSO_COOKIE, startSsoStack, type ProxiedApp, type SsoStack } from './sso-proxy-stack.ts';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

const redisTool = requireTool('redis-server');

const head = (browser: Browser, url: string, options: RequestOptions = {}) => browser.request(url, { ...options, method: 'HEAD' });

/** The HEAD answered as the GET: same status and headers that matter, no body where the GET had one. */
function assertLikeGet(headAnswer: BrowserResponse, getAnswer: BrowserResponse, what: string): void {
  assert.equal(headAnswer.status, getAnswer.status, what);
  assert.equal(headAnswer.body, '', `${what}: no body`);
  assert.equal(headAnswer.headers.get('content-type'), getAnswer.headers.get('content-type'), what);
  assert.equal(headAnswer.headers.get('content-length'), getAnswer.headers.get('content-length'), `${what}: the GET's length`);
}

const withoutState = (location: string | null) => {
  const url = new URL(location ?? 'about:blank');
  for (const name of ['state', 'nonce', 'code_challenge']) url.searchParams.delete(name);
  return url.href;
};

interface RelyingPartyMode {
  mode: 'ext-authz' | 'standalone' | 'sso-server';
  env: Record<string, string>;
  cookie: string;
  wonderwall: boolean;
}

const MODES: RelyingPartyMode[] = [
  { mode: 'ext-authz', env: { LOGIN_MODE: 'ext-authz' }, cookie: '__Host-oc-session', wonderwall: false },
  { mode: 'standalone', env: { LOGIN_MODE: 'standalone' }, cookie: '__Host-oc-session', wonderwall: true },
  { mode: 'sso-server', env: { LOGIN_MODE: 'sso-server', SSO_DOMAIN: 'app.test', SESSION_COOKIE_NAME: '__Secure-oc-sso' }, cookie: '__Secure-oc-sso', wonderwall: true },
];

for (const { mode, env, cookie, wonderwall } of MODES) {
  describe(`HEAD on the page endpoints (${mode})`, () => {
    let app: UpstreamApp | undefined;
    let stack: Stack;
    before(async () => {
      app = mode === 'standalone' ? await startUpstreamApp() : undefined;
      stack = await startStack({ env: { ...env, ...(app ? { UPSTREAM_URL: app.url } : {}) } });
    });
    after(async () => {
      await stack?.close();
      await app?.close();
    });
    const browser = () => {
      const made = stack.browser();
      made.acceptDomainCookies = mode === 'sso-server';
      return made;
    };
    const sessionStatus = async (who: Browser) => (await who.request(`${APP}/oauth2/session`, { navigate: false })).status;
    const csrfOf = async (who: Browser) => (JSON.parse((await who.request(`${APP}/oauth2/session`, { navigate: false })).body) as { logout_csrf: string }).logout_csrf;

    it('starts a login as the GET does: 302 to the provider with a login-state cookie, no body', async () => {
      const get = await browser().request(`${APP}/oauth2/login?redirect=/there`, { navigate: true });
      const headAnswer = await head(browser(), `${APP}/oauth2/login?redirect=/there`, { navigate: true });
      assertLikeGet(headAnswer, get, 'login');
      assert.equal(headAnswer.status, 302);
      assert.equal(withoutState(headAnswer.headers.get('location')), withoutState(get.headers.get('location')));
      assert.ok(headAnswer.headers.get('location')!.startsWith(stack.provider.issuer), headAnswer.headers.get('location')!);
      assert.ok(headAnswer.setCookies.some((line) => line.startsWith('oc-login-')), headAnswer.setCookies.join('\n'));
      if (wonderwall) {
        const script = { navigate: false, headers: { accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } };
        assertLikeGet(await head(browser(), `${APP}/oauth2/login`, script), await browser().request(`${APP}/oauth2/login`, script), 'login from a script');
        assert.equal((await head(browser(), `${APP}/oauth2/login`, script)).status, 401);
      }
    });

    it('logs out as the GET does, and only where the GET may', async () => {
      const user = browser();
      await stack.login(user);
      const foreign = await head(user, `${APP}/oauth2/logout`, { navigate: true, from: 'https://evil.test/' });
      assert.equal(foreign.status, 403, 'another site cannot log out by HEAD either');
      assert.equal(foreign.body, '');
      assert.equal(await sessionStatus(user), 200);
      // ext-authz wants the token on any GET logout; a Wonderwall mode lets the app's own page log out.
      const query = wonderwall ? '' : `&csrf=${await csrfOf(user)}`;
      const out = await head(user, `${APP}/oauth2/logout?redirect=/bye${query}`, { navigate: true, from: `${APP}/page` });
      assert.equal(out.status, 302);
      assert.equal(out.body, '');
      assert.equal(new URL(out.headers.get('location')!).origin, new URL(stack.provider.issuer).origin, 'on to the provider logout');
      assert.equal(user.cookie(cookie), undefined, 'the session cookie expired');
      assert.equal(await sessionStatus(user), 401, 'the session ended');
    });

    it('logs out locally as the GET does', async () => {
      const user = browser();
      await stack.login(user);
      if (!wonderwall) {
        assert.equal((await head(user, `${APP}/oauth2/logout/local`, { navigate: true, from: `${APP}/page` })).status, 403, 'no token, no logout');
        assert.equal(await sessionStatus(user), 200);
      }
      const query = wonderwall ? '' : `?csrf=${await csrfOf(user)}`;
      const local = await head(user, `${APP}/oauth2/logout/local${query}`, { navigate: !wonderwall, from: `${APP}/page` });
      assert.equal(local.status, wonderwall ? 204 : 302);
      assert.equal(local.body, '');
      assert.equal(user.cookie(cookie), undefined);
      assert.equal(await sessionStatus(user), 401);
    });

    it('keeps refusing HEAD where Wonderwall takes only GET', async () => {
      for (const path of ['/oauth2/callback', '/oauth2/session', '/oauth2/logout/callback']) {
        const answer = await head(browser(), `${APP}${path}`, { navigate: true });
        assert.equal(answer.status, 405, path);
        assert.doesNotMatch(answer.headers.get('allow') ?? '', /HEAD/, path);
      }
      assert.equal((await head(browser(), `${APP}/oauth2/login`, { navigate: true })).status, 302, 'login does take it');
    });
  });
}

describe('HEAD on the page endpoints (sso-proxy)', { skip: redisTool.skip, timeout: 120_000 }, () => {
  let stack: SsoStack;
  let a: ProxiedApp;
  before(async () => {
    stack = await startSsoStack({ redisBinary: redisTool.path!, proxies: { a: {} } });
    a = stack.apps.a!;
  });
  after(async () => {
    await stack?.close();
  });
  const ssoBrowser = () => {
    const browser = new Browser().route(stack.serverOrigin, stack.server.url).route(a.origin, a.url);
    browser.acceptDomainCookies = true;
    return browser;
  };
  const sessionStatus = async (who: Browser) => (await who.request(`${a.origin}/oauth2/session`, { navigate: false, from: `${a.origin}/` })).status;

  it('sends login and logout to the server as the GET does, no body', async () => {
    for (const path of ['/oauth2/login?redirect=/there&locale=nb', '/oauth2/logout?redirect=/bye']) {
      const get = await ssoBrowser().request(`${a.origin}${path}`, { navigate: true, from: `${a.origin}/page` });
      const headAnswer = await head(ssoBrowser(), `${a.origin}${path}`, { navigate: true, from: `${a.origin}/page` });
      assertLikeGet(headAnswer, get, path);
      assert.equal(headAnswer.status, 302, path);
      assert.equal(headAnswer.headers.get('location'), get.headers.get('location'), path);
      assert.ok(headAnswer.headers.get('location')!.startsWith(`${stack.serverOrigin}/oauth2/`), headAnswer.headers.get('location')!);
    }
    const script = { navigate: false, headers: { accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } };
    const refused = await head(ssoBrowser(), `${a.origin}/oauth2/login`, script);
    assertLikeGet(refused, await ssoBrowser().request(`${a.origin}/oauth2/login`, script), 'login from a script');
    assert.equal(refused.status, 401);
  });

  it('passes a HEAD logout/local to the server, which ends the session for every app', async () => {
    const user = ssoBrowser();
    const hops = await user.navigate(`${a.origin}/oauth2/login?redirect=/in`);
    assert.equal(hops.at(-1)!.url, `${a.origin}/in`, hops.map((hop) => `${hop.status} ${hop.url}`).join('\n'));
    assert.equal(await sessionStatus(user), 200);
    const foreign = await head(user, `${a.origin}/oauth2/logout/local`, { navigate: false, from: 'https://evil.test/' });
    assert.equal(foreign.status, 403, 'the server judges it by the Sec-Fetch-Site passed on');
    assert.equal(await sessionStatus(user), 200);
    const local = await head(user, `${a.origin}/oauth2/logout/local`, { navigate: false, from: `${a.origin}/page` });
    assert.equal(local.status, 204);
    assert.equal(local.body, '');
    assert.equal(user.cookie(SSO_COOKIE), undefined, "the server's expired Domain cookie came through");
    assert.equal(await sessionStatus(user), 401);
  });

  it('keeps refusing HEAD where Wonderwall takes only GET', async () => {
    for (const path of ['/oauth2/callback', '/oauth2/session', '/oauth2/logout/callback']) {
      assert.equal((await head(ssoBrowser(), `${a.origin}${path}`, { navigate: true })).status, 405, path);
    }
  });
});
