// Small builders for the Envoy API shapes every translator module writes, so that an `@type`, a
// socket address or a static cluster is spelled once.
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

/** Case-insensitive exact matchers for header names (ext_authz allow lists). */
export function exactNames(names: readonly string[]): EnvoyObject {
  return { patterns: names.map((name) => ({ exact: name, ignore_case: true })) };
}

export const ROUTER_FILTER: EnvoyObject = { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE('envoy.extensions.filters.http.router.v3.Router') } };

/** An http_connection_manager network filter with its route table and HTTP filters (the router last). */
export function httpConnectionManager(options: {
  statPrefix: string;
  virtualHosts: EnvoyObject[];
  httpFilters: EnvoyObject[];
  useRemoteAddress: boolean;
  requestHeadersToRemove?: string[];
}): EnvoyObject {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
      stat_prefix: options.statPrefix,
      codec_type: 'AUTO',
      // Istio's default path normalisation (meshConfig pathNormalization BASE): RFC 3986 dot segments.
      normalize_path: true,
      use_remote_address: options.useRemoteAddress,
      route_config: {
        name: options.statPrefix,
        ...(options.requestHeadersToRemove ? { request_headers_to_remove: options.requestHeadersToRemove } : {}),
        virtual_hosts: options.virtualHosts,
      },
      http_filters: [...options.httpFilters, ROUTER_FILTER],
    },
  };
}

/** Thrown for a manifest the translation cannot express faithfully: never translated differently. */
export class TranslationError extends Error {
  override name = 'TranslationError';
}
