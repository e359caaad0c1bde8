// The ext_authz provider as deployed: Istio's `envoyExtAuthzHttp` settings for the login service.
// `oc-edge render` writes them into the mesh config (istio/mesh/istiod-values.yaml) and envoy/,
// src/gateway's ext_authz stage runs with them, and the login service answers in their terms —
// so the waypoint, real Envoy and the local gateway forward the same headers.

/** Istio `envoyExtAuthzHttp` fields (Envoy's HTTP ext_authz), without the service's address. */
export interface ExtAuthzProviderSettings {
  /** Prepended to the original path in the check request (Istio `pathPrefix`); '' for none. */
  pathPrefix: string;
  timeoutMs: number;
  /** Istio `includeRequestHeadersInCheck`; Envoy always adds host, method, path, authorization. */
  includeRequestHeadersInCheck: readonly string[];
  /** Istio `headersToUpstreamOnAllow`: set (replacing client copies) on the forwarded request. */
  headersToUpstreamOnAllow: readonly string[];
  /** Istio `headersToDownstreamOnAllow`: added to the response the client gets. */
  headersToDownstreamOnAllow: readonly string[];
  /** Istio `headersToDownstreamOnDeny`: passed to the client with a denial. */
  headersToDownstreamOnDeny: readonly string[];
  /** Istio `statusOnError`: the status for an auth service that failed (5xx, timeout, unreachable). */
  statusOnError: number;
}

/**
 * A header of the auth service's 200 answer that Envoy's HTTP ext_authz reads itself: a
 * comma-separated list of request headers to remove before the request goes upstream (never
 * pseudo-headers or host). Envoy honours it whatever `headersToUpstreamOnAllow` says and never
 * forwards it. The login service uses it when nothing of the `cookie` header is left for the
 * backends: setting an empty `cookie` would still send one.
 */
export const AUTH_HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

/** The settings as deployed. */
export const EXT_AUTHZ_DEFAULTS = {
  /**
   * Istio `pathPrefix` / the login service's CHECK_PATH_PREFIX. On the waypoint a check arrives
   * with the path the gateway already rewrote (`/user/oauth2/session` → `/oauth2/session`); without
   * a prefix the login service would take it for its own endpoint instead of a check.
   */
  pathPrefix: '/ext-authz',
  /** Istio `timeout`: above the login service's PROVIDER_TIMEOUT (5 s), since a check may wait for a token refresh. */
  timeoutMs: 6000,
  /**
   * The login service answers 503 when its session store (or, with expired tokens, the identity
   * provider) is down; Envoy turns any 5xx of the auth service into statusOnError, so it is 503
   * too — "try again", never a 403 that reads like a refusal.
   */
  statusOnError: 503,
  /**
   * What the login service reads in a check, and nothing more: the session cookie, `accept` and
   * `sec-fetch-mode` (navigation → 302, API → 401) and the request id for log correlation. It builds
   * every URL on APP_ORIGIN, so neither Host nor x-forwarded-* is needed. And
   * `x-envoy-original-path`: the path the browser asked the gateway for, before its URLRewrite (the
   * gateway sets it and drops a client copy), so a login returns the user to that URL.
   */
  includeRequestHeadersInCheck: ['cookie', 'accept', 'sec-fetch-mode', 'x-request-id', 'x-envoy-original-path'],
  /**
   * The ID token for jwt_authn and the backends; and `cookie`: the request's cookies minus the
   * login service's own (session, per-login state), so no backend ever holds a session cookie.
   * The org-context cookie stays, byte for byte, for the Wasm filter after ext_authz.
   */
  headersToUpstreamOnAllow: ['authorization', 'cookie'],
  /** The session cookie re-issued after a refresh. */
  headersToDownstreamOnAllow: ['set-cookie'],
  /** The login redirect (302 + location, a stale cookie expired) and the 401's JSON and challenge. */
  headersToDownstreamOnDeny: ['set-cookie', 'location', 'content-type', 'www-authenticate'],
} as const satisfies ExtAuthzProviderSettings;
