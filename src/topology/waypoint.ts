// What the waypoint's JWT stage and the identity provider agree on: where verified claims travel
// (the payload header and jwt_authn's dynamic metadata), and the local user pool's names (pool id,
// app and M2M clients, scopes). The Node gateway, the Envoy bootstrap, the backends, the identity
// provider stand-in, the simulator and the filter (through its generated settings) all read these,
// so a rename here reaches every one of them and none can keep the old spelling.

/**
 * Istio `outputPayloadToHeader` / Envoy `forward_payload_header`: the verified token's payload,
 * base64url, for the backends. jwt_authn removes every client-sent copy first.
 */
export const JWT_PAYLOAD_HEADER = 'x-envoy-jwt-payload';

/** The dynamic metadata namespace jwt_authn writes verified claims under. */
export const JWT_METADATA_NAMESPACE = 'envoy.filters.http.jwt_authn';

/** Envoy `payload_in_metadata`: the key under JWT_METADATA_NAMESPACE that holds the claims. */
export const JWT_PAYLOAD_METADATA_KEY = 'payload';

/**
 * The property path (Proxy-Wasm `get_property`, NUL-separated) of one verified claim, without the
 * claim's name: the filter appends it.
 */
export const JWT_CLAIM_PROPERTY_PREFIX = ['metadata', 'filter_metadata', JWT_METADATA_NAMESPACE, JWT_PAYLOAD_METADATA_KEY, ''].join('\0');

/** The local user pool (Cognito's `<region>_<id>`): the last segment of its issuer. */
export const USER_POOL_ID = 'eu-west-1_OneConnect';

/** The app client: the `aud` of ID tokens, which the waypoint's jwt_authn requires. */
export const APP_CLIENT_ID = 'oneconnect-local';

/** The client-credentials client the enrichment Lambda and the organisation backend use. */
export const M2M_CLIENT_ID = 'oneconnect-local-m2m';

/** The OIDC scopes the app client may ask for. */
export const OIDC_SCOPES: readonly string[] = ['openid', 'email', 'profile', 'offline_access'];

/** The scope an M2M token must carry for the internal listener (a Cognito resource-server scope). */
export const ONBOARDING_SCOPE = 'onboarding/read';

/** The resource indicator behind ONBOARDING_SCOPE (the `aud` of M2M tokens). */
export const ONBOARDING_RESOURCE = 'urn:oneconnect:onboarding';

/** A Cognito pool's issuer: the provider's origin, then the pool id. */
export function cognitoIssuer(origin: string, userPoolId: string = USER_POOL_ID): string {
  return `${origin.replace(/\/+$/, '')}/${userPoolId}`;
}

/** Where a Cognito pool publishes its signing keys. */
export function cognitoJwksUri(issuer: string): string {
  return `${issuer}/.well-known/jwks.json`;
}
