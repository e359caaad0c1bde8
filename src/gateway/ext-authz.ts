// ext_authz as Envoy's HTTP authorization service runs it for Istio's `envoyExtAuthzHttp` provider:
// the check request carries the original method and path (after `pathPrefix`) with no body and
// only the allowed request headers; 200 lets the request on with `headersToUpstreamOnAllow` set on
// it; any other status below 500 goes back to the client as the auth service wrote it (a 302 to the
// login page reaches the browser); 5xx, a timeout or a connection error → `statusOnError`.
// The DEFAULT_* settings are the deployed ones: scripts/lib/manifests.ts renders them into the mesh
// config and scripts/lib/envoy-bootstrap.ts into envoy/, so all three behave alike.
import { Pool } from 'undici';
import { all, first, fromUndici, set, type HeaderList } from './headers.ts';
import { localResponse, type FilterRequest, type LocalResponse } from './types.ts';

export interface ExtAuthzConfig {
  /** Origin of the authorization service, e.g. http://127.0.0.1:4180. */
  service: string;
  /** Prepended to the original path in the check request (Istio `pathPrefix`). Default DEFAULT_CHECK_PATH_PREFIX; '' for none. */
  pathPrefix?: string;
  /** Default DEFAULT_EXT_AUTHZ_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Istio `includeRequestHeadersInCheck`; Envoy always adds host, method, path, authorization. */
  includeRequestHeadersInCheck?: string[];
  /** Istio `headersToUpstreamOnAllow`: set (replacing client copies) on the forwarded request. */
  headersToUpstreamOnAllow?: string[];
  /** Istio `headersToDownstreamOnAllow`: added to the response the client gets. */
  headersToDownstreamOnAllow?: string[];
  /** Istio `headersToDownstreamOnDeny`; default DEFAULT_DOWNSTREAM_ON_DENY. */
  headersToDownstreamOnDeny?: string[];
  /** Istio `statusOnError`; default DEFAULT_STATUS_ON_ERROR. */
  statusOnError?: number;
}

/**
 * What the login service reads in a check, and nothing more: the session cookie, `accept` and
 * `sec-fetch-mode` (navigation → 302, API → 401) and the request id for log correlation. It builds
 * every URL on APP_ORIGIN, so neither Host nor x-forwarded-* is needed.
 */
export const DEFAULT_CHECK_HEADERS: readonly string[] = ['cookie', 'accept', 'sec-fetch-mode', 'x-request-id'];

/** Istio `headersToUpstreamOnAllow` / `headersToDownstreamOnAllow` / `headersToDownstreamOnDeny` as deployed. */
export const DEFAULT_UPSTREAM_ON_ALLOW: readonly string[] = ['authorization'];
export const DEFAULT_DOWNSTREAM_ON_ALLOW: readonly string[] = ['set-cookie'];
/** The login redirect (302 + location, a stale cookie expired) and the 401's JSON and challenge. */
export const DEFAULT_DOWNSTREAM_ON_DENY: readonly string[] = ['set-cookie', 'location', 'content-type', 'www-authenticate'];

/**
 * Istio `pathPrefix` / the login service's CHECK_PATH_PREFIX. On the waypoint a check arrives with
 * the path the gateway already rewrote (`/user/oauth2/session` → `/oauth2/session`); without a
 * prefix the login service would take it for its own endpoint instead of a check.
 */
export const DEFAULT_CHECK_PATH_PREFIX = '/ext-authz';

/**
 * Istio `statusOnError`. The login service answers 503 when its session store (or, with expired
 * tokens, the identity provider) is down; Envoy turns any 5xx of the auth service into this status,
 * so it is 503 too — "try again", never a 403 that reads like a refusal.
 */
export const DEFAULT_STATUS_ON_ERROR = 503;

/** Istio `timeout`: above the login service's PROVIDER_TIMEOUT (5 s), since a check may wait for a token refresh. */
export const DEFAULT_EXT_AUTHZ_TIMEOUT_MS = 6000;

export interface ExtAuthz {
  /** undefined → allowed (the request has been changed in place); otherwise the reply to send. */
  check(request: FilterRequest): Promise<LocalResponse | undefined>;
  close(): Promise<void>;
}

export function createExtAuthz(config: ExtAuthzConfig): ExtAuthz {
  const pool = new Pool(config.service, { connections: 32, pipelining: 1 });
  const include = new Set([...(config.includeRequestHeadersInCheck ?? DEFAULT_CHECK_HEADERS), 'authorization']);
  const toUpstream = config.headersToUpstreamOnAllow ?? DEFAULT_UPSTREAM_ON_ALLOW;
  const toDownstreamOnAllow = config.headersToDownstreamOnAllow ?? DEFAULT_DOWNSTREAM_ON_ALLOW;
  const toDownstreamOnDeny = config.headersToDownstreamOnDeny ?? DEFAULT_DOWNSTREAM_ON_DENY;
  const statusOnError = config.statusOnError ?? DEFAULT_STATUS_ON_ERROR;
  const timeoutMs = config.timeoutMs ?? DEFAULT_EXT_AUTHZ_TIMEOUT_MS;
  const pathPrefix = config.pathPrefix ?? DEFAULT_CHECK_PATH_PREFIX;

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
