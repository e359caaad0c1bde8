// The Redis session store against a real redis-server: sessions shared by replicas, one refresh
// across replicas, nothing readable at rest, and a Redis outage answered with 503 (never allow,
// never a login loop) and recovered from without a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireTool } from '../support/tools.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { APP, bearer, startStack, type Stack } from './stack.ts';

const redisTool = requireTool('redis-server');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis session store', { skip: redisTool.skip }, () => {
  let redis: RedisServer;
  let provider: OidcTestProvider;
  let a: Stack;
  let b: Stack;
  before(async () => {
    redis = await startRedisServer({ binary: redisTool.path });
    provider = await startOidcTestProvider({ appOrigin: APP });
    const env = {
      SESSION_STORE: 'redis',
      REDIS_URL: redis.url,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      REFRESH_BEFORE_EXPIRY: '1h',
      REFRESH_COOLDOWN: '3s',
    };
    // Two replicas of the service behind one "gateway" origin, sharing Redis and the key.
    a = await startStack({ provider, env });
    b = await startStack({ provider, env });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await provider?.close();
    await redis?.stop();
  });

  it('shares sessions between replicas', async () => {
    const browser = a.browser();
    await a.login(browser);
    const viaB = b.browser();
    viaB.storeSetCookie(`__Host-oc-session=${browser.cookie('__Host-oc-session')!.value}; Path=/; Secure`, new URL(APP));
    const check = await b.check(viaB);
    assert.equal(check.status, 200);
    assert.equal(bearer(check), bearer(await a.check(browser)));
  });

  it('stores only sealed data: no token, no session id in clear', async () => {
    const browser = a.browser();
    await a.login(browser);
    const token = bearer(await a.check(browser));
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('*');
      assert.ok(keys.length > 0);
      for (const key of keys) {
        assert.match(key, /^oc-login:(session|active|used-state|lock):/);
        const value = (await client.get(key)) ?? '';
        assert.ok(!value.includes(token.split('.')[1]!), 'no ID token payload at rest');
        // A JWT in clear is `eyJ…` segments joined by dots; the sealed value is dotless base64url,
        // which by chance contains a bare `eyJ` in about 1 run of 150.
        assert.doesNotMatch(value, /eyJ[\w-]*\.|refresh|access/);
        const ttl = await client.pttl(key);
        assert.ok(ttl > 0, `every key expires (${key})`);
      }
    } finally {
      client.disconnect();
    }
  });

  it('refreshes once across replicas when both see the session due at the same time', async () => {
    const browser = a.browser();
    await a.login(browser);
    const viaB = b.browser();
    viaB.storeSetCookie(`__Host-oc-session=${browser.cookie('__Host-oc-session')!.value}; Path=/; Secure`, new URL(APP));
    await sleep(3100);
    const before = provider.grants.refresh_token ?? 0;
    const responses = await Promise.all([...Array.from({ length: 10 }, () => a.check(browser)), ...Array.from({ length: 10 }, () => b.check(viaB))]);
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
    assert.equal((provider.grants.refresh_token ?? 0) - before, 1);
  });

  it('ends the session for every replica at logout', async () => {
    const browser = a.browser();
    await a.login(browser);
    const ticket = browser.cookie('__Host-oc-session')!.value;
    const logout = await browser.request(`${APP}/oauth2/logout/local`, { method: 'POST', form: {}, from: `${APP}/` });
    assert.equal(logout.status, 302);
    const viaB = b.browser();
    viaB.storeSetCookie(`__Host-oc-session=${ticket}; Path=/; Secure`, new URL(APP));
    assert.equal((await b.check(viaB)).status, 401);
  });

  it('answers 503 while Redis is down — checks, logins, health — and recovers when it is back', async () => {
    const browser = a.browser();
    await a.login(browser);
    assert.equal((await a.check(browser)).status, 200);
    await redis.stop();
    try {
      const check = await a.check(browser);
      assert.equal(check.status, 503, 'never an allow, never a 401 that would loop through login');
      assert.equal((JSON.parse(check.body) as { error: string }).error, 'session_store_unavailable');
      const navigation = await browser.request(`${APP}/dashboard`, { navigate: true });
      assert.equal(navigation.status, 503);
      const login = await browser.request(`${APP}/oauth2/login`);
      assert.equal(login.status, 503);
      assert.match(login.body, /session store cannot be reached/);
      assert.equal((await fetch(`${a.service.metricsUrl}/healthz`)).status, 503);
    } finally {
      await redis.restart();
    }
    // ioredis reconnects by itself; Redis came back empty (no persistence), so log in again.
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i++) {
      status = (await a.check(browser)).status;
      if (status !== 401) await sleep(100);
    }
    assert.equal(status, 401);
    await a.login(browser);
    assert.equal((await a.check(browser)).status, 200);
    const metrics = await (await fetch(`${a.service.metricsUrl}/metrics`)).text();
    assert.match(metrics, /oc_login_store_errors_total [1-9]/);
  });
});
