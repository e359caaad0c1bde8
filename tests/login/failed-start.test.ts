// A start that fails after the session store was made closes what it had opened — the Redis
// connection, the provider discovery timer, the servers — so the process that tried can exit on
// its own. Each case runs in a child that does nothing after the rejection: it must exit by itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { freePort, startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { requireTool } from '../support/tools.ts';

const redisTool = requireTool('redis-server');
/** Far longer than a clean exit takes (well under a second after the rejection), short of the test timeout. */
const EXIT_WITHIN_MS = 15_000;

function runChild(env: Record<string, string>): Promise<{ exited: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/login/failed-start-child.ts'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ exited: false, code: null, stdout, stderr });
    }, EXIT_WITHIN_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ exited: true, code, stdout, stderr });
    });
  });
}

describe('a start that fails after the store was made', { skip: redisTool.skip }, () => {
  let redis: RedisServer;
  let taken: Server;
  let takenPort: number;
  let deadIssuer: string;

  before(async () => {
    redis = await startRedisServer({ binary: redisTool.path });
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
    deadIssuer = `http://127.0.0.1:${await freePort()}/issuer`;
  });

  after(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await redis.stop();
  });

  const cases = [
    { fail: 'mode', message: /standalone mode needs UPSTREAM_URL/ },
    { fail: 'listen', message: /EADDRINUSE/ },
  ];
  for (const { fail, message } of cases) {
    it(`rejects and leaves nothing open (FAIL=${fail}): the process exits by itself`, async () => {
      const result = await runChild({ FAIL: fail, REDIS_URL: redis.url, TAKEN_PORT: String(takenPort), DEAD_ISSUER: deadIssuer });
      assert.ok(result.exited, `the child was still running ${EXIT_WITHIN_MS} ms after its start failed: something it opened is still open\n${result.stdout}${result.stderr}`);
      assert.equal(result.code, 0, result.stderr);
      const line = JSON.parse(result.stdout.trim().split('\n').pop()!) as { rejected?: string };
      assert.match(line.rejected ?? '', message);
    });
  }
});
