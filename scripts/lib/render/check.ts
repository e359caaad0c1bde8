// Cross-reference checks over a rendered overlay: what a schema cannot see. Every reference must
// resolve (route → gateway listener that admits it, route → Service port, gateway → certificate,
// certificate → issuer, policy → target), and the plugin's environment must agree with the filter's
// settings (src/topology/plugin-settings.ts) and with what the waypoint and `keys render` provide.
import { parse } from 'yaml';
import { PLUGIN_SETTINGS } from '../../../src/topology/plugin-settings.ts';
import { COOKIE_SECRET_NAME, SECRETS_ARRAY_KEY } from '../../../src/keys/secret-manifest.ts';
import { K8S, serviceHost } from './manifests.ts';
import { describe, type K8sObject } from './schema.ts';
import { EXT_AUTHZ_DEFAULTS, serviceByName } from '../../../src/topology/index.ts';
import { checkLoginWorkloads, hostnameMatches } from './check-login.ts';

type Obj = K8sObject & { spec?: any; data?: Record<string, string> };
interface Ref { group?: string; kind?: string; name: string; namespace?: string; sectionName?: string; port?: number }

export interface CheckOptions {
  /** The mesh config fragment (istio/mesh/istiod-values.yaml) that declares extension providers. */
  meshValues: unknown;
  /** Fail on values an overlay should have filled ("placeholder"). */
  requireFilled?: boolean;
}

export function checkReferences(objects: readonly Obj[], options: CheckOptions): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: string, namespace?: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || (o.metadata.namespace ?? '') === namespace));
  const nsOf = (o: Obj) => o.metadata.namespace ?? '';

  const seen = new Set<string>();
  for (const o of objects) {
    const key = `${o.apiVersion}/${describe(o)}`;
    if (seen.has(key)) problems.push(`${describe(o)} is defined twice`);
    seen.add(key);
    if (options.requireFilled && /placeholder/i.test(JSON.stringify(o))) problems.push(`${describe(o)} still holds a placeholder value`);
  }

  // Namespaced objects live in namespaces the bundle creates or that exist by contract.
  const namespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  namespaces.add('cert-manager'); // created by the cert-manager installation
  for (const o of objects) {
    if (o.metadata.namespace && !namespaces.has(o.metadata.namespace)) problems.push(`${describe(o)}: namespace ${o.metadata.namespace} is not created`);
  }

  for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
    for (const parent of (route.spec?.parentRefs ?? []) as Ref[]) {
      const gateway = parent.kind === 'Gateway' || parent.kind === undefined ? find('Gateway', parent.name, parent.namespace ?? nsOf(route)) : undefined;
      if (!gateway) {
        problems.push(`${describe(route)}: parentRef ${parent.namespace ?? nsOf(route)}/${parent.name} is not a Gateway here`);
        continue;
      }
      const listeners = (gateway.spec?.listeners ?? []) as { name: string; hostname?: string; allowedRoutes?: any }[];
      const candidates = parent.sectionName ? listeners.filter((l) => l.name === parent.sectionName) : listeners;
      if (candidates.length === 0) problems.push(`${describe(route)}: ${describe(gateway)} has no listener ${parent.sectionName}`);
      for (const listener of candidates) {
        if (!admits(listener.allowedRoutes, nsOf(route), nsOf(gateway), (name) => find('Namespace', name))) {
          problems.push(`${describe(route)}: listener ${listener.name} of ${describe(gateway)} does not admit routes from namespace ${nsOf(route)}`);
        }
        for (const hostname of (route.spec?.hostnames ?? []) as string[]) {
          if (!hostnameMatches(listener.hostname, hostname)) problems.push(`${describe(route)}: hostname ${hostname} is not served by listener ${listener.name} (${listener.hostname}) of ${describe(gateway)}`);
        }
      }
    }
    for (const rule of (route.spec?.rules ?? []) as { backendRefs?: Ref[] }[]) {
      for (const backend of rule.backendRefs ?? []) {
        const svc = find('Service', backend.name, backend.namespace ?? nsOf(route));
        if (!svc) problems.push(`${describe(route)}: backendRef ${backend.name} is not a Service here`);
        else if (!((svc as Obj).spec?.ports ?? []).some((p: { port: number }) => p.port === backend.port)) {
          problems.push(`${describe(route)}: Service ${backend.name} has no port ${backend.port}`);
        }
      }
    }
  }

  for (const gateway of objects.filter((o) => o.kind === 'Gateway')) {
    for (const listener of (gateway.spec?.listeners ?? []) as { name: string; hostname?: string; tls?: { certificateRefs?: Ref[] } }[]) {
      for (const ref of listener.tls?.certificateRefs ?? []) {
        const cert = objects.find((o) => o.kind === 'Certificate' && nsOf(o) === (ref.namespace ?? nsOf(gateway)) && o.spec?.secretName === ref.name);
        if (!cert) {
          problems.push(`${describe(gateway)}: listener ${listener.name} uses Secret ${ref.name}, which no Certificate in ${nsOf(gateway)} writes`);
          continue;
        }
        if (listener.hostname && !(cert.spec.dnsNames ?? []).includes(listener.hostname)) {
          problems.push(`${describe(gateway)}: listener ${listener.name} hostname ${listener.hostname} is not among ${describe(cert)}'s dnsNames`);
        }
      }
    }
    const params = gateway.spec?.infrastructure?.parametersRef as Ref | undefined;
    if (params && !find(params.kind ?? '', params.name, nsOf(gateway))) problems.push(`${describe(gateway)}: parametersRef ${params.kind} ${params.name} does not exist`);
  }

  for (const cert of objects.filter((o) => o.kind === 'Certificate')) {
    const issuer = cert.spec?.issuerRef as Ref;
    const kind = issuer.kind ?? 'Issuer';
    if (!find(kind, issuer.name, kind === 'ClusterIssuer' ? undefined : nsOf(cert))) problems.push(`${describe(cert)}: issuerRef ${kind} ${issuer.name} does not exist`);
  }

  // Policies and the plugin attach to Gateways or Services in their own namespace.
  for (const o of objects.filter((x) => ['WasmPlugin', 'RequestAuthentication', 'AuthorizationPolicy'].includes(x.kind))) {
    for (const target of (o.spec?.targetRefs ?? []) as Ref[]) {
      if (!find(target.kind ?? '', target.name, nsOf(o))) problems.push(`${describe(o)}: targetRef ${target.kind} ${target.name} does not exist`);
    }
  }

  // Services cross the waypoint, both for mesh traffic and for traffic from the gateways.
  const waypoint = find('Gateway', K8S.waypoint, K8S.namespace);
  if (!waypoint) problems.push(`no waypoint Gateway ${K8S.namespace}/${K8S.waypoint}`);
  else {
    if (waypoint.spec?.gatewayClassName !== 'istio-waypoint') problems.push(`${describe(waypoint)}: gatewayClassName must be istio-waypoint`);
    if (waypoint.metadata.labels?.['istio.io/waypoint-for'] !== 'all') problems.push(`${describe(waypoint)}: label istio.io/waypoint-for must be all`);
  }
  for (const svc of objects.filter((o) => o.kind === 'Service' && nsOf(o) === K8S.namespace)) {
    const labels = svc.metadata.labels ?? {};
    if (labels['istio.io/use-waypoint'] !== K8S.waypoint || labels['istio.io/ingress-use-waypoint'] !== 'true') {
      problems.push(`${describe(svc)}: must carry istio.io/use-waypoint: ${K8S.waypoint} and istio.io/ingress-use-waypoint: "true"`);
    }
  }

  problems.push(...checkPlugin(objects, find));
  problems.push(...checkExtAuthz(objects, options.meshValues));
  problems.push(...checkLoginWorkloads(objects));
  return problems;
}

/** allowedRoutes.namespaces semantics (Gateway API): Same (default), All, or Selector on labels. */
function admits(allowed: any, routeNs: string, gatewayNs: string, namespace: (name: string) => Obj | undefined): boolean {
  const from = allowed?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === gatewayNs;
  const labels = namespace(routeNs)?.metadata.labels ?? {};
  const match = (allowed.namespaces.selector?.matchLabels ?? {}) as Record<string, string>;
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

function checkPlugin(objects: readonly Obj[], find: (kind: string, name: string, ns?: string) => Obj | undefined): string[] {
  const problems: string[] = [];
  const plugins = objects.filter((o) => o.kind === 'WasmPlugin');
  if (plugins.length === 0) return ['no WasmPlugin'];
  const known = new Map(PLUGIN_SETTINGS.map((s) => [s.env, s]));
  for (const plugin of plugins) {
    const id = describe(plugin);
    if (plugin.spec?.phase !== 'AUTHZ') problems.push(`${id}: phase must be AUTHZ`);
    if (plugin.spec?.failStrategy !== 'FAIL_CLOSE') problems.push(`${id}: failStrategy must be FAIL_CLOSE`);
    if (!/^oci:\/\//.test(plugin.spec?.url ?? '')) problems.push(`${id}: url must be oci://`);
    const env = (plugin.spec?.vmConfig?.env ?? []) as { name: string; valueFrom?: string; value?: string }[];
    const names = env.map((e) => e.name);
    for (const name of names) if (names.indexOf(name) !== names.lastIndexOf(name)) problems.push(`${id}: env ${name} is set twice`);
    for (const e of env) {
      const setting = known.get(e.name);
      if (!setting) {
        problems.push(`${id}: env ${e.name} is not a setting of the filter`);
        continue;
      }
      const from = e.valueFrom ?? 'INLINE';
      if (setting.secret && (from !== 'HOST' || e.value !== undefined)) problems.push(`${id}: env ${e.name} is a secret: valueFrom HOST, no inline value`);
      if (!setting.secret && from !== 'INLINE') problems.push(`${id}: env ${e.name} must be INLINE`);
    }
    problems.push(...checkInlineValues(id, env));
    for (const setting of PLUGIN_SETTINGS.filter((s) => s.required)) {
      if (!names.includes(setting.env)) problems.push(`${id}: required env ${setting.env} is missing`);
    }
    // Each HOST variable must exist in the environment of every proxy the plugin targets.
    const hostVars = env.filter((e) => e.valueFrom === 'HOST').map((e) => e.name);
    for (const target of (plugin.spec?.targetRefs ?? []) as Ref[]) {
      const gateway = find('Gateway', target.name, plugin.metadata.namespace);
      const params = gateway?.spec?.infrastructure?.parametersRef as Ref | undefined;
      const configMap = params ? find('ConfigMap', params.name, plugin.metadata.namespace) : undefined;
      const proxyEnv = configMap ? waypointEnv(configMap) : [];
      for (const name of hostVars) {
        const entry = proxyEnv.find((e) => e.name === name);
        if (!entry) {
          problems.push(`${id}: HOST env ${name} is not in the environment of ${target.kind} ${target.name} (parametersRef ConfigMap)`);
          continue;
        }
        const ref = entry.valueFrom?.secretKeyRef;
        if (name === SECRETS_ARRAY_KEY && (ref?.name !== COOKIE_SECRET_NAME || ref?.key !== SECRETS_ARRAY_KEY)) {
          problems.push(`${id}: ${name} must come from Secret ${COOKIE_SECRET_NAME} key ${SECRETS_ARRAY_KEY} (what oc-edge keys render writes)`);
        }
      }
    }
  }
  return problems;
}

const ORGANISATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Feature keys go into a header value: a token without separators (ORG-CONTEXT.md). */
const FEATURE_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Values the filter would reject at on_configure (then, with FAIL_CLOSE, every request fails):
 * caught here, before a rollout, rather than by a waypoint answering 503s.
 */
function checkInlineValues(id: string, env: { name: string; value?: string }[]): string[] {
  const problems: string[] = [];
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  const list = (text: string | undefined) => (text ? text.split(',') : []);
  for (const org of list(value('BOOTSTRAPPED_ORGANISATIONS'))) {
    if (!ORGANISATION_ID.test(org)) problems.push(`${id}: BOOTSTRAPPED_ORGANISATIONS has an invalid organisation id ${JSON.stringify(org)}`);
  }
  for (const feature of list(value('SUPPORTED_FEATURES'))) {
    if (!FEATURE_KEY.test(feature)) problems.push(`${id}: SUPPORTED_FEATURES has an invalid feature key ${JSON.stringify(feature)}`);
  }
  const perOrg = value('ORGANISATION_FEATURES');
  if (perOrg !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(perOrg);
    } catch {
      parsed = undefined;
    }
    const valid =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) &&
      Object.entries(parsed).every(([org, features]) => ORGANISATION_ID.test(org) && Array.isArray(features) && features.every((f) => typeof f === 'string' && FEATURE_KEY.test(f)));
    if (!valid) problems.push(`${id}: ORGANISATION_FEATURES must be a JSON object of organisation id → array of feature keys`);
  }
  const source = value('JWT_CLAIMS_SOURCE');
  if (source !== undefined && source !== 'metadata' && source !== 'header') problems.push(`${id}: JWT_CLAIMS_SOURCE must be metadata or header`);
  const cache = value('ORG_COOKIE_CACHE_SIZE');
  if (cache !== undefined && !/^\d+$/.test(cache)) problems.push(`${id}: ORG_COOKIE_CACHE_SIZE must be a whole number`);
  return problems;
}

interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }

/** The istio-proxy container's env in the Deployment overlay Istio merges from the ConfigMap. */
export function waypointEnv(configMap: Obj): EnvVar[] {
  const deployment = parse(configMap.data?.deployment ?? '{}') as any;
  const containers = (deployment?.spec?.template?.spec?.containers ?? []) as { name: string; env?: EnvVar[] }[];
  return containers.find((c) => c.name === 'istio-proxy')?.env ?? [];
}

function checkExtAuthz(objects: readonly Obj[], meshValues: any): string[] {
  const problems: string[] = [];
  const providers = (meshValues?.meshConfig?.extensionProviders ?? []) as { name: string; envoyExtAuthzHttp?: any }[];
  for (const policy of objects.filter((o) => o.kind === 'AuthorizationPolicy' && o.spec?.action === 'CUSTOM')) {
    const provider = providers.find((p) => p.name === policy.spec?.provider?.name);
    if (!provider) {
      problems.push(`${describe(policy)}: provider ${policy.spec?.provider?.name} is not declared in the mesh config`);
      continue;
    }
    const login = serviceByName('login-service');
    if (provider.envoyExtAuthzHttp?.service !== serviceHost('login-service') || provider.envoyExtAuthzHttp?.port !== login.port) {
      problems.push(`provider ${provider.name} must point at ${serviceHost('login-service')}:${login.port}`);
    }
    // The check's 200 sets both on the forwarded request (src/topology/ext-authz.ts): the ID token
    // as authorization, and the cookie header rewritten without the login service's own cookies.
    // A provider that drops `cookie` would hand the backends the session cookie (docs/gateway.md).
    const toUpstream = (provider.envoyExtAuthzHttp?.headersToUpstreamOnAllow ?? []) as unknown[];
    for (const header of EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow) {
      if (!toUpstream.includes(header)) problems.push(`provider ${provider.name} must send the ${header} header upstream on allow`);
    }
    // The internal gateway's M2M routes stay outside the login check.
    const targets = ((policy.spec?.targetRefs ?? []) as Ref[]).map((t) => t.name);
    for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
      const internal = ((route.spec?.parentRefs ?? []) as Ref[]).some((p) => p.name === K8S.internalGateway);
      const backends = ((route.spec?.rules ?? []) as { backendRefs?: Ref[] }[]).flatMap((r) => r.backendRefs ?? []).map((b) => b.name);
      if (internal && backends.some((b) => targets.includes(b))) problems.push(`${describe(policy)} covers ${describe(route)}, an M2M route of the internal gateway`);
    }
  }
  return problems;
}
