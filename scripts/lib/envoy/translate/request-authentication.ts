// RequestAuthentication → jwt_authn on the waypoint, as istiod writes it: one provider per jwtRule
// (issuer, JWKS, audiences, fromHeaders, forwardOriginalToken → forward, outputPayloadToHeader →
// forward_payload_header), every verified payload in dynamic metadata under `payload` (Istio 1.21+),
// `scope` and `permission` normalised into lists, CORS preflights bypassed, the route cache cleared
// (claims may route). RequestAuthentication semantics: a request without a token passes (a policy
// decides), a bad token is 401. Istio inlines the JWKS that istiod fetched; locally the JWKS is
// fetched by Envoy (remote_jwks), so the harness's key rotation is seen as in the cluster.
import { spec, type IstioInput, type K8sObject } from './overlay.ts';
import { TYPE, TranslationError, type EnvoyObject } from './envoy-types.ts';
import type { LocalBindings } from './local.ts';
import { JWT_PAYLOAD_METADATA_KEY } from '../../../../src/topology/waypoint.ts';

export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWKS_CLUSTER = 'identity-provider-jwks';

/** RequestAuthentications attached to the waypoint (all its Services) or to this Service. */
export function requestAuthenticationsFor(input: IstioInput, serviceName: string, namespace: string, waypoint: string): K8sObject[] {
  return input.objects.filter((object) => {
    if (object.kind !== 'RequestAuthentication' || object.metadata.namespace !== namespace) return false;
    if (spec(object).selector) throw new TranslationError(`RequestAuthentication ${object.metadata.name}: a workload selector does not apply to a waypoint (use targetRefs)`);
    const refs = (spec(object).targetRefs ?? []) as { kind: string; name: string }[];
    return refs.some((ref) => (ref.kind === 'Service' && ref.name === serviceName) || (ref.kind === 'Gateway' && ref.name === waypoint));
  });
}

function jwksUri(rule: Record<string, any>, bindings: LocalBindings, where: string): string {
  if (bindings.identityProvider.jwksUri) return bindings.identityProvider.jwksUri;
  if (typeof rule.jwksUri !== 'string') throw new TranslationError(`${where}: only jwksUri is translated (not jwks or the issuer's discovery)`);
  const uri = new URL(rule.jwksUri);
  return `${bindings.identityProvider.origin}${uri.pathname}${uri.search}`;
}

function provider(rule: Record<string, any>, bindings: LocalBindings, where: string): EnvoyObject {
  const unsupported = Object.keys(rule).filter((key) => !['issuer', 'jwksUri', 'audiences', 'fromHeaders', 'forwardOriginalToken', 'outputPayloadToHeader'].includes(key));
  if (unsupported.length) throw new TranslationError(`${where}: ${unsupported.join(', ')} is not translated`);
  const fromHeaders = (rule.fromHeaders ?? [{ name: 'Authorization', prefix: 'Bearer ' }]) as { name: string; prefix?: string }[];
  return {
    issuer: bindings.identityProvider.issuer ?? rule.issuer,
    ...(rule.audiences?.length ? { audiences: rule.audiences } : {}),
    remote_jwks: { http_uri: { uri: jwksUri(rule, bindings, where), cluster: JWKS_CLUSTER, timeout: '5s' }, cache_duration: '300s' },
    from_headers: fromHeaders.map((header) => ({ name: header.name, ...(header.prefix ? { value_prefix: header.prefix } : {}) })),
    forward: rule.forwardOriginalToken === true,
    ...(rule.outputPayloadToHeader ? { forward_payload_header: rule.outputPayloadToHeader } : {}),
    payload_in_metadata: JWT_PAYLOAD_METADATA_KEY,
    normalize_payload_in_metadata: { space_delimited_claims: ['scope', 'permission'] },
    clear_route_cache: true,
  };
}

/** One jwt_authn filter for every RequestAuthentication that applies, or none. */
export function jwtAuthnFilter(policies: K8sObject[], bindings: LocalBindings): EnvoyObject | undefined {
  const providers: Record<string, EnvoyObject> = {};
  for (const policy of policies) {
    ((spec(policy).jwtRules ?? []) as Record<string, any>[]).forEach((rule, index) => {
      providers[`${policy.metadata.name}-${index}`] = provider(rule, bindings, `RequestAuthentication ${policy.metadata.name} jwtRule ${index}`);
    });
  }
  const names = Object.keys(providers);
  if (names.length === 0) return undefined;
  return {
    name: JWT_FILTER,
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'),
      providers,
      // Any provider that verifies the token, or no token at all; a token none verifies is 401.
      rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [...names.map((name) => ({ provider_name: name })), { allow_missing: {} }] } } }],
      bypass_cors_preflight: true,
    },
  };
}
