// Front-channel logout by `sid` (Wonderwall's GET /oauth2/logout/frontchannel): the real
// oidc-provider puts its session id in the ID tokens; the provider's logout iframe is played by a
// browser with no cookies of the app, loading the URL cross-site. Every session logged in under
// that sid ends — two browsers sharing one provider session — and no other; the sid index lives in
// each store (memory, one Redis, a Redis Cluster, where the index has its own hash tag by sid and
// the sessions it names live in other slots) and goes with the sessions (logout, TTL). Hostile sid
// and iss values get 400 and end nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireTool } from '../support/tools.ts';
import { Browser } from '../../fixtures/browser.ts';
import { startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { startCluster, type RedisCluster } from '../../fixtures/redis-topology.ts';
import { sidIndexKey } from '../../src/login/session.ts';
import { MemoryStore } from '../../src/login/store/memory.ts';
import { hashTagged, RedisStore } from '../../src/login/store/redis.ts';
import type { SessionStore } from '../../src/login/store/types.ts';
import { APP, bearer, jwtPayload, startStack, type Stack } from './stack.ts';
import { LogoutRetries } from '../../src/login/logout-retry.ts';

const redisTool = requireTool('redis-server');
const cliTool = requireTool('redis-cli');

/** A second browser on the same provider session as `browser` (its provider cookies copied): same sid. */
function sameProviderSession(browser: Browser, provider: OidcTestProvider, stack: Stack): Browser {
  const other = stack.browser();
  const host = new URL(provider.issuer).host;
  for (const cookie of browser.cookies) if (cookie.host === host || cookie.host === new URL(provider.issuer).hostname) other.cookies.push({ ...cookie });
  return other;
}

async function sidOf(stack: Stack, browser: Browser): Promise<string> {
  const check = await stack.check(browser);
  assert.equal(check.status, 200);
  const sid = jwtPayload(bearer(check)).sid;
  assert.equal(typeof sid, 'string', 'the provider puts its session id in the ID token');
  return sid as string;
}

/** Two sessions on one provider session (its sid), and one on another: the cases every logout by sid needs. */
async function twoSessionsAndAnother(stack: Stack, provider: OidcTestProvider): Promise<{ first: Browser; second: Browser; other: Browser; sid: string }> {
  const first = stack.browser();
  await stack.login(first);
  const second = sameProviderSession(first, provider, stack);
  await stack.login(second);
  const other = stack.browser();
  await stack.login(other);
  const sid = await sidOf(stack, first);
  assert.equal(await sidOf(stack, second), sid, 'one provider session, two sessions here');
  return { first, second, other, sid };
}

/** The provider's iframe: no cookies of the app, loaded from the provider's logout page. */
function frontChannel(stack: Stack, query: string) {
  return new Browser().route(APP, stack.service.url).request(`${APP}/oauth2/logout/frontchannel${query}`, {
    navigate: false,
    from: `${stack.provider.issuer}/session/end/confirm`,
    headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe', accept: 'text/html' },
  });
}

interface Topology {
  name: string;
  skip?: string;
  /** A Cluster: the slot checks apply. */
  slots?: boolean;
  start(): Promise<{ store: SessionStore; env: Record<string, string>; members(sid: string): Promise<string[]>; ttlMs?(sid: string): Promise<number>; keySlot?(key: string): Promise<number>; stop(): Promise<void> }>;
}

const TOPOLOGIES: Topology[] = [
  {
    name: 'memory',
    async start() {
      const store = new MemoryStore();
      return { store, env: {}, members: (sid) => store.setMembers(sidIndexKey(sid)), stop: () => store.close() };
    },
  },
  {
    name: 'one Redis',
    skip: redisTool.skip,
    async start() {
      const redis: RedisServer = await startRedisServer({ binary: redisTool.path });
      const store = new RedisStore({ url: redis.url });
      await store.waitUntilReady(5000);
      const client = new Redis(redis.url);
      return {
        store,
        env: { ENCRYPTION_KEY: randomBytes(32).toString('base64') },
        members: (sid) => client.smembers(`oc-login:${hashTagged(sidIndexKey(sid))}`),
        ttlMs: (sid) => client.pttl(`oc-login:${hashTagged(sidIndexKey(sid))}`),
        async stop() {
          client.disconnect();
          await store.close();
          await redis.stop();
        },
      };
    },
  },
  {
    name: 'Redis Cluster',
    skip: redisTool.skip ?? cliTool.skip,
    slots: true,
    async start() {
      const cluster: RedisCluster = await startCluster({ binary: redisTool.path, cli: cliTool.path, masters: 3, replicasPerMaster: 0 });
      const nodes = cluster.nodesList.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) }));
      const store = new RedisStore({ settings: { kind: 'redis', cluster: { nodes } } });
      await store.waitUntilReady(5000);
      return {
        store,
        env: { ENCRYPTION_KEY: randomBytes(32).toString('base64') },
        members: (sid) => store.setMembers(sidIndexKey(sid)),
        keySlot: (key) => cluster.keySlot(key),
        async stop() {
          await store.close();
          await cluster.stop();
        },
      };
    },
  },
];

for (const topology of TOPOLOGIES) {
  describe(`front-channel logout by sid (${topology.name})`, { skip: topology.skip, timeout: 120_000 }, () => {
    let provider: OidcTestProvider;
    let stack: Stack;
    let backend: Awaited<ReturnType<Topology['start']>>;
    before(async () => {
      provider = await startOidcTestProvider({ appOrigin: APP, sessionIds: true });
      backend = await topology.start();
      stack = await startStack({ provider, store: backend.store, env: { ...backend.env, SESSION_INACTIVITY_TIMEOUT: '1h' } });
    });
    after(async () => {
      await stack?.close();
      await backend?.stop();
      await provider?.close();
    });

    it('ends every session of the provider session, and only those', async () => {
      const { first, second, other, sid } = await twoSessionsAndAnother(stack, provider);
      const otherSid = await sidOf(stack, other);
      assert.notEqual(otherSid, sid);
      assert.equal((await backend.members(sid)).length, 2, 'both sessions are indexed under the sid');
      if (backend.ttlMs) {
        const ttl = await backend.ttlMs(sid);
        assert.ok(ttl > 0 && ttl <= 10 * 3600 * 1000, `the index expires with its sessions (PTTL ${ttl})`);
      }

      const answer = await frontChannel(stack, `?iss=${encodeURIComponent(provider.issuer)}&sid=${encodeURIComponent(sid)}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal((await stack.check(first)).status, 401, 'the first session ended');
      assert.equal((await stack.check(second)).status, 401, 'the second session ended');
      assert.equal((await stack.check(other)).status, 200, 'another provider session is untouched');
      assert.deepEqual(await backend.members(sid), [], 'the index is gone with them');
      const again = await frontChannel(stack, `?sid=${encodeURIComponent(sid)}`);
      assert.equal(again.status, 200, 'nothing left to end is still a 200');
      assert.ok(stack.logs.some((line) => line.includes('"msg":"front-channel logout"') && line.includes('"sessions":2')));
      assert.ok(!stack.logs.some((line) => line.includes(sid)), 'the sid itself is not logged');
    });

    it('keeps the index in step with logout', async () => {
      const browser = stack.browser();
      await stack.login(browser);
      const sid = await sidOf(stack, browser);
      assert.equal((await backend.members(sid)).length, 1);
      const local = await browser.request(`${APP}/oauth2/logout/local`, { method: 'POST', from: `${APP}/` });
      assert.equal(local.status, 302);
      assert.deepEqual(await backend.members(sid), [], 'a logout takes its session out of the index');
    });

    if (topology.slots) {
      it('tags the index by sid: its own slot, the sessions it lists in theirs', async () => {
        const keySlot = backend.keySlot;
        const browsers = [stack.browser(), stack.browser(), stack.browser()];
        for (const browser of browsers) await stack.login(browser);
        const first = browsers[0]!;
        const twin = sameProviderSession(first, provider, stack);
        await stack.login(twin);
        const sid = await sidOf(stack, first);
        const index = `oc-login:${hashTagged(sidIndexKey(sid))}`;
        assert.match(index, /^oc-login:sid:\{[A-Za-z0-9_-]+\}$/);
        const digestPart = index.slice('oc-login:sid:{'.length, -1);
        assert.equal(await keySlot!(index), await keySlot!(`{${digestPart}}`), 'the index hashes on its sid digest');
        const members = await backend.members(sid);
        assert.equal(members.length, 2);
        const slots = new Set<number>();
        for (const member of members) {
          const record = `oc-login:${hashTagged(member)}`;
          const slot = await keySlot!(record);
          slots.add(slot);
          assert.equal(await keySlot!(`oc-login:${hashTagged(`active:${member}`)}`), slot, 'a session\'s keys still share its slot');
        }
        assert.equal((await frontChannel(stack, `?sid=${encodeURIComponent(sid)}`)).status, 200);
        assert.equal((await stack.check(first)).status, 401);
        assert.equal((await stack.check(twin)).status, 401);
        for (const browser of browsers.slice(1)) assert.equal((await stack.check(browser)).status, 200);
      });
    }
  });
}

describe('front-channel logout input', () => {
  let provider: OidcTestProvider;
  let stack: Stack;
  before(async () => {
    provider = await startOidcTestProvider({ appOrigin: APP, sessionIds: true });
    stack = await startStack({ provider });
  });
  after(async () => {
    await stack?.close();
    await provider?.close();
  });

  it('answers 400 to a missing, repeated, oversized or ill-formed sid and a foreign iss, ending nothing', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const sid = await sidOf(stack, browser);
    const sidParam = `sid=${encodeURIComponent(sid)}`;
    const hostile = [
      '',
      '?sid=',
      '?iss=x',
      `?${sidParam}&${sidParam}`,
      `?sid=${'a'.repeat(257)}`,
      '?sid=a%20b',
      '?sid=a%00',
      '?sid=a%0d%0aSet-Cookie:%20x=1',
      '?sid=%22%3E%3Cscript%3E',
      '?sid=a%5Cb',
      '?sid=caf%C3%A9',
      '?sid=%E2%80%AE',
      `?${sidParam}&iss=${encodeURIComponent('https://evil.test')}`,
      `?${sidParam}&iss=${encodeURIComponent(provider.issuer)}&iss=${encodeURIComponent(provider.issuer)}`,
    ];
    for (const query of hostile) {
      const answer = await frontChannel(stack, query);
      assert.equal(answer.status, 400, query);
      assert.doesNotMatch(answer.body, /<script>/, query);
    }
    assert.equal((await stack.check(browser)).status, 200, 'no hostile request ended the session');
    assert.equal((await stack.browser().request(`${APP}/oauth2/logout/frontchannel?${sidParam}`, { method: 'POST', from: `${APP}/` })).status, 405);
    assert.equal((await frontChannel(stack, `?${sidParam}`)).status, 200);
    assert.equal((await stack.check(browser)).status, 401);
  });
});

describe('front-channel logout while the store is down (Redis paused)', { skip: redisTool.skip, timeout: 60_000 }, () => {
  let provider: OidcTestProvider;
  let redis: RedisServer;
  let store: RedisStore;
  let stack: Stack;
  before(async () => {
    provider = await startOidcTestProvider({ appOrigin: APP, sessionIds: true });
    redis = await startRedisServer({ binary: redisTool.path });
    store = new RedisStore({ url: redis.url });
    await store.waitUntilReady(5000);
    stack = await startStack({ provider, store, env: { ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
  });
  after(async () => {
    redis?.resume();
    await stack?.close();
    await store?.close();
    await redis?.stop();
    await provider?.close();
  });

  it('answers 202 and ends the sessions once the store is back', async () => {
    const { first, second, other, sid } = await twoSessionsAndAnother(stack, provider);
    const pending = async () => (await stack.service.metrics.frontChannelPending.get()).values[0]?.value ?? 0;

    redis.pause();
    try {
      const answer = await frontChannel(stack, `?sid=${encodeURIComponent(sid)}`);
      assert.equal(answer.status, 202, 'accepted: the store is down, the logout waits for it');
      assert.equal(answer.body, '');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(await pending(), 1);
      assert.equal((await frontChannel(stack, `?sid=${encodeURIComponent(sid)}`)).status, 202, 'the same sid again: still one waiting');
      assert.equal(await pending(), 1);
      assert.equal((await stack.check(first)).status, 503, 'meanwhile no check passes');
    } finally {
      redis.resume();
    }
    const deadline = Date.now() + 15_000;
    while ((await pending()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await pending(), 0, 'the retry ran once Redis answered again');
    assert.equal((await stack.check(first)).status, 401, 'the first session ended');
    assert.equal((await stack.check(second)).status, 401, 'the second session ended');
    assert.equal((await stack.check(other)).status, 200, 'another provider session is untouched');
    assert.ok(stack.logs.some((line) => line.includes('front-channel logout: done after the store came back')));
    assert.ok(!stack.logs.some((line) => line.includes(sid)), 'the sid itself is not logged');
  });
});

describe('the front-channel logout retry queue', () => {
  const quiet = () => {
    const lines: string[] = [];
    const log = (object: object, message: string) => void lines.push(`${message} ${JSON.stringify(object)}`);
    return { lines, logger: { info: log, warn: log, error: log } };
  };
  const until = async (condition: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(condition(), 'condition met in time');
  };

  it('retries with a doubling delay until the sessions are ended', async () => {
    const { lines, logger } = quiet();
    const attempts: number[] = [];
    const retries = new LogoutRetries({
      logger,
      firstDelayMs: 20,
      end: async () => {
        attempts.push(Date.now());
        if (attempts.length < 3) throw new Error('store down');
      },
    });
    assert.equal(retries.add('sid-1'), true);
    await until(() => retries.pending === 0);
    assert.equal(attempts.length, 3);
    assert.ok(attempts[2]! - attempts[1]! >= 35, `the second wait doubles the first (${attempts[2]! - attempts[1]!} ms)`);
    assert.ok(lines.some((line) => line.startsWith('front-channel logout: done after the store came back')));
  });

  it('gives up after its bound, holds at most maxPending sids, and drops them on close', async () => {
    const { lines, logger } = quiet();
    let calls = 0;
    const failing = new LogoutRetries({ logger, firstDelayMs: 10, maxDelayMs: 20, giveUpAfterMs: 100, end: async () => {
        calls++;
        throw new Error('down');
      },
    });
    failing.add('sid-a');
    await until(() => failing.pending === 0, 2000);
    assert.ok(calls >= 3, `tried a few times (${calls})`);
    assert.ok(lines.some((line) => line.startsWith('front-channel logout given up')));

    const bounded = new LogoutRetries({ logger, firstDelayMs: 60_000, maxPending: 2, end: async () => undefined });
    assert.equal(bounded.add('a'), true);
    assert.equal(bounded.add('b'), true);
    assert.equal(bounded.add('a'), true, 'a waiting sid is not counted twice');
    assert.equal(bounded.add('c'), false, 'full: the caller answers 503');
    assert.equal(bounded.pending, 2);
    bounded.close();
    assert.equal(bounded.pending, 0);
    assert.ok(lines.some((line) => line.includes('"pending":2')), 'closing says how many were dropped');
  });
});
