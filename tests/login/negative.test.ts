// Everything that must NOT yield a session or an allow: tampered and foreign cookies, expired and
// idle sessions, replayed or forged callbacks (state, iss, nonce, audience), provider errors, an
// unreachable provider at start, and malformed requests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserResponse } from '../../fixtures/browser.ts';
import { APP, startStack, type Stack } from './stack.ts';
import { startOidcTestProvider } from '../../fixtures/oidc-provider.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a login and walks the provider, stopping before the callback reaches the service. */
async function toCallback(stack: Stack, browser: Browser, mutateAuthorize?: (url: URL) => void): Promise<URL> {
  const start = await browser.request(`${APP}/oauth2/login?redirect=/x`);
  const authorize = new URL(start.headers.get('location')!);
  mutateAuthorize?.(authorize);
  let current = authorize.href;
  for (let hop = 0; hop < 10; hop++) {
    if (current.startsWith(`${APP}/oauth2/callback`)) return new URL(current);
    const response = await browser.request(current, { from: APP });
    const location = response.headers.get('location');
    if (!location) throw new Error(`provider stopped at ${response.status}: ${response.body.slice(0, 200)}`);
    current = new URL(location, current).href;
  }
  throw new Error('no callback');
}

function assertRefused(response: BrowserResponse, status: number, text: RegExp): void {
  assert.equal(response.status, status, response.body.slice(0, 300));
  assert.match(response.body, text);
  assert.match(response.body, /Correlation id: <code>[A-Za-z0-9_-]{12}<\/code>/);
  assert.ok(!response.setCookies.some((line) => line.startsWith('__Host-oc-session=') && !/Max-Age=0/.test(line)), 'no session cookie issued');
}

describe('refused logins and sessions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.close());

  it('denies a tampered session cookie and clears it', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const cookie = browser.cookie('__Host-oc-session')!;
    const bytes = Buffer.from(cookie.value, 'base64url');
    for (const index of [0, 20, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[index]! ^= 0x01;
      const evil = stack.browser();
      evil.storeSetCookie(`__Host-oc-session=${tampered.toString('base64url')}; Path=/; Secure`, new URL(APP));
      const response = await stack.check(evil);
      assert.equal(response.status, 401);
      assert.equal((JSON.parse(response.body) as { reason: string }).reason, 'invalid_ticket');
      assert.ok(response.setCookies.some((line) => /^__Host-oc-session=;.*Max-Age=0/.test(line)));
    }
    for (const junk of ['', 'x', 'a'.repeat(5000), '%00%0d%0a', '"quoted"', 'eyJhbGciOiJub25lIn0.e30.']) {
      const evil = stack.browser();
      const response = await stack.check(evil, '/x', { cookie: `__Host-oc-session=${junk}` });
      assert.equal(response.status, 401, `junk cookie ${junk.slice(0, 20)}`);
    }
    assert.equal((await stack.check(browser)).status, 200, 'the real cookie still works');
  });

  it('denies a ticket sealed by another service (another ENCRYPTION_KEY)', async () => {
    const other = await startStack({ provider: stack.provider });
    try {
      const browser = other.browser();
      await other.login(browser);
      const foreign = stack.browser();
      foreign.storeSetCookie(`__Host-oc-session=${browser.cookie('__Host-oc-session')!.value}; Path=/; Secure`, new URL(APP));
      assert.equal((await stack.check(foreign)).status, 401);
    } finally {
      await other.close();
    }
  });

  it('refuses a callback with an unknown state (no matching login in progress)', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser);
    callback.searchParams.set('state', 'not-the-state');
    assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /no login in progress matches/);
  });

  it('refuses a callback with no state at all', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser);
    callback.searchParams.delete('state');
    assertRefused(await browser.request(callback.href), 400, /no state parameter/);
  });

  it('refuses a replayed callback, with or without a copy of the state cookie', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser);
    const stateCookies = browser.cookies.filter((c) => c.name.startsWith('oc-login-')).map((c) => ({ ...c }));
    const first = await browser.request(callback.href, { from: stack.provider.issuer });
    assert.equal(first.status, 302);
    const replay = await browser.request(callback.href, { from: stack.provider.issuer });
    assertRefused(replay, 400, /no login in progress matches/);
    // An attacker who kept the state cookie: the server remembers the state was used.
    const attacker = stack.browser();
    for (const cookie of stateCookies) attacker.cookies.push(cookie);
    assertRefused(await attacker.request(callback.href, { from: stack.provider.issuer }), 400, /already used/);
  });

  it('refuses a callback whose iss is not the issuer (RFC 9207 mix-up defence)', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser);
    callback.searchParams.set('iss', 'https://evil.test');
    assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /failed validation|iss/i);
  });

  it('refuses a callback without iss when the provider advertises RFC 9207', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser);
    callback.searchParams.delete('iss');
    assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /failed validation|iss/i);
  });

  it('refuses an ID token whose nonce is not the one this login sent', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser, (authorize) => authorize.searchParams.set('nonce', 'attacker-chosen-nonce'));
    assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /failed validation|nonce/i);
  });

  it('refuses an ID token issued for another audience (validly signed by the provider)', async () => {
    const browser = stack.browser();
    stack.provider.faults.idTokenClaims = { aud: 'another-client' };
    try {
      const callback = await toCallback(stack, browser);
      assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /failed validation|aud/i);
    } finally {
      stack.provider.faults.idTokenClaims = undefined;
    }
  });

  it('refuses an ID token whose signature is not from the provider\'s keys', async () => {
    const browser = stack.browser();
    stack.provider.faults.idTokenForeignKey = true;
    try {
      const callback = await toCallback(stack, browser);
      assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /failed validation/i);
    } finally {
      stack.provider.faults.idTokenForeignKey = undefined;
    }
    // Control: the same flow with the provider's own signature succeeds.
    const callback = await toCallback(stack, browser);
    assert.equal((await browser.request(callback.href, { from: stack.provider.issuer })).status, 302);
  });

  it('refuses an ID token from another issuer, and an expired one', async () => {
    for (const claims of [{ iss: 'https://evil.test' }, { exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 4000 }]) {
      const browser = stack.browser();
      stack.provider.faults.idTokenClaims = claims;
      try {
        const callback = await toCallback(stack, browser);
        assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /failed validation/i);
      } finally {
        stack.provider.faults.idTokenClaims = undefined;
      }
    }
  });

  it('refuses a forged PKCE verifier: the code is redeemed with this login\'s verifier only', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser, (authorize) =>
      authorize.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'),
    );
    assertRefused(await browser.request(callback.href, { from: stack.provider.issuer }), 400, /rejected the authorization code/);
  });

  it('shows the provider\'s error (e.g. access_denied) without creating a session', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser);
    const error = new URL(`${APP}/oauth2/callback`);
    error.searchParams.set('error', 'access_denied<script>');
    error.searchParams.set('state', callback.searchParams.get('state')!);
    const response = await browser.request(error.href, { from: stack.provider.issuer });
    assertRefused(response, 400, /access_deniedscript/);
    assert.doesNotMatch(response.body, /<script>/);
  });

  it('answers 400 when the provider rejects the code (4xx) and 503 when it fails (5xx)', async () => {
    for (const [status, expected] of [[400, 400], [500, 503]] as const) {
      const browser = stack.browser();
      const callback = await toCallback(stack, browser);
      stack.provider.faults.token = { status, grantType: 'authorization_code' };
      try {
        const response = await browser.request(callback.href, { from: stack.provider.issuer });
        assert.equal(response.status, expected);
        assert.match(response.body, /Correlation id/);
      } finally {
        stack.provider.faults.token = undefined;
      }
    }
  });

  it('answers unknown endpoints, wrong methods and odd request targets precisely', async () => {
    const browser = stack.browser();
    assert.equal((await browser.request(`${APP}/oauth2/nope`)).status, 404);
    const wrong = await browser.request(`${APP}/oauth2/callback`, { method: 'POST', form: {} });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
    const raw = await fetch(`${stack.service.url}/oauth2/session/refresh`, { method: 'GET' });
    assert.equal(raw.status, 405);
    const big = await browser.request(`${APP}/oauth2/logout`, { method: 'POST', form: { redirect: 'x'.repeat(10000) }, from: APP });
    assert.equal(big.status, 413);
  });
});

describe('session lifetimes', () => {
  it('ends a session at its absolute lifetime', async () => {
    const stack = await startStack({ env: { SESSION_MAX_AGE: '2s' } });
    try {
      const browser = stack.browser();
      const hops = await stack.login(browser);
      const line = hops.flatMap((hop) => hop.setCookies).find((l) => l.startsWith('__Host-oc-session='))!;
      assert.match(line, /Max-Age=[12](;|$)/);
      const copy = browser.cookie('__Host-oc-session')!.value;
      assert.equal((await stack.check(browser)).status, 200);
      await sleep(2100);
      const replay = stack.browser();
      replay.storeSetCookie(`__Host-oc-session=${copy}; Path=/; Secure`, new URL(APP));
      const response = await stack.check(replay);
      assert.equal(response.status, 401);
      const navigation = await replay.request(`${APP}/home`, { navigate: true });
      assert.equal(navigation.status, 302);
    } finally {
      await stack.close();
    }
  });

  it('ends an idle session after the inactivity timeout, and activity keeps it alive', async () => {
    const stack = await startStack({ env: { SESSION_INACTIVITY_TIMEOUT: '1500ms' } });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      // 4 × 500 ms of activity outlives the 1.5 s timeout only because each check records activity.
      for (let i = 0; i < 4; i++) {
        await sleep(500);
        assert.equal((await stack.check(browser)).status, 200, `active at ${(i + 1) * 500} ms`);
      }
      const session = JSON.parse((await browser.request(`${APP}/oauth2/session`, { navigate: false })).body) as { session: { timeout_in_seconds: number | null } };
      assert.notEqual(session.session.timeout_in_seconds, null);
      await sleep(1700);
      assert.equal((await stack.check(browser)).status, 401, 'idle for longer than the timeout');
    } finally {
      await stack.close();
    }
  });
});

describe('identity provider unreachable at start', () => {
  it('retries discovery with backoff, says so, answers 503 for logins, and recovers', async () => {
    const provider = await startOidcTestProvider({ appOrigin: APP });
    await provider.pause();
    const stack = await startStack({ provider, waitReady: false });
    try {
      await sleep(700);
      const browser = stack.browser();
      const login = await browser.request(`${APP}/oauth2/login`);
      assert.equal(login.status, 503);
      assert.match(login.body, /identity provider cannot be reached/);
      assert.match(login.body, new RegExp(`<a href="${APP}/oauth2/login" data-action="retry">Try again</a>`));
      assert.equal(login.headers.get('retry-after'), '5');
      assert.equal((await fetch(`${stack.service.metricsUrl}/healthz`)).status, 503);
      const logs = stack.logs.join('\n');
      assert.match(logs, /identity provider unreachable at http:\/\/127\.0\.0\.1:\d+\/ \(.+\); retrying in \d+\.\d s \(attempt 1\)/);
      await provider.resume();
      await stack.service.ready;
      await stack.login(browser);
      assert.equal((await stack.check(browser)).status, 200);
    } finally {
      await stack.close();
      await provider.close();
    }
  });
});
