// Sessions on a Redis Cluster (three masters, one replica each; real redis-server processes on
// loopback): every key of one session — record, activity, refresh lock — hashes to one slot (asked
// of the cluster itself with CLUSTER KEYSLOT), and a master killed under load gives the same
// guarantees as a Sentinel failover: 200 or 503 during the gap, never 200 without a valid session,
// recovery on its own after the replica's promotion, no session made before the kill lost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireTool } from '../support/tools.ts';
import { startCluster, type RedisCluster, type RedisNode } from '../../fixtures/redis-topology.ts';
import { hashTagged } from '../../src/login/store/redis.ts';
import { startStack, type Stack } from './stack.ts';
import { SUITE_TIMEOUT_MS, checkThroughFailover } from './sessions-failover.ts';

const redisTool = requireTool('redis-server');
const cliTool = requireTool('redis-cli');

/** Every key in the cluster, read from each master. */
async function allKeys(cluster: RedisCluster): Promise<string[]> {
  const keys: string[] = [];
  for (const node of cluster.nodes.filter((candidate) => candidate.alive)) {
    const client = new Redis({ host: '127.0.0.1', port: node.port, lazyConnect: true });
    try {
      await client.connect();
      if (/role:master/.test(await client.info('replication'))) keys.push(...(await client.keys('*')));
    } finally {
      client.disconnect();
    }
  }
  return keys;
}

describe('sessions on Redis Cluster', { skip: redisTool.skip ?? cliTool.skip, timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: RedisCluster;
  let stack: Stack;
  before(async () => {
    cluster = await startCluster({ binary: redisTool.path, cli: cliTool.path, masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1500 });
    stack = await startStack({
      env: {
        SESSION_STORE: 'redis',
        REDIS_CLUSTER_NODES: cluster.nodesList,
        REDIS_WAIT_REPLICAS: '1',
        // An activity key per session, so the slot check covers more than the record.
        SESSION_INACTIVITY_TIMEOUT: '1h',
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    });
  });
  after(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  it('keeps every key of one session, and its refresh lock, in one slot', async () => {
    for (let i = 0; i < 3; i++) await stack.login(stack.browser());
    const keys = await allKeys(cluster);
    const records = keys.filter((key) => /^oc-login:session:\{[^}]+\}$/.test(key));
    assert.ok(records.length >= 3, `session records found: ${keys.join(' ')}`);
    const slots = new Set<number>();
    for (const record of records) {
      const storeKey = record.slice('oc-login:'.length).replace(/[{}]/g, '');
      const related = keys.filter((key) => key !== record && key.replace(/[{}]/g, '').endsWith(storeKey));
      assert.ok(related.some((key) => key.startsWith('oc-login:active:')), `the activity key of ${record} is stored`);
      const slot = await cluster.keySlot(record);
      slots.add(slot);
      for (const key of related) assert.equal(await cluster.keySlot(key), slot, `${key} shares the slot of ${record}`);
      // The refresh lock's name as the core builds it (`lock:` + the session's store key), as the
      // store writes it.
      const lock = `oc-login:${hashTagged(`lock:${storeKey}`)}`;
      assert.equal(await cluster.keySlot(lock), slot, `${lock} shares the slot of ${record}`);
    }
    assert.ok(slots.size > 1 || records.length < 3, 'different sessions spread over slots');
  });

  it('answers 200 or 503 while a master fails over, recovers alone, keeps every session', async (t) => {
    let victim: RedisNode | undefined;
    let slot = -1;
    const earlier = new Set(await allKeys(cluster));
    const report = await checkThroughFailover({
      stack,
      sessions: 4,
      kill: async () => {
        // The master holding the first session: its checks must cross the gap.
        const keys = await allKeys(cluster);
        const record = keys.find((key) => /^oc-login:session:\{/.test(key) && !earlier.has(key))!;
        slot = await cluster.keySlot(record);
        victim = await cluster.masterOf(slot);
        await victim.kill();
      },
      promoted: async () => {
        await cluster.waitForPromotion(victim!, slot);
      },
    });
    t.diagnostic(`checks ${report.checks}, live ${JSON.stringify(report.live)}, dead ${JSON.stringify(report.dead)}, recovered after ${report.recoveredAfterMs} ms`);
    assert.ok((report.live[503] ?? 0) > 0, 'the gap was seen (503s)');
    assert.ok((report.live[200] ?? 0) > 0);
  });
});
