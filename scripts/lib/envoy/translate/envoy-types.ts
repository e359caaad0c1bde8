// What the translator modules build on: the shared Envoy shapes (../shapes.ts), the connection
// manager with the settings Istio's proxies run with, and the translation's own error.
import { httpConnectionManager as manager, type EnvoyObject } from '../shapes.ts';

export { TYPE, socket, staticCluster, type EnvoyObject } from '../shapes.ts';

/** Case-insensitive exact matchers for header names (ext_authz allow lists). */
export function exactNames(names: readonly string[]): EnvoyObject {
  return { patterns: names.map((name) => ({ exact: name, ignore_case: true })) };
}

/** The connection manager as Istio's proxies run it: codec AUTO, Istio's path normalisation. */
export function httpConnectionManager(options: {
  statPrefix: string;
  virtualHosts: EnvoyObject[];
  httpFilters: EnvoyObject[];
  useRemoteAddress: boolean;
  requestHeadersToRemove?: string[];
}): EnvoyObject {
  return manager({
    statPrefix: options.statPrefix,
    // Istio's default path normalisation (meshConfig pathNormalization BASE): RFC 3986 dot segments.
    settings: { codec_type: 'AUTO', normalize_path: true, use_remote_address: options.useRemoteAddress },
    ...(options.requestHeadersToRemove ? { routeConfig: { request_headers_to_remove: options.requestHeadersToRemove } } : {}),
    virtualHosts: options.virtualHosts,
    httpFilters: options.httpFilters,
  });
}

/** Thrown for a manifest the translation cannot express faithfully: never translated differently. */
export class TranslationError extends Error {
  override name = 'TranslationError';
}
