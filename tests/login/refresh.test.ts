// Token refresh: before expiry, once per session under concurrency, and what the provider's
// answers do to the session (4xx ends it; 5xx or unreachable keeps it while its tokens are valid).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APP, bearer, jwtPayload, startStack, type Stack } from './stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const COOLDOWN_PASSED = 2100;

describe('token refresh', () => {
  let stack: Stack;
  before(async () => {
    // Tokens live 3600 s and are refreshed 1 h before expiry: always due, once the 2 s cooldown
    // since the last refresh (or the login) has passed.
    stack = await startStack({ env: { REFRESH_BEFORE_EXPIRY: '1h', REFRESH_COOLDOWN: '2s' } });
  });
  after(() => stack?.close());

  it('refreshes once when 20 checks arrive at the same time, and re-issues the cookie', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const first = await stack.check(browser);
    assert.equal(first.status, 200);
    assert.equal(first.setCookies.length, 0, 'no refresh inside the cooldown');
    const before = stack.provider.grants.refresh_token ?? 0;
    await sleep(COOLDOWN_PASSED);
    const responses = await Promise.all(Array.from({ length: 20 }, () => stack.check(browser)));
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
    assert.equal((stack.provider.grants.refresh_token ?? 0) - before, 1, 'exactly one refresh grant');
    const refreshed = responses.filter((r) => r.setCookies.some((line) => line.startsWith('__Host-oc-session=')));
    assert.ok(refreshed.length >= 1, 'the refreshed response re-issues the session cookie');
    const token = bearer(responses.find((r) => jwtPayload(bearer(r)).iat !== jwtPayload(bearer(first)).iat) ?? responses[0]!);
    assert.notEqual(token, bearer(first), 'a new ID token after the refresh');
    assert.equal(jwtPayload(token).aud, stack.provider.client.clientId);
  });

  it('ends the session when the provider rejects the refresh token (4xx)', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    await sleep(COOLDOWN_PASSED);
    stack.provider.faults.token = { status: 400, grantType: 'refresh_token' };
    try {
      const denied = await stack.check(browser);
      assert.equal(denied.status, 401);
      assert.equal((JSON.parse(denied.body) as { reason: string }).reason, 'refresh_rejected');
    } finally {
      stack.provider.faults.token = undefined;
    }
    // The cookie was cleared; even a copy of it no longer has a session on the server.
    assert.equal(browser.cookie('__Host-oc-session'), undefined);
  });

  it('keeps the session on its current tokens when the provider fails the refresh (5xx)', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const before = bearer(await stack.check(browser));
    await sleep(COOLDOWN_PASSED);
    stack.provider.faults.token = { status: 503, grantType: 'refresh_token' };
    try {
      const check = await stack.check(browser);
      assert.equal(check.status, 200);
      assert.equal(bearer(check), before);
    } finally {
      stack.provider.faults.token = undefined;
    }
    const later = await stack.check(browser);
    assert.equal(later.status, 200);
    assert.notEqual(bearer(later), before, 'refreshed once the provider is back');
    const metrics = await (await fetch(`${stack.service.metricsUrl}/metrics`)).text();
    assert.match(metrics, /oc_login_refreshes_total\{result="failed"\} [1-9]/);
    assert.match(metrics, /oc_login_refreshes_total\{result="rejected"\} [1-9]/);
  });

  it('forces a refresh on POST /oauth2/session/refresh, same-origin only', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    await sleep(COOLDOWN_PASSED);
    const crossSite = await browser.request(`${APP}/oauth2/session/refresh`, { method: 'POST', from: 'https://evil.test/', navigate: false });
    assert.equal(crossSite.status, 403);
    const response = await browser.request(`${APP}/oauth2/session/refresh`, { method: 'POST', from: `${APP}/`, navigate: false });
    assert.equal(response.status, 200);
    const body = JSON.parse(response.body) as { tokens: { refresh_cooldown: boolean } };
    assert.equal(body.tokens.refresh_cooldown, true, 'just refreshed');
  });
});

describe('token refresh with expired tokens', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ idTokenTtlSeconds: 2, env: { REFRESH_BEFORE_EXPIRY: '0s', REFRESH_COOLDOWN: '0s' } });
  });
  after(() => stack?.close());

  it('answers 503 (never allow, never log out) while the provider is down and the tokens have expired', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    assert.equal((await stack.check(browser)).status, 200);
    await sleep(2100);
    await stack.provider.pause();
    try {
      const check = await stack.check(browser);
      assert.equal(check.status, 503);
      assert.equal((JSON.parse(check.body) as { error: string }).error, 'provider_unavailable');
    } finally {
      await stack.provider.resume();
    }
    const recovered = await stack.check(browser);
    assert.equal(recovered.status, 200);
    assert.ok((jwtPayload(bearer(recovered)).exp as number) * 1000 > Date.now(), 'a fresh, unexpired ID token');
  });
});
