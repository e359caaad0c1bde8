// The check path's store read, as the login bench's profile changed it (store/redis.ts): reads that
// arrive in one turn of the event loop share one MGET. Each caller must still get exactly its own
// keys' values — across batch boundaries, mixed with two-key reads and missing keys — and a failed
// MGET must fail every read in it as a store outage (503), never as "no session".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRedisServer } from '../../fixtures/redis-server.ts';
import { RedisStore } from '../../src/login/store/redis.ts';
import { StoreUnavailableError } from '../../src/login/store/types.ts';
import { requireTool } from '../support/tools.ts';

const redisTool = requireTool('redis-server');

test('concurrent reads batched into MGETs each get their own values, and fail together as a store outage', { skip: redisTool.skip, timeout: 30_000 }, async () => {
  const redis = await startRedisServer({ binary: redisTool.path });
  const store = new RedisStore({ url: redis.url, tuning: { commandTimeoutMs: 500, connectTimeoutMs: 500 } });
  try {
    assert.ok(await store.waitUntilReady(5000));
    // More than one MGET's worth (128 keys), so the split between batches is exercised too.
    const count = 300;
    for (let i = 0; i < count; i++) await store.set(`session:k${i}`, `value-${i}`, 60_000);
    const singles = Array.from({ length: count }, (_, i) => store.get(`session:k${i}`));
    const pairs = Array.from({ length: 40 }, (_, i) => store.getMany([`session:k${count - 1 - i}`, `session:absent${i}`]));
    const absent = store.get('session:never-written');
    assert.deepEqual(await Promise.all(singles), Array.from({ length: count }, (_, i) => `value-${i}`));
    assert.deepEqual(await Promise.all(pairs), Array.from({ length: 40 }, (_, i) => [`value-${count - 1 - i}`, undefined]));
    assert.equal(await absent, undefined);

    await redis.stop();
    const failed = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.get(`session:k${i}`)));
    for (const outcome of failed) {
      assert.equal(outcome.status, 'rejected', 'a read with Redis down never resolves (as "no session")');
      assert.ok(outcome.reason instanceof StoreUnavailableError, String(outcome.reason));
    }
  } finally {
    await store.close();
    await redis.stop();
  }
});
