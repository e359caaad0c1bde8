// The WASI functions Envoy gives a module: environment from vmConfig.env, stdout/stderr as logs,
// clocks and random; everything file-like answers as Envoy does (bad descriptor, not supported).
import { randomFillSync } from 'node:crypto';
import { Errno } from '../abi.ts';
import type { GuestMemory } from '../memory.ts';

export interface WasiHost {
  readonly memory: GuestMemory;
  /** `KEY=VALUE` entries. */
  readonly environ: readonly string[];
  /** Checks the call is allowed in the current phase (throws otherwise). */
  guard(name: string): void;
  log(level: number, message: string): void;
}

const startNanos = process.hrtime.bigint();

export function wasiImports(host: WasiHost): Record<string, (...args: never[]) => unknown> {
  const environ = host.environ.map((entry) => Buffer.from(`${entry}\0`, 'utf8'));
  const environBytes = environ.reduce((sum, entry) => sum + entry.length, 0);

  return {
    fd_write(fd: number, iovs: number, iovsLength: number, writtenPtr: number): number {
      host.guard('fd_write');
      if (fd !== 1 && fd !== 2) return Errno.BADF;
      const chunks: Buffer[] = [];
      let written = 0;
      for (let i = 0; i < iovsLength >>> 0; i++) {
        const base = host.memory.readU32(iovs + i * 8);
        const length = host.memory.readU32(iovs + i * 8 + 4);
        if (base === undefined || length === undefined) return Errno.FAULT;
        const chunk = host.memory.copy(base, length);
        if (!chunk) return Errno.FAULT;
        chunks.push(chunk);
        written += length;
      }
      if (!host.memory.u32(writtenPtr, written)) return Errno.FAULT;
      // stdout is logged at info, stderr at error; one trailing newline is the line end, not content.
      host.log(fd === 1 ? 2 : 4, Buffer.concat(chunks).toString('utf8').replace(/\n$/, ''));
      return Errno.SUCCESS;
    },
    fd_read(): number {
      host.guard('fd_read');
      return Errno.NOSYS;
    },
    fd_seek(): number {
      host.guard('fd_seek');
      return Errno.SPIPE;
    },
    fd_close(): number {
      host.guard('fd_close');
      return Errno.BADF;
    },
    fd_fdstat_get(fd: number, statPtr: number): number {
      host.guard('fd_fdstat_get');
      if (fd !== 1 && fd !== 2) return Errno.BADF;
      // fdstat: u8 filetype (2 = character device), u16 flags, u64 rights base, u64 rights inheriting.
      if (!host.memory.inBounds(statPtr, 24)) return Errno.FAULT;
      host.memory.bytes.fill(0, statPtr >>> 0, (statPtr >>> 0) + 24);
      host.memory.bytes[statPtr >>> 0] = 2;
      return Errno.SUCCESS;
    },
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      host.guard('environ_sizes_get');
      if (!host.memory.u32(countPtr, environ.length) || !host.memory.u32(sizePtr, environBytes)) return Errno.FAULT;
      return Errno.SUCCESS;
    },
    environ_get(pointersPtr: number, bufferPtr: number): number {
      host.guard('environ_get');
      if (!host.memory.inBounds(pointersPtr, environ.length * 4) || !host.memory.inBounds(bufferPtr, environBytes)) return Errno.FAULT;
      let at = bufferPtr >>> 0;
      for (let i = 0; i < environ.length; i++) {
        host.memory.u32(pointersPtr + i * 4, at);
        environ[i].copy(host.memory.bytes, at);
        at += environ[i].length;
      }
      return Errno.SUCCESS;
    },
    args_sizes_get(countPtr: number, sizePtr: number): number {
      host.guard('args_sizes_get');
      if (!host.memory.u32(countPtr, 0) || !host.memory.u32(sizePtr, 0)) return Errno.FAULT;
      return Errno.SUCCESS;
    },
    args_get(): number {
      host.guard('args_get');
      return Errno.SUCCESS;
    },
    clock_time_get(id: number, _precision: bigint, resultPtr: number): number {
      host.guard('clock_time_get');
      let nanos: bigint;
      if (id === 0) nanos = BigInt(Date.now()) * 1_000_000n;
      else if (id === 1) nanos = process.hrtime.bigint() - startNanos;
      else return Errno.INVAL;
      return host.memory.u64(resultPtr, nanos) ? Errno.SUCCESS : Errno.FAULT;
    },
    random_get(ptr: number, length: number): number {
      host.guard('random_get');
      // Envoy caps one call at 64 KiB.
      if (length >>> 0 > 65536) return Errno.INVAL;
      if (!host.memory.inBounds(ptr, length)) return Errno.FAULT;
      randomFillSync(host.memory.bytes, ptr >>> 0, length >>> 0);
      return Errno.SUCCESS;
    },
    proc_exit(code: number): void {
      host.guard('proc_exit');
      host.log(4, `proc_exit(${code}) called; Envoy only logs it`);
    },
    path_open(): number {
      host.guard('path_open');
      return 44; // ENOENT: no filesystem in Envoy
    },
    fd_prestat_get(): number {
      host.guard('fd_prestat_get');
      return Errno.BADF;
    },
    fd_prestat_dir_name(): number {
      host.guard('fd_prestat_dir_name');
      return Errno.NOSYS;
    },
    poll_oneoff(): number {
      host.guard('poll_oneoff');
      return Errno.NOTSUP;
    },
    sched_yield(): number {
      host.guard('sched_yield');
      return Errno.SUCCESS;
    },
  } as Record<string, (...args: never[]) => unknown>;
}
