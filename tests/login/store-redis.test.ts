// The Redis store against real redis-servers, as managed services run them: TLS only with a private
// CA and an ACL user (the wrong password or an untrusted server is a clear store error, never a
// secret in it); and WAIT — a write answered only once a replica has it, or failed within the
// timeout, which turns a login into a clear 503 instead of an acknowledged session that a failover
// could lose.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { requireTool } from '../support/tools.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { loadConfig } from '../../src/login/index.ts';
import { RedisStore } from '../../src/login/store/redis.ts';
import { StoreUnavailableError, type RedisStoreSettings } from '../../src/login/store/types.ts';
import { APP, startStack } from './stack.ts';

const redisTool = requireTool('redis-server');
const PASSWORD = 'acl-Secret-7f3a';

async function storeError(store: RedisStore): Promise<StoreUnavailableError> {
  const error = await store.set('session:probe', 'x', 10_000).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
  return error;
}

describe('Redis over TLS with an ACL user', { skip: redisTool.skip }, () => {
  let redis: RedisServer;
  let dir: string;
  let caFile: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oc-redis-tls-'));
    const certs = ensureLocalCertificates(join(dir, 'ca'), ['127.0.0.1', 'localhost']);
    const certFile = join(dir, 'server.pem');
    const keyFile = join(dir, 'server.key');
    caFile = join(dir, 'ca.pem');
    writeFileSync(certFile, certs.cert);
    writeFileSync(keyFile, certs.key);
    writeFileSync(caFile, certs.ca);
    redis = await startRedisServer({
      binary: redisTool.path,
      tls: { certFile, keyFile, caFile },
      args: ['--user', 'login', 'on', `>${PASSWORD}`, '~oc-login:*', '+@all', '--user', 'default', 'off'],
    });
  });
  after(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('works through the configured settings (rediss://, REDIS_TLS_CA_FILE, REDIS_USERNAME/PASSWORD)', async () => {
    assert.match(redis.url, /^rediss:\/\//);
    const config = loadConfig({
      APP_ORIGIN: APP,
      OIDC_ISSUER: 'https://idp.example.com/pool',
      OIDC_CLIENT_ID: 'c',
      SESSION_STORE: 'redis',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      REDIS_URL: redis.url,
      REDIS_TLS_CA_FILE: caFile,
      REDIS_USERNAME: 'login',
      REDIS_PASSWORD: PASSWORD,
    });
    const store = new RedisStore({ settings: config.store as RedisStoreSettings });
    try {
      assert.ok(await store.waitUntilReady(5000));
      await store.set('session:abc', 'sealed', 10_000);
      assert.equal(await store.get('session:abc'), 'sealed');
      assert.equal(await store.setIfAbsent('lock:session:abc', 'me', 10_000), true);
      assert.equal(await store.deleteIfEquals('lock:session:abc', 'me'), true);
    } finally {
      await store.close();
    }
    // The ACL confines the user to the service's prefix: the store really logged in as `login`.
    const admin = new Redis(redis.url, { username: 'login', password: PASSWORD, tls: { ca: config.store.kind === 'redis' ? config.store.tls?.ca : undefined }, lazyConnect: true });
    try {
      await admin.connect();
      assert.equal(await admin.get('oc-login:session:{abc}'), 'sealed');
      await assert.rejects(admin.get('elsewhere'), /NOPERM/);
    } finally {
      admin.disconnect();
    }
  });

  it('refuses a wrong password and an untrusted certificate as store errors that hold no secret', async () => {
    const wrong = new RedisStore({ settings: { kind: 'redis', url: redis.url, username: 'login', password: 'not-it', tls: { ca: (await import('node:fs')).readFileSync(caFile, 'utf8') } } });
    const untrusted = new RedisStore({ settings: { kind: 'redis', url: redis.url, username: 'login', password: PASSWORD, tls: {} } });
    try {
      await wrong.waitUntilReady(1500);
      const denied = await storeError(wrong);
      assert.doesNotMatch(denied.message, /not-it|acl-Secret/);
      await untrusted.waitUntilReady(1500);
      const refused = await storeError(untrusted);
      assert.doesNotMatch(refused.message, new RegExp(PASSWORD));
    } finally {
      await wrong.close();
      await untrusted.close();
    }
  });
});

describe('Redis WAIT: a write is acknowledged only once a replica has it', { skip: redisTool.skip }, () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let provider: OidcTestProvider;
  before(async () => {
    primary = await startRedisServer({ binary: redisTool.path });
    replica = await startRedisServer({ binary: redisTool.path, args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    provider = await startOidcTestProvider({ appOrigin: APP });
    const probe = new Redis(replica.url);
    try {
      for (let i = 0; i < 100 && !/master_link_status:up/.test(await probe.info('replication')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  });
  after(async () => {
    await provider?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it('waits for the replica: the write is on the replica when set() returns', async () => {
    const store = new RedisStore({ settings: { kind: 'redis', url: primary.url, wait: { replicas: 1, timeoutMs: 1000 } } });
    const reader = new Redis(replica.url);
    try {
      assert.ok(await store.waitUntilReady(3000));
      for (let i = 0; i < 20; i++) {
        await store.set(`session:w${i}`, `v${i}`, 10_000);
        assert.equal(await reader.get(`oc-login:session:{w${i}}`), `v${i}`, 'readable on the replica right after the acknowledgement');
      }
      await store.delete('session:w0');
      assert.equal(await reader.get('oc-login:session:{w0}'), null, 'a delete (logout) is on the replica too');
    } finally {
      await store.close();
      reader.disconnect();
    }
  });

  it('fails a write within the timeout when fewer replicas confirm, naming the setting', async () => {
    const store = new RedisStore({ settings: { kind: 'redis', url: primary.url, wait: { replicas: 2, timeoutMs: 200 } } });
    try {
      assert.ok(await store.waitUntilReady(3000));
      const started = Date.now();
      const error = await storeError(store);
      const took = Date.now() - started;
      assert.match(error.message, /reached 1 of 2 replica\(s\) within 200 ms \(REDIS_WAIT_REPLICAS\)/);
      assert.ok(took >= 190 && took < 1500, `bounded by the timeout (${took} ms)`);
    } finally {
      await store.close();
    }
  });

  it('turns a login whose session no replica confirmed into the 503 page, and no session cookie', async () => {
    const lone = await startRedisServer({ binary: redisTool.path });
    const stack = await startStack({
      provider,
      env: { SESSION_STORE: 'redis', REDIS_URL: lone.url, ENCRYPTION_KEY: randomBytes(32).toString('base64'), REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT: '100ms' },
    });
    try {
      const browser = stack.browser();
      const hops = await browser.navigate(`${APP}/oauth2/login?redirect=%2Fdashboard`);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`));
      assert.ok(callback, hops.map((hop) => `${hop.status} ${hop.url}`).join(' → '));
      assert.equal(callback.status, 503);
      assert.equal(browser.cookie('__Host-oc-session'), undefined, 'no cookie for a session that a failover could lose');
      assert.ok(stack.logs.some((line) => line.includes('REDIS_WAIT_REPLICAS')), 'the log says why');
    } finally {
      await stack.close();
      await lone.stop();
    }
  });
});
