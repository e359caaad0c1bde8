// How many CPUs this process may really use: the host's count, cut by a cgroup CPU quota when
// the container has one (a Pod's `resources.limits.cpu`). `os.availableParallelism()` sees the
// node's cores only, so on a 64-core node a pod limited to 2 CPUs would otherwise start 64 workers
// that the kernel then throttles.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type ReadText = (path: string) => string | undefined;

const readIfPresent: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** cgroup v2 `cpu.max` ("200000 100000", or "max 100000" for no limit), else v1's quota and period. */
function cgroupQuota(read: ReadText): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2.length === 2 && v2[0] !== 'max') return Number(v2[0]) / Number(v2[1]);
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  if (quota > 0 && period > 0) return quota / period;
  return undefined;
}

/** At least 1; a fractional quota (1.5 CPUs) rounds up, since a worker can use part of a CPU. */
export function usableCpus(read: ReadText = readIfPresent, hostCpus: number = availableParallelism()): number {
  const quota = cgroupQuota(read);
  const limited = quota !== undefined && Number.isFinite(quota) && quota > 0 ? Math.min(hostCpus, Math.ceil(quota)) : hostCpus;
  return Math.max(1, limited);
}
