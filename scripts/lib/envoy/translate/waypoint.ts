// The ambient waypoint (Gateway class istio-waypoint) → the waypoint Envoy: for every Service that
// uses the waypoint (label istio.io/use-waypoint), a filter chain in Istio's order — ext_authz
// (CUSTOM), Wasm AUTHN, jwt_authn (RequestAuthentication), Wasm AUTHZ, rbac (ALLOW), Wasm STATS and
// unspecified, router — that ends at the Service's workload. In the mesh the waypoint receives the
// Service's traffic over HBONE and picks the chain by destination; locally the chain is picked by
// the waypoint port standing for that Service (LocalBindings.waypointPorts).
import { spec, ofKind, type IstioInput, type K8sObject } from './overlay.ts';
import { TranslationError, httpConnectionManager, socket, staticCluster, type EnvoyObject } from './envoy-types.ts';
import type { LocalBindings } from './local.ts';
import { EXT_AUTHZ_CLUSTER, customProviderFor, extAuthzProvider, rbacFilter } from './authorization-policy.ts';
import { JWKS_CLUSTER, jwtAuthnFilter, requestAuthenticationsFor } from './request-authentication.ts';
import { translateWasmPlugin, wasmPluginsFor, type PluginPhase, type TranslatedPlugin } from './wasm-plugin.ts';
import { FILTER_ORDER, type FilterSlot } from '../../../../src/gateway/filters/order.ts';

export const WAYPOINT_LISTENER = 'waypoint';
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
export const INGRESS_USE_WAYPOINT_LABEL = 'istio.io/ingress-use-waypoint';

export const workloadCluster = (service: string): string => `inbound|${service}`;

/** The waypoint Gateway a Service's traffic crosses, if any. */
export function waypointOf(input: IstioInput, service: K8sObject): K8sObject | undefined {
  const name = service.metadata.labels?.[USE_WAYPOINT_LABEL];
  if (!name) return undefined;
  const waypoint = ofKind(input, 'Gateway').find((g) => g.metadata.name === name && g.metadata.namespace === service.metadata.namespace);
  if (!waypoint) throw new TranslationError(`Service ${service.metadata.name}: ${USE_WAYPOINT_LABEL}=${name} names no Gateway in ${service.metadata.namespace}`);
  if (spec(waypoint).gatewayClassName !== 'istio-waypoint') throw new TranslationError(`Gateway ${name}: class ${spec(waypoint).gatewayClassName} is not istio-waypoint`);
  return waypoint;
}

function servicePort(service: K8sObject): number {
  const ports = (spec(service).ports ?? []) as { port: number; targetPort?: number; appProtocol?: string; name?: string }[];
  if (ports.length !== 1) throw new TranslationError(`Service ${service.metadata.name}: exactly one port is translated`);
  return ports[0]!.port;
}

const plugins = (all: TranslatedPlugin[], phase: PluginPhase) => all.filter((p) => p.phase === phase).sort((a, b) => b.priority - a.priority).map((p) => p.filter);

/** The HTTP filters on the waypoint for one Service, in Istio's order. */
export function waypointHttpFilters(input: IstioInput, service: K8sObject, waypoint: K8sObject, bindings: LocalBindings): { filters: EnvoyObject[]; extAuthzProvider?: string } {
  const name = service.metadata.name;
  const namespace = service.metadata.namespace!;
  const waypointName = waypoint.metadata.name;
  const providerName = customProviderFor(input, name, namespace, waypointName);
  const wasm = wasmPluginsFor(input, name, namespace, waypointName).map((plugin) => translateWasmPlugin(plugin, bindings));
  const jwt = jwtAuthnFilter(requestAuthenticationsFor(input, name, namespace, waypointName), bindings);
  const rbac = rbacFilter(input, name, namespace, waypointName, bindings);
  // Each slot's filters, emitted in FILTER_ORDER: the order the Node gateway's chain sorts by too.
  const bySlot: Partial<Record<FilterSlot, EnvoyObject[]>> = {
    'envoy.filters.http.ext_authz': providerName ? [extAuthzProvider(input, providerName, bindings).filter] : [],
    'wasm.AUTHN': plugins(wasm, 'AUTHN'),
    'envoy.filters.http.jwt_authn': jwt ? [jwt] : [],
    'wasm.AUTHZ': plugins(wasm, 'AUTHZ'),
    'envoy.filters.http.rbac': rbac ? [rbac] : [],
    'wasm.STATS': plugins(wasm, 'STATS'),
    'wasm.UNSPECIFIED_PHASE': plugins(wasm, 'UNSPECIFIED_PHASE'),
  };
  const filters = FILTER_ORDER.flatMap((slot) => bySlot[slot] ?? []);
  return { filters, ...(providerName ? { extAuthzProvider: providerName } : {}) };
}

/** The waypoint Envoy's bootstrap: one listener, a filter chain per Service, clusters for workloads, ext_authz and JWKS. */
export function translateWaypoint(input: IstioInput, bindings: LocalBindings): EnvoyObject {
  const services = ofKind(input, 'Service').filter((service) => waypointOf(input, service) !== undefined);
  if (services.length === 0) throw new TranslationError('no Service uses a waypoint (label istio.io/use-waypoint)');
  const chains: EnvoyObject[] = [];
  const clusters = new Map<string, EnvoyObject>();
  const ports: number[] = [];
  for (const service of services) {
    const name = service.metadata.name;
    const waypoint = waypointOf(input, service)!;
    const port = bindings.waypointPorts[name];
    const local = bindings.servicePorts[name];
    if (port === undefined || local === undefined) throw new TranslationError(`Service ${name}: no local port or waypoint port (LocalBindings)`);
    servicePort(service);
    const { filters, extAuthzProvider: provider } = waypointHttpFilters(input, service, waypoint, bindings);
    if (provider) {
      const resolved = extAuthzProvider(input, provider, bindings);
      const serviceName = resolved.service.split('.')[0]!;
      // The waypoint calls the provider directly, not through itself.
      clusters.set(EXT_AUTHZ_CLUSTER(provider), staticCluster(EXT_AUTHZ_CLUSTER(provider), bindings.host, bindings.servicePorts[serviceName]!));
    }
    ports.push(port);
    chains.push({
      name: `${name}.${service.metadata.namespace}`,
      filter_chain_match: { destination_port: port },
      filters: [
        httpConnectionManager({
          statPrefix: `waypoint.${name}`,
          virtualHosts: [{ name, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: workloadCluster(name) } }] }],
          httpFilters: filters,
          // The gateway is the edge; the waypoint keeps its x-forwarded-for and x-envoy-original-path.
          useRemoteAddress: false,
        }),
      ],
    });
    clusters.set(workloadCluster(name), staticCluster(workloadCluster(name), bindings.host, local));
  }
  const idp = new URL(bindings.identityProvider.jwksUri ?? bindings.identityProvider.origin);
  clusters.set(JWKS_CLUSTER, staticCluster(JWKS_CLUSTER, idp.hostname, Number(idp.port || (idp.protocol === 'https:' ? 443 : 80))));
  const [first, ...rest] = ports;
  return {
    admin: { address: socket('127.0.0.1', bindings.adminPorts.waypoint) },
    static_resources: {
      listeners: [
        {
          name: WAYPOINT_LISTENER,
          address: socket(bindings.host, first!),
          additional_addresses: rest.map((port) => ({ address: socket(bindings.host, port) })),
          filter_chains: chains,
        },
      ],
      clusters: [...clusters.values()],
    },
  };
}
