// One Proxy-Wasm VM: a module instance with Envoy's host functions bound to it. A worker thread in
// Envoy owns one; the canary that validates a configuration is one too.
import { Action, LOG_LEVELS, MapType, Status, BufferType } from './abi.ts';
import { HeaderMap, lowerHeaderName } from './header-map.ts';
import { GuestMemory, writeByteString } from './memory.ts';
import { readPairs } from './pairs.ts';
import { getProperty, type PluginAttributes, type StreamAttributes } from './properties.ts';
import type { MetricStore, SharedDataStore, SharedQueueStore } from './stores.ts';
import type { HostLog, LocalResponse } from './types.ts';
import { wasiImports } from './wasi.ts';
import { WASI_MODULES } from './module-check.ts';

/** What all VMs of one plugin share (Envoy: the plugin, its stats scope, the vm_id's shared data). */
export interface PluginShared {
  readonly plugin: PluginAttributes;
  readonly environ: readonly string[];
  readonly vmConfig: Buffer;
  readonly pluginConfig: Buffer;
  readonly logLevel: number;
  readonly metrics: MetricStore;
  readonly sharedData: SharedDataStore;
  readonly queues: SharedQueueStore;
  readonly onLog?: (log: HostLog) => void;
}

/** Per-stream state the host functions act on. */
export interface StreamState {
  readonly id: number;
  headers: HeaderMap | null;
  /** Request headers may change only until on_request_headers returns Continue. */
  headersWritable: boolean;
  responseHeaders: HeaderMap | null;
  responseWritable: boolean;
  inLog: boolean;
  attrs: StreamAttributes;
  localResponse: LocalResponse | null;
  closed: boolean;
  properties: Map<string, Buffer> | null;
}

/** Thrown inside a host function the current phase does not allow; it unwinds and fails the VM. */
class RestrictedCallError extends Error {}

// During _initialize/_start Envoy lets a module log, read its environment, args, clocks and random only.
const START_ALLOWED: ReadonlySet<string> = new Set(['proxy_log', 'fd_write', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'fd_prestat_get', 'fd_prestat_dir_name', 'clock_time_get', 'random_get']);
// While the guest allocator runs for the host, only these are allowed.
const ALLOC_ALLOWED: ReadonlySet<string> = new Set(['proxy_log', 'fd_write', 'clock_time_get', 'poll_oneoff']);

type Fn = (...args: number[]) => number | undefined;

const CACHE_SLOTS = 128;
const SLOT_SHIFT = 32 - Math.log2(CACHE_SLOTS);
const EMPTY_KEY = new Int32Array(0);

/**
 * Byte strings the module passes again and again (header names, and values such as the ids and
 * feature lists a filter writes), decoded once: direct-mapped on the bytes, bounded in slots and
 * length, a hit confirmed by comparing every byte, a word at a time (strings under four bytes are
 * decoded each time). Names are lower-cased as Envoy does.
 */
class ByteStringCache {
  /** Each slot's bytes as little-endian words: whole words from 0, then the last four bytes (see read). */
  private readonly keys: Int32Array[] = new Array(CACHE_SLOTS).fill(EMPTY_KEY);
  private readonly sizes = new Int32Array(CACHE_SLOTS).fill(-1);
  private readonly strings: string[] = new Array(CACHE_SLOTS).fill('');

  constructor(
    private readonly lowerCase: boolean,
    private readonly maxLength: number,
  ) {}

  private decode(bytes: Buffer, ptr: number, size: number): string {
    const text = bytes.latin1Slice(ptr, ptr + size);
    return this.lowerCase ? lowerHeaderName(text) : text;
  }

  /** The string at [ptr, ptr+size) of `bytes` (`data` views the same memory; bounds checked). */
  read(bytes: Buffer, data: DataView, ptr: number, size: number): string {
    if (size < 4) return size === 0 ? '' : this.decode(bytes, ptr, size);
    if (size > this.maxLength) return this.decode(bytes, ptr, size);
    // The slot: a multiplicative hash of the length and the first, middle and last four bytes
    // (ids often share a prefix and a length).
    const last = data.getInt32(ptr + size - 4, true);
    const middle = data.getInt32(ptr + ((size - 4) >> 1), true);
    const slot = Math.imul(data.getInt32(ptr, true) ^ Math.imul(last, 0x85ebca6b) ^ Math.imul(middle, 0xc2b2ae35) ^ size, 0x9e3779b1) >>> SLOT_SHIFT;
    const words = size >> 2;
    if (this.sizes[slot] === size) {
      // A word at a time; the last word ends at the last byte (it may overlap the one before).
      const key = this.keys[slot];
      let k = 0;
      while (k < words && key[k] === data.getInt32(ptr + 4 * k, true)) k++;
      if (k === words && key[words] === last) return this.strings[slot];
    }
    const text = this.decode(bytes, ptr, size);
    const key = new Int32Array(words + 1);
    for (let k = 0; k < words; k++) key[k] = data.getInt32(ptr + 4 * k, true);
    key[words] = last;
    this.keys[slot] = key;
    this.sizes[slot] = size;
    this.strings[slot] = text;
    return text;
  }
}

export class Vm {
  failed = false;
  failure = '';
  /** Logs of the callback being run go here. */
  logs: HostLog[] = [];
  readonly memory: GuestMemory;
  rootId = 0;
  tickPeriodMs = 0;

  private restricted: ReadonlySet<string> | null = null;
  private restrictedPhase = '';
  private nextContextId = 1;
  private current: StreamState | null = null;
  private readonly streams = new Map<number, StreamState>();
  private readonly malloc: Fn;
  private readonly headerNames = new ByteStringCache(true, 64);
  private readonly headerValues = new ByteStringCache(false, 128);
  private readonly callbacks: Record<string, Fn | undefined>;
  /** The one buffer the running callback may see (configuration, or the body being delivered). */
  private buffers: { type: number; data: Buffer } | null = null;

  private constructor(
    private readonly instance: WebAssembly.Instance,
    private readonly shared: PluginShared,
    memory: GuestMemory,
    /** The wasm fast path of proxy_increment_metric (metric-cells.ts) reads restricted phases here. */
    private readonly incrementFlags: Int32Array,
    private readonly incrementFlag: number,
  ) {
    this.memory = memory;
    incrementFlags[incrementFlag] = 0;
    const exports = instance.exports as Record<string, unknown>;
    const fn = (name: string) => (typeof exports[name] === 'function' ? (exports[name] as Fn) : undefined);
    this.malloc = (fn('malloc') ?? fn('proxy_on_memory_allocate'))!;
    // One object literal: a fixed shape, so each invoke() of a known name is a plain field load.
    this.callbacks = {
      _initialize: fn('_initialize'),
      main: fn('main'),
      _start: fn('_start'),
      proxy_on_context_create: fn('proxy_on_context_create'),
      proxy_on_vm_start: fn('proxy_on_vm_start'),
      proxy_on_configure: fn('proxy_on_configure'),
      proxy_on_request_headers: fn('proxy_on_request_headers'),
      proxy_on_request_body: fn('proxy_on_request_body'),
      proxy_on_response_headers: fn('proxy_on_response_headers'),
      proxy_on_log: fn('proxy_on_log'),
      proxy_on_done: fn('proxy_on_done'),
      proxy_on_delete: fn('proxy_on_delete'),
      proxy_on_tick: fn('proxy_on_tick'),
      proxy_on_queue_ready: fn('proxy_on_queue_ready'),
    };
  }

  /** Instantiates a module (already checked by checkModule) with the host functions bound to a new VM. */
  static async create(module: WebAssembly.Module, shared: PluginShared): Promise<Vm> {
    // Imports are bound before the instance exists; they reach the VM through this late reference.
    let vm: Vm | undefined;
    const memoryRef: { memory?: GuestMemory } = {};
    const hostForWasi = {
      get memory() {
        return memoryRef.memory!;
      },
      environ: shared.environ,
      guard: (name: string) => vm!.guard(name),
      log: (level: number, message: string) => vm!.emit(level, message),
    };
    const wasi = wasiImports(hostForWasi);
    const env = Vm.envImports(() => vm!);
    const increment = shared.metrics.incrementFor(env.proxy_increment_metric);
    env.proxy_increment_metric = increment.increment as (typeof env)[string];
    const imports: WebAssembly.Imports = { env };
    for (const name of WASI_MODULES) imports[name] = wasi;
    const instance = await WebAssembly.instantiate(module, imports);
    const memory = new GuestMemory(instance.exports.memory as WebAssembly.Memory);
    memoryRef.memory = memory;
    vm = new Vm(instance, shared, memory, increment.flags, increment.flag);
    return vm;
  }

  // ---- phases and failure -------------------------------------------------------------------

  guard(name: string): void {
    if (this.restricted !== null && !this.restricted.has(name)) {
      throw new RestrictedCallError(`calling ${name} is not allowed ${this.restrictedPhase}`);
    }
  }

  emit(level: number, message: string): void {
    if (level < this.shared.logLevel) return;
    const log: HostLog = { level: LOG_LEVELS[level], message };
    this.logs.push(log);
    this.shared.onLog?.(log);
  }

  private fail(functionName: string, error: unknown): void {
    this.failed = true;
    const message = error instanceof Error ? error.message : String(error);
    this.failure = `Function: ${functionName} failed: ${message}`;
    // Envoy reports a failed VM through its own logger at error level.
    this.emit(4, this.failure);
  }

  /** Calls an export; a trap (or a restricted call) fails the VM and yields undefined. */
  private invoke(name: string, a?: number, b?: number, c?: number): number | undefined {
    const callback = this.callbacks[name];
    if (!callback || this.failed) return undefined;
    try {
      return callback(a as number, b as number, c as number);
    } catch (error) {
      this.fail(name, error);
      return undefined;
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** WASI start under Envoy's start restrictions. */
  start(): void {
    this.restricted = START_ALLOWED;
    this.restrictedPhase = 'while the module starts';
    this.incrementFlags[this.incrementFlag] = 1;
    try {
      if (this.callbacks._initialize) {
        this.invoke('_initialize');
        if (this.callbacks.main) this.invoke('main', 0, 0);
      } else if (this.callbacks._start) {
        this.invoke('_start');
      }
    } finally {
      this.restricted = null;
      this.incrementFlags[this.incrementFlag] = 0;
    }
  }

  /** Root context: create, on_vm_start, on_configure. Returns on_configure's verdict. */
  configureRoot(): { started: boolean; configured: boolean } {
    this.rootId = this.nextContextId++;
    this.invoke('proxy_on_context_create', this.rootId, 0);
    this.buffers = { type: BufferType.VM_CONFIGURATION, data: this.shared.vmConfig };
    const started = this.callbacks.proxy_on_vm_start ? this.invoke('proxy_on_vm_start', this.rootId, this.shared.vmConfig.length) !== 0 : true;
    if (!started || this.failed) {
      this.buffers = null;
      return { started: started && !this.failed, configured: false };
    }
    this.buffers = { type: BufferType.PLUGIN_CONFIGURATION, data: this.shared.pluginConfig };
    const configured = this.callbacks.proxy_on_configure ? this.invoke('proxy_on_configure', this.rootId, this.shared.pluginConfig.length) !== 0 : true;
    this.buffers = null;
    return { started: true, configured: configured && !this.failed };
  }

  tick(): void {
    this.invoke('proxy_on_tick', this.rootId);
  }

  queueReady(token: number): void {
    this.invoke('proxy_on_queue_ready', this.rootId, token);
  }

  // ---- streams --------------------------------------------------------------------------------

  openStream(headers: HeaderMap, attrs: StreamAttributes): StreamState {
    const stream: StreamState = {
      id: this.nextContextId++,
      headers,
      headersWritable: true,
      responseHeaders: null,
      responseWritable: false,
      inLog: false,
      attrs,
      localResponse: null,
      closed: false,
      properties: null,
    };
    this.streams.set(stream.id, stream);
    this.current = stream;
    this.invoke('proxy_on_context_create', stream.id, this.rootId);
    return stream;
  }

  onRequestHeaders(stream: StreamState, endOfStream: boolean): number {
    this.current = stream;
    const headers = stream.headers!;
    const action = this.invoke('proxy_on_request_headers', stream.id, headers.size, endOfStream ? 1 : 0) ?? Action.CONTINUE;
    if (action === Action.CONTINUE && !stream.localResponse) stream.headersWritable = false;
    return action;
  }

  /** Delivers the whole request body in one on_request_body call; returns the (possibly changed) body. */
  onRequestBody(stream: StreamState, body: Buffer): { action: number; body: Buffer } {
    this.current = stream;
    this.buffers = { type: BufferType.REQUEST_BODY, data: body };
    try {
      const action = this.invoke('proxy_on_request_body', stream.id, body.length, 1) ?? Action.CONTINUE;
      return { action, body: this.buffers.data };
    } finally {
      this.buffers = null;
    }
  }

  onResponseHeaders(stream: StreamState, headers: HeaderMap): number {
    this.current = stream;
    stream.headersWritable = false;
    stream.responseHeaders = headers;
    stream.responseWritable = true;
    const action = this.invoke('proxy_on_response_headers', stream.id, headers.size, 1) ?? Action.CONTINUE;
    if (action === Action.CONTINUE) stream.responseWritable = false;
    return action;
  }

  /** Envoy's end of a stream: on_log, then on_done, then on_delete. */
  closeStream(stream: StreamState): void {
    this.current = stream;
    stream.headersWritable = false;
    stream.responseWritable = false;
    stream.inLog = true;
    this.invoke('proxy_on_log', stream.id);
    stream.inLog = false;
    this.invoke('proxy_on_done', stream.id);
    this.invoke('proxy_on_delete', stream.id);
    this.streams.delete(stream.id);
    this.current = null;
  }

  // ---- memory helpers -------------------------------------------------------------------------

  /** A header name the module passes, lower-cased; undefined when outside memory. */
  private headerName(ptr: number, size: number): string | undefined {
    ptr >>>= 0;
    size >>>= 0;
    const memory = this.memory;
    const bytes = memory.bytes;
    if (ptr + size > bytes.length) return undefined;
    return this.headerNames.read(bytes, memory.dataView, ptr, size);
  }

  /** A header value the module passes (a byte string); undefined when outside memory. */
  private headerValue(ptr: number, size: number): string | undefined {
    ptr >>>= 0;
    size >>>= 0;
    const memory = this.memory;
    const bytes = memory.bytes;
    if (ptr + size > bytes.length) return undefined;
    return this.headerValues.read(bytes, memory.dataView, ptr, size);
  }

  private allocate(size: number): number {
    const saved = this.restricted;
    const savedPhase = this.restrictedPhase;
    this.restricted = ALLOC_ALLOWED;
    this.restrictedPhase = 'while the module allocates memory for the host';
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
  private copyOut(data: string | Buffer, ptrPtr: number, sizePtr: number): number {
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

  private map(type: number, write: boolean): HeaderMap | null {
    const stream = this.current;
    if (!stream) return null;
    if (type === MapType.REQUEST_HEADERS) return write && !stream.headersWritable ? null : stream.headers;
    if (type === MapType.RESPONSE_HEADERS) return write && !stream.responseWritable ? null : stream.responseHeaders;
    return null;
  }

  /** Status for a map that is not available now: NOT_FOUND while logging, else BAD_ARGUMENT (Envoy). */
  private missingMap(): number {
    return this.current?.inLog ? Status.NOT_FOUND : Status.BAD_ARGUMENT;
  }

  // ---- env.proxy_* ----------------------------------------------------------------------------

  private static envImports(vmOf: () => Vm): Record<string, (...args: never[]) => unknown> {
    const S = Status;
    const imports: Record<string, (...args: number[]) => unknown> = {
      proxy_log(level, ptr, size) {
        const vm = vmOf();
        vm.guard('proxy_log');
        if (level >>> 0 > 5) return S.BAD_ARGUMENT;
        const message = vm.memory.utf8(ptr, size);
        if (message === undefined) return S.INVALID_MEMORY_ACCESS;
        vm.emit(level, message);
        return S.OK;
      },
      proxy_get_log_level(ptr) {
        const vm = vmOf();
        vm.guard('proxy_get_log_level');
        return vm.memory.u32(ptr, vm.shared.logLevel) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_get_current_time_nanoseconds(ptr) {
        const vm = vmOf();
        vm.guard('proxy_get_current_time_nanoseconds');
        return vm.memory.u64(ptr, BigInt(Date.now()) * 1_000_000n) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_set_tick_period_milliseconds(period) {
        const vm = vmOf();
        vm.guard('proxy_set_tick_period_milliseconds');
        vm.tickPeriodMs = period >>> 0;
        return S.OK;
      },
      proxy_get_buffer_status(type, lengthPtr, flagsPtr) {
        const vm = vmOf();
        vm.guard('proxy_get_buffer_status');
        if (type >>> 0 > BufferType.PLUGIN_CONFIGURATION) return S.BAD_ARGUMENT;
        const buffer = vm.buffers?.type === type ? vm.buffers.data : undefined;
        if (!buffer) return S.NOT_FOUND;
        return vm.memory.u32(lengthPtr, buffer.length) && vm.memory.u32(flagsPtr, 0) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_get_buffer_bytes(type, start, length, ptrPtr, sizePtr) {
        const vm = vmOf();
        vm.guard('proxy_get_buffer_bytes');
        if (type >>> 0 > BufferType.PLUGIN_CONFIGURATION) return S.BAD_ARGUMENT;
        const buffer = vm.buffers?.type === type ? vm.buffers.data : undefined;
        if (!buffer) return S.NOT_FOUND;
        start >>>= 0;
        length >>>= 0;
        if (start + length > 0xffffffff) return S.BAD_ARGUMENT;
        const end = Math.min(buffer.length, start + length);
        if (end <= start) return S.OK; // nothing to copy: Envoy writes nothing
        return vm.copyOut(buffer.subarray(start, end), ptrPtr, sizePtr);
      },
      proxy_set_buffer_bytes(type, start, length, ptr, size) {
        const vm = vmOf();
        vm.guard('proxy_set_buffer_bytes');
        if (type >>> 0 > BufferType.PLUGIN_CONFIGURATION) return S.BAD_ARGUMENT;
        const buffer = vm.buffers;
        if (!buffer || buffer.type !== type || type !== BufferType.REQUEST_BODY) return S.NOT_FOUND;
        const data = vm.memory.copy(ptr, size);
        if (data === undefined) return S.INVALID_MEMORY_ACCESS;
        start >>>= 0;
        length >>>= 0;
        // Envoy's body buffer: at 0, drop `length` bytes then prepend; at or past the end, append.
        if (start === 0) buffer.data = Buffer.concat([data, buffer.data.subarray(Math.min(length, buffer.data.length))]);
        else if (start >= buffer.data.length) buffer.data = Buffer.concat([buffer.data, data]);
        else return S.BAD_ARGUMENT;
        return S.OK;
      },
      proxy_get_header_map_pairs(type, ptrPtr, sizePtr) {
        const vm = vmOf();
        vm.guard('proxy_get_header_map_pairs');
        const map = vm.map(type, false);
        if (!map) return vm.missingMap();
        const size = map.pairsSize();
        const ptr = vm.allocate(size);
        const memory = vm.memory;
        const bytes = memory.bytes;
        if (ptr === 0 || ptr + size > bytes.length) return S.INVALID_MEMORY_ACCESS;
        map.writePairs(bytes, ptr);
        return memory.u32x2(ptrPtr, ptr, sizePtr, size) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_set_header_map_pairs(type, ptr, size) {
        const vm = vmOf();
        vm.guard('proxy_set_header_map_pairs');
        const map = vm.map(type, true);
        if (!map) return vm.missingMap();
        if (!vm.memory.inBounds(ptr, size)) return S.INVALID_MEMORY_ACCESS;
        const pairs = readPairs(vm.memory.bytes, ptr >>> 0, size >>> 0);
        map.clear();
        for (const [name, value] of pairs) map.add(lowerHeaderName(name), value);
        return S.OK;
      },
      proxy_get_header_map_value(type, keyPtr, keySize, valuePtrPtr, valueSizePtr) {
        const vm = vmOf();
        vm.guard('proxy_get_header_map_value');
        const key = vm.headerName(keyPtr, keySize);
        if (key === undefined) return S.INVALID_MEMORY_ACCESS;
        const map = vm.map(type, false);
        if (!map) return vm.missingMap();
        const value = map.get(key);
        if (value === undefined) return S.NOT_FOUND;
        return vm.copyOut(value, valuePtrPtr, valueSizePtr);
      },
      proxy_add_header_map_value(type, keyPtr, keySize, valuePtr, valueSize) {
        const vm = vmOf();
        vm.guard('proxy_add_header_map_value');
        const key = vm.headerName(keyPtr, keySize);
        const value = vm.headerValue(valuePtr, valueSize);
        if (key === undefined || value === undefined) return S.INVALID_MEMORY_ACCESS;
        const map = vm.map(type, true);
        if (!map) return S.BAD_ARGUMENT;
        map.add(key, value);
        return S.OK;
      },
      proxy_replace_header_map_value(type, keyPtr, keySize, valuePtr, valueSize) {
        const vm = vmOf();
        vm.guard('proxy_replace_header_map_value');
        // vm.headerName and vm.headerValue with one fetch of the memory views.
        const memory = vm.memory;
        const bytes = memory.bytes;
        const data = memory.dataView;
        keyPtr >>>= 0;
        keySize >>>= 0;
        valuePtr >>>= 0;
        valueSize >>>= 0;
        if (keyPtr + keySize > bytes.length || valuePtr + valueSize > bytes.length) return S.INVALID_MEMORY_ACCESS;
        const key = vm.headerNames.read(bytes, data, keyPtr, keySize);
        const value = vm.headerValues.read(bytes, data, valuePtr, valueSize);
        const map = vm.map(type, true);
        if (!map) return S.BAD_ARGUMENT;
        map.replace(key, value);
        return S.OK;
      },
      proxy_remove_header_map_value(type, keyPtr, keySize) {
        const vm = vmOf();
        vm.guard('proxy_remove_header_map_value');
        const key = vm.headerName(keyPtr, keySize);
        if (key === undefined) return S.INVALID_MEMORY_ACCESS;
        const map = vm.map(type, true);
        if (!map) return S.BAD_ARGUMENT;
        map.remove(key);
        return S.OK;
      },
      proxy_get_header_map_size(type, sizePtr) {
        const vm = vmOf();
        vm.guard('proxy_get_header_map_size');
        const map = vm.map(type, false);
        if (!map) return vm.missingMap();
        return vm.memory.u32(sizePtr, map.byteSize()) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_get_property(pathPtr, pathSize, valuePtrPtr, valueSizePtr) {
        const vm = vmOf();
        vm.guard('proxy_get_property');
        const path = vm.memory.utf8(pathPtr, pathSize);
        if (path === undefined) return S.INVALID_MEMORY_ACCESS;
        const stream = vm.current;
        const stored = stream?.properties?.get(path);
        if (stored) return vm.copyOut(stored, valuePtrPtr, valueSizePtr);
        const result = getProperty(path.split('\0'), vm.shared.plugin, stream ? stream.attrs : null);
        if (result.status !== S.OK) return result.status;
        return vm.copyOut(result.value!, valuePtrPtr, valueSizePtr);
      },
      proxy_set_property(pathPtr, pathSize, valuePtr, valueSize) {
        const vm = vmOf();
        vm.guard('proxy_set_property');
        const path = vm.memory.utf8(pathPtr, pathSize);
        const value = vm.memory.copy(valuePtr, valueSize);
        if (path === undefined || value === undefined) return S.INVALID_MEMORY_ACCESS;
        const stream = vm.current;
        if (!stream) return S.NOT_FOUND;
        (stream.properties ??= new Map()).set(path, value);
        return S.OK;
      },
      proxy_continue_stream(type) {
        const vm = vmOf();
        vm.guard('proxy_continue_stream');
        if (type >>> 0 > 2) return S.BAD_ARGUMENT;
        return vm.current ? S.OK : S.NOT_FOUND;
      },
      proxy_close_stream(type) {
        const vm = vmOf();
        vm.guard('proxy_close_stream');
        if (type >>> 0 > 2) return S.BAD_ARGUMENT;
        if (!vm.current) return S.NOT_FOUND;
        vm.current.closed = true;
        return S.OK;
      },
      proxy_send_local_response(status, detailsPtr, detailsSize, bodyPtr, bodySize, headersPtr, headersSize) {
        const vm = vmOf();
        vm.guard('proxy_send_local_response');
        const details = vm.memory.utf8(detailsPtr, detailsSize);
        const body = vm.memory.utf8(bodyPtr, bodySize);
        if (details === undefined || body === undefined || !vm.memory.inBounds(headersPtr, headersSize)) return S.INVALID_MEMORY_ACCESS;
        const stream = vm.current;
        if (!stream) return S.NOT_FOUND;
        if (stream.localResponse) return S.BAD_ARGUMENT; // Envoy sends one local reply per stream
        const headers = readPairs(vm.memory.bytes, headersPtr >>> 0, headersSize >>> 0).map(([n, v]): [string, string] => [lowerHeaderName(n), v]);
        stream.localResponse = { status: status >>> 0, details, body, headers };
        return S.OK;
      },
      proxy_get_shared_data(keyPtr, keySize, valuePtrPtr, valueSizePtr, casPtr) {
        const vm = vmOf();
        vm.guard('proxy_get_shared_data');
        const key = vm.memory.utf8(keyPtr, keySize);
        if (key === undefined) return S.INVALID_MEMORY_ACCESS;
        const entry = vm.shared.sharedData.get(key);
        if (!entry) return S.NOT_FOUND;
        const copied = vm.copyOut(entry.value, valuePtrPtr, valueSizePtr);
        if (copied !== S.OK) return copied;
        return vm.memory.u32(casPtr, entry.cas) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_set_shared_data(keyPtr, keySize, valuePtr, valueSize, cas) {
        const vm = vmOf();
        vm.guard('proxy_set_shared_data');
        const key = vm.memory.utf8(keyPtr, keySize);
        const value = vm.memory.copy(valuePtr, valueSize);
        if (key === undefined || value === undefined) return S.INVALID_MEMORY_ACCESS;
        return vm.shared.sharedData.set(key, value, cas >>> 0);
      },
      proxy_register_shared_queue(namePtr, nameSize, tokenPtr) {
        const vm = vmOf();
        vm.guard('proxy_register_shared_queue');
        const name = vm.memory.utf8(namePtr, nameSize);
        if (name === undefined) return S.INVALID_MEMORY_ACCESS;
        const token = vm.shared.queues.register(vm.shared.plugin.vmId, name, { notify: (t) => vm.pendingQueues.add(t) });
        return vm.memory.u32(tokenPtr, token) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_resolve_shared_queue(vmIdPtr, vmIdSize, namePtr, nameSize, tokenPtr) {
        const vm = vmOf();
        vm.guard('proxy_resolve_shared_queue');
        const vmId = vm.memory.utf8(vmIdPtr, vmIdSize);
        const name = vm.memory.utf8(namePtr, nameSize);
        if (vmId === undefined || name === undefined) return S.INVALID_MEMORY_ACCESS;
        const token = vm.shared.queues.resolve(vmId, name);
        if (token === undefined) return S.NOT_FOUND;
        return vm.memory.u32(tokenPtr, token) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_enqueue_shared_queue(token, ptr, size) {
        const vm = vmOf();
        vm.guard('proxy_enqueue_shared_queue');
        const value = vm.memory.copy(ptr, size);
        if (value === undefined) return S.INVALID_MEMORY_ACCESS;
        return vm.shared.queues.enqueue(token >>> 0, value);
      },
      proxy_dequeue_shared_queue(token, ptrPtr, sizePtr) {
        const vm = vmOf();
        vm.guard('proxy_dequeue_shared_queue');
        const result = vm.shared.queues.dequeue(token >>> 0);
        if (result.status !== S.OK) return result.status;
        return vm.copyOut(result.value!, ptrPtr, sizePtr);
      },
      // No upstream clusters exist in this host: Envoy answers an unknown cluster with BAD_ARGUMENT.
      proxy_http_call() {
        vmOf().guard('proxy_http_call');
        return S.BAD_ARGUMENT;
      },
      proxy_grpc_call() {
        vmOf().guard('proxy_grpc_call');
        return S.BAD_ARGUMENT;
      },
      proxy_grpc_stream() {
        vmOf().guard('proxy_grpc_stream');
        return S.BAD_ARGUMENT;
      },
      proxy_grpc_send() {
        vmOf().guard('proxy_grpc_send');
        return S.NOT_FOUND;
      },
      proxy_grpc_cancel() {
        vmOf().guard('proxy_grpc_cancel');
        return S.NOT_FOUND;
      },
      proxy_grpc_close() {
        vmOf().guard('proxy_grpc_close');
        return S.NOT_FOUND;
      },
      proxy_get_status(codePtr, messagePtrPtr, messageSizePtr) {
        const vm = vmOf();
        vm.guard('proxy_get_status');
        if (!vm.memory.u32(codePtr, 0)) return S.INVALID_MEMORY_ACCESS;
        return vm.copyOut('', messagePtrPtr, messageSizePtr);
      },
      proxy_define_metric(type, namePtr, nameSize, idPtr) {
        const vm = vmOf();
        vm.guard('proxy_define_metric');
        if (type >>> 0 > 2) return S.BAD_ARGUMENT;
        const name = vm.memory.utf8(namePtr, nameSize);
        if (name === undefined) return S.INVALID_MEMORY_ACCESS;
        return vm.memory.u32(idPtr, vm.shared.metrics.define(type, name)) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_increment_metric(id, offset) {
        const vm = vmOf();
        vm.guard('proxy_increment_metric');
        return vm.shared.metrics.increment(id >>> 0, Number(offset as unknown as bigint));
      },
      proxy_record_metric(id, value) {
        const vm = vmOf();
        vm.guard('proxy_record_metric');
        return vm.shared.metrics.record(id >>> 0, Number(BigInt.asUintN(64, value as unknown as bigint)));
      },
      proxy_get_metric(id, resultPtr) {
        const vm = vmOf();
        vm.guard('proxy_get_metric');
        const result = vm.shared.metrics.get(id >>> 0);
        if (result.status !== S.OK) return result.status;
        return vm.memory.u64(resultPtr, BigInt(Math.trunc(result.value))) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_set_effective_context(id) {
        const vm = vmOf();
        vm.guard('proxy_set_effective_context');
        if (id >>> 0 === vm.rootId) {
          vm.current = null;
          return S.OK;
        }
        const stream = vm.streams.get(id >>> 0);
        if (!stream) return S.BAD_ARGUMENT;
        vm.current = stream;
        return S.OK;
      },
      proxy_done() {
        vmOf().guard('proxy_done');
        return S.NOT_FOUND; // only meaningful while a root context shuts down
      },
      proxy_call_foreign_function(namePtr, nameSize) {
        const vm = vmOf();
        vm.guard('proxy_call_foreign_function');
        const name = vm.memory.utf8(namePtr, nameSize);
        if (name === undefined) return S.INVALID_MEMORY_ACCESS;
        return S.NOT_FOUND;
      },
      pthread_equal(left, right) {
        return left === right ? 1 : 0;
      },
      emscripten_notify_memory_growth() {
        // The memory view refreshes itself when the buffer changes.
      },
    };
    return imports as Record<string, (...args: never[]) => unknown>;
  }

  /** Queue tokens with data waiting for on_queue_ready. */
  readonly pendingQueues = new Set<number>();
}
