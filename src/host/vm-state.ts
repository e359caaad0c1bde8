// The state a VM's host functions read and change (Envoy: the Wasm VM's context as the ABI sees
// it): its memory, the plugin's shared state, the stream being served, the one buffer the running
// callback may see, and the call restrictions of the current phase. The imports (imports/*.ts) act
// on it; the VM lifecycle (vm.ts) drives it.
import { LOG_LEVELS, Status } from './abi.ts';
import { ByteStringCache } from './byte-string-cache.ts';
import { GuestMemory, writeByteString } from './memory.ts';
import type { PluginShared } from './plugin-shared.ts';
import { ALLOC_ALLOWED, ALLOC_PHASE, RestrictedCallError } from './restricted-phases.ts';
import type { StreamState } from './stream-state.ts';
import type { HostLog } from './types.ts';

export type ExportFn = (...args: number[]) => number | undefined;

export class VmState {
  /** Logs of the callback being run go here. */
  logs: HostLog[] = [];
  rootId = 0;
  tickPeriodMs = 0;
  /** The stream the running callback (or proxy_set_effective_context) is about; null: the root context. */
  current: StreamState | null = null;
  readonly streams = new Map<number, StreamState>();
  /** The one buffer the running callback may see (configuration, or the body being delivered). */
  buffer: { type: number; data: Buffer } | null = null;
  /** Queue tokens with data waiting for on_queue_ready. */
  readonly pendingQueues = new Set<number>();
  readonly headerNames = new ByteStringCache(true, 64);
  readonly headerValues = new ByteStringCache(false, 128);

  private restricted: ReadonlySet<string> | null = null;
  private restrictedPhase = '';

  constructor(
    readonly memory: GuestMemory,
    readonly shared: PluginShared,
    /** The module's allocator export (malloc, else proxy_on_memory_allocate). */
    private readonly malloc: ExportFn,
    /** The wasm fast path of proxy_increment_metric (metric-cells.ts) reads restricted phases here. */
    private readonly incrementFlags: Int32Array,
    private readonly incrementFlag: number,
  ) {
    incrementFlags[incrementFlag] = 0;
  }

  // ---- phases and logs ------------------------------------------------------------------------

  guard(name: string): void {
    if (this.restricted !== null && !this.restricted.has(name)) {
      throw new RestrictedCallError(`calling ${name} is not allowed ${this.restrictedPhase}`);
    }
  }

  /** Until `lift`, only the calls in `allowed` may run (`phase` says when, in the error). */
  restrict(allowed: ReadonlySet<string>, phase: string): void {
    this.restricted = allowed;
    this.restrictedPhase = phase;
    this.incrementFlags[this.incrementFlag] = 1;
  }

  lift(): void {
    this.restricted = null;
    this.incrementFlags[this.incrementFlag] = 0;
  }

  emit(level: number, message: string): void {
    if (level < this.shared.logLevel) return;
    const log: HostLog = { level: LOG_LEVELS[level], message };
    this.logs.push(log);
    this.shared.onLog?.(log);
  }

  // ---- results into guest memory --------------------------------------------------------------

  /** Calls the module's allocator under Envoy's allocator restrictions; returns the pointer. */
  allocate(size: number): number {
    const saved = this.restricted;
    const savedPhase = this.restrictedPhase;
    this.restricted = ALLOC_ALLOWED;
    this.restrictedPhase = ALLOC_PHASE;
    this.incrementFlags[this.incrementFlag] = 1;
    try {
      return (this.malloc(size) as number) >>> 0;
    } finally {
      this.restricted = saved;
      this.restrictedPhase = savedPhase;
      this.incrementFlags[this.incrementFlag] = saved === null ? 0 : 1;
    }
  }

  /** Copies bytes (a byte string or Buffer) into guest memory it allocates, and stores pointer and size. */
  copyOut(data: string | Buffer, ptrPtr: number, sizePtr: number): number {
    const size = data.length;
    let ptr = 0;
    if (size > 0) {
      ptr = this.allocate(size);
      if (ptr === 0 || !this.memory.inBounds(ptr, size)) return Status.INVALID_MEMORY_ACCESS;
      if (typeof data === 'string') writeByteString(this.memory.bytes, data, ptr);
      else data.copy(this.memory.bytes, ptr);
    }
    return this.memory.u32x2(ptrPtr, ptr, sizePtr, size) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
  }
}
