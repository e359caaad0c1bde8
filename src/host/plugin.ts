// createHost: loads a module the way Envoy does (checks, canary configure, one VM per worker) and
// runs simulated HTTP streams through it.
import { readFile } from 'node:fs/promises';
import { Action, LOG_LEVELS } from './abi.ts';
import { PluginConfigError, PluginStartError } from './errors.ts';
import { checkModule } from './module-check.ts';
import { pluginShared, type PluginShared } from './plugin-shared.ts';
import { createRequestCodec, responseHeaderMap } from './request-codec.ts';
import type { HeaderList, HostLog, HostOptions, LocalResponse, Plugin, RequestInput, RequestResult } from './types.ts';
import { Vm } from './vm.ts';

import { JWT_METADATA_NAMESPACE as JWT_AUTHN_NAMESPACE, JWT_PAYLOAD_METADATA_KEY } from '../topology/waypoint.ts';
/** Dynamic metadata of a request that brings none (only ever read). */
const NO_METADATA: Record<string, unknown> = Object.freeze({});
const FAIL_STREAM: LocalResponse = { status: 503, details: 'wasm_fail_stream', body: '', headers: [] };

/** A request's dynamic metadata: `metadata`, with `jwtPayload` as jwt_authn's payload. */
function metadataOf(input: RequestInput): Record<string, unknown> {
  if (!input.jwtPayload) return input.metadata ?? NO_METADATA;
  const metadata = { ...(input.metadata ?? {}) };
  const existing = metadata[JWT_AUTHN_NAMESPACE];
  metadata[JWT_AUTHN_NAMESPACE] = { ...(typeof existing === 'object' && existing !== null ? existing : {}), [JWT_PAYLOAD_METADATA_KEY]: input.jwtPayload };
  return metadata;
}

/** The line a plugin names a refused setting in: its last critical line, else its last error line. */
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
  const shared = pluginShared(options, logLevel);

  // Envoy validates a configuration on a throw-away canary VM before any worker gets it.
  const canary = await bootVm(module, shared, 'canary');
  startupLogs.push(...canary.logs);
  // Then the main thread's own VM (Envoy keeps one there besides the workers': on_configure runs
  // workers + 2 times in all, checked on Envoy 1.36, 1.39 and 1.40). It serves no request.
  const mainThread = await bootVm(module, shared, 'main thread');
  startupLogs.push(...mainThread.logs);
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

  const requestHeaders = createRequestCodec();

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
        startMs: Date.now(),
      });
      let action: number = Action.CONTINUE;
      let failedBeforeUpstream = vm.failed;
      let body: Buffer | undefined;
      if (!input.skipHeaders && !vm.failed) {
        action = vm.onRequestHeaders(stream, input.body === undefined);
        failedBeforeUpstream = vm.failed;
        if (input.body !== undefined && !stream.localResponse && !vm.failed) {
          // The filter that paused on headers still receives the data (Envoy buffers it).
          const delivered = vm.onRequestBody(stream, Buffer.from(input.body));
          body = delivered.body;
          if (action === Action.CONTINUE) action = delivered.action;
          failedBeforeUpstream = vm.failed;
        }
      }
      let responseHeaders: HeaderList | undefined;
      if (input.responseHeaders && !stream.localResponse && !vm.failed && action === Action.CONTINUE) {
        const map = responseHeaderMap(input.responseHeaders);
        vm.onResponseHeaders(stream, map);
        responseHeaders = map.toList();
      }
      // The request as it leaves the filter: what on_log may still add after a local reply (Envoy
      // allows it) reaches no upstream.
      const leaving = headers.toList();
      vm.closeStream(stream);
      vm.deliverQueues();

      let localResponse = stream.localResponse;
      if (failedBeforeUpstream && !failOpen) localResponse = { ...FAIL_STREAM, headers: [] };
      const result: RequestResult = {
        headers: leaving,
        localResponse,
        logs,
        action: localResponse || stream.closed || (action !== Action.CONTINUE && !failedBeforeUpstream) ? 'pause' : 'continue',
      };
      if (body) result.body = body;
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
        vm.deliverQueues();
      }
      return logs;
    },

    close(): void {
      closed = true;
      vms.length = 0;
    },
  };
}
