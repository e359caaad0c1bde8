// Logins through the Cognito stand-in with the real enrichment handler and onboarding: the ID
// token's userType, refresh re-running the trigger, failure policies, the M2M token cache, logout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { verifyM2mToken } from '../../../src/harness/onboarding/index.ts';
import { closedPortUrl } from '../../enrichment/support.ts';
import { ADMIN, APP, Browser, decodePayload, login, LOGOUT_URI, M2M, MEMBER, REDIRECT_URI, startLogin, startStack, submitLogin, type Stack } from './support.ts';
import { ONBOARDING_SCOPE, USER_POOL_ID } from '../../../src/topology/waypoint.ts';

type Claims = Record<string, unknown>;

function triggerLogs(stack: Stack, source: string) {
  return stack.logs.map((line) => JSON.parse(line) as Claims).filter((entry) => entry.triggerSource === source);
}

describe('login through the stand-in (V2 trigger)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  it('an admin gets an ID token with userType admin and Cognito claims', async () => {
    const result = await login(stack, new Browser(), ADMIN);
    assert.ok(result.claims, `login failed: ${JSON.stringify(result)}`);
    const claims = result.claims as Claims;
    assert.equal(claims.userType, 'admin');
    assert.equal(claims.sub, ADMIN.id);
    assert.equal(claims.aud, APP.clientId);
    assert.equal(claims.iss, stack.idp.issuer);
    assert.equal(claims.email, ADMIN.email);
    assert.equal(claims.email_verified, true);
    assert.equal(claims['cognito:username'], ADMIN.username);
    assert.equal(claims.token_use, 'id');
    assert.deepEqual(claims['cognito:groups'], ['admins']);
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(result.tokens!.refresh_token, 'a refresh token comes with every code exchange');
    assert.ok(stack.idp.issuer.endsWith(`/${USER_POOL_ID}`), stack.idp.issuer);
  });

  it('a member gets userType member and no groups claim', async () => {
    const { claims } = await login(stack, new Browser(), MEMBER);
    assert.equal((claims as Claims).userType, 'member');
    assert.equal((claims as Claims)['cognito:groups'], undefined);
  });

  it('the trigger received the event Cognito builds for a hosted login', async () => {
    const before = triggerLogs(stack, 'TokenGeneration_HostedAuth').length;
    await login(stack, new Browser(), MEMBER);
    const entries = triggerLogs(stack, 'TokenGeneration_HostedAuth');
    assert.equal(entries.length, before + 1);
    const entry = entries.at(-1)!;
    assert.equal(entry.eventVersion, '2');
    assert.equal(entry.userPoolId, USER_POOL_ID);
    assert.equal(entry.clientId, APP.clientId);
    assert.equal(entry.userId, MEMBER.id);
    assert.match(String(entry.requestId), /^[0-9a-f-]{36}$/);
  });

  it('a wrong password shows a clear error and never reaches the callback', async () => {
    const browser = new Browser();
    const start = await startLogin(stack.config);
    const wrong = await submitLogin(browser, start, ADMIN.email, 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.match(wrong.html!, /Incorrect username or password\./);
    assert.match(wrong.html!, /value="ada\.admin@acme\.example"/, 'the email is kept');
    const unknown = await submitLogin(new Browser(), await startLogin(stack.config), 'nobody@acme.example', 'x');
    assert.equal(unknown.status, 401);
    assert.match(unknown.html!, /Incorrect username or password\./);
  });

  it('a refresh runs the trigger again: a privilege change shows in the new ID token', async () => {
    const { tokens } = await login(stack, new Browser(), ADMIN);
    assert.equal(decodePayload(tokens!.id_token!).userType, 'admin');
    stack.onboarding.setPrivilege(ADMIN.id, 'ORG_MEMBER');
    try {
      const refreshed = await oidc.refreshTokenGrant(stack.config, tokens!.refresh_token!);
      const claims = decodePayload(refreshed.id_token!);
      assert.equal(claims.userType, 'member');
      assert.equal(claims.sub, ADMIN.id);
      assert.deepEqual(claims['cognito:groups'], ['admins']);
      assert.ok(triggerLogs(stack, 'TokenGeneration_RefreshTokens').length >= 1);
    } finally {
      stack.onboarding.setPrivilege(ADMIN.id, 'ORG_ADMIN');
    }
  });

  it('the M2M token is cached: one token request for many logins', async () => {
    for (let i = 0; i < 3; i++) await login(stack, new Browser(), MEMBER);
    assert.equal(stack.idp.tokenGrants('client_credentials'), 1);
    assert.equal(stack.handler.tokens.requests, 1);
  });

  it('with a provider session the next authorization skips the password but still runs the trigger', async () => {
    const browser = new Browser();
    await login(stack, browser, MEMBER);
    const before = triggerLogs(stack, 'TokenGeneration_HostedAuth').length;
    const start = await startLogin(stack.config);
    const result = await browser.follow(start.authorizationUrl.href, REDIRECT_URI);
    assert.equal(result.response, undefined, 'no page: straight back to the callback');
    const callback = new URL(result.url);
    assert.ok(callback.searchParams.get('code'));
    assert.equal(triggerLogs(stack, 'TokenGeneration_HostedAuth').length, before + 1);
  });

  it('OIDC end-session ends the provider session at once: the next login asks for the password', async () => {
    const browser = new Browser();
    const { tokens } = await login(stack, browser, ADMIN);
    const endSession = oidc.buildEndSessionUrl(stack.config, {
      id_token_hint: tokens!.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 'after-logout',
    });
    const response = await browser.request(endSession.href);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), `${LOGOUT_URI}?state=after-logout`);
    const next = await browser.follow((await startLogin(stack.config)).authorizationUrl.href, REDIRECT_URI);
    assert.equal(next.response?.status, 200);
    assert.match(next.response!.body, /name="password"/);
    await assert.rejects(oidc.refreshTokenGrant(stack.config, tokens!.refresh_token!), { error: 'invalid_grant' });
  });

  it('end-session without a provider session still redirects at once, and sets no session', async () => {
    const browser = new Browser();
    const endSession = oidc.buildEndSessionUrl(stack.config, { post_logout_redirect_uri: LOGOUT_URI, client_id: APP.clientId });
    const response = await browser.request(endSession.href);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), LOGOUT_URI);
    assert.equal(browser.cookie('_session'), undefined);
  });

  it("Cognito's /logout?client_id&logout_uri ends the session and redirects", async () => {
    const browser = new Browser();
    await login(stack, browser, MEMBER);
    const url = `${stack.idp.logoutUrl}?${new URLSearchParams({ client_id: APP.clientId, logout_uri: LOGOUT_URI })}`;
    const response = await browser.request(url);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), LOGOUT_URI);
    const next = await browser.follow((await startLogin(stack.config)).authorizationUrl.href, REDIRECT_URI);
    assert.match(next.response!.body, /name="password"/);
  });

  it('/logout refuses an unregistered logout_uri or an unknown client', async () => {
    const bad = await fetch(`${stack.idp.logoutUrl}?${new URLSearchParams({ client_id: APP.clientId, logout_uri: 'https://evil.example/' })}`, { redirect: 'manual' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /logout_uri is not a registered sign-out URL/);
    const unknown = await fetch(`${stack.idp.logoutUrl}?${new URLSearchParams({ client_id: 'nope', logout_uri: LOGOUT_URI })}`, { redirect: 'manual' });
    assert.equal(unknown.status, 400);
  });

  it('a revoked refresh token cannot refresh', async () => {
    const { tokens } = await login(stack, new Browser(), MEMBER);
    await oidc.tokenRevocation(stack.config, tokens!.refresh_token!, { token_type_hint: 'refresh_token' });
    await assert.rejects(oidc.refreshTokenGrant(stack.config, tokens!.refresh_token!), { error: 'invalid_grant' });
  });

  it('M2M access tokens are Cognito-shaped JWTs that onboarding accepts, and ID tokens are not', async () => {
    const m2m = await oidc.discovery(new URL(stack.idp.issuer), M2M.clientId, M2M.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const { access_token: token } = await oidc.clientCredentialsGrant(m2m, { scope: ONBOARDING_SCOPE });
    const claims = await verifyM2mToken(token, { issuer: stack.idp.issuer, jwksUri: stack.idp.jwksUri, scope: ONBOARDING_SCOPE });
    assert.equal(claims.token_use, 'access');
    assert.equal(claims.client_id, M2M.clientId);
    assert.equal(claims.sub, M2M.clientId);
    assert.equal(claims.scope, ONBOARDING_SCOPE);
    const ok = await fetch(`${stack.onboarding.url}/users/${ADMIN.id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { id: ADMIN.id, email: ADMIN.email, privilege: 'ORG_ADMIN', organisations: ['org-acme', 'org-globex'] });
    const { tokens } = await login(stack, new Browser(), MEMBER);
    const refused = await fetch(`${stack.onboarding.url}/users/${ADMIN.id}`, { headers: { authorization: `Bearer ${tokens!.id_token}` } });
    assert.equal(refused.status, 401);
  });

  it('the app client cannot use client credentials', async () => {
    await assert.rejects(oidc.clientCredentialsGrant(stack.config, { scope: ONBOARDING_SCOPE }), {
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
  });
});

describe('failure policies through the stand-in', () => {
  it('onboarding down + deny: the login fails at the callback with a clear message', async () => {
    const stack = await startStack({ settings: { onboardingUrl: await closedPortUrl() } });
    try {
      const browser = new Browser();
      const result = await login(stack, browser, ADMIN);
      assert.equal(result.error, 'invalid_request');
      assert.equal(result.errorDescription, 'PreTokenGeneration failed with error cannot set userType: cannot reach onboarding (ECONNREFUSED, after one retry).');
      assert.equal(result.stateMatches, true);
      const next = await browser.follow((await startLogin(stack.config)).authorizationUrl.href, REDIRECT_URI);
      assert.match(next.response!.body, /name="password"/, 'a denied login leaves no session');
    } finally {
      await stack.close();
    }
  });

  it('onboarding down + omit: the login succeeds without userType', async () => {
    const stack = await startStack({ settings: { onboardingUrl: await closedPortUrl(), failurePolicy: 'omit' } });
    try {
      const { claims } = await login(stack, new Browser(), ADMIN);
      assert.ok(claims);
      assert.equal((claims as Claims).userType, undefined);
      assert.deepEqual((claims as Claims)['cognito:groups'], ['admins'], 'groups survive');
    } finally {
      await stack.close();
    }
  });

  it('onboarding gone before a refresh + deny: the refresh fails, as Cognito fails it', async () => {
    const stack = await startStack();
    try {
      const { tokens } = await login(stack, new Browser(), ADMIN);
      await stack.onboarding.close();
      await assert.rejects(oidc.refreshTokenGrant(stack.config, tokens!.refresh_token!), (error: { error?: string; error_description?: string }) => {
        assert.equal(error.error, 'invalid_request');
        assert.match(error.error_description ?? '', /^PreTokenGeneration failed with error cannot set userType: cannot reach onboarding/);
        return true;
      });
    } finally {
      await stack.close();
    }
  });

  it('the M2M token is refetched after it expires', async () => {
    // 5 s lifetime: the handler stops using the token 0.5 s early (a tenth), at 4.5 s.
    const stack = await startStack({ m2mTtl: 5 });
    try {
      await login(stack, new Browser(), MEMBER);
      await login(stack, new Browser(), MEMBER);
      assert.equal(stack.idp.tokenGrants('client_credentials'), 1);
      await sleep(4600);
      const { claims } = await login(stack, new Browser(), MEMBER);
      assert.equal((claims as Claims).userType, 'member');
      assert.equal(stack.idp.tokenGrants('client_credentials'), 2);
    } finally {
      await stack.close();
    }
  });
});

describe('event versions', () => {
  it('V1: userType lands in the ID token', async () => {
    const stack = await startStack({ version: '1' });
    try {
      const { claims } = await login(stack, new Browser(), ADMIN);
      assert.equal((claims as Claims).userType, 'admin');
      assert.equal(triggerLogs(stack, 'TokenGeneration_HostedAuth').at(-1)!.eventVersion, '1');
    } finally {
      await stack.close();
    }
  });

  it('V3: also runs for the client-credentials token, which the handler passes through', async () => {
    const stack = await startStack({ version: '3' });
    try {
      const { claims } = await login(stack, new Browser(), MEMBER);
      assert.equal((claims as Claims).userType, 'member');
      const machine = triggerLogs(stack, 'TokenGeneration_ClientCredentials');
      assert.equal(machine.length, 1);
      assert.equal(machine[0]!.msg, 'client credentials token, passing through');
      assert.equal(machine[0]!.clientId, M2M.clientId);
    } finally {
      await stack.close();
    }
  });
});
