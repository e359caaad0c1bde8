// One Proxy-Wasm VM's lifecycle: a module instance with Envoy's host functions bound to it (a worker
// thread in Envoy owns one; the canary that validates a configuration is one too). Instantiation,
// the WASI start, the root context's start and configure, stream contexts from create to delete,
// and failure: a trap fails the VM for good. What the host functions act on is in vm-state.ts,
// the host functions themselves in imports/.
import { Action, BufferType } from './abi.ts';
import type { HeaderMap } from './header-map.ts';
import { vmImports } from './imports/index.ts';
import { GuestMemory } from './memory.ts';
import type { PluginShared } from './plugin-shared.ts';
import type { StreamAttributes } from './properties.ts';
import { START_ALLOWED, START_PHASE } from './restricted-phases.ts';
import { newStream, type StreamState } from './stream-state.ts';
import type { HostLog } from './types.ts';
import { VmState, type ExportFn } from './vm-state.ts';

function exportedFunction(instance: WebAssembly.Instance, name: string): ExportFn | undefined {
  const value = (instance.exports as Record<string, unknown>)[name];
  return typeof value === 'function' ? (value as ExportFn) : undefined;
}

export class Vm {
  failed = false;
  failure = '';

  private nextContextId = 1;
  private readonly callbacks: Record<string, ExportFn | undefined>;

  private constructor(
    instance: WebAssembly.Instance,
    private readonly state: VmState,
  ) {
    const fn = (name: string) => exportedFunction(instance, name);
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
    // The state needs the instance (memory, allocator), the imports need the state: a late reference.
    let state: VmState | undefined;
    const { imports, incrementFlags, incrementFlag } = vmImports(() => state!, shared);
    const instance = await WebAssembly.instantiate(module, imports);
    const allocator = (exportedFunction(instance, 'malloc') ?? exportedFunction(instance, 'proxy_on_memory_allocate'))!;
    state = new VmState(new GuestMemory(instance.exports.memory as WebAssembly.Memory), shared, allocator, incrementFlags, incrementFlag);
    return new Vm(instance, state);
  }

  /** Logs of the callback being run go here. */
  get logs(): HostLog[] {
    return this.state.logs;
  }

  set logs(logs: HostLog[]) {
    this.state.logs = logs;
  }

  get memory(): GuestMemory {
    return this.state.memory;
  }

  // ---- failure --------------------------------------------------------------------------------

  private fail(functionName: string, error: unknown): void {
    this.failed = true;
    const message = error instanceof Error ? error.message : String(error);
    this.failure = `Function: ${functionName} failed: ${message}`;
    // Envoy reports a failed VM through its own logger at error level.
    this.state.emit(4, this.failure);
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

  // ---- the VM and its root context ------------------------------------------------------------

  /** WASI start under Envoy's start restrictions. */
  start(): void {
    this.state.restrict(START_ALLOWED, START_PHASE);
    try {
      if (this.callbacks._initialize) {
        this.invoke('_initialize');
        if (this.callbacks.main) this.invoke('main', 0, 0);
      } else if (this.callbacks._start) {
        this.invoke('_start');
      }
    } finally {
      this.state.lift();
    }
  }

  /** Root context: create, on_vm_start, on_configure. Returns on_configure's verdict. */
  configureRoot(): { started: boolean; configured: boolean } {
    const state = this.state;
    const { vmConfig, pluginConfig } = state.shared;
    state.rootId = this.nextContextId++;
    this.invoke('proxy_on_context_create', state.rootId, 0);
    state.buffer = { type: BufferType.VM_CONFIGURATION, data: vmConfig };
    const started = this.callbacks.proxy_on_vm_start ? this.invoke('proxy_on_vm_start', state.rootId, vmConfig.length) !== 0 : true;
    if (!started || this.failed) {
      state.buffer = null;
      return { started: started && !this.failed, configured: false };
    }
    state.buffer = { type: BufferType.PLUGIN_CONFIGURATION, data: pluginConfig };
    const configured = this.callbacks.proxy_on_configure ? this.invoke('proxy_on_configure', state.rootId, pluginConfig.length) !== 0 : true;
    state.buffer = null;
    return { started: true, configured: configured && !this.failed };
  }

  tick(): void {
    this.invoke('proxy_on_tick', this.state.rootId);
  }

  /** on_queue_ready for each queue that received data since the last delivery. */
  deliverQueues(): void {
    const pending = this.state.pendingQueues;
    if (pending.size === 0) return;
    for (const token of pending) {
      pending.delete(token);
      this.invoke('proxy_on_queue_ready', this.state.rootId, token);
    }
  }

  // ---- stream contexts ------------------------------------------------------------------------

  openStream(headers: HeaderMap, attrs: StreamAttributes): StreamState {
    const state = this.state;
    const stream = newStream(this.nextContextId++, headers, attrs);
    state.streams.set(stream.id, stream);
    state.current = stream;
    this.invoke('proxy_on_context_create', stream.id, state.rootId);
    return stream;
  }

  onRequestHeaders(stream: StreamState, endOfStream: boolean): number {
    this.state.current = stream;
    const headers = stream.headers!;
    const action = this.invoke('proxy_on_request_headers', stream.id, headers.size, endOfStream ? 1 : 0) ?? Action.CONTINUE;
    if (action === Action.CONTINUE && !stream.localResponse) stream.headersWritable = false;
    return action;
  }

  /** Delivers the whole request body in one on_request_body call; returns the (possibly changed) body. */
  onRequestBody(stream: StreamState, body: Buffer): { action: number; body: Buffer } {
    const state = this.state;
    state.current = stream;
    const buffer = { type: BufferType.REQUEST_BODY, data: body };
    state.buffer = buffer;
    try {
      const action = this.invoke('proxy_on_request_body', stream.id, body.length, 1) ?? Action.CONTINUE;
      return { action, body: buffer.data };
    } finally {
      state.buffer = null;
    }
  }

  onResponseHeaders(stream: StreamState, headers: HeaderMap): number {
    this.state.current = stream;
    stream.headersWritable = false;
    stream.responseHeaders = headers;
    stream.responseWritable = true;
    const action = this.invoke('proxy_on_response_headers', stream.id, headers.size, 1) ?? Action.CONTINUE;
    if (action === Action.CONTINUE) stream.responseWritable = false;
    return action;
  }

  /** Envoy's end of a stream: on_log, then on_done, then on_delete. */
  closeStream(stream: StreamState): void {
    const state = this.state;
    state.current = stream;
    // After the plugin's own local reply Envoy still hands it the mutable request map in on_log
    // (an add there is Ok); after Continue it does not (BadArgument). Checked on Envoy 1.39.0.
    if (!stream.localResponse) stream.headersWritable = false;
    stream.responseWritable = false;
    stream.inLog = true;
    this.invoke('proxy_on_log', stream.id);
    stream.inLog = false;
    this.invoke('proxy_on_done', stream.id);
    this.invoke('proxy_on_delete', stream.id);
    state.streams.delete(stream.id);
    state.current = null;
  }
}
