// Real Envoy running the org-context module the way Istio configures a WasmPlugin: a Wasm HTTP
// filter whose PluginConfig carries root_id, failure_policy FAIL_CLOSED and a V8 vm_config with
// the WasmPlugin's env (INLINE entries as key_values, valueFrom: HOST ones as host_env_keys, read
// from Envoy's own environment), in front of one upstream. Every port is chosen by the kernel
// (port 0): the test reads the admin address from --admin-address-path and the listener's from
// the admin API (scripts/lib/envoy/process.ts starts it). validate.test.ts validates this bootstrap with `envoy --mode validate` too.
import { inlinePluginEnv } from '../../scripts/lib/envoy/bootstrap.ts';
import { istioWasmPluginFilter, type WasmFilterOptions } from '../../scripts/lib/simulate/istio-wasm-filter.ts';
import { TYPE, anyHost, httpConnectionManager, listener, socket, staticCluster } from '../../scripts/lib/envoy/shapes.ts';

export type { WasmFilterOptions };

export const SMOKE_LISTENER = 'org-context-smoke';

/**
 * `filter`: the WasmPlugin's filter as istio/base/wasmplugin.yaml has it (inline env of the local
 * overlay) unless the test changes it.
 * `accessLog`: a file the listener logs each request to, one line per request:
 * `<x-request-tag header> <response code> <response code details>` (e.g. `- 503 wasm_fail_stream`).
 */
export function filterSmokeBootstrap(options: { wasm: string; upstreamPort: number; filter?: WasmFilterOptions; accessLog?: string }): Record<string, unknown> {
  const accessLog = options.accessLog
    ? {
        access_log: [
          {
            name: 'envoy.access_loggers.file',
            typed_config: {
              '@type': TYPE('envoy.extensions.access_loggers.file.v3.FileAccessLog'),
              path: options.accessLog,
              log_format: { text_format_source: { inline_string: '%REQ(X-REQUEST-TAG)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n' } },
            },
          },
        ],
      }
    : {};
  const manager = httpConnectionManager({
    statPrefix: 'smoke',
    settings: accessLog,
    virtualHosts: [anyHost('smoke', [{ match: { prefix: '/' }, route: { cluster: 'echo' } }])],
    httpFilters: [istioWasmPluginFilter(options.wasm, { keyValues: inlinePluginEnv('local'), ...options.filter })],
  });
  return {
    admin: { address: socket('127.0.0.1', 0) },
    static_resources: {
      listeners: [listener(SMOKE_LISTENER, socket('127.0.0.1', 0), manager)],
      clusters: [staticCluster('echo', '127.0.0.1', options.upstreamPort)],
    },
  };
}

