// ext_authz as Envoy's HTTP authorization service runs it for Istio's `envoyExtAuthzHttp` provider:
// the check request carries the original method and path (after `pathPrefix`) with no body and
// only the allowed request headers; 200 lets the request on with `headersToUpstreamOnAllow` set on
// it; any other status below 500 goes back to the client as the auth service wrote it (a 302 to the
// login page reaches the browser); 5xx, a timeout or a connection error → `statusOnError` (403).
import { Pool } from 'undici';
import { all, first, fromUndici, set, type HeaderList } from './headers.ts';
import { localResponse, type FilterRequest, type LocalResponse } from './types.ts';

export interface ExtAuthzConfig {
  /** Origin of the authorization service, e.g. http://127.0.0.1:4180. */
  service: string;
  /** Prepended to the original path in the check request (Istio `pathPrefix`). */
  pathPrefix?: string;
  timeoutMs?: number;
  /** Istio `includeRequestHeadersInCheck`; Envoy always adds host, method, path, authorization. */
  includeRequestHeadersInCheck?: string[];
  /** Istio `headersToUpstreamOnAllow`: set (replacing client copies) on the forwarded request. */
  headersToUpstreamOnAllow?: string[];
  /** Istio `headersToDownstreamOnAllow`: added to the response the client gets. */
  headersToDownstreamOnAllow?: string[];
  /** Istio `headersToDownstreamOnDeny`; default as deployed (set-cookie, location, content-type). */
  headersToDownstreamOnDeny?: string[];
  /** Istio `statusOnError`. */
  statusOnError?: number;
}

export const DEFAULT_CHECK_HEADERS: readonly string[] = [
  'cookie',
  'accept',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-dest',
  'sec-fetch-user',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'origin',
  'user-agent',
];

/** Istio `headersToUpstreamOnAllow` / `headersToDownstreamOnAllow` / `headersToDownstreamOnDeny` as deployed. */
export const DEFAULT_UPSTREAM_ON_ALLOW: readonly string[] = ['authorization'];
export const DEFAULT_DOWNSTREAM_ON_ALLOW: readonly string[] = ['set-cookie'];
export const DEFAULT_DOWNSTREAM_ON_DENY: readonly string[] = ['set-cookie', 'location', 'content-type'];

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
  const statusOnError = config.statusOnError ?? 403;
  const timeoutMs = config.timeoutMs ?? 5000;

  async function check(request: FilterRequest): Promise<LocalResponse | undefined> {
    const checkHeaders: HeaderList = [['host', request.authority], ['content-length', '0']];
    for (const [name, value] of request.headers) if (include.has(name)) checkHeaders.push([name, value]);

    let response;
    try {
      response = await pool.request({
        method: request.method as 'GET',
        path: `${config.pathPrefix ?? ''}${request.path}`,
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
