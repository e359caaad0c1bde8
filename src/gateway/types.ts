import type { HeaderList } from './headers.ts';

/** An answer made by the gateway itself instead of the upstream (Envoy's "local reply"). */
export interface LocalResponse {
  status: number;
  headers: HeaderList;
  body: string | Buffer;
  /** Why, in Envoy's response-flag style, for the access log (UAEX, UAEF, NR, …). */
  flag: string;
}

/** What the filters pass along: the request as it stands after each stage. */
export interface FilterRequest {
  method: string;
  /** The normalised original path with query, before any route rewrite (what filters see in Envoy). */
  path: string;
  authority: string;
  scheme: 'http' | 'https';
  headers: HeaderList;
  /** Dynamic metadata written by jwt_authn, read by the plugin. */
  metadata: Record<string, Record<string, unknown>>;
  /** Response headers a filter asks to add on the way back (ext_authz headersToDownstreamOnAllow). */
  responseHeaders: HeaderList;
}

export function localResponse(status: number, body: string, flag: string, headers: HeaderList = []): LocalResponse {
  const hasType = headers.some(([name]) => name === 'content-type');
  return {
    status,
    body,
    flag,
    headers: hasType ? headers : [...headers, ['content-type', 'text/plain; charset=utf-8']],
  };
}
