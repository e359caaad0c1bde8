// Sessions on a Redis Sentinel group (three sentinels, a master, a replica; real redis-server
// processes on loopback) while the master is killed under load: checks answer 503 during the gap,
// never 200 without a valid session, recover by themselves once a sentinel promotes the replica,
// and every session made before the kill still works (REDIS_WAIT_REPLICAS=1 put it on the replica).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../support/tools.ts';
import { startSentinelGroup, type RedisNode, type SentinelGroup } from '../../fixtures/redis-topology.ts';
import { startStack, type Stack } from './stack.ts';
import { SUITE_TIMEOUT_MS, checkThroughFailover } from './sessions-failover.ts';

const redisTool = requireTool('redis-server');

describe('sessions on Redis Sentinel through a master failover', { skip: redisTool.skip, timeout: SUITE_TIMEOUT_MS }, () => {
  let group: SentinelGroup;
  let stack: Stack;
  before(async () => {
    group = await startSentinelGroup({ binary: redisTool.path, replicas: 1, sentinels: 3, downAfterMs: 1000 });
    stack = await startStack({
      env: {
        SESSION_STORE: 'redis',
        REDIS_SENTINELS: group.sentinels,
        REDIS_SENTINEL_NAME: group.name,
        REDIS_WAIT_REPLICAS: '1',
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    });
  });
  after(async () => {
    await stack?.close();
    await group?.stop();
  });

  it('answers 200 or 503 during the gap, recovers alone, keeps every session', async (t) => {
    let old: RedisNode | undefined;
    const report = await checkThroughFailover({
      stack,
      sessions: 4,
      kill: async () => {
        old = await group.currentMaster();
        await old.kill();
      },
      promoted: async () => {
        await group.waitForNewMaster(old!);
      },
    });
    t.diagnostic(`checks ${report.checks}, live ${JSON.stringify(report.live)}, dead ${JSON.stringify(report.dead)}, recovered after ${report.recoveredAfterMs} ms`);
    assert.ok((report.live[503] ?? 0) > 0, 'the gap was seen (503s), so the checks ran through it');
    assert.ok((report.live[200] ?? 0) > 0);
    assert.ok((report.dead[503] ?? 0) > 0, 'the logged-out session was looked up in the store during the gap, and refused');
    const metrics = await (await fetch(`${stack.service.metricsUrl}/metrics`)).text();
    assert.match(metrics, /oc_login_store_errors_total [1-9]/);
  });
});
