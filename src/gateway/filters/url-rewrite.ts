// The route's URLRewrite (ReplacePrefixMatch), applied as the router forwards: the filters saw the
// original path; the upstream gets the rewritten one, and — as Envoy does — the original in
// `x-envoy-original-path` when the path changed. A client's own copy never survives: the edge drops
// every client `x-envoy-*` header (docs/gateway.md, "x-envoy-original-path").
import { rewritePath, type Route } from '../../topology/index.ts';
import { remove, set, type HeaderList } from '../headers.ts';

export const ORIGINAL_PATH_HEADER = 'x-envoy-original-path';

/** The path to send upstream; records the original in `headers` when they differ. */
export function rewriteForUpstream(route: Route, path: string, headers: HeaderList): string {
  const upstreamPath = rewritePath(route, path);
  if (upstreamPath !== path) set(headers, ORIGINAL_PATH_HEADER, path);
  else remove(headers, ORIGINAL_PATH_HEADER);
  return upstreamPath;
}
