// Envoy for the bench, started as every Envoy is (scripts/lib/envoy/process.ts), and the CPU time
// of its process from /proc (func-e only supervises; it is no hop on the data path).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LocatedEnvoy } from '../lib/envoy/locate.ts';
import { startEnvoy } from '../lib/envoy/process.ts';

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

/** Starts Envoy with one worker (scripts/lib/envoy/process.ts) and resolves once every listener is bound. */
export async function startBenchEnvoy(
  found: LocatedEnvoy,
  options: { configFile: string; adminAddressFile: string; env: Record<string, string>; listeners: string[]; timeoutMs?: number },
): Promise<BenchEnvoy> {
  // One worker: the figures are per worker, as a waypoint's are per core.
  const running = await startEnvoy(found, {
    config: options.configFile,
    adminAddressFile: options.adminAddressFile,
    env: options.env,
    extraArgs: ['--concurrency', '1'],
    logLevel: 'warn',
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  try {
    const ports = new Map<string, number>();
    for (const name of options.listeners) ports.set(name, await running.listenerPort(name));
    const info = (await (await fetch(`${running.adminUrl}/server_info`)).json()) as { version?: string };
    // running.pid is Envoy's own (func-e's child when run through func-e): its /proc/<pid>/stat
    // counts Envoy's CPU time, not the supervisor's.
    return { pid: running.pid, adminUrl: running.adminUrl, version: info.version ?? 'unknown', ports, log: running.log, stop: running.stop };
  } catch (error) {
    await running.stop();
    throw error;
  }
}
