// Session store settings: each Redis topology (URL, Sentinel, Cluster) with TLS, ACL credentials and
// WAIT read into one shape; every contradiction rejected with an error naming the setting and never
// echoing a password; the memory store bounded, its evictions counted in the login metrics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, SETTINGS } from '../../src/login/index.ts';
import { MemoryStore } from '../../src/login/store/memory.ts';
import { createSessionStore } from '../../src/login/store/create.ts';
import { hashTagged } from '../../src/login/store/redis.ts';
import { createMetrics } from '../../src/login/metrics.ts';
import { configRefusal } from '../support/config-refusal.ts';

const BASE = {
  APP_ORIGIN: 'https://localhost:8443',
  OIDC_ISSUER: 'https://idp.example.com/pool',
  OIDC_CLIENT_ID: 'app-client',
  SESSION_STORE: 'redis',
  ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
};

const rejects = (env: Record<string, string>, setting: string) => configRefusal({ ...BASE, ...env }, setting);

describe('session store settings', () => {
  it('reads a Sentinel group with ACL credentials for the nodes and the sentinels, TLS and WAIT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-store-config-'));
    try {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const config = loadConfig({
        ...BASE,
        REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379,[fd00::3]:26379',
        REDIS_SENTINEL_NAME: 'sessions',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_USERNAME: 'login',
        REDIS_PASSWORD: 'node-secret',
        REDIS_TLS: 'true',
        REDIS_TLS_CA_FILE: caFile,
        REDIS_WAIT_REPLICAS: '1',
        REDIS_WAIT_TIMEOUT: '250ms',
      });
      assert.deepEqual(config.store, {
        kind: 'redis',
        sentinel: {
          nodes: [
            { host: '10.0.0.1', port: 26379 },
            { host: '10.0.0.2', port: 26379 },
            { host: 'fd00::3', port: 26379 },
          ],
          name: 'sessions',
          password: 'sentinel-secret',
        },
        username: 'login',
        password: 'node-secret',
        tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
        wait: { replicas: 1, timeoutMs: 250 },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a Cluster from flags, and a rediss:// URL as TLS; a plain URL stays just a URL', () => {
    const cluster = loadConfig({ ...BASE }, ['--redis-cluster-nodes=127.0.0.1:7000,127.0.0.1:7001', '--redis-wait-replicas=1']);
    assert.deepEqual(cluster.store, { kind: 'redis', cluster: { nodes: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }] }, wait: { replicas: 1, timeoutMs: 500 } });
    assert.deepEqual(loadConfig({ ...BASE, REDIS_URL: 'rediss://cache.example:6380' }).store, { kind: 'redis', url: 'rediss://cache.example:6380', tls: {} });
    assert.deepEqual(loadConfig({ ...BASE, REDIS_URL: 'redis://127.0.0.1:6379' }).store, { kind: 'redis', url: 'redis://127.0.0.1:6379' });
  });

  it('names the setting of every contradiction', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'REDIS_URL'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
      [{ REDIS_SENTINELS: 'b:26379', REDIS_CLUSTER_NODES: 'c:7000' }, 'REDIS_CLUSTER_NODES'],
      [{ REDIS_SENTINELS: 'b:26379' }, 'REDIS_SENTINEL_NAME'],
      [{ REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'bad name' }, 'REDIS_SENTINEL_NAME'],
      [{ REDIS_SENTINELS: 'b', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
      [{ REDIS_SENTINELS: 'b:0', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
      [{ REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm', REDIS_SENTINEL_USERNAME: 'u' }, 'REDIS_SENTINEL_PASSWORD'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME'],
      [{ REDIS_CLUSTER_NODES: ',' }, 'REDIS_CLUSTER_NODES'],
      [{ REDIS_URL: 'redis://u:p@a:6379', REDIS_PASSWORD: 'other' }, 'REDIS_PASSWORD'],
      [{ REDIS_CLUSTER_NODES: 'c:7000', REDIS_USERNAME: 'u' }, 'REDIS_PASSWORD'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_TLS: 'true' }, 'REDIS_TLS'],
      [{ REDIS_CLUSTER_NODES: 'c:7000', REDIS_TLS: 'perhaps' }, 'REDIS_TLS'],
      [{ REDIS_CLUSTER_NODES: 'c:7000', REDIS_TLS_CA_FILE: '/etc/hostname' }, 'REDIS_TLS_CA_FILE'],
      [{ REDIS_CLUSTER_NODES: 'c:7000', REDIS_TLS: 'true', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, 'REDIS_TLS_CA_FILE'],
      [{ REDIS_CLUSTER_NODES: 'c:7000', REDIS_TLS: 'true', REDIS_TLS_CA_FILE: '/etc/hostname' }, 'REDIS_TLS_CA_FILE'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_WAIT_REPLICAS: '-1' }, 'REDIS_WAIT_REPLICAS'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_WAIT_REPLICAS: 'one' }, 'REDIS_WAIT_REPLICAS'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT: '0' }, 'REDIS_WAIT_TIMEOUT'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_WAIT_TIMEOUT: '1h' }, 'REDIS_WAIT_TIMEOUT'],
      [{ SESSION_STORE: 'memory', MEMORY_STORE_MAX_ENTRIES: '10' }, 'MEMORY_STORE_MAX_ENTRIES'],
      [{ SESSION_STORE: 'memory', MEMORY_STORE_MAX_ENTRIES: 'lots' }, 'MEMORY_STORE_MAX_ENTRIES'],
    ];
    for (const [env, setting] of cases) rejects(env, setting);
  });

  it('never echoes a password, and gives no password a flag', () => {
    const message = rejects({ REDIS_URL: 'redis://u:hunter2@a:6379', REDIS_PASSWORD: 'swordfish' }, 'REDIS_PASSWORD').message;
    assert.doesNotMatch(message, /hunter2|swordfish/);
    for (const name of ['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD', 'REDIS_USERNAME', 'REDIS_SENTINEL_USERNAME']) {
      const setting = SETTINGS.find((s) => s.env === name);
      assert.ok(setting, `${name} is in the settings table`);
      assert.equal(setting.flag, undefined, `${name} is environment-only`);
    }
  });

  it('hash-tags every key of one session into one Cluster slot, and leaves other keys alone', () => {
    assert.equal(hashTagged('session:abc_-1'), 'session:{abc_-1}');
    assert.equal(hashTagged('active:session:abc_-1'), 'active:session:{abc_-1}');
    assert.equal(hashTagged('lock:session:abc_-1'), 'lock:session:{abc_-1}');
    assert.equal(hashTagged('used-state:xyz'), 'used-state:xyz');
    // A client-chosen key could never smuggle its own tag through (keys are digests, but the
    // store must not be the weak point).
    assert.equal(hashTagged('session:{evil}'), 'session:{evil}');
    assert.equal(hashTagged('sid:abc'), 'sid:{abc}');
    for (const key of ['sid:', 'sid:a:b', 'sid:{x}', 'session:', 'xsession:abc', 'session:abc:def', 'session:a}b', 'active:session:', 'a:xsession:abc', 'used-state:session']) {
      assert.equal(hashTagged(key), key, `${key} is left alone`);
    }
    assert.equal(hashTagged('session:abc:session:def'), 'session:abc:session:{def}', 'the last segment is the digest');
  });
});

describe('bounded memory store', () => {
  it('keeps at most MEMORY_STORE_MAX_ENTRIES entries, drops the least recently used, counts evictions', async () => {
    const config = loadConfig({ ...BASE, SESSION_STORE: 'memory', MEMORY_STORE_MAX_ENTRIES: '100' });
    assert.deepEqual(config.store, { kind: 'memory', maxEntries: 100 });
    const metrics = createMetrics({ defaultMetrics: false });
    const lines: string[] = [];
    const store = await createSessionStore(config.store, { metrics, logger: { info: () => undefined, error: (m) => lines.push(m) }, readyTimeoutMs: 0 });
    try {
      for (let i = 0; i < 100; i++) await store.set(`session:${i}`, `v${i}`, 60_000);
      // Reading session:0 makes it recent: the next write pushes out session:1 instead.
      assert.equal(await store.get('session:0'), 'v0');
      await store.set('session:new', 'fresh', 60_000);
      assert.equal(await store.get('session:0'), 'v0');
      assert.equal(await store.get('session:1'), undefined);
      assert.equal(await store.get('session:new'), 'fresh');
      for (let i = 0; i < 250; i++) await store.set(`flood:${i}`, 'x', 60_000);
      assert.equal((store as MemoryStore).size, 100);
      const text = await metrics.registry.metrics();
      assert.match(text, /^oc_login_store_evictions_total 251$/m);
      assert.deepEqual(lines, []);
    } finally {
      await store.close();
    }
  });

  it('still expires entries, and a lock check does not refresh recency', async () => {
    let evicted = 0;
    const store = new MemoryStore({ maxEntries: 2, onEvict: () => evicted++ });
    try {
      await store.set('a', '1', 30);
      await new Promise((resolve) => setTimeout(resolve, 40));
      assert.equal(await store.get('a'), undefined);
      await store.set('lock', 'owner', 60_000);
      await store.set('b', '2', 60_000);
      assert.equal(await store.setIfAbsent('lock', 'other', 60_000), false);
      await store.set('c', '3', 60_000);
      assert.equal(await store.get('lock'), undefined, 'the lock was the least recently used');
      assert.equal(evicted, 1);
      assert.equal(await store.get('b'), '2');
    } finally {
      await store.close();
    }
  });
});
