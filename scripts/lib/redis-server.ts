// Starts a throw-away redis-server on 127.0.0.1 with an ephemeral port and no persistence, for
// tests and benchmarks. Several suites run at once on one machine, so the port is never fixed:
// redis-server gets a port we just found free, and we retry if another process wins the race.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop), e.g. to test recovery. */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Path of redis-server; default: found on PATH. */
  binary?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  // No RDB, no AOF, nothing written outside a temp dir: a test's data dies with the process.
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await canConnect(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within 5 s`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'oc-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  // Between finding a free port and redis binding it another suite may take it: retry a few times.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(binary, port, dir);
    } catch (error) {
      lastError = error;
    }
  }
  if (!child) throw lastError instanceof Error ? lastError : new Error(String(lastError));
  let current: ChildProcess | undefined = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (current) await terminate(current);
      current = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      if (current) await terminate(current);
      current = await launch(binary, port, dir);
    },
  };
}
