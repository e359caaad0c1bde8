// ext_authz as Envoy's HTTP authorization service runs it for Istio's `envoyExtAuthzHttp` provider:
// the check request carries the original method and path (after `pathPrefix`) with no body and
// only the allowed request headers; 200 lets the request on with `headersToUpstreamOnAllow` set on
// it and the headers named in its `x-envoy-auth-headers-to-remove` removed; any other status below
// 500 goes back to the client as the auth service wrote it (a 302 to the login page reaches the
// browser); 5xx, a timeout or a connection error → `statusOnError`.
// The deployed settings (EXT_AUTHZ_DEFAULTS) live in src/topology: scripts/lib/render/manifests.ts renders
// them into the mesh config and scripts/lib/envoy/bootstrap.ts into envoy/, so all three behave alike.
import { Pool } from 'undici';
import { AUTH_HEADERS_TO_REMOVE, EXT_AUTHZ_DEFAULTS, type ExtAuthzProviderSettings } from '../../topology/ext-authz.ts';
import { all, first, fromUndici, remove, set, type HeaderList } from '../headers.ts';
import { localResponse, type FilterRequest, type LocalResponse } from '../types.ts';
import type { HttpFilter } from './filter.ts';

export { EXT_AUTHZ_DEFAULTS };

export interface ExtAuthzConfig extends Partial<ExtAuthzProviderSettings> {
  /** Origin of the authorization service, e.g. http://127.0.0.1:4180. */
  service: string;
}

/**
 * The request headers an allowed check asks Envoy to remove (AUTH_HEADERS_TO_REMOVE, any number of
 * entries, each a comma-separated list). Like Envoy, pseudo-headers and host are never removed:
 * the request would be malformed without them.
 */
function headersToRemove(authHeaders: HeaderList): string[] {
  return all(authHeaders, AUTH_HEADERS_TO_REMOVE)
    .flatMap((value) => value.split(','))
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && !name.startsWith(':') && name !== 'host');
}

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
      // Envoy's order: the allowed headers are set first, then the requested removals run.
      for (const name of toUpstream) {
        if (name === AUTH_HEADERS_TO_REMOVE) continue; // Envoy consumes it; it is never forwarded.
        const value = first(authHeaders, name);
        if (value !== undefined) set(request.headers, name, value);
      }
      for (const name of headersToRemove(authHeaders)) remove(request.headers, name);
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

/** ext_authz as a chain stage: routes the AuthorizationPolicy exempts (route.extAuthz false) skip the check. */
export function extAuthzFilter(extAuthz: ExtAuthz): HttpFilter {
  return {
    name: 'envoy.filters.http.ext_authz',
    slot: 'envoy.filters.http.ext_authz',
    decodeHeaders: (request, stream) => (stream.route.extAuthz ? extAuthz.check(request) : undefined),
  };
}
