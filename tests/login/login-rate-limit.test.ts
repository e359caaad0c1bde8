// The login loop cut by a rate limit (Wonderwall's ratelimit.*): a browser that holds a session
// and comes back to login LOGIN_RATE_LIMIT_LOGINS times in a row gets 429 (with Retry-After), until
// LOGIN_RATE_LIMIT_WINDOW after the last login that got through. The count is kept server-side by
// provider session (sid), else by user: dropping every other cookie does not reset it, a new
// browser of another provider session is not affected, and browsers without a session — any number
// of them — are never counted. The store's counter is checked on a real Redis as on memory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool } from '../support/tools.ts';
import { startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { loadConfig } from '../../src/login/index.ts';
import { MemoryStore } from '../../src/login/store/memory.ts';
import { RedisStore } from '../../src/login/store/redis.ts';
import type { SessionStore } from '../../src/login/store/types.ts';
import type { Browser } from '../../fixtures/browser.ts';
import { APP, startStack, type Stack } from './stack.ts';

const redisTool = requireTool('redis-server');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const loginStart = (browser: Browser) => browser.request(`${APP}/oauth2/login?redirect=/again`);

describe('login rate limit', () => {
  let provider: OidcTestProvider;
  let stack: Stack;
  before(async () => {
    provider = await startOidcTestProvider({ appOrigin: APP, sessionIds: true });
    stack = await startStack({ provider, env: { LOGIN_RATE_LIMIT: 'true', LOGIN_RATE_LIMIT_LOGINS: '3', LOGIN_RATE_LIMIT_WINDOW: '3s' } });
  });
  after(async () => {
    await stack?.close();
    await provider?.close();
  });

  it('answers 429 to the login after the limit, until the window has passed', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    for (let i = 0; i < 3; i++) await stack.login(browser);
    const limited = await loginStart(browser);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.match(limited.body, /Too many sign-ins/);
    assert.match(limited.body, /Correlation id/);
    assert.equal(limited.headers.get('location'), null, 'not sent to the provider');
    // Every cookie but the session dropped: still counted (the count is not in a cookie).
    browser.cookies.splice(0, browser.cookies.length, ...browser.cookies.filter((cookie) => cookie.name === '__Host-oc-session'));
    assert.equal((await loginStart(browser)).status, 429);
    // Another provider session (another browser) is its own count.
    const other = stack.browser();
    await stack.login(other);
    await stack.login(other);
    assert.equal((await loginStart(other)).status, 302);
    // Refused attempts do not extend the window: it ends 3 s after the last login that got through.
    await sleep(3100);
    assert.equal((await loginStart(browser)).status, 302, 'the limit lifts after the window');
    assert.ok(stack.logs.some((line) => line.includes('"code":"login_rate_limited"')));
  });

  it('never counts a browser without a session: no flood of anonymous logins locks anyone out', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await loginStart(stack.browser())).status, 302);
    const browser = stack.browser();
    await stack.login(browser);
    assert.equal((await loginStart(browser)).status, 302);
  });
});

describe('login rate limit, keyed by user without a sid', () => {
  it('counts every browser of the user that holds a session', async () => {
    const stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: 'http://127.0.0.1:9', LOGIN_RATE_LIMIT_LOGINS: '2', LOGIN_RATE_LIMIT_WINDOW: '5s' } });
    try {
      const first = stack.browser();
      await stack.login(first);
      await stack.login(first);
      await stack.login(first);
      assert.equal((await loginStart(first)).status, 429);
      const second = stack.browser();
      await stack.login(second);
      assert.equal((await loginStart(second)).status, 429, 'a fresh browser of the same user does not reset it');
    } finally {
      await stack.close();
    }
  });

  it('is on in the Wonderwall modes, off in ext-authz unless asked, off with LOGIN_RATE_LIMIT=false', async () => {
    const base = { APP_ORIGIN: APP, OIDC_ISSUER: 'http://127.0.0.1:1', OIDC_CLIENT_ID: 'c' };
    assert.deepEqual(loadConfig({ ...base, LOGIN_MODE: 'standalone', UPSTREAM_URL: 'http://127.0.0.1:2' }).loginRateLimit, { enabled: true, logins: 5, windowMs: 5000 }, "Wonderwall's defaults");
    assert.equal(loadConfig(base).loginRateLimit.enabled, false, 'ext-authz keeps its behaviour');
    assert.equal(loadConfig({ ...base, LOGIN_RATE_LIMIT: 'true' }).loginRateLimit.enabled, true);
    const wonderwall = loadConfig({ ...base, UPSTREAM_URL: 'http://127.0.0.1:2', WONDERWALL_RATELIMIT_ENABLED: 'false', WONDERWALL_RATELIMIT_LOGINS: '9', WONDERWALL_RATELIMIT_WINDOW: '30s' });
    assert.deepEqual(wonderwall.loginRateLimit, { enabled: false, logins: 9, windowMs: 30_000 });
    assert.throws(() => loadConfig({ ...base, LOGIN_RATE_LIMIT_LOGINS: '0' }), /^ConfigError: LOGIN_RATE_LIMIT_LOGINS: /);
    assert.throws(() => loadConfig({ ...base, LOGIN_RATE_LIMIT_WINDOW: '2h' }), /^ConfigError: LOGIN_RATE_LIMIT_WINDOW: /);
    const stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: 'http://127.0.0.1:9', LOGIN_RATE_LIMIT: 'false' } });
    try {
      const browser = stack.browser();
      for (let i = 0; i < 8; i++) await stack.login(browser);
      assert.equal((await loginStart(browser)).status, 302);
    } finally {
      await stack.close();
    }
  });
});

describe('the store counter behind it', { skip: redisTool.skip }, () => {
  let redis: RedisServer;
  const stores: Array<[string, SessionStore]> = [];
  before(async () => {
    redis = await startRedisServer({ binary: redisTool.path });
    const store = new RedisStore({ url: redis.url });
    await store.waitUntilReady(5000);
    stores.push(['memory', new MemoryStore()], ['redis', store]);
  });
  after(async () => {
    for (const [, store] of stores) await store.close();
    await redis?.stop();
  });

  it('counts up to the limit, refuses without extending, forgets after the window', async () => {
    for (const [name, store] of stores) {
      const key = `login-attempts:${name}-probe`;
      assert.equal(await store.takeAttempt(key, 2, 400), true, name);
      assert.equal(await store.takeAttempt(key, 2, 400), true, name);
      await sleep(200);
      assert.equal(await store.takeAttempt(key, 2, 400), false, `${name}: at the limit`);
      await sleep(250);
      assert.equal(await store.takeAttempt(key, 2, 400), true, `${name}: a refusal did not extend the window`);
    }
  });
});
