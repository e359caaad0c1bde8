// The stack with `--redis`: sessions live in Redis, not in the login service's memory, and a
// store outage never opens the door — through either gateway.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { RunningStack } from '../../src/harness/stack.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { requireTool } from '../support/tools.ts';
import { ADMIN, GATEWAYS, backendView, capture, chromiumPath, filterWasm, gatewaySkip, readDashboard, screenshotsFor, startE2e, type E2e } from './support.ts';

const wasm = filterWasm();
const browserPath = chromiumPath();
const redisTool = requireTool('redis-server');
const skip = wasm.skip ?? browserPath.skip ?? redisTool.skip;

for (const gateway of GATEWAYS) describe(`sessions in Redis, through the ${gateway} gateway`, { skip: skip ?? gatewaySkip(gateway), timeout: 90_000 }, () => {
  let redis: RedisServer;
  let e2e: E2e;
  let stack: RunningStack;

  before(async () => {
    redis = await startRedisServer({ binary: redisTool.path! });
    e2e = await startE2e(wasm.path!, browserPath.path!, gateway, { redisUrl: redis.url, membershipCheck: false });
    stack = e2e.stack;
  });
  after(async () => {
    await e2e?.close();
    await redis?.stop();
  });

  test('the session is in Redis; with Redis down the app answers no, never yes; an emptied store means a new login', async () => {
    const context = await e2e.browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${stack.urls.app}/`);
    await page.locator('input[name="email"]').fill(ADMIN.email);
    await page.locator('input[name="password"]').fill(ADMIN.password);
    await Promise.all([page.waitForURL(`${stack.urls.app}/**`), page.locator('form [type="submit"]').first().click()]);
    assert.equal((await readDashboard(page)).user, ADMIN.email);

    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const keys = await client.dbsize();
    client.disconnect();
    assert.ok(keys >= 1, `Redis holds the session (${keys} keys)`);

    await redis.stop();
    const during = await backendView(page);
    assert.equal(during.status, 503, `store down → ${during.status}: the login service's 503 through statusOnError, not an allow, a 403 or a login loop`);
    await page.reload().catch(() => undefined);
    await capture(page, join(screenshotsFor(gateway), 'redis-down.png'));

    // A fresh, empty Redis: the session was only there, so the browser goes through a new code
    // flow (the provider still knows the user, so it may not ask for the password again).
    await redis.restart();
    // The login service's Redis client reconnects with backoff; until then checks fail closed.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const probe = await context.request.get(`${stack.urls.app}/user/me`, { headers: { accept: 'application/json' } });
      if (probe.status() === 401) break; // the store answers again, and has no such session
      assert.ok(Date.now() < deadline, `the login service did not get Redis back (last ${probe.status()})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const sessionBefore = (await context.cookies(stack.urls.app)).find((cookie) => cookie.name.endsWith('oc-session'));
    const callbacks: string[] = [];
    page.on('request', (req) => {
      if (req.url().startsWith(`${stack.urls.app}/oauth2/callback`)) callbacks.push(req.url());
    });
    await page.goto(`${stack.urls.app}/`);
    if (page.url().startsWith(stack.urls.identityProvider)) {
      await page.locator('input[name="email"]').fill(ADMIN.email);
      await page.locator('input[name="password"]').fill(ADMIN.password);
      await Promise.all([page.waitForURL(`${stack.urls.app}/**`), page.locator('form [type="submit"]').first().click()]);
    }
    assert.equal((await readDashboard(page)).user, ADMIN.email);
    assert.equal(callbacks.length, 1, 'a new login happened');
    const sessionAfter = (await context.cookies(stack.urls.app)).find((cookie) => cookie.name.endsWith('oc-session'));
    assert.notEqual(sessionAfter?.value, sessionBefore?.value);
    await context.close();
  });
});
