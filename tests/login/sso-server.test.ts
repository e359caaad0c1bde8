// The SSO server against a real oidc-provider: the session cookie carries Domain=SSO_DOMAIN,
// login lands on any origin of the domain (a look-alike lands on SSO_DEFAULT_REDIRECT_URL), the
// session endpoints answer CORS for the domain's origins only, and nothing is proxied.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { loadConfig } from '../../src/login/index.ts';
import { APP, startStack, type Stack } from './stack.ts';

const DOMAIN = 'app.test';
const FALLBACK = 'https://home.app.test/';
const SSO_ENV = { LOGIN_MODE: 'sso-server', SSO_DOMAIN: DOMAIN, SSO_DEFAULT_REDIRECT_URL: FALLBACK, SESSION_COOKIE_NAME: '__Secure-oc-sso' };

describe('sso-server', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: SSO_ENV });
  });
  after(async () => {
    await stack?.close();
  });
  const ssoBrowser = () => {
    // The other apps of the domain land on the server too (a 404 there is all these tests need).
    const browser = stack.browser().route('https://app-a.app.test', stack.service.url).route('https://home.app.test', stack.service.url);
    browser.acceptDomainCookies = true;
    return browser;
  };

  it('sets the session cookie for the whole domain and lands on another app of it', async () => {
    const browser = ssoBrowser();
    const hops = await stack.login(browser, 'https://app-a.app.test/welcome?x=1');
    const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!;
    assert.equal(callback.headers.get('location'), 'https://app-a.app.test/welcome?x=1');
    const cookie = browser.cookie('__Secure-oc-sso');
    assert.equal(cookie?.domain, DOMAIN);
    assert.ok(cookie.httpOnly && cookie.secure);
    // Every app of the domain now sends it.
    assert.match(browser.cookieHeader(new URL('https://app-b.app.test/')), /__Secure-oc-sso=/);
    assert.equal(browser.cookieHeader(new URL('https://evil-app.test/')), '');
  });

  it('sends look-alike targets to SSO_DEFAULT_REDIRECT_URL', async () => {
    for (const attack of ['https://evil-app.test/', 'https://app.test.evil.test/', 'https://app.test@evil.test/', '//evil.test']) {
      const hops = await stack.login(ssoBrowser(), attack);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!;
      assert.equal(callback.headers.get('location'), FALLBACK, attack);
    }
  });

  it('answers a CORS preflight from a subdomain and refuses a foreign origin', async () => {
    const preflight = (origin: string) =>
      request(`${stack.service.url}/oauth2/session/refresh`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const allowed = await preflight('https://app-b.app.test');
    await allowed.body.dump();
    assert.equal(allowed.statusCode, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app-b.app.test');
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.match(String(allowed.headers['access-control-allow-methods']), /POST/);
    for (const origin of ['https://evil-app.test', 'https://app.test.evil.test', 'null', 'https://app-b.app.test/', 'https://user@app-b.app.test']) {
      const foreign = await preflight(origin);
      await foreign.body.dump();
      assert.equal(foreign.statusCode, 403, origin);
      assert.equal(foreign.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(foreign.headers['access-control-allow-credentials'], undefined, origin);
    }
  });

  it('reads and refreshes the session from another origin of the domain, with credentials', async () => {
    const browser = ssoBrowser();
    await stack.login(browser);
    const cookie = browser.cookieHeader(new URL(`${APP}/oauth2/session`));
    const session = await request(`${stack.service.url}/oauth2/session`, { headers: { cookie, origin: 'https://app-a.app.test', 'sec-fetch-site': 'same-site' } });
    const view = (await session.body.json()) as { session: { active: boolean } };
    assert.equal(session.statusCode, 200);
    assert.equal(view.session.active, true);
    assert.equal(session.headers['access-control-allow-origin'], 'https://app-a.app.test');
    const refresh = await request(`${stack.service.url}/oauth2/session/refresh`, { method: 'POST', headers: { cookie, origin: 'https://app-a.app.test', 'sec-fetch-site': 'same-site' } });
    await refresh.body.dump();
    assert.equal(refresh.statusCode, 200);
    const forged = await request(`${stack.service.url}/oauth2/session/refresh`, { method: 'POST', headers: { cookie, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' } });
    await forged.body.dump();
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.headers['access-control-allow-origin'], undefined);
  });

  it('proxies nothing: other paths are 404', async () => {
    const response = await stack.browser().request(`${APP}/dashboard`, { navigate: false });
    assert.equal(response.status, 404);
  });
});

describe('sso-server configuration', () => {
  const base = { APP_ORIGIN: APP, OIDC_ISSUER: 'https://idp.test', OIDC_CLIENT_ID: 'c', ...SSO_ENV };
  it('refuses a missing domain, a server outside it, a foreign default and a __Host- cookie', () => {
    assert.throws(() => loadConfig({ ...base, SSO_DOMAIN: '' }), /SSO_DOMAIN/);
    assert.throws(() => loadConfig({ ...base, SSO_DOMAIN: 'other.test' }), /SSO_DOMAIN/);
    assert.throws(() => loadConfig({ ...base, SSO_DEFAULT_REDIRECT_URL: 'https://evil-app.test/' }), /SSO_DEFAULT_REDIRECT_URL/);
    assert.throws(() => loadConfig({ ...base, SESSION_COOKIE_NAME: '__Host-x' }), /SESSION_COOKIE_NAME/);
    const config = loadConfig(base);
    assert.equal(config.cookieDomain, DOMAIN);
    assert.equal(config.sso?.defaultRedirectUrl, FALLBACK);
  });
});
