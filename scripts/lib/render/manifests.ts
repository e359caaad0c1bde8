// The parts of istio/ that follow from src/topology: one HTTPRoute and one Service per service,
// the CUSTOM AuthorizationPolicy's targets, the onboarding M2M guard and the mesh config that declares
// the login service as an ext_authz provider. `oc-edge render` writes them to istio/base/generated/
// and istio/mesh/; a test fails when the committed files drift from what this produces.
// Hand-written manifests (gateways, cert-manager, waypoint, RequestAuthentication, WasmPlugin) stay
// in istio/base/*.yaml: they hold deployment choices, not topology.
import { stringify } from 'yaml';
import { ROUTES, SERVICES, responseHeaderFilters, serviceByName, type Route, type ServiceName } from '../../../src/topology/index.ts';
import { EXT_AUTHZ_DEFAULTS } from '../../../src/gateway/filters/ext-authz.ts';

/** Kubernetes names the manifests share. Kept here (not in src/topology): only the cluster needs them. */
export const K8S = {
  namespace: 'oneconnect',
  /** The namespace label the external gateway's allowedRoutes selects. */
  gatewayAccessLabel: { 'gateway-access': 'oneconnect' },
  gatewayNamespace: 'istio-ingress',
  externalGateway: 'oneconnect-gateway',
  internalGateway: 'oneconnect-internal-gateway',
  waypoint: 'waypoint',
  /** The name Istio's mesh config gives the login service as an ext_authz provider. */
  extAuthzProvider: 'oneconnect-login-service',
  trustDomain: 'cluster.local',
} as const;

/** Services that run in the cluster; the identity provider is Cognito there, not a workload. */
export const CLUSTER_SERVICES: readonly ServiceName[] = SERVICES.map((s) => s.name).filter((name) => name !== 'identity-provider');

/** The Gateway (and its listener) a route attaches to. */
export function parentOf(route: Route): { name: string; sectionName: string } {
  return route.listener === 'external'
    ? { name: K8S.externalGateway, sectionName: 'https' }
    : { name: K8S.internalGateway, sectionName: 'http' };
}

/** The SPIFFE principal of an Istio-deployed gateway (its ServiceAccount is `<name>-istio`). */
export function gatewayPrincipal(gateway: string): string {
  return `${K8S.trustDomain}/ns/${K8S.gatewayNamespace}/sa/${gateway}-istio`;
}

export function serviceHost(name: ServiceName): string {
  return `${name}.${K8S.namespace}.svc.cluster.local`;
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const commonLabels = { 'app.kubernetes.io/part-of': 'oneconnect-edge' };

export function httpRoute(route: Route): Record<string, unknown> {
  const service = serviceByName(route.service);
  const parent = parentOf(route);
  const rule: Record<string, unknown> = {
    matches: [{ path: { type: 'PathPrefix', value: route.prefix } }],
    backendRefs: [{ name: service.name, port: service.port }],
  };
  // '/' has nothing to strip; every other prefix is replaced as the topology says.
  const filters: Record<string, unknown>[] = [];
  if (route.rewritePrefix !== undefined && route.prefix !== '/') {
    filters.push({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: route.rewritePrefix } } });
  }
  filters.push(...responseHeaderFilters(route));
  if (filters.length > 0) rule.filters = filters;
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name: route.name, namespace: K8S.namespace, labels: { ...commonLabels } },
    spec: {
      parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: parent.name, namespace: K8S.gatewayNamespace, sectionName: parent.sectionName }],
      rules: [rule],
    },
  };
}

/** A Service per workload, labelled so that mesh and ingress traffic to it crosses the waypoint. */
export function service(name: ServiceName): Record<string, unknown> {
  const { port } = serviceByName(name);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: K8S.namespace,
      labels: { ...commonLabels, app: name, 'istio.io/use-waypoint': K8S.waypoint, 'istio.io/ingress-use-waypoint': 'true' },
    },
    spec: {
      selector: { app: name },
      ports: [{ name: 'http', appProtocol: 'http', port, targetPort: port, protocol: 'TCP' }],
    },
  };
}

/** Services whose routes the login service guards (every route with extAuthz). */
export function extAuthzServices(routes: readonly Route[] = ROUTES): ServiceName[] {
  const guarded = new Set(routes.filter((r) => r.extAuthz).map((r) => r.service));
  // A service reachable by any unguarded route would let that route skip the check only where the
  // topology says so; a service must not be guarded on one route and open on another.
  for (const r of routes) {
    if (!r.extAuthz && guarded.has(r.service)) throw new Error(`service ${r.service} is both guarded and open (route ${r.name})`);
  }
  return [...guarded];
}

/**
 * CUSTOM policy to the login service. It targets the guarded Services (not the whole waypoint) so
 * that the login service's own /oauth2 endpoints and the M2M onboarding service stay outside it
 * without any path exception: a path exception like notPaths /oauth2/* would also have opened
 * /user/oauth2/… after the gateway strips /user.
 */
export function authorizationPolicy(): Record<string, unknown> {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'login-service-ext-authz', namespace: K8S.namespace, labels: { ...commonLabels } },
    spec: {
      targetRefs: extAuthzServices().map((name) => ({ kind: 'Service', group: '', name })),
      action: 'CUSTOM',
      provider: { name: K8S.extAuthzProvider },
      rules: [{}],
    },
  };
}

/** M2M routes: only the internal gateway may reach them, with a verified access token. */
export function m2mPolicies(): Record<string, unknown>[] {
  const m2m = ROUTES.filter((r) => r.requireM2mToken);
  if (m2m.length === 0) return [];
  const targets = [...new Set(m2m.map((r) => r.service))].map((name) => ({ kind: 'Service', group: '', name }));
  return [
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'm2m-internal-gateway-only', namespace: K8S.namespace, labels: { ...commonLabels } },
      spec: {
        targetRefs: targets,
        action: 'ALLOW',
        rules: [
          {
            from: [{ source: { principals: [gatewayPrincipal(K8S.internalGateway)], requestPrincipals: ['*'] } }],
            // The M2M app client: filled by the overlay (istio/components/settings, m2mClientId).
            when: [{ key: 'request.auth.claims[client_id]', values: ['placeholder-m2m-client-id'] }],
          },
        ],
      },
    },
  ];
}

/**
 * The meshConfig fragment (Helm values for istiod) that declares the login service as a provider.
 * Every ext_authz setting is EXT_AUTHZ_DEFAULTS (src/gateway/filters/ext-authz.ts), so the Node
 * gateway, envoy/ and the mesh agree. Envoy always adds host, method, path and authorization to the
 * check; the original path and query are the check request's own path (after `pathPrefix`).
 */
export function meshConfigValues(): Record<string, unknown> {
  return {
    meshConfig: {
      extensionProviders: [
        {
          name: K8S.extAuthzProvider,
          envoyExtAuthzHttp: {
            service: serviceHost('login-service'),
            port: serviceByName('login-service').port,
            timeout: `${EXT_AUTHZ_DEFAULTS.timeoutMs / 1000}s`,
            // The login service's CHECK_PATH_PREFIX must be the same.
            pathPrefix: EXT_AUTHZ_DEFAULTS.pathPrefix,
            // A login service that cannot answer must never let a request through.
            failOpen: false,
            statusOnError: String(EXT_AUTHZ_DEFAULTS.statusOnError),
            includeRequestHeadersInCheck: [...EXT_AUTHZ_DEFAULTS.includeRequestHeadersInCheck],
            headersToUpstreamOnAllow: [...EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow],
            headersToDownstreamOnAllow: [...EXT_AUTHZ_DEFAULTS.headersToDownstreamOnAllow],
            headersToDownstreamOnDeny: [...EXT_AUTHZ_DEFAULTS.headersToDownstreamOnDeny],
          },
        },
      ],
    },
  };
}

const HEADER = '# Generated by `oc-edge render` from src/topology. Do not edit: edit the topology and re-render.\n';

function yamlDocs(objects: readonly Record<string, unknown>[]): string {
  return HEADER + objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

/** Every generated file under istio/, path relative to the repository root → content. */
export function generatedIstioFiles(): Map<string, string> {
  return new Map([
    ['istio/base/generated/services.yaml', yamlDocs(CLUSTER_SERVICES.map(service))],
    ['istio/base/generated/httproutes.yaml', yamlDocs(ROUTES.map(httpRoute))],
    ['istio/base/generated/authorization-policies.yaml', yamlDocs([authorizationPolicy(), ...m2mPolicies()])],
    ['istio/mesh/istiod-values.yaml', yamlDocs([meshConfigValues()])],
  ]);
}
