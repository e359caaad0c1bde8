// State Envoy keeps outside a VM and shares between the worker VMs of one plugin: stats (metrics)
// and shared data (per vm_id, compare-and-swap) with shared queues.
import { MetricType, Status } from './abi.ts';
import { FAST_CELLS, FAST_IDS, FLAG_SLOTS, ID_TABLE, VALUES, fastIncrement } from './metric-cells.ts';

interface Metric {
  name: string;
  type: number;
  /** Its cell in the shared memory (see metric-cells.ts), or -1: the value is in `value`. */
  cell: number;
  value: number;
}

export class MetricStore {
  private readonly byName = new Map<string, Metric>();
  private readonly byId: Metric[] = [];
  /** Values, id table and VM flags the fast increment reads and writes (metric-cells.ts). */
  private readonly memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  private readonly words = new Int32Array(this.memory.buffer);
  private readonly cells = new Float64Array(this.memory.buffer, VALUES, FAST_CELLS);
  private nextCell = 0;
  private nextFlag = 0;

  /** Returns the id of a metric; defining a name again returns a new id for the same stat. */
  define(type: number, name: string): number {
    let metric = this.byName.get(name);
    if (!metric) {
      metric = { name, type, cell: this.nextCell < FAST_CELLS ? this.nextCell++ : -1, value: 0 };
      this.byName.set(name, metric);
    }
    this.byId.push(metric);
    // Offset ids so a module cannot mistake 0 for "no metric".
    const id = this.byId.length;
    if (id < FAST_IDS && metric.cell >= 0) this.words[(ID_TABLE >> 2) + id] = (metric.cell << 2) | (metric.type + 1);
    return id;
  }

  /**
   * proxy_increment_metric for one VM: `slow` (the JS import) wrapped in the wasm fast path, and
   * the VM's restricted-phase flag (`flags[flag]`, nonzero while restricted); without a flag
   * left, `slow` itself and a flag nothing reads.
   */
  incrementFor(slow: Function): { increment: Function; flags: Int32Array; flag: number } {
    if (this.nextFlag >= FLAG_SLOTS) return { increment: slow, flags: new Int32Array(1), flag: 0 };
    const flag = this.nextFlag++;
    this.words[flag] = 1; // restricted until the VM exists (see Vm's constructor)
    return { increment: fastIncrement(this.memory, flag << 2, slow), flags: this.words, flag };
  }

  private lookup(id: number): Metric | undefined {
    return this.byId[id - 1];
  }

  private valueOf(metric: Metric): number {
    return metric.cell >= 0 ? this.cells[metric.cell] : metric.value;
  }

  private set(metric: Metric, value: number): void {
    if (metric.cell >= 0) this.cells[metric.cell] = value;
    else metric.value = value;
  }

  increment(id: number, offset: number): number {
    const metric = this.lookup(id);
    if (!metric) return Status.NOT_FOUND;
    if (metric.type === MetricType.COUNTER) {
      // Envoy counters only go up.
      if (offset <= 0) return Status.BAD_ARGUMENT;
      this.set(metric, this.valueOf(metric) + offset);
      return Status.OK;
    }
    if (metric.type === MetricType.GAUGE) {
      this.set(metric, this.valueOf(metric) + offset);
      return Status.OK;
    }
    return Status.BAD_ARGUMENT;
  }

  record(id: number, value: number): number {
    const metric = this.lookup(id);
    if (!metric) return Status.NOT_FOUND;
    if (metric.type === MetricType.COUNTER) this.set(metric, this.valueOf(metric) + value);
    else this.set(metric, value); // gauge: set; histogram: the last sample is what this host keeps
    return Status.OK;
  }

  get(id: number): { status: number; value: number } {
    const metric = this.lookup(id);
    if (!metric) return { status: Status.NOT_FOUND, value: 0 };
    if (metric.type === MetricType.HISTOGRAM) return { status: Status.BAD_ARGUMENT, value: 0 };
    return { status: Status.OK, value: this.valueOf(metric) };
  }

  snapshot(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const [name, metric] of this.byName) result[name] = this.valueOf(metric);
    return result;
  }
}

export class SharedDataStore {
  private readonly entries = new Map<string, { value: Buffer; cas: number }>();
  private nextCas = 1;

  get(key: string): { value: Buffer; cas: number } | undefined {
    return this.entries.get(key);
  }

  /** cas 0 always writes; any other cas must equal the entry's current one. */
  set(key: string, value: Buffer, cas: number): number {
    const entry = this.entries.get(key);
    if (entry && cas !== 0 && cas !== entry.cas) return Status.CAS_MISMATCH;
    this.entries.set(key, { value, cas: this.nextCas++ });
    if (this.nextCas > 0xffffffff) this.nextCas = 1;
    return Status.OK;
  }
}

export interface SharedQueue {
  vmId: string;
  name: string;
  items: Buffer[];
  /** The worker and root context that registered it, for on_queue_ready. */
  owner: { notify(token: number): void };
}

export class SharedQueueStore {
  private readonly queues: SharedQueue[] = [];

  register(vmId: string, name: string, owner: SharedQueue['owner']): number {
    const existing = this.queues.findIndex((q) => q.vmId === vmId && q.name === name);
    if (existing >= 0) {
      this.queues[existing].owner = owner;
      return existing + 1;
    }
    this.queues.push({ vmId, name, items: [], owner });
    return this.queues.length;
  }

  resolve(vmId: string, name: string): number | undefined {
    const index = this.queues.findIndex((q) => q.vmId === vmId && q.name === name);
    return index < 0 ? undefined : index + 1;
  }

  enqueue(token: number, value: Buffer): number {
    const queue = this.queues[token - 1];
    if (!queue) return Status.NOT_FOUND;
    queue.items.push(value);
    queue.owner.notify(token);
    return Status.OK;
  }

  dequeue(token: number): { status: number; value?: Buffer } {
    const queue = this.queues[token - 1];
    if (!queue) return { status: Status.NOT_FOUND };
    const value = queue.items.shift();
    return value === undefined ? { status: Status.EMPTY } : { status: Status.OK, value };
  }
}
