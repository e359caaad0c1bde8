// Everything a module may import from Envoy, bound to one VM: the env.proxy_* functions grouped by
// concern (one file each, as Envoy's context.cc groups them), the emscripten helpers, and WASI
// under both module names Envoy provides.
import { WASI_MODULES } from '../module-check.ts';
import type { PluginShared } from '../plugin-shared.ts';
import { bufferImports } from './buffers.ts';
import { callImports } from './calls.ts';
import { contextImports } from './contexts.ts';
import { emscriptenImports } from './emscripten.ts';
import { headerMapImports } from './header-maps.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';
import { loggingImports } from './logging.ts';
import { metricImports } from './metrics.ts';
import { propertyImports } from './properties.ts';
import { sharedDataImports } from './shared-data.ts';
import { sharedQueueImports } from './shared-queues.ts';
import { streamImports } from './streams.ts';
import { timerImports } from './timers.ts';
import { wasiImports } from './wasi.ts';

export interface VmImports {
  readonly imports: WebAssembly.Imports;
  /** The restricted-phase flag the wasm proxy_increment_metric reads: `incrementFlags[incrementFlag]`. */
  readonly incrementFlags: Int32Array;
  readonly incrementFlag: number;
}

/** The env.proxy_* functions and the emscripten helpers, all in JS. */
function envImports(vmOf: VmStateRef, shared: PluginShared): HostFunctions {
  return {
    ...loggingImports(vmOf, shared.logLevel),
    ...timerImports(vmOf),
    ...bufferImports(vmOf),
    ...headerMapImports(vmOf),
    ...propertyImports(vmOf, shared.plugin),
    ...streamImports(vmOf),
    ...contextImports(vmOf),
    ...sharedDataImports(vmOf, shared.sharedData),
    ...sharedQueueImports(vmOf, shared.queues, shared.plugin.vmId),
    ...metricImports(vmOf, shared.metrics),
    ...callImports(vmOf),
    ...emscriptenImports(),
  };
}

export function vmImports(vmOf: VmStateRef, shared: PluginShared): VmImports {
  const wasi = wasiImports({
    get memory() {
      return vmOf().memory;
    },
    environ: shared.environ,
    guard: (name: string) => vmOf().guard(name),
    log: (level: number, message: string) => vmOf().emit(level, message),
  });
  const env = envImports(vmOf, shared);
  // proxy_increment_metric's common case runs in wasm (metric-cells.ts), in front of the JS one.
  const increment = shared.metrics.incrementFor(env.proxy_increment_metric);
  env.proxy_increment_metric = increment.increment as HostFunctions[string];
  const imports: WebAssembly.Imports = { env: env as Record<string, (...args: never[]) => unknown> };
  for (const name of WASI_MODULES) imports[name] = wasi;
  return { imports, incrementFlags: increment.flags, incrementFlag: increment.flag };
}
