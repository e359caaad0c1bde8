// AuthorizationPolicy → the waypoint's authorization filters for one Service, as istiod builds them:
// CUSTOM → ext_authz (HTTP) from the mesh config's `envoyExtAuthzHttp` provider; ALLOW → an RBAC
// filter (a request that no ALLOW rule matches gets 403). Istio runs CUSTOM through a shadow RBAC
// filter that enables ext_authz only for matching requests; only `rules: [{}]` (every request) is
// translated here, so ext_authz runs on every request to the Service, which is what that rule means.
import { spec, type IstioInput, type K8sObject } from './overlay.ts';
import { TYPE, TranslationError, exactNames, type EnvoyObject } from './envoy-types.ts';
import type { LocalBindings } from './local.ts';
import { JWT_FILTER } from './request-authentication.ts';
import { JWT_PAYLOAD_METADATA_KEY } from '../../../../src/topology/waypoint.ts';

/** envoy.type.v3.StatusCode names for the statuses statusOnError may take. */
const STATUS_CODE_NAMES: Record<string, string> = { '401': 'Unauthorized', '403': 'Forbidden', '500': 'InternalServerError', '502': 'BadGateway', '503': 'ServiceUnavailable', '504': 'GatewayTimeout' };

export const EXT_AUTHZ_CLUSTER = (provider: string): string => `ext-authz|${provider}`;

/** `6s`, `500ms`, `1.5s` → Envoy duration. */
function duration(value: unknown, where: string): string {
  const text = String(value ?? '');
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!match) throw new TranslationError(`${where}: timeout ${text} is not a duration`);
  return match[2] === 'ms' ? `${Number(match[1]) / 1000}s` : `${match[1]}s`;
}

export interface ExtAuthzProvider {
  name: string;
  /** The provider's service as the mesh config names it (FQDN) and port. */
  service: string;
  port: number;
  filter: EnvoyObject;
}

export function extAuthzProvider(input: IstioInput, name: string, bindings: LocalBindings): ExtAuthzProvider {
  const provider = (input.mesh.extensionProviders ?? []).find((candidate) => candidate.name === name);
  const http = provider?.envoyExtAuthzHttp as Record<string, any> | undefined;
  const where = `meshConfig extensionProvider ${name}`;
  if (!http) throw new TranslationError(`${where}: no envoyExtAuthzHttp provider of that name`);
  const status = String(http.statusOnError ?? '403');
  if (!STATUS_CODE_NAMES[status]) throw new TranslationError(`${where}: statusOnError ${status} is not translated`);
  const serviceName = String(http.service).split('.')[0]!;
  const localPort = bindings.servicePorts[serviceName];
  if (localPort === undefined) throw new TranslationError(`${where}: service ${http.service} has no local port`);
  return {
    name,
    service: String(http.service),
    port: Number(http.port),
    filter: {
      name: 'envoy.filters.http.ext_authz',
      typed_config: {
        '@type': TYPE('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'),
        transport_api_version: 'V3',
        failure_mode_allow: http.failOpen === true,
        status_on_error: { code: STATUS_CODE_NAMES[status] },
        allowed_headers: exactNames(http.includeRequestHeadersInCheck ?? []),
        http_service: {
          server_uri: { uri: `http://${http.service}:${http.port}`, cluster: EXT_AUTHZ_CLUSTER(name), timeout: duration(http.timeout ?? '600s', where) },
          ...(http.pathPrefix ? { path_prefix: http.pathPrefix } : {}),
          authorization_response: {
            allowed_upstream_headers: exactNames(http.headersToUpstreamOnAllow ?? []),
            allowed_client_headers_on_success: exactNames(http.headersToDownstreamOnAllow ?? []),
            allowed_client_headers: exactNames(http.headersToDownstreamOnDeny ?? []),
          },
        },
      },
    },
  };
}

function policiesFor(input: IstioInput, serviceName: string, namespace: string, waypoint: string, action: string): K8sObject[] {
  return input.objects.filter((object) => {
    if (object.kind !== 'AuthorizationPolicy' || object.metadata.namespace !== namespace) return false;
    if ((spec(object).action ?? 'ALLOW') !== action) return false;
    const refs = (spec(object).targetRefs ?? []) as { kind: string; name: string }[];
    if (spec(object).selector) throw new TranslationError(`AuthorizationPolicy ${object.metadata.name}: a workload selector does not apply to a waypoint (use targetRefs)`);
    return refs.some((ref) => (ref.kind === 'Service' && ref.name === serviceName) || (ref.kind === 'Gateway' && ref.name === waypoint));
  });
}

/** The CUSTOM provider guarding a Service on the waypoint, if any. */
export function customProviderFor(input: IstioInput, serviceName: string, namespace: string, waypoint: string): string | undefined {
  const custom = policiesFor(input, serviceName, namespace, waypoint, 'CUSTOM');
  const providers = new Set<string>();
  for (const policy of custom) {
    const rules = (spec(policy).rules ?? []) as Record<string, unknown>[];
    if (rules.length !== 1 || Object.keys(rules[0]!).length !== 0) throw new TranslationError(`AuthorizationPolicy ${policy.metadata.name}: only CUSTOM rules [{}] (every request) are translated`);
    providers.add(String(spec(policy).provider?.name));
  }
  if (providers.size > 1) throw new TranslationError(`Service ${serviceName}: CUSTOM policies name ${[...providers].join(', ')}; Istio allows one provider per workload`);
  return [...providers][0];
}

const claimMatcher = (claim: string, value: EnvoyObject): EnvoyObject => ({
  sourced_metadata: { metadata_matcher: { filter: JWT_FILTER, path: [{ key: JWT_PAYLOAD_METADATA_KEY }, { key: claim }], value } },
});

/** `cluster.local/ns/<ns>/sa/<name>-istio` → the local source address of that gateway. */
function principalAddress(principal: string, bindings: LocalBindings, where: string): string {
  const gateway = /^[^/]+\/ns\/[^/]+\/sa\/(.+)-istio$/.exec(principal)?.[1];
  const address = gateway ? bindings.gatewaySourceAddresses[gateway] : undefined;
  if (!address) throw new TranslationError(`${where}: principal ${principal} is not a gateway with a local source address`);
  return address;
}

function translateRule(rule: Record<string, any>, bindings: LocalBindings, where: string): EnvoyObject {
  const unsupported = Object.keys(rule).filter((key) => !['from', 'when'].includes(key));
  if (unsupported.length) throw new TranslationError(`${where}: ${unsupported.join(', ')} is not translated`);
  const ids: EnvoyObject[] = [];
  for (const from of (rule.from ?? []) as Record<string, any>[]) {
    const source = from.source ?? {};
    const other = Object.keys(source).filter((key) => !['principals', 'requestPrincipals'].includes(key));
    if (other.length) throw new TranslationError(`${where}: source ${other.join(', ')} is not translated`);
    if (source.principals) ids.push({ or_ids: { ids: (source.principals as string[]).map((p) => ({ direct_remote_ip: { address_prefix: principalAddress(p, bindings, where), prefix_len: 32 } })) } });
    if (source.requestPrincipals) {
      const values = source.requestPrincipals as string[];
      if (values.some((value) => value !== '*')) throw new TranslationError(`${where}: only requestPrincipals ["*"] (any verified token) is translated`);
      // A verified token: jwt_authn wrote its payload, whose iss is always set.
      ids.push(claimMatcher('iss', { present_match: true }));
    }
  }
  for (const condition of (rule.when ?? []) as { key: string; values?: string[]; notValues?: string[] }[]) {
    const claim = /^request\.auth\.claims\[([^\]]+)\]$/.exec(condition.key)?.[1];
    if (!claim || condition.notValues || !condition.values?.length) throw new TranslationError(`${where}: only when request.auth.claims[<claim>] values is translated, got ${condition.key}`);
    ids.push({ or_ids: { ids: condition.values.map((value) => claimMatcher(claim, { string_match: { exact: value } })) } });
  }
  return ids.length === 0 ? { any: true } : { and_ids: { ids } };
}

/** ALLOW policies for a Service → one RBAC filter, or none when no ALLOW policy applies. */
export function rbacFilter(input: IstioInput, serviceName: string, namespace: string, waypoint: string, bindings: LocalBindings): EnvoyObject | undefined {
  const allow = policiesFor(input, serviceName, namespace, waypoint, 'ALLOW');
  if (allow.length === 0) return undefined;
  const policies: Record<string, EnvoyObject> = {};
  for (const policy of allow) {
    ((spec(policy).rules ?? []) as Record<string, any>[]).forEach((rule, index) => {
      const where = `AuthorizationPolicy ${policy.metadata.name} rule ${index}`;
      policies[`ns[${namespace}]-policy[${policy.metadata.name}]-rule[${index}]`] = { permissions: [{ any: true }], principals: [translateRule(rule, bindings, where)] };
    });
  }
  return { name: 'envoy.filters.http.rbac', typed_config: { '@type': TYPE('envoy.extensions.filters.http.rbac.v3.RBAC'), rules: { action: 'ALLOW', policies } } };
}
