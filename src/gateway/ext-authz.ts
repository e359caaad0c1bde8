// ext_authz as Envoy's HTTP authorization service runs it for Istio's `envoyExtAuthzHttp` provider:
// the check request carries the original method and path (after `pathPrefix`) with no body and
// only the allowed request headers; 200 lets the request on with `headersToUpstreamOnAllow` set on
// it; any other status below 500 goes back to the client as the auth service wrote it (a 302 to the
// login page reaches the browser); 5xx, a timeout or a connection error → `statusOnError`.
// EXT_AUTHZ_DEFAULTS are the deployed settings: scripts/lib/manifests.ts renders them into the mesh
// config and scripts/lib/envoy-bootstrap.ts into envoy/, so all three behave alike.
import { Pool } from 'undici';
import { all, first, fromUndici, set, type HeaderList } from './headers.ts';
import { localResponse, type FilterRequest, type LocalResponse } from './types.ts';

export interface ExtAuthzConfig {
  /** Origin of the authorization service, e.g. http://127.0.0.1:4180. */
  service: string;
  /** Prepended to the original path in the check request (Istio `pathPrefix`); '' for none. */
  pathPrefix?: string;
  timeoutMs?: number;
  /** Istio `includeRequestHeadersInCheck`; Envoy always adds host, method, path, authorization. */
  includeRequestHeadersInCheck?: readonly string[];
  /** Istio `headersToUpstreamOnAllow`: set (replacing client copies) on the forwarded request. */
  headersToUpstreamOnAllow?: readonly string[];
  /** Istio `headersToDownstreamOnAllow`: added to the response the client gets. */
  headersToDownstreamOnAllow?: readonly string[];
  /** Istio `headersToDownstreamOnDeny`: passed to the client with a denial. */
  headersToDownstreamOnDeny?: readonly string[];
  /** Istio `statusOnError`: the status for an auth service that failed (5xx, timeout, unreachable). */
  statusOnError?: number;
}

/** The settings as deployed: every field of ExtAuthzConfig but the service's address. */
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
   * every URL on APP_ORIGIN, so neither Host nor x-forwarded-* is needed.
   */
  includeRequestHeadersInCheck: ['cookie', 'accept', 'sec-fetch-mode', 'x-request-id'],
  /** The ID token for jwt_authn and the backends. */
  headersToUpstreamOnAllow: ['authorization'],
  /** The session cookie re-issued after a refresh. */
  headersToDownstreamOnAllow: ['set-cookie'],
  /** The login redirect (302 + location, a stale cookie expired) and the 401's JSON and challenge. */
  headersToDownstreamOnDeny: ['set-cookie', 'location', 'content-type', 'www-authenticate'],
} as const satisfies Required<Omit<ExtAuthzConfig, 'service'>>;

export interface ExtAuthz {
  /** undefined → allowed (the request has been changed in place); otherwise the reply to send. */
  check(request: FilterRequest): Promise<LocalResponse | undefined>;
  close(): Promise<void>;
}

export function createExtAuthz(config: ExtAuthzConfig): ExtAuthz {
  const settings: Required<ExtAuthzConfig> = { ...EXT_AUTHZ_DEFAULTS, ...config };
  const { pathPrefix, timeoutMs, statusOnError } = settings;
  const pool = new Pool(config.service, { connections: 32, pipelining: 1 });
  const include = new Set([...settings.includeRequestHeadersInCheck, 'authorization']);
  const toUpstream = settings.headersToUpstreamOnAllow;
  const toDownstreamOnAllow = settings.headersToDownstreamOnAllow;
  const toDownstreamOnDeny = settings.headersToDownstreamOnDeny;

  async function check(request: FilterRequest): Promise<LocalResponse | undefined> {
    const checkHeaders: HeaderList = [['host', request.authority], ['content-length', '0']];
    for (const [name, value] of request.headers) if (include.has(name)) checkHeaders.push([name, value]);

    let response;
    try {
      response = await pool.request({
        method: request.method as 'GET',
        path: `${pathPrefix}${request.path}`,
        headers: checkHeaders.flatMap(([name, value]) => [name, value]),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      // Unreachable or slow auth service: fail closed, as Envoy does; nothing from it reaches the client.
      return localResponse(statusOnError, 'access denied: the authorization service failed\n', 'UAEF');
    }

    const body = Buffer.from(await response.body.arrayBuffer().catch(() => new ArrayBuffer(0)));
    const authHeaders = fromUndici(response.headers);

    if (response.statusCode === 200) {
      for (const name of toUpstream) {
        const value = first(authHeaders, name);
        if (value !== undefined) set(request.headers, name, value);
      }
      for (const name of toDownstreamOnAllow) {
        for (const value of all(authHeaders, name)) request.responseHeaders.push([name, value]);
      }
      return undefined;
    }
    if (response.statusCode >= 500) return localResponse(statusOnError, 'access denied: the authorization service failed\n', 'UAEF');

    const omit = new Set(['content-length', 'host', 'date', 'server']);
    const passed = authHeaders.filter(([name]) => !omit.has(name) && toDownstreamOnDeny.includes(name));
    return { status: response.statusCode, headers: passed, body, flag: 'UAEX' };
  }

  return {
    check,
    close: () => pool.close(),
  };
}
