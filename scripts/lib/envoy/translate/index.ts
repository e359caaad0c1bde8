// The local Envoy configuration translated from an istio/ overlay the way istiod translates it:
// the gateway Envoy (every Gateway of class istio, with their HTTPRoutes) and the waypoint Envoy
// (every Service behind the waypoint, with its policies and plugins). docs/deploy.md says, object
// by object, what is translated and what is not.
import { ofKind, spec, type IstioInput, type K8sObject } from './overlay.ts';
import { TranslationError, socket, staticCluster, type EnvoyObject } from './envoy-types.ts';
import { listenerKey, translateGateway } from './gateway.ts';
import { INGRESS_USE_WAYPOINT_LABEL, translateWaypoint, waypointOf } from './waypoint.ts';
import type { LocalBindings } from './local.ts';

export { TranslationError } from './envoy-types.ts';
export { defaultLocalBindings, defaultListenerPorts, localCertificate, WAYPOINT_PORT_OFFSET, type LocalBindings } from './local.ts';
export { istioInput, renderOverlayObjects, type IstioInput } from './overlay.ts';
export { listenerKey } from './gateway.ts';
export { WAYPOINT_LISTENER } from './waypoint.ts';

export interface LocalEnvoyConfigs {
  gateway: EnvoyObject;
  waypoint: EnvoyObject;
}

/** Through the waypoint when the Service opts ingress traffic into it, as ambient does; else straight to the workload. */
function gatewayCluster(input: IstioInput, bindings: LocalBindings, gateway: string, backend: { name: string; namespace: string; port: number }, where: string, clusters: Map<string, EnvoyObject>): string {
  const service = ofKind(input, 'Service').find((s) => s.metadata.name === backend.name && s.metadata.namespace === backend.namespace);
  if (!service) throw new TranslationError(`${where}: backendRef ${backend.namespace}/${backend.name} names no Service`);
  const ports = (spec(service).ports ?? []) as { port: number }[];
  if (!ports.some((p) => p.port === backend.port)) throw new TranslationError(`${where}: Service ${backend.name} has no port ${backend.port}`);
  const viaWaypoint = waypointOf(input, service) !== undefined && service.metadata.labels?.[INGRESS_USE_WAYPOINT_LABEL] === 'true';
  const port = viaWaypoint ? bindings.waypointPorts[backend.name] : bindings.servicePorts[backend.name];
  if (port === undefined) throw new TranslationError(`${where}: Service ${backend.name} has no local port`);
  // Istio's outbound cluster name, per gateway: each gateway connects from its own address (its identity).
  const name = `outbound|${backend.port}||${backend.name}.${backend.namespace}.svc.cluster.local|${gateway}`;
  clusters.set(name, staticCluster(name, bindings.host, port, bindings.gatewaySourceAddresses[gateway]));
  return name;
}

export function translateGateways(input: IstioInput, bindings: LocalBindings): EnvoyObject {
  const gateways = ofKind(input, 'Gateway').filter((g) => spec(g).gatewayClassName === 'istio');
  if (gateways.length === 0) throw new TranslationError('no Gateway of class istio');
  const routes = ofKind(input, 'HTTPRoute');
  const namespaces = ofKind(input, 'Namespace');
  const clusters = new Map<string, EnvoyObject>();
  const listeners = gateways.flatMap((gateway: K8sObject) => {
    const https = ((spec(gateway).listeners ?? []) as { name: string; protocol: string }[]).find((l) => l.protocol === 'HTTPS');
    const httpsPort = https ? bindings.listenerPorts[listenerKey(gateway.metadata.name, https.name)] ?? 443 : 443;
    return translateGateway(gateway, routes, namespaces, bindings, (backend, where) => gatewayCluster(input, bindings, gateway.metadata.name, backend, where, clusters), httpsPort);
  });
  return {
    admin: { address: socket('127.0.0.1', bindings.adminPorts.gateway) },
    static_resources: { listeners, clusters: [...clusters.values()] },
  };
}

export function translateOverlay(input: IstioInput, bindings: LocalBindings): LocalEnvoyConfigs {
  return { gateway: translateGateways(input, bindings), waypoint: translateWaypoint(input, bindings) };
}
