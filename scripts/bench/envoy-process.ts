// Envoy for the bench: the located binary (scripts/lib/envoy/locate.ts) started directly, not
// through func-e, so that the child's pid is Envoy's own and /proc/<pid>/stat counts Envoy's CPU
// time, not a wrapper's (func-e only supervises; it is no hop on the data path).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocatedEnvoy } from '../lib/envoy/locate.ts';

export interface BenchEnvoy {
  pid: number;
  adminUrl: string;
  /** Envoy's own version string, from /server_info. */
  version: string;
  /** Every listener's port, by listener name. */
  ports: Map<string, number>;
  /** The last output of Envoy, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // USER_HZ on every Linux architecture Envoy ships for
    }
  }
  return clockTicks;
}

/** User + system CPU seconds of a process, all its threads included (utime + stime of /proc/<pid>/stat). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc/${pid}/stat: ${stat}`);
  return (utime + stime) / ticksPerSecond();
}

/** Starts Envoy with one worker and resolves once /ready answers 200 and every listener is bound. */
export async function startBenchEnvoy(
  found: LocatedEnvoy,
  options: { configFile: string; adminAddressFile: string; env: Record<string, string>; listeners: string[]; timeoutMs?: number },
): Promise<BenchEnvoy> {
  const args = [
    '-c', options.configFile,
    '--admin-address-path', options.adminAddressFile,
    // One worker: the figures are per worker, as a waypoint's are per core.
    '--concurrency', '1',
    // No shared-memory base id, so a bench never collides with a test suite's Envoy.
    '--disable-hot-restart',
    '--log-level', 'warn',
  ];
  const child = spawn(found.envoy, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-32_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const log = () => `$ ${found.envoy} ${args.join(' ')}\n${output}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(10_000, false, { ref: false })]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const poll = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Envoy exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${log()}`);
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      await sleep(100);
    }
    throw new Error(`Envoy: no ${what} in time:\n${log()}`);
  };
  try {
    const adminUrl = await poll('admin address', async () => {
      const address = existsSync(options.adminAddressFile) ? readFileSync(options.adminAddressFile, 'utf8').trim() : '';
      return address ? `http://${address}` : undefined;
    });
    await poll('ready', async () => ((await fetch(`${adminUrl}/ready`)).status === 200 ? true : undefined));
    const ports = await poll('listeners', async () => {
      const body = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as { listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[] };
      const found = new Map(body.listener_statuses.map((l) => [l.name, l.local_address.socket_address.port_value]));
      return options.listeners.every((name) => found.get(name)) ? found : undefined;
    });
    const info = (await (await fetch(`${adminUrl}/server_info`)).json()) as { version?: string };
    return { pid: child.pid!, adminUrl, version: info.version ?? 'unknown', ports, log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
