// The Redis the SSO server and its proxies share when `oc-edge start --sso` is given no --redis
// URL: a redis-server child on 127.0.0.1, nothing written to disk (sessions end with the demo, as
// they would with the in-memory store), stopped with the harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';

export interface HarnessRedis {
  url: string;
  port: number;
  close(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** Starts redis-server on `port` (a free one must be chosen by the caller) with `dir` as its working folder. */
export async function startHarnessRedis(options: { port: number; dir: string; binary?: string }): Promise<HarnessRedis> {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  if (await answers(options.port)) throw new Error(`EADDRINUSE: something already listens on 127.0.0.1:${options.port} (the Redis port)`);
  const child = spawn(
    options.binary ?? 'redis-server',
    ['--port', String(options.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', options.dir, '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error('redis-server is not installed (apt-get install redis-server), or pass --redis <url>') : error),
    );
  });
  await spawned;
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await answers(options.port)) break;
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`redis-server did not listen on 127.0.0.1:${options.port} within 5 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { url: `redis://127.0.0.1:${options.port}`, port: options.port, close: () => stop(child) };
}
