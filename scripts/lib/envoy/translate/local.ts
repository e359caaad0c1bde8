// What a laptop has instead of a cluster: every cluster address, port, file and identity the
// manifests name, mapped to 127.0.0.1. This is the only place the translation departs from the
// manifests, and each entry says what it stands for. docs/deploy.md lists them.
import { GATEWAY_PORTS, SERVICES, serviceByName, type ServiceName } from '../../../../src/topology/index.ts';
import { K8S } from '../../render/manifests.ts';
import { FILTER_WASM, LOCAL_TLS_DIR } from '../../artifacts.ts';

export interface LocalBindings {
  /** Where every local listener binds and every local service is reached. */
  host: string;
  /** `<gateway>/<listener>` → the local port of that Gateway listener (80/443 need root). */
  listenerPorts: Record<string, number>;
  /** Host names a Gateway listener's `hostname` stands for locally (the browser uses localhost). */
  hostnames: string[];
  /** Service name → local port of the workload. */
  servicePorts: Record<string, number>;
  /**
   * Service name → local port of the waypoint for that Service. In the mesh the waypoint takes the
   * Service's traffic over HBONE and picks a filter chain by destination; locally each Service has
   * its own waypoint port and the filter chain matches that port.
   */
  waypointPorts: Record<string, number>;
  /**
   * Gateway name → the source address its upstream connections use. Stands for the SPIFFE identity
   * an AuthorizationPolicy's `source.principals` names (no mTLS between the local Envoys): the
   * waypoint checks the connection's address instead.
   */
  gatewaySourceAddresses: Record<string, string>;
  /** Admin listeners (127.0.0.1) of the gateway and the waypoint Envoy; 0 lets the kernel pick. */
  adminPorts: { gateway: number; waypoint: number };
  /** What every Gateway certificate Secret holds locally (cert-manager's in the cluster): the local CA's server certificate. */
  gatewayCertificate: { certificateChain: string; privateKey: string };
  /** The WasmPlugin module as a local file (istiod's agent fetches `url` and checks `sha256` in the cluster). */
  wasmFile: string;
  /**
   * The local identity provider. Every RequestAuthentication jwksUri is fetched from `origin` (path
   * kept: the local overlay names host.docker.internal, how kind/k3d pods reach the host), or from
   * `jwksUri`; `issuer` replaces the overlay's issuer when the provider runs elsewhere (free ports).
   */
  identityProvider: { origin: string; issuer?: string; jwksUri?: string };
  /** WasmPlugin env values that replace the overlay's (e.g. `--membership-check`). */
  pluginEnvOverrides: Record<string, string>;
}

/** The WAYPOINT_PORT_OFFSET above a service's own port is its local waypoint port by default. */
export const WAYPOINT_PORT_OFFSET = 10_000;

/** The local gateway listeners, keyed as the manifests name them. */
export function defaultListenerPorts(ports: { http: number; https: number; internal: number } = GATEWAY_PORTS): Record<string, number> {
  return {
    [`${K8S.externalGateway}/http`]: ports.http,
    [`${K8S.externalGateway}/https`]: ports.https,
    [`${K8S.internalGateway}/http`]: ports.internal,
  };
}

const idp = serviceByName('identity-provider');

export function defaultLocalBindings(): LocalBindings {
  const servicePorts = Object.fromEntries(SERVICES.map((s) => [s.name, s.port])) as Record<ServiceName, number>;
  return {
    host: '127.0.0.1',
    listenerPorts: defaultListenerPorts(),
    hostnames: ['localhost', '127.0.0.1'],
    servicePorts,
    waypointPorts: Object.fromEntries(SERVICES.map((s) => [s.name, s.port + WAYPOINT_PORT_OFFSET])),
    gatewaySourceAddresses: { [K8S.externalGateway]: '127.0.0.2', [K8S.internalGateway]: '127.0.0.3' },
    adminPorts: { gateway: 9901, waypoint: 9902 },
    gatewayCertificate: localCertificate(LOCAL_TLS_DIR),
    wasmFile: FILTER_WASM.path,
    identityProvider: { origin: `http://127.0.0.1:${idp.port}` },
    pluginEnvOverrides: {},
  };
}

/** The server certificate src/gateway's local CA keeps in `tlsDir` (src/gateway/tls/local-ca.ts names the files). */
export function localCertificate(tlsDir: string): LocalBindings['gatewayCertificate'] {
  return { certificateChain: `${tlsDir}/server.pem`, privateKey: `${tlsDir}/server-key.pem` };
}
