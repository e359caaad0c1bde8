// Envoy for the bench, started as every Envoy is (scripts/lib/envoy/process.ts); its CPU time is
// read from the envoy process itself (func-e only supervises; it is no hop on the data path).
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
