// The callbacks the host calls (Proxy-Wasm ABI 0.2.1) and the allocator it uses. The plugin's
// entry module re-exports everything here: `export * from './abi/exports'`.
//
// Only the callbacks these plugins act on are exported. A host skips a callback a module does not
// export (Envoy's proxy-wasm-cpp-host: a missing on_request_body, on_response_headers, on_log,
// on_tick… is Continue or nothing, a missing on_done is "done"), so an empty one would cost a call
// per stream and bytes in the module for nothing: in Envoy each callback is a C++ → Wasm entry
// through V8, the same crossing that makes a header read cost ≈ 2.5 µs (docs/org-context.md,
// "Cost in Envoy").
//
// Memory: the module runs AssemblyScript's stub runtime (a bump allocator that never collects), so
// nothing on the request path may allocate: host data goes to the rewound arena, HTTP contexts are
// recycled by their root context, and the context table grows only with concurrent streams.

// Pulled in so that `--use abort=assembly/abi/abort/onAbort` (asconfig.json) finds it.
import './abort';
import { arenaAlloc, rewindArena } from './arena';
import { createRootContext, HttpContext, RootContext } from './context';
import { ContextTable } from './context-table';
import { FilterHeadersStatus } from './imports';

// Usually one root context per VM: a list is enough.
const roots: RootContext[] = [];
const streams = new ContextTable();
// The stream of the last callback: consecutive callbacks of one stream skip the map lookup.
let lastStream: HttpContext | null = null;

function stream(id: u32): HttpContext | null {
  const last = lastStream;
  if (last !== null && last.id == id) return last;
  const found = streams.get(id);
  if (found !== null) lastStream = found;
  return found;
}

function root(id: u32): RootContext | null {
  for (let i = 0; i < roots.length; i++) {
    const candidate = unchecked(roots[i]);
    if (candidate.id == id) return candidate;
  }
  return null;
}

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: usize): usize {
  return arenaAlloc(size);
}

export function proxy_on_context_create(id: u32, parentId: u32): void {
  rewindArena();
  if (parentId == 0) {
    if (root(id) === null) roots.push(createRootContext(id));
    return;
  }
  const parent = root(parentId);
  if (parent === null) return;
  const context = parent.createHttpContext(id);
  context.id = id;
  context.root = parent;
  streams.set(id, context);
  lastStream = context;
}

export function proxy_on_vm_start(rootId: u32, configurationSize: u32): bool {
  rewindArena();
  const context = root(rootId);
  const ok = context === null ? true : context.onVmStart(configurationSize);
  return ok;
}

export function proxy_on_configure(rootId: u32, configurationSize: u32): bool {
  rewindArena();
  const context = root(rootId);
  const ok = context === null ? false : context.onConfigure(configurationSize);
  return ok;
}

export function proxy_on_request_headers(id: u32, headerCount: u32, endOfStream: bool): u32 {
  rewindArena();
  const context = stream(id);
  const status = context === null ? FilterHeadersStatus.Continue : context.onRequestHeaders(headerCount, endOfStream);
  return status;
}

export function proxy_on_delete(id: u32): void {
  rewindArena();
  const context = stream(id);
  if (context !== null) {
    streams.delete(id);
    if (lastStream === context) lastStream = null;
    const parent = context.root;
    context.root = null;
    if (parent !== null) parent.releaseHttpContext(context);
  } else {
    const dropped = root(id);
    if (dropped !== null) {
      roots.splice(roots.indexOf(dropped), 1);
    }
  }
}

