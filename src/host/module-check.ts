// Envoy's admission rules for a module, applied before anything runs: the ABI marker, only the
// imports Envoy provides (with their exact signatures), and an allocator export.
import { ABI_MARKER, OTHER_ABI_MARKERS } from './abi.ts';
import { ModuleRejectedError } from './errors.ts';
import { readImportSignatures } from './wasm-binary.ts';

const I = 'i32';
const sig = (params: string[], result: string) => `${params.join(',')}->${result}`;
const i32s = (n: number) => Array.from({ length: n }, () => I);

/** env.* functions of ABI 0.2.1 in Envoy (proxy-wasm-cpp-host registerCallbacks), with signatures. */
export const ENV_IMPORTS: Record<string, string> = {
  proxy_log: sig(i32s(3), I),
  proxy_get_log_level: sig(i32s(1), I),
  proxy_get_status: sig(i32s(3), I),
  proxy_set_property: sig(i32s(4), I),
  proxy_get_property: sig(i32s(4), I),
  proxy_send_local_response: sig(i32s(8), I),
  proxy_get_shared_data: sig(i32s(5), I),
  proxy_set_shared_data: sig(i32s(5), I),
  proxy_register_shared_queue: sig(i32s(3), I),
  proxy_resolve_shared_queue: sig(i32s(5), I),
  proxy_dequeue_shared_queue: sig(i32s(3), I),
  proxy_enqueue_shared_queue: sig(i32s(3), I),
  proxy_get_header_map_value: sig(i32s(5), I),
  proxy_add_header_map_value: sig(i32s(5), I),
  proxy_replace_header_map_value: sig(i32s(5), I),
  proxy_remove_header_map_value: sig(i32s(3), I),
  proxy_get_header_map_pairs: sig(i32s(3), I),
  proxy_set_header_map_pairs: sig(i32s(3), I),
  proxy_get_header_map_size: sig(i32s(2), I),
  proxy_get_buffer_status: sig(i32s(3), I),
  proxy_get_buffer_bytes: sig(i32s(5), I),
  proxy_set_buffer_bytes: sig(i32s(5), I),
  proxy_http_call: sig(i32s(10), I),
  proxy_grpc_call: sig(i32s(12), I),
  proxy_grpc_stream: sig(i32s(9), I),
  proxy_grpc_close: sig(i32s(1), I),
  proxy_grpc_cancel: sig(i32s(1), I),
  proxy_grpc_send: sig(i32s(4), I),
  proxy_set_tick_period_milliseconds: sig(i32s(1), I),
  proxy_get_current_time_nanoseconds: sig(i32s(1), I),
  proxy_define_metric: sig(i32s(4), I),
  proxy_increment_metric: sig([I, 'i64'], I),
  proxy_record_metric: sig([I, 'i64'], I),
  proxy_get_metric: sig(i32s(2), I),
  proxy_set_effective_context: sig(i32s(1), I),
  proxy_done: sig([], I),
  proxy_call_foreign_function: sig(i32s(6), I),
  // ABI 0.2.1 specific
  proxy_continue_stream: sig(i32s(1), I),
  proxy_close_stream: sig(i32s(1), I),
  // emscripten support Envoy registers too
  pthread_equal: sig(i32s(2), I),
  emscripten_notify_memory_growth: sig(i32s(1), ''),
};

/** WASI functions Envoy provides under both wasi_snapshot_preview1 and wasi_unstable. */
export const WASI_IMPORTS: Record<string, string> = {
  fd_write: sig(i32s(4), I),
  fd_read: sig(i32s(4), I),
  fd_seek: sig([I, 'i64', I, I], I),
  fd_close: sig(i32s(1), I),
  fd_fdstat_get: sig(i32s(2), I),
  environ_get: sig(i32s(2), I),
  environ_sizes_get: sig(i32s(2), I),
  args_get: sig(i32s(2), I),
  args_sizes_get: sig(i32s(2), I),
  clock_time_get: sig([I, 'i64', I], I),
  random_get: sig(i32s(2), I),
  proc_exit: sig(i32s(1), ''),
  path_open: sig([I, I, I, I, I, 'i64', 'i64', I, I], I),
  fd_prestat_get: sig(i32s(2), I),
  fd_prestat_dir_name: sig(i32s(3), I),
  poll_oneoff: sig(i32s(4), I),
  sched_yield: sig([], I),
};

export const WASI_MODULES = ['wasi_snapshot_preview1', 'wasi_unstable'];

function expectedSignature(module: string, name: string): string | undefined {
  if (module === 'env') return Object.hasOwn(ENV_IMPORTS, name) ? ENV_IMPORTS[name] : undefined;
  if (WASI_MODULES.includes(module)) return Object.hasOwn(WASI_IMPORTS, name) ? WASI_IMPORTS[name] : undefined;
  return undefined;
}

/** Compiles and checks a module; throws ModuleRejectedError with a message naming the problem. */
export function checkModule(bytes: Uint8Array): WebAssembly.Module {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new ModuleRejectedError(`not a valid WebAssembly module: ${(error as Error).message}`);
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  if (!exports.has(ABI_MARKER)) {
    const other = OTHER_ABI_MARKERS.find((marker) => exports.has(marker));
    throw new ModuleRejectedError(
      other
        ? `module declares ${other}; this host implements Proxy-Wasm ABI 0.2.1 only (export ${ABI_MARKER})`
        : `missing Proxy-Wasm ABI version: the module must export ${ABI_MARKER}`,
    );
  }
  const signatures = new Map(readImportSignatures(bytes).map((s) => [`${s.module}.${s.name}`, s.signature]));
  for (const imported of WebAssembly.Module.imports(module)) {
    const qualified = `${imported.module}.${imported.name}`;
    const expected = expectedSignature(imported.module, imported.name);
    if (imported.kind !== 'function' || expected === undefined) {
      throw new ModuleRejectedError(
        `module imports ${imported.kind} ${qualified}, which Envoy does not provide` +
          (imported.module === 'env' && ['abort', 'trace', 'seed'].includes(imported.name)
            ? ' (build AssemblyScript with --use abort= or a custom abort, and no trace/seed imports)'
            : ''),
      );
    }
    const actual = signatures.get(qualified);
    if (actual !== undefined && actual !== expected) {
      throw new ModuleRejectedError(`module imports ${qualified} with signature (${actual}), Envoy provides (${expected})`);
    }
  }
  if (exports.get('memory') !== 'memory') throw new ModuleRejectedError('module does not export its linear memory as "memory"');
  if (exports.get('malloc') !== 'function' && exports.get('proxy_on_memory_allocate') !== 'function') {
    throw new ModuleRejectedError('module is missing an allocator: export malloc or proxy_on_memory_allocate');
  }
  return module;
}
