// Three login-service replicas (in-process servers of src/login) on one Redis: a session made on one
// is honoured by all, a logout on one ends it for all, and a token refresh under 50 concurrent
// checks spread over the replicas reaches the provider's token endpoint exactly once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../support/tools.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import type { Browser } from '../../fixtures/browser.ts';
import { APP, bearer, startStack, type Stack } from './stack.ts';

const redisTool = requireTool('redis-server');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const COOKIE = '__Host-oc-session';

describe('three login-service replicas on one Redis', { skip: redisTool.skip, timeout: 60_000 }, () => {
  let redis: RedisServer;
  let provider: OidcTestProvider;
  let replicas: Stack[];
  before(async () => {
    redis = await startRedisServer({ binary: redisTool.path });
    provider = await startOidcTestProvider({ appOrigin: APP });
    const env = {
      SESSION_STORE: 'redis',
      REDIS_URL: redis.url,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      // Every session is due for refresh at once, but only after the cooldown since its login.
      REFRESH_BEFORE_EXPIRY: '1h',
      REFRESH_COOLDOWN: '2s',
    };
    replicas = await Promise.all([0, 1, 2].map(() => startStack({ provider, env })));
  });
  after(async () => {
    await Promise.all((replicas ?? []).map((replica) => replica.close()));
    await provider?.close();
    await redis?.stop();
  });

  /** The same browser session as seen through each replica (one cookie jar per replica). */
  function through(ticket: string): Browser[] {
    return replicas.map((replica) => {
      const browser = replica.browser();
      browser.storeSetCookie(`${COOKIE}=${ticket}; Path=/; Secure`, new URL(APP));
      return browser;
    });
  }

  it('honours a session made on one replica on every replica, and ends it everywhere at logout', async () => {
    for (const [index, origin] of replicas.entries()) {
      const browser = origin.browser();
      await origin.login(browser);
      const ticket = browser.cookie(COOKIE)!.value;
      const views = through(ticket);
      const tokens = await Promise.all(views.map(async (view, i) => bearer(await replicas[i]!.check(view))));
      assert.equal(new Set(tokens).size, 1, `replica ${index}'s session, same ID token on all three`);
      const logout = await browser.request(`${APP}/oauth2/logout/local`, { method: 'POST', form: {}, from: `${APP}/` });
      assert.equal(logout.status, 302);
      const after = await Promise.all(through(ticket).map((view, i) => replicas[i]!.check(view)));
      assert.deepEqual(after.map((response) => response.status), [401, 401, 401]);
    }
  });

  it('refreshes once for 50 concurrent checks across the replicas', async () => {
    const browser = replicas[0]!.browser();
    await replicas[0]!.login(browser);
    const ticket = browser.cookie(COOKIE)!.value;
    const before = bearer(await replicas[1]!.check(through(ticket)[1]!));
    await sleep(2100);
    const grantsBefore = provider.grants.refresh_token ?? 0;
    const views = through(ticket);
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => replicas[i % 3]!.check(views[i % 3]!)));
    assert.deepEqual(responses.map((response) => response.status), Array.from({ length: 50 }, () => 200));
    assert.equal((provider.grants.refresh_token ?? 0) - grantsBefore, 1, 'the provider saw one refresh');
    // All replicas now serve the refreshed tokens from the store.
    const after = await Promise.all(through(ticket).map(async (view, i) => bearer(await replicas[i]!.check(view))));
    assert.equal(new Set(after).size, 1);
    assert.notEqual(after[0], before, 'the tokens were refreshed');
  });
});
