// Builders for the Envoy API shapes every bootstrap the project writes is made of — the translated
// local configs, the simulate runtime's, the Envoy suites' and the bench's — so that an `@type`, a
// socket address, a static cluster, the HTTP connection manager's envelope and the Wasm filter as
// Istio configures a WasmPlugin are each spelled once.
export type EnvoyObject = Record<string, unknown>;

export const TYPE = (name: string): string => `type.googleapis.com/${name}`;

export function socket(host: string, port: number): EnvoyObject {
  return { socket_address: { address: host, port_value: port } };
}

/** A STATIC cluster of one endpoint; `sourceAddress` binds the upstream connection (a local peer identity). */
export function staticCluster(name: string, host: string, port: number, sourceAddress?: string): EnvoyObject {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '2s',
    ...(sourceAddress ? { upstream_bind_config: { source_address: { address: sourceAddress, port_value: 0 } } } : {}),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(host, port) } }] }] },
  };
}

export function routerFilter(settings: EnvoyObject = {}): EnvoyObject {
  return { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE('envoy.extensions.filters.http.router.v3.Router'), ...settings } };
}

const ROUTER_FILTER: EnvoyObject = routerFilter();

/**
 * An http_connection_manager network filter: its stat prefix, `settings` (any other of its
 * fields, in the order given), the route table named after the prefix, and the HTTP filters with
 * the router last.
 */
export function httpConnectionManager(options: {
  statPrefix: string;
  settings?: EnvoyObject;
  routeConfig?: EnvoyObject;
  virtualHosts: EnvoyObject[];
  httpFilters: EnvoyObject[];
  router?: EnvoyObject;
}): EnvoyObject {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
      stat_prefix: options.statPrefix,
      ...options.settings,
      route_config: { name: options.statPrefix, ...options.routeConfig, virtual_hosts: options.virtualHosts },
      http_filters: [...options.httpFilters, options.router ?? ROUTER_FILTER],
    },
  };
}

/** A listener of one filter chain holding `networkFilter`. */
export function listener(name: string, address: EnvoyObject, networkFilter: EnvoyObject): EnvoyObject {
  return { name, address, filter_chains: [{ filters: [networkFilter] }] };
}

/** One virtual host answering every domain with `routes`. */
export function anyHost(name: string, routes: EnvoyObject[]): EnvoyObject {
  return { name, domains: ['*'], routes };
}

export type FailurePolicy = 'FAIL_CLOSED' | 'FAIL_OPEN' | 'FAIL_RELOAD';

/**
 * The Wasm HTTP filter in the shape Istio builds for a WasmPlugin: the PluginConfig named like the
 * filter, its root_id and failure policy, the pluginConfig as text in a StringValue, and a V8
 * vm_config loading a local file, whose env carries inline settings as key_values and the names of
 * settings read from Envoy's own environment as host_env_keys (left out when there are none).
 */
export function wasmFilter(options: {
  name: string;
  rootId: string;
  failurePolicy: FailurePolicy;
  reloadConfig?: EnvoyObject;
  configuration?: string;
  /** Only where two filters of one Envoy must not share a VM (same code, other env). */
  vmId?: string;
  file: string;
  hostEnvKeys: readonly string[];
  keyValues: Record<string, string>;
}): EnvoyObject {
  return {
    name: options.name,
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.wasm.v3.Wasm'),
      config: {
        name: options.name,
        root_id: options.rootId,
        failure_policy: options.failurePolicy,
        ...(options.reloadConfig ? { reload_config: options.reloadConfig } : {}),
        ...(options.configuration !== undefined ? { configuration: { '@type': TYPE('google.protobuf.StringValue'), value: options.configuration } } : {}),
        vm_config: {
          ...(options.vmId !== undefined ? { vm_id: options.vmId } : {}),
          runtime: 'envoy.wasm.runtime.v8',
          code: { local: { filename: options.file } },
          environment_variables: { ...(options.hostEnvKeys.length > 0 ? { host_env_keys: [...options.hostEnvKeys] } : {}), key_values: options.keyValues },
        },
      },
    },
  };
}
