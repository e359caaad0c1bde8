// WORKERS > 1: the login service as a node:cluster of processes on one port, started the way a
// container starts it (src/login/main.ts, env only), on a real Redis and the real oidc-provider.
// A session made through the cluster is honoured by every worker; /metrics and /healthz speak for
// all of them; a worker's death stops the whole service, a SIGTERM stops it cleanly, and a worker
// that cannot start fails the start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../src/login/index.ts';
import { usableCpus } from '../../src/login/cluster/cpus.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { requireTool } from '../support/tools.ts';
import { childPids, processCpuSeconds } from '../../scripts/lib/proc.ts';
import { startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { relyingPartyEnv, startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { Browser } from '../../fixtures/browser.ts';
import { APP } from './stack.ts';
import { configRefusal as refusal } from '../support/config-refusal.ts';

const redisTool = requireTool('redis-server');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const REDIS_ENV = { SESSION_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
const BASE = { APP_ORIGIN: APP, OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'app' };

describe('WORKERS setting', () => {
  it('is 1 by default, a count or auto with Redis, and refused otherwise, naming WORKERS', () => {
    assert.equal(loadConfig(BASE).workers, 1);
    assert.equal(loadConfig({ ...BASE, ...REDIS_ENV, WORKERS: '3' }).workers, 3);
    assert.equal(loadConfig({ ...BASE, ...REDIS_ENV }, ['--workers', '2']).workers, 2);
    assert.equal(loadConfig({ ...BASE, ...REDIS_ENV, WORKERS: 'auto' }).workers, usableCpus());
    for (const value of ['0', '65', '-1', '1.5', 'two', ' ', 'AUTO']) {
      const error = refusal({ ...BASE, ...REDIS_ENV, WORKERS: value });
      assert.equal(error.setting, 'WORKERS', value);
      assert.match(error.message, /auto or a whole number from 1 to 64/);
    }
    for (const value of ['2', 'auto']) {
      const error = refusal({ ...BASE, WORKERS: value });
      assert.equal(error.setting, 'WORKERS');
      assert.match(error.message, /must be 1 with SESSION_STORE=memory/);
    }
    assert.equal(loadConfig({ ...BASE, WORKERS: '1' }).workers, 1, 'one worker with the memory store is the default shape');
  });

  it('auto counts the CPUs a cgroup quota leaves, rounding a fraction up', () => {
    const files = (entries: Record<string, string>) => (path: string) => entries[path];
    assert.equal(usableCpus(files({}), 8), 8, 'no cgroup files: the host');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }), 8), 8, 'v2, no limit');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }), 8), 2, 'v2, 2 CPUs');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '150000 100000' }), 8), 2, 'v2, 1.5 CPUs');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }), 8), 1, 'v2, half a CPU');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '1600000 100000' }), 4), 4, 'a quota above the host counts the host');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }), 8), 3, 'v1');
    assert.equal(usableCpus(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }), 8), 8, 'v1, no limit');
  });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  listening?: { url: string; metricsUrl: string; workers: number };
}

/** main.ts with `env`; resolves once it logged that it listens, or once it exited. */
async function startMain(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/login/main.ts'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (child.exitCode === null && Date.now() < deadline) {
    const line = output.split('\n').find((text) => text.includes('"login service listening"'));
    if (line) return { child, output: () => output, exited, listening: JSON.parse(line) as Started['listening'] };
    await sleep(50);
  }
  if (child.exitCode === null) {
    child.kill('SIGKILL');
    assert.fail(`main.ts did not start within 30 s:\n${output}`);
  }
  return { child, output: () => output, exited };
}

/** Processes whose environment holds `entry` (NAME=value): a worker, even once its primary is gone. */
function withEnvironment(entry: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function metricsText(metricsUrl: string): Promise<string> {
  return (await fetch(`${metricsUrl}/metrics`)).text();
}

const sample = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? NaN);

/**
 * main.ts started with two workers, handed to `body` once it listens with its two worker pids;
 * whatever `body` leaves running is killed afterwards.
 */
async function withTwoWorkers(env: Record<string, string>, body: (main: Started & { listening: NonNullable<Started['listening']> }, pids: number[]) => Promise<void>): Promise<void> {
  const main = await startMain(env);
  try {
    assert.ok(main.listening, main.output());
    const pids = childPids(main.child.pid!);
    assert.equal(pids.length, 2, `two workers under the primary: ${pids.join(', ')}`);
    await body({ ...main, listening: main.listening }, pids);
  } finally {
    main.child.kill('SIGKILL');
  }
}

describe('WORKERS=2: one service in two processes', { skip: redisTool.skip, timeout: 120_000 }, () => {
  let redis: RedisServer;
  let provider: OidcTestProvider;
  let env: Record<string, string>;
  before(async () => {
    redis = await startRedisServer({ binary: redisTool.path });
    provider = await startOidcTestProvider({ appOrigin: APP });
    env = { ...relyingPartyEnv(provider, APP), SESSION_STORE: 'redis', REDIS_URL: redis.url, ENCRYPTION_KEY: randomBytes(32).toString('base64'), WORKERS: '2', LOG_LEVEL: 'info' };
  });
  after(async () => {
    await provider?.close();
    await redis?.stop();
  });

  it('serves a session from both workers, and sums their metrics and health on one admin port', async () => {
    await withTwoWorkers(env, async (main, pids) => {
      const { url, metricsUrl, workers } = main.listening;
      assert.equal(workers, 2);

      let health = await fetch(`${metricsUrl}/healthz`);
      for (let i = 0; health.status !== 200 && i < 100; i++) {
        await health.body?.cancel();
        await sleep(100);
        health = await fetch(`${metricsUrl}/healthz`);
      }
      assert.deepEqual(await health.json(), { status: 'ok', provider: 'ok', store: 'ok', workers: { healthy: 2, of: 2 } });

      const browser = new Browser().route(APP, url);
      const hops = await browser.navigate(`${APP}/oauth2/login?redirect=%2F`);
      assert.ok(hops.some((hop) => hop.url.startsWith(`${APP}/oauth2/callback`) && hop.status === 302), hops.map((hop) => `${hop.status} ${hop.url}`).join('\n'));

      const before = await metricsText(metricsUrl);
      const allowedBefore = sample(before, /^oc_login_checks_total\{result="allowed"\} (\d+)$/m) || 0;
      const cpuBefore = pids.map(processCpuSeconds);
      // A new connection per check: node:cluster hands connections out in turn, so both workers serve.
      // 400, so that each worker's share is well above the 50 ms of CPU asked below even on
      // a fast machine, where a check costs ≈ 0.5 ms.
      const checks = 400;
      for (let i = 0; i < checks; i++) {
        const response = await browser.request(`${APP}/dashboard`, { navigate: false, headers: { accept: 'application/json', connection: 'close' } });
        assert.equal(response.status, 200, `check ${i}: ${response.body.slice(0, 200)}`);
        assert.match(response.headers.get('authorization') ?? '', /^Bearer ey/);
      }
      const cpuAfter = pids.map(processCpuSeconds);
      for (const [i, pid] of pids.entries()) {
        const cpuMs = Math.round((cpuAfter[i]! - cpuBefore[i]!) * 1000);
        assert.ok(cpuMs >= 50, `worker ${pid} served checks (${cpuMs} ms of CPU)`);
      }

      const text = await metricsText(metricsUrl);
      assert.equal(sample(text, /^oc_login_checks_total\{result="allowed"\} (\d+)$/m) - allowedBefore, checks, 'both workers counted, summed once');
      assert.equal(sample(text, /^oc_login_provider_up (\d+)$/m), 1, 'up in every worker is 1, not the sum');
      assert.equal(sample(text, /^oc_login_logins_total\{result="completed"\} (\d+)$/m), 1);

      main.child.kill('SIGTERM');
      assert.equal(await main.exited, 0, main.output());
      for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} stopped with the primary`);
    });
  });

  it('stops the whole service with exit 1 when a worker dies', async () => {
    await withTwoWorkers(env, async (main, pids) => {
      process.kill(pids[0]!, 'SIGKILL');
      assert.equal(await main.exited, 1, main.output());
      assert.match(main.output(), /a worker stopped: stopping the service/);
      assert.equal(alive(pids[1]!), false, 'the other worker stopped too');
      const refused = await fetch(`${main.listening.url}/dashboard`).then(
        () => false,
        () => true,
      );
      assert.ok(refused, 'nothing serves the port any more');
    });
  });

  it('leaves no worker behind when the primary is killed outright', async () => {
    await withTwoWorkers(env, async (main, pids) => {
      main.child.kill('SIGKILL');
      await main.exited;
      // The IPC channel closes with the primary, and node:cluster exits each worker.
      const deadline = Date.now() + 10_000;
      while (pids.some(alive) && Date.now() < deadline) await sleep(50);
      for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} stopped without its primary`);
    });
  });

  it('fails the start with exit 1 when the workers cannot bind the port, leaving no process behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const main = await startMain({ ...env, LISTEN: `127.0.0.1:${port}` });
      assert.equal(main.listening, undefined);
      assert.equal(await main.exited, 1);
      assert.match(main.output(), /EADDRINUSE/);
      assert.match(main.output(), /login: a worker \(pid \d+\) exited 1 before it was ready/);
      assert.deepEqual(withEnvironment(`LISTEN=127.0.0.1:${port}`), [], 'no worker outlived the failed start');
    } finally {
      taken.close();
    }
  });

  it('refuses more than one worker with the memory store (exit 2, naming WORKERS)', async () => {
    const main = await startMain({ ...relyingPartyEnv(provider, APP), WORKERS: '2' });
    assert.equal(await main.exited, 2);
    assert.match(main.output(), /login: WORKERS: must be 1 with SESSION_STORE=memory/);
  });
});
