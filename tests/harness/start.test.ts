// `oc-edge start` as a person runs it: help, usage errors, and a real start → URL → Ctrl-C.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { Agent, request } from 'undici';
import { register } from '../../scripts/commands/start.ts';
import { FILTER_WASM, REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { requireEnvoy } from '../support/tools.ts';

const ROOT = REPO_ROOT;
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'scripts/oc-edge.ts')];
const WASM = FILTER_WASM.absolute;
const envoySkip = requireEnvoy().skip;

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(CLI[0]!, [...CLI.slice(1), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('oc-edge start', () => {
  test('--help documents every option', () => {
    const program = new Command();
    register(program);
    const start = program.commands.find((command) => command.name() === 'start')!;
    const help = run(['start', '--help']);
    assert.equal(help.status, 0);
    for (const option of start.options) {
      assert.ok(help.stdout.includes(option.long!), `${option.long} in help`);
      assert.ok((option.description ?? '').length > 10, `${option.long} is described`);
    }
  });

  test('usage errors exit 2 with one clear line', () => {
    // Nowhere to find Envoy: no ENVOY_PATH, an empty project install, no func-e installs.
    const nowhere = { ENVOY_PATH: undefined, OC_TOOLS_DIR: '/nonexistent', FUNC_E_HOME: '/nonexistent' };
    const noEnvoy = run(['start', '--gateway', 'envoy'], nowhere);
    assert.equal(noEnvoy.status, 2);
    assert.match(noEnvoy.stderr, /--gateway envoy needs Envoy.*npm run tools:install.*ENVOY_PATH/);
    const badPath = run(['start', '--gateway', 'envoy'], { ...nowhere, ENVOY_PATH: '/nonexistent/envoy' });
    assert.equal(badPath.status, 2);
    assert.match(badPath.stderr, /ENVOY_PATH=\/nonexistent\/envoy is not an executable file/);
    const badKind = run(['start', '--gateway', 'nginx']);
    assert.equal(badKind.status, 2);
    assert.match(badKind.stderr, /--gateway must be node or envoy/);
    const badRedis = run(['start', '--redis', 'http://user:hunter2@example.com']);
    assert.equal(badRedis.status, 2);
    assert.doesNotMatch(badRedis.stderr, /hunter2/, 'a password in the URL is never echoed');
  });

  test('starts the stack, prints the URL and demo users, stops cleanly on Ctrl-C; the second run keeps keys and CA', { skip: existsSync(WASM) ? undefined : `${WASM} missing (npm run build)`, timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oc-start-'));
    try {
      const first = await startAndStop(dataDir, async (output) => {
        const url = /Open (https:\/\/localhost:\d+)/.exec(output)![1]!;
        const ca = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
        const agent = new Agent({ connect: { ca, servername: 'localhost' } });
        const response = await request(url.replace('localhost', '127.0.0.1'), { dispatcher: agent, headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
        await response.body.dump();
        await agent.close();
        assert.equal(response.statusCode, 302);
        assert.match(String(response.headers.location), /\/oauth2\/login/);
      });
      assert.match(first, /✓ signing keys\s+created/);
      assert.match(first, /✓ certificates\s+created a local CA/);
      assert.match(first, /✓ healthy/);
      assert.match(first, /ada\.admin@acme\.example\s+admin-demo-1/);
      assert.match(first, /max\.member@acme\.example\s+member-demo-1/);
      assert.match(first, /stopped\./);
      assert.equal(statSync(join(dataDir, 'keys.json')).mode & 0o777, 0o600);
      const ca = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');

      const second = await startAndStop(dataDir, async () => {});
      assert.match(second, /✓ signing keys\s+1 secret\(s\) from/);
      assert.doesNotMatch(second, /created a local CA/);
      assert.equal(readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8'), ca);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('--gateway envoy: the same flow through the two real Envoys on the default ports, stopped cleanly on Ctrl-C', { skip: envoySkip ?? (existsSync(WASM) ? undefined : `${WASM} missing (npm run build)`), timeout: 150_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oc-start-envoy-'));
    try {
      const output = await startAndStop(
        dataDir,
        async (output) => {
          const url = /Open (https:\/\/localhost:\d+)/.exec(output)![1]!;
          const agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8'), servername: 'localhost' } });
          try {
            const navigation = await request(url.replace('localhost', '127.0.0.1'), { dispatcher: agent, headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
            await navigation.body.dump();
            assert.equal(navigation.statusCode, 302);
            assert.match(String(navigation.headers.location), /\/oauth2\/login/);
            const api = await request(`${url.replace('localhost', '127.0.0.1')}/user/me`, { dispatcher: agent, headers: { accept: 'application/json' } });
            await api.body.dump();
            assert.equal(api.statusCode, 401, 'an API call without a session: 401 through the waypoint');
            assert.ok(api.headers['x-envoy-upstream-service-time'] !== undefined || api.headers.server === 'envoy', `answered through Envoy: ${JSON.stringify(api.headers)}`);
          } finally {
            await agent.close();
          }
        },
        ['--gateway', 'envoy'],
      );
      assert.match(output, /✓ healthy/);
      assert.match(output, /stopped\./);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Runs `oc-edge start` until it is ready, calls `whileUp`, sends SIGINT and returns all output. */
function startAndStop(dataDir: string, whileUp: (output: string) => Promise<void>, startArgs: string[] = ['--ephemeral-ports']): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI[0]!, [...CLI.slice(1), 'start', ...startArgs, '--quiet', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let checked = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready line within 90 s:\n${output}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!checked && output.includes('Ctrl-C stops everything')) {
        checked = true;
        whileUp(output).then(
          () => child.kill('SIGINT'),
          (error: unknown) => {
            child.kill('SIGINT');
            reject(error);
          },
        );
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`exit ${code}:\n${output}`));
    });
  });
}
