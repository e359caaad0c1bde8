// Gateway (class istio) → the gateway Envoy's listeners, as istiod builds a gateway deployment:
// one listener per Gateway listener (HTTP, or HTTPS with TLS Terminate and its certificate Secret),
// a virtual host for the listener's hostname (any host when it has none), the attached HTTPRoutes
// as its routes and Envoy's own 404 when none matches. The edge owns x-forwarded-* (use_remote_address).
import { spec, type K8sObject } from './overlay.ts';
import { translateHttpRoutes, type BackendResolver } from './http-route.ts';
import { TYPE, TranslationError, httpConnectionManager, socket, type EnvoyObject } from './envoy-types.ts';
import type { LocalBindings } from './local.ts';

export const listenerKey = (gateway: string, listener: string): string => `${gateway}/${listener}`;

function localPort(bindings: LocalBindings, key: string): number {
  const port = bindings.listenerPorts[key];
  if (port === undefined) throw new TranslationError(`Gateway listener ${key} has no local port (LocalBindings.listenerPorts)`);
  return port;
}

/** The virtual host's domains: the hostname stands for the local host names (each with any port). */
function domains(hostname: string | undefined, bindings: LocalBindings): string[] {
  if (!hostname) return ['*'];
  return bindings.hostnames.flatMap((name) => [name, `${name}:*`]);
}

function tlsTransport(gateway: K8sObject, listener: Record<string, any>, bindings: LocalBindings): EnvoyObject {
  const where = `Gateway ${gateway.metadata.name} listener ${listener.name}`;
  if ((listener.tls?.mode ?? 'Terminate') !== 'Terminate') throw new TranslationError(`${where}: only TLS mode Terminate is translated`);
  const refs = (listener.tls?.certificateRefs ?? []) as { kind?: string; name: string }[];
  if (refs.length !== 1 || (refs[0]!.kind ?? 'Secret') !== 'Secret') throw new TranslationError(`${where}: exactly one Secret certificateRef is translated`);
  const files = bindings.gatewayCertificate;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': TYPE('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'),
      common_tls_context: {
        tls_certificates: [{ certificate_chain: { filename: files.certificateChain }, private_key: { filename: files.privateKey } }],
        alpn_protocols: ['h2', 'http/1.1'],
      },
    },
  };
}

/** Whether a listener's allowedRoutes admit an HTTPRoute from `routeNamespace` (Same by default). */
function admits(gateway: K8sObject, listener: Record<string, any>, routeNamespace: string, namespaces: K8sObject[]): boolean {
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gateway.metadata.namespace;
  if (from !== 'Selector') throw new TranslationError(`Gateway ${gateway.metadata.name} listener ${listener.name}: allowedRoutes from ${from} is not translated`);
  const selector = listener.allowedRoutes.namespaces.selector ?? {};
  if (selector.matchExpressions?.length) throw new TranslationError(`Gateway ${gateway.metadata.name} listener ${listener.name}: matchExpressions are not translated`);
  const labels = namespaces.find((ns) => ns.metadata.name === routeNamespace)?.metadata.labels ?? {};
  return Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([key, value]) => labels[key] === value);
}

/** Every listener of one Gateway. `resolve` names the cluster for a backend (the waypoint, or the Service). */
export function translateGateway(gateway: K8sObject, httpRoutes: K8sObject[], namespaces: K8sObject[], bindings: LocalBindings, resolve: BackendResolver, httpsPort: number): EnvoyObject[] {
  const name = gateway.metadata.name;
  if (spec(gateway).gatewayClassName !== 'istio') throw new TranslationError(`Gateway ${name}: class ${spec(gateway).gatewayClassName} is not an ingress gateway (istio)`);
  return ((spec(gateway).listeners ?? []) as Record<string, any>[]).map((listener) => {
    const key = listenerKey(name, listener.name);
    if (!['HTTP', 'HTTPS'].includes(listener.protocol)) throw new TranslationError(`Gateway ${name} listener ${listener.name}: protocol ${listener.protocol} is not translated`);
    const admitted = httpRoutes.filter((route) => admits(gateway, listener, route.metadata.namespace!, namespaces));
    const routes = translateHttpRoutes(admitted, { gateway: name, gatewayNamespace: gateway.metadata.namespace!, sectionName: listener.name }, { httpsPort, resolve });
    const manager = httpConnectionManager({
      statPrefix: key.replace('/', '.'),
      virtualHosts: [{ name: key, domains: domains(listener.hostname, bindings), routes }],
      httpFilters: [],
      useRemoteAddress: true,
    });
    return {
      name: key,
      address: socket(bindings.host, localPort(bindings, key)),
      filter_chains: [{ ...(listener.protocol === 'HTTPS' ? { transport_socket: tlsTransport(gateway, listener, bindings) } : {}), filters: [manager] }],
    };
  });
}
