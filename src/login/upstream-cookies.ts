// What the backends see of the browser's cookies: the check's allow answer carries a `cookie`
// header that Envoy *sets* on the upstream request (headersToUpstreamOnAllow), equal to the
// request's minus the login service's own cookies. A backend never needs the session cookie, and
// one that logs or forwards headers must not be able to leak it. Everything else stays exactly as
// the browser sent it — same order, same bytes — because the org-context filter runs after
// ext_authz and verifies the signature of `previouslySelectedOrganisation` over its raw value.
import { AUTH_HEADERS_TO_REMOVE } from '../topology/ext-authz.ts';

const COOKIE = 'cookie';
/** Optional whitespace around a cookie name (RFC 6265 §5.4 joins pairs with "; "). */
const EDGE_SPACE = /^[ \t]+|[ \t]+$/g;
/** What a removed first or last pair leaves at the edges of the header. */
const EDGE_SEPARATORS = /^[ \t;]+|[ \t;]+$/g;

/**
 * The Cookie header without the cookies `isOwn` names; undefined when nothing is left. Several
 * Cookie lines (HTTP/1.1) are joined with "; " first, as Envoy and HTTP/2 present them. Pairs are
 * cut at ';' and kept with their original spacing; a segment that is not a `name=value` pair
 * belongs to nobody here and is kept too.
 */
export function cookiesForUpstream(header: string | string[] | undefined, isOwn: (name: string) => boolean): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join('; ') : header;
  const kept = text.split(';').filter((segment) => {
    const eq = segment.indexOf('=');
    return eq < 0 || !isOwn(segment.slice(0, eq).replace(EDGE_SPACE, ''));
  });
  const result = kept.join(';').replace(EDGE_SEPARATORS, '');
  return result === '' ? undefined : result;
}

/**
 * The headers of an allowed check that give the upstream its cookies: `cookie` to set, or — when
 * none is left — Envoy's instruction to remove the header (an empty `cookie` would still be sent).
 */
export function upstreamCookieHeaders(header: string | string[] | undefined, isOwn: (name: string) => boolean): Record<string, string> {
  const cookies = cookiesForUpstream(header, isOwn);
  return cookies === undefined ? { [AUTH_HEADERS_TO_REMOVE]: COOKIE } : { [COOKIE]: cookies };
}
