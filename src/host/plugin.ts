// createHost: loads a module the way Envoy does (checks, canary configure, one VM per worker) and
// runs simulated HTTP streams through it.
import { readFile } from 'node:fs/promises';
import { Action, LOG_LEVELS } from './abi.ts';
import { PluginConfigError, PluginStartError } from './errors.ts';
import { HeaderMap, lowerHeaderName } from './header-map.ts';
import { checkModule } from './module-check.ts';
import { MetricStore, SharedDataStore, SharedQueueStore } from './stores.ts';
import type { HeaderList, HostLog, HostOptions, LocalResponse, Plugin, RequestInput, RequestResult } from './types.ts';
import { Vm, type PluginShared } from './vm.ts';

export const JWT_AUTHN_NAMESPACE = 'envoy.filters.http.jwt_authn';
const FAIL_STREAM: LocalResponse = { status: 503, details: 'wasm_fail_stream', body: '', headers: [] };
const NOT_LATIN1 = /[^\x00-\xff]/;
// What an HTTP codec would refuse: control characters other than tab in values, anything outside
// token characters in names (pseudo-header colon aside).
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z:]|^$|(?<!^):/;
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Node strings are UTF-16; headers are bytes. Characters above 0xff are UTF-8 encoded into bytes. */
function toByteString(text: string): string {
  return NOT_LATIN1.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

function configBuffer(config: string | object | undefined): Buffer {
  if (config === undefined) return Buffer.alloc(0);
  return Buffer.from(typeof config === 'string' ? config : JSON.stringify(config), 'utf8');
}

function environment(options: HostOptions): string[] {
  const entries = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const key of options.hostEnvKeys ?? []) {
    const value = process.env[key];
    if (value !== undefined) entries.push(`${key}=${value}`);
  }
  return entries;
}

function lastComplaint(logs: HostLog[]): string | undefined {
  for (let i = logs.length - 1; i >= 0; i--) if (logs[i].level === 'critical') return logs[i].message;
  for (let i = logs.length - 1; i >= 0; i--) if (logs[i].level === 'error') return logs[i].message;
  return undefined;
}

/** Starts and configures one VM, throwing the typed error Envoy's outcome corresponds to. */
async function bootVm(module: WebAssembly.Module, shared: PluginShared, label: string): Promise<Vm> {
  const vm = await Vm.create(module, shared);
  vm.start();
  if (vm.failed) throw new PluginStartError(`${label}: module failed to start: ${vm.failure}`, vm.logs);
  const { started, configured } = vm.configureRoot();
  if (vm.failed) throw new PluginStartError(`${label}: ${vm.failure}`, vm.logs);
  if (!started) throw new PluginStartError(`${label}: proxy_on_vm_start returned false`, vm.logs);
  if (!configured) {
    const complaint = lastComplaint(vm.logs);
    const error = new PluginConfigError(complaint ?? 'proxy_on_configure returned false', vm.logs);
    throw error;
  }
  return vm;
}

export async function createHost(options: HostOptions): Promise<Plugin> {
  const bytes = typeof options.wasm === 'string' ? new Uint8Array(await readFile(options.wasm)) : options.wasm;
  const module = checkModule(bytes);
  const workerCount = options.workers ?? 1;
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 64) throw new RangeError(`workers must be an integer 1–64, got ${workerCount}`);
  const logLevel = LOG_LEVELS.indexOf(options.logLevel ?? 'info');
  if (logLevel < 0) throw new RangeError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const failOpen = options.failStrategy === 'FAIL_OPEN';

  const startupLogs: HostLog[] = [];
  const shared: PluginShared = {
    plugin: { pluginName: options.pluginName ?? 'org-context', rootId: options.rootId ?? '', vmId: options.vmId ?? '' },
    environ: environment(options),
    vmConfig: configBuffer(options.vmConfig),
    pluginConfig: configBuffer(options.pluginConfig),
    logLevel,
    metrics: new MetricStore(),
    sharedData: new SharedDataStore(),
    queues: new SharedQueueStore(),
    onLog: options.onLog,
  };

  // Envoy validates a configuration on a throw-away canary VM before any worker gets it.
  const canary = await bootVm(module, shared, 'canary');
  startupLogs.push(...canary.logs);
  const vms: Vm[] = [];
  for (let i = 0; i < workerCount; i++) {
    const vm = await bootVm(module, shared, `worker ${i}`);
    startupLogs.push(...vm.logs);
    vm.logs = [];
    vms.push(vm);
  }

  let nextWorker = 0;
  let closed = false;
  const workerAt = (index: number | undefined): Vm => {
    if (index === undefined) {
      const vm = vms[nextWorker];
      nextWorker = (nextWorker + 1) % vms.length;
      return vm;
    }
    if (!Number.isInteger(index) || index < 0 || index >= vms.length) throw new RangeError(`worker must be 0–${vms.length - 1}, got ${index}`);
    return vms[index];
  };

  function requestHeaders(input: RequestInput): HeaderMap {
    const names: string[] = [];
    const values: string[] = [];
    let authority = input.authority;
    const regular: HeaderList = [];
    for (const [rawName, rawValue] of input.headers ?? []) {
      if (typeof rawName !== 'string' || typeof rawValue !== 'string' || BAD_NAME.test(rawName) || BAD_VALUE.test(rawValue)) {
        throw new TypeError(`invalid request header ${JSON.stringify(String(rawName).slice(0, 64))}`);
      }
      const name = lowerHeaderName(rawName);
      const value = toByteString(rawValue);
      // The HTTP/1 codec turns Host into :authority.
      if (name === 'host' || name === ':authority') {
        authority ??= value;
        continue;
      }
      if (name === ':path' || name === ':method' || name === ':scheme') continue;
      regular.push([name, value]);
    }
    names.push(':authority', ':path', ':method', ':scheme');
    values.push(toByteString(authority ?? 'localhost'), toByteString(input.path ?? '/'), input.method ?? 'GET', input.scheme ?? 'http');
    for (const [name, value] of regular) {
      names.push(name);
      values.push(value);
    }
    return HeaderMap.fromEntries(names, values);
  }

  function metadataOf(input: RequestInput): Record<string, unknown> {
    if (!input.jwtPayload) return input.metadata ?? {};
    const metadata = { ...(input.metadata ?? {}) };
    const existing = metadata[JWT_AUTHN_NAMESPACE];
    metadata[JWT_AUTHN_NAMESPACE] = { ...(typeof existing === 'object' && existing !== null ? existing : {}), payload: input.jwtPayload };
    return metadata;
  }

  function drainQueues(vm: Vm): void {
    for (const token of vm.pendingQueues) {
      vm.pendingQueues.delete(token);
      vm.queueReady(token);
    }
  }

  return {
    workers: workerCount,
    startupLogs,

    request(input: RequestInput = {}): RequestResult {
      if (closed) throw new Error('plugin is closed');
      const vm = workerAt(input.worker);
      const headers = requestHeaders(input);
      if (vm.failed) {
        return failOpen
          ? { headers: headers.toList(), localResponse: null, logs: [], action: 'continue' }
          : { headers: headers.toList(), localResponse: { ...FAIL_STREAM, headers: [] }, logs: [], action: 'pause' };
      }
      const logs: HostLog[] = [];
      vm.logs = logs;
      const stream = vm.openStream(headers, {
        headers,
        sourceAddress: input.sourceAddress ?? '127.0.0.1:54321',
        metadata: metadataOf(input),
        startNanos: BigInt(Date.now()) * 1_000_000n,
      });
      let action: number = Action.CONTINUE;
      let failedBeforeUpstream = vm.failed;
      if (!input.skipHeaders && !vm.failed) {
        action = vm.onRequestHeaders(stream, true);
        failedBeforeUpstream = vm.failed;
      }
      let responseHeaders: HeaderList | undefined;
      if (input.responseHeaders && !stream.localResponse && !vm.failed && action === Action.CONTINUE) {
        const map = HeaderMap.fromEntries(
          input.responseHeaders.map(([n]) => lowerHeaderName(n)),
          input.responseHeaders.map(([, v]) => toByteString(v)),
        );
        vm.onResponseHeaders(stream, map);
        responseHeaders = map.toList();
      }
      vm.closeStream(stream);
      drainQueues(vm);

      let localResponse = stream.localResponse;
      if (failedBeforeUpstream && !failOpen) localResponse = { ...FAIL_STREAM, headers: [] };
      const result: RequestResult = {
        headers: headers.toList(),
        localResponse,
        logs,
        action: localResponse || stream.closed || (action !== Action.CONTINUE && !failedBeforeUpstream) ? 'pause' : 'continue',
      };
      if (responseHeaders) result.responseHeaders = responseHeaders;
      return result;
    },

    metrics: () => shared.metrics.snapshot(),
    memoryBytes: (worker = 0) => workerAt(worker).memory.size,
    failed: (worker = 0) => workerAt(worker).failed,

    tick(): HostLog[] {
      const logs: HostLog[] = [];
      for (const vm of vms) {
        vm.logs = logs;
        vm.tick();
        drainQueues(vm);
      }
      return logs;
    },

    close(): void {
      closed = true;
      vms.length = 0;
    },
  };
}
