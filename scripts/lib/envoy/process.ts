// Envoy as a child process, launched from one place: every test, the simulate runtime, `oc-edge
// start` and the bench spawn it here (through func-e when installed, see run.ts), capture its output
// for failure messages and stop it the same way. Every port is the kernel's choice (port 0): the
// admin address comes back through --admin-address-path, listener ports from the admin API.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { envoyInvocation, type EnvoyInvocation } from './run.ts';
import type { LocatedEnvoy } from './locate.ts';
import { childPids, commandName } from '../proc.ts';

/** How much of Envoy's output is kept for failure messages (the tail). */
const OUTPUT_KEPT = 256_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** SIGTERM first (func-e passes it on to Envoy; a SIGKILL would orphan Envoy), SIGKILL after this. */
const STOP_GRACE_MS = 10_000;

export interface EnvoyProcessOptions {
  /** The bootstrap file (-c). */
  config: string;
  /** Where Envoy writes its admin address (--admin-address-path); must not exist yet. */
  adminAddressFile: string;
  /** Added to this process's environment (secrets go in here only, never on the command line). */
  env?: Record<string, string>;
  /** Removed from the inherited environment (e.g. a secret of the caller's own that must not leak in). */
  unsetEnv?: readonly string[];
  /** More Envoy flags, e.g. ['--concurrency', '1']. */
  extraArgs?: string[];
  /** Envoy's log level (default info: the Wasm module's info lines are wanted). */
  logLevel?: string;
  /** For startEnvoy: until ready; for runEnvoyUntilExit: until exit. */
  timeoutMs?: number;
}

export interface RunningEnvoy {
  adminUrl: string;
  /** The pid of the envoy process itself (func-e's child when run through func-e). */
  pid: number;
  /** The port a listener is bound to. */
  listenerPort(name: string): Promise<number>;
  /** The command line and Envoy's (and func-e's) output so far, for failure messages. */
  log(): string;
  /** Envoy's output only, counted from the start (offsets stay valid after the kept tail moves). */
  output: { text(from?: number): string; length(): number };
  /** Resolves when the process has exited (whoever ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export interface EnvoyExit {
  /** Exit code, or null when Envoy was killed (by a signal, or by this helper at the deadline). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Envoy was still running at `timeoutMs` (and was killed): it did not refuse the config. */
  timedOut: boolean;
  /** The command line and Envoy's (and func-e's) output, for failure messages. */
  log: string;
}

interface Spawned {
  child: ChildProcess;
  invocation: EnvoyInvocation;
  output: RunningEnvoy['output'];
  log(): string;
  exited: RunningEnvoy['exited'];
  stop(): Promise<void>;
}

/** The one spawn: command line, output capture and stop, shared by both entry points. */
function spawnEnvoy(found: LocatedEnvoy, options: EnvoyProcessOptions): Spawned {
  // --disable-hot-restart: no shared-memory base id, so parallel suites' Envoys never collide.
  const envoyArgs = ['-c', options.config, '--admin-address-path', options.adminAddressFile, '--disable-hot-restart', '--log-level', options.logLevel ?? 'info', ...(options.extraArgs ?? [])];
  const invocation = envoyInvocation(found, envoyArgs);
  const env = { ...invocation.env, ...options.env };
  for (const name of options.unsetEnv ?? []) delete env[name];
  const child = spawn(invocation.command, invocation.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let kept = '';
  let dropped = 0;
  const append = (text: string) => {
    kept += text;
    if (kept.length > OUTPUT_KEPT) {
      dropped += kept.length - OUTPUT_KEPT;
      kept = kept.slice(-OUTPUT_KEPT);
    }
  };
  // One decoder per stream: a UTF-8 character split across chunks stays whole.
  for (const stream of [child.stdout!, child.stderr!]) {
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => append(decoder.write(chunk)));
  }
  const output = {
    length: () => dropped + kept.length,
    text: (from = 0) => kept.slice(Math.max(0, from - dropped)),
  };
  const log = () => `$ ${invocation.command} ${invocation.args.join(' ')}\n${kept.slice(-64_000)}`;
  // 'close': the exit and the last of the output, so a log read after it is complete.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // ref: false — the timer must not keep the caller alive once Envoy has exited.
      if (!(await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false, { ref: false })]))) child.kill('SIGKILL');
    }
    await exited;
  };
  return { child, invocation, output, log, exited, stop };
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Polls `probe` every 100 ms until it returns a value; fails after `timeoutMs` with `what` and the log. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, spawned: Spawned): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running(spawned.child)) {
      await spawned.exited;
      throw new Error(`Envoy exited (${spawned.child.exitCode ?? spawned.child.signalCode}) before ${what}:\n${spawned.log()}`);
    }
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`no ${what} within ${timeoutMs / 1000} s:\n${spawned.log()}`);
}

/**
 * The envoy process under `pid` (itself, or a descendant: func-e runs Envoy as its child). Read
 * from /proc, so only on Linux; elsewhere the spawned pid is the best answer there is.
 */
export function envoyPid(pid: number): number {
  const queue = [pid];
  for (let seen = 0; queue.length > 0 && seen < 64; seen++) {
    const next = queue.shift()!;
    if (commandName(next) === 'envoy') return next;
    queue.push(...childPids(next));
  }
  return pid;
}

/** Starts Envoy and resolves once its admin API reports it ready (stopping it if it never does). */
export async function startEnvoy(found: LocatedEnvoy, options: EnvoyProcessOptions): Promise<RunningEnvoy> {
  const spawned = spawnEnvoy(found, options);
  try {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const adminUrl = await waitFor(
      'admin address file',
      timeoutMs,
      async () => {
        const address = existsSync(options.adminAddressFile) ? readFileSync(options.adminAddressFile, 'utf8').trim() : '';
        return address ? `http://${address}` : undefined;
      },
      spawned,
    );
    await waitFor('ready from /ready', timeoutMs, async () => ((await fetch(`${adminUrl}/ready`)).status === 200 ? true : undefined), spawned);
    // By now func-e has long spawned Envoy (Envoy wrote the admin file).
    const pid = envoyPid(spawned.child.pid!);
    return {
      adminUrl,
      pid,
      log: spawned.log,
      output: spawned.output,
      exited: spawned.exited,
      stop: spawned.stop,
      async listenerPort(name) {
        const listeners = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as { listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[] };
        const port = listeners.listener_statuses.find((l) => l.name === name)?.local_address.socket_address.port_value;
        if (!port) throw new Error(`no listener ${name} in /listeners: ${JSON.stringify(listeners)}\n${spawned.log()}`);
        return port;
      },
    };
  } catch (error) {
    await spawned.stop();
    throw error;
  }
}

/**
 * Starts Envoy exactly as startEnvoy does and waits for it to exit, for a config it must refuse;
 * an Envoy still running at `timeoutMs` is stopped and reported as timed out.
 */
export async function runEnvoyUntilExit(found: LocatedEnvoy, options: EnvoyProcessOptions): Promise<EnvoyExit> {
  const spawned = spawnEnvoy(found, options);
  const deadline = sleep(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeout' as const, { ref: false });
  const timedOut = (await Promise.race([spawned.exited, deadline])) === 'timeout';
  if (timedOut) await spawned.stop();
  const { code, signal } = await spawned.exited;
  return { code, signal, timedOut, log: spawned.log() };
}
