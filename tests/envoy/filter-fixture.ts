// Real Envoy running the org-context module the way Istio configures a WasmPlugin: a Wasm HTTP
// filter whose PluginConfig carries root_id, failure_policy FAIL_CLOSED and a V8 vm_config with
// the WasmPlugin's env (INLINE entries as key_values, valueFrom: HOST ones as host_env_keys, read
// from Envoy's own environment), in front of one upstream. Every port is chosen by the kernel
// (port 0): the test reads the admin address from --admin-address-path and the listener's from
// the admin API (scripts/lib/envoy/process.ts starts it). validate.test.ts validates this bootstrap with `envoy --mode validate` too.
import { inlinePluginEnv } from '../../scripts/lib/envoy/bootstrap.ts';
import { istioWasmPluginFilter, type WasmFilterOptions } from '../../scripts/lib/simulate/istio-wasm-filter.ts';

export type { WasmFilterOptions };

const TYPE = (name: string) => `type.googleapis.com/${name}`;
export const SMOKE_LISTENER = 'org-context-smoke';

/**
 * `filter`: the WasmPlugin's filter as istio/base/wasmplugin.yaml has it (inline env of the local
 * overlay) unless the test changes it.
 * `accessLog`: a file the listener logs each request to, one line per request:
 * `<x-request-tag header> <response code> <response code details>` (e.g. `- 503 wasm_fail_stream`).
 */
export function filterSmokeBootstrap(options: { wasm: string; upstreamPort: number; filter?: WasmFilterOptions; accessLog?: string }): Record<string, unknown> {
  const address = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  return {
    admin: { address: address(0) },
    static_resources: {
      listeners: [
        {
          name: SMOKE_LISTENER,
          address: address(0),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': TYPE('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
                    stat_prefix: 'smoke',
                    ...(options.accessLog
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
                      : {}),
                    route_config: { name: 'smoke', virtual_hosts: [{ name: 'smoke', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'echo' } }] }] },
                    http_filters: [istioWasmPluginFilter(options.wasm, { keyValues: inlinePluginEnv('local'), ...options.filter }), { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE('envoy.extensions.filters.http.router.v3.Router') } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'echo',
          type: 'STATIC',
          connect_timeout: '2s',
          load_assignment: { cluster_name: 'echo', endpoints: [{ lb_endpoints: [{ endpoint: { address: address(options.upstreamPort) } }] }] },
        },
      ],
    },
  };
}

