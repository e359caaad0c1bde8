// Configuration-dependent shapes: Cognito's logout URL, the ID token hint by POST or omitted,
// local-only logout, and Envoy's ext_authz pathPrefix.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { APP, bearer, startStack } from './stack.ts';

describe('logout and check modes', () => {
  let provider: OidcTestProvider;
  before(async () => {
    provider = await startOidcTestProvider({ appOrigin: APP, publicClient: true });
  });
  after(() => provider?.close());

  it('works as a public client (no OIDC_CLIENT_SECRET: PKCE only)', async () => {
    const stack = await startStack({ provider, env: { OIDC_CLIENT_ID: `${provider.client.clientId}-public`, OIDC_CLIENT_SECRET: '' } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const check = await stack.check(browser);
      assert.equal(check.status, 200);
      assert.equal(JSON.parse(Buffer.from(check.headers.get('authorization')!.split('.')[1]!, 'base64url').toString()).aud, `${provider.client.clientId}-public`);
    } finally {
      await stack.close();
    }
  });

  it('LOGOUT_MODE=cognito sends the browser to /logout?client_id&logout_uri, with no token in the URL', async () => {
    const cognito = `${provider.issuer}/logout`;
    const stack = await startStack({ provider, env: { LOGOUT_MODE: 'cognito', COGNITO_LOGOUT_URL: cognito } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const response = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: { redirect: '/signed-out' }, from: `${APP}/` });
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location')!);
      assert.equal(`${location.origin}${location.pathname}`, cognito);
      assert.deepEqual([...location.searchParams.keys()].sort(), ['client_id', 'logout_uri']);
      assert.equal(location.searchParams.get('client_id'), provider.client.clientId);
      assert.equal(location.searchParams.get('logout_uri'), `${APP}/oauth2/logout/callback`);
      assert.equal((await stack.check(browser)).status, 401);
      // Cognito redirects to logout_uri; the service sends the browser on to the chosen target.
      const back = await browser.request(location.searchParams.get('logout_uri')!, { from: provider.issuer });
      assert.equal(back.headers.get('location'), `${APP}/signed-out`);
    } finally {
      await stack.close();
    }
  });

  it('LOGOUT_ID_TOKEN_HINT=post renders a self-submitting form under a strict CSP', async () => {
    const stack = await startStack({ provider, env: { LOGOUT_ID_TOKEN_HINT: 'post' } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const page = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: {}, from: `${APP}/` });
      assert.equal(page.status, 200);
      assert.match(page.body, new RegExp(`<form method="post" action="${provider.issuer}/session/end">`));
      assert.match(page.body, /name="id_token_hint" value="eyJ/);
      const csp = page.headers.get('content-security-policy')!;
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
      assert.ok(csp.includes(`form-action ${provider.issuer} ${APP}`));
      assert.equal((await stack.check(browser)).status, 401);
    } finally {
      await stack.close();
    }
  });

  it('LOGOUT_ID_TOKEN_HINT=omit logs out with client_id only', async () => {
    const stack = await startStack({ provider, env: { LOGOUT_ID_TOKEN_HINT: 'omit' } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const response = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: {}, from: `${APP}/` });
      const location = new URL(response.headers.get('location')!);
      assert.equal(location.searchParams.get('id_token_hint'), null);
      assert.equal(location.searchParams.get('client_id'), provider.client.clientId);
    } finally {
      await stack.close();
    }
  });

  it('LOGOUT_MODE=local ends the session here and goes straight to the target', async () => {
    const stack = await startStack({ provider, env: { LOGOUT_MODE: 'local' } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const response = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: { redirect: '/bye' }, from: `${APP}/` });
      assert.equal(response.headers.get('location'), `${APP}/bye`);
      assert.equal((await stack.check(browser)).status, 401);
    } finally {
      await stack.close();
    }
  });

  it('CHECK_PATH_PREFIX: checks arrive under Envoy\'s pathPrefix, which is stripped from the login redirect', async () => {
    const stack = await startStack({ provider, env: { CHECK_PATH_PREFIX: '/ext-authz' } });
    try {
      const browser = stack.browser();
      const denied = await browser.request(`${APP}/ext-authz/organisation/list?page=2`, { navigate: true });
      assert.equal(denied.status, 302);
      assert.equal(new URL(denied.headers.get('location')!).searchParams.get('redirect'), '/organisation/list?page=2');
      // On the waypoint `/user/oauth2/logout` arrives rewritten as `/oauth2/logout`: under the prefix
      // it is a check (401 here), never the logout endpoint run by a check request.
      const anonymous = await stack.check(stack.browser(), '/ext-authz/oauth2/logout', { 'sec-fetch-mode': 'cors' });
      assert.equal(anonymous.status, 401);
      await stack.login(browser);
      const check = await stack.check(browser, '/ext-authz/oauth2/session');
      assert.equal(check.status, 200, 'under the prefix every path is a check');
      assert.ok(bearer(check), 'the check\'s answer (the ID token), not the session endpoint\'s JSON');
      const session = await browser.request(`${APP}/oauth2/session`, { navigate: false });
      assert.equal(session.status, 200, 'the endpoints stay at /oauth2');
    } finally {
      await stack.close();
    }
  });
});
