// Redirect targets (`redirect` at login and logout) are hostile input: an open redirect on the
// login service would turn the app's own origin into a phishing springboard. Only same-origin
// relative paths pass. The decision is made by the WHATWG URL parser (what browsers run), resolving
// against the app's origin and comparing origins; the string checks before it only reject forms
// that some other parser in the chain (a backend, a proxy, an older browser) could read differently.
export type RedirectVerdict = { ok: true; url: string } | { ok: false; reason: string };

const MAX_LENGTH = 2048;
// C0/C1 controls, DEL, every Unicode space and line/paragraph separator, and the backslash.
const FORBIDDEN = /[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff\\]/;
// A percent-encoded slash, backslash, control character or percent (double encoding).
const ENCODED_DANGER = /%(?:2f|5c|25|[01][0-9a-f]|7f)/i;

function decodeLayer(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Checks one redirect target; on success `url` is absolute, on the app's origin, re-serialised. */
export function checkRedirect(raw: string | null | undefined, appOrigin: string): RedirectVerdict {
  if (raw === null || raw === undefined || raw === '') return { ok: false, reason: 'empty' };
  if (raw.length > MAX_LENGTH) return { ok: false, reason: 'too long' };
  if (FORBIDDEN.test(raw)) return { ok: false, reason: 'whitespace, control character or backslash' };
  if (!raw.startsWith('/') || raw.startsWith('//')) return { ok: false, reason: 'not a relative path starting with a single /' };
  const hashAt = raw.indexOf('#');
  const withoutHash = hashAt === -1 ? raw : raw.slice(0, hashAt);
  const queryAt = withoutHash.indexOf('?');
  const path = queryAt === -1 ? withoutHash : withoutHash.slice(0, queryAt);
  // Separators hidden by encoding in the path are how "/%2F%2Fevil" or "/%5Cevil" become
  // "//evil" after one more decode somewhere downstream; the query may legitimately carry them.
  if (ENCODED_DANGER.test(path)) return { ok: false, reason: 'encoded separator, control character or double encoding in the path' };
  const decoded = decodeLayer(path);
  if (decoded === undefined) return { ok: false, reason: 'malformed percent-encoding' };
  // Encoded spaces and non-ASCII are ordinary path characters; a decoded separator is not.
  if (/[\u0000-\u001f\u007f\\]/.test(decoded) || decoded.startsWith('//')) return { ok: false, reason: 'decodes to a separator or control character' };

  let url: URL;
  try {
    url = new URL(withoutHash, `${appOrigin}/`);
  } catch {
    return { ok: false, reason: 'not parseable as a URL' };
  }
  if (url.origin !== appOrigin) return { ok: false, reason: 'resolves to another origin' };
  // Dot segments can collapse "/..//x" into "//x": the serialised path must itself be safe.
  if (url.pathname.startsWith('//') || url.pathname.includes('\\')) return { ok: false, reason: 'resolves to a protocol-relative path' };
  return { ok: true, url: `${appOrigin}${url.pathname}${url.search}` };
}

/** The target to redirect to: the checked one, or the app's home page. */
export function safeRedirect(raw: string | null | undefined, appOrigin: string): string {
  const verdict = checkRedirect(raw, appOrigin);
  return verdict.ok ? verdict.url : `${appOrigin}/`;
}

/**
 * A mode's redirect rules. `check` judges a client's `redirect` value; `recheck` judges a target
 * this validator accepted earlier and that comes back from a sealed cookie (checked again at the
 * callback and the logout callback, in case the rules are stricter now).
 */
export interface RedirectValidator {
  check(raw: string | null | undefined): RedirectVerdict;
  recheck(absolute: string): RedirectVerdict;
  /** Where a refused target goes instead; unset: the ingress's home. */
  fallback?: string;
}

/** ext_authz and standalone: same-origin relative paths only, grafted onto the app's origin. */
export function relativeRedirects(appOrigin: string): RedirectValidator {
  return {
    check: (raw) => checkRedirect(raw, appOrigin),
    recheck(absolute) {
      let url: URL;
      try {
        url = new URL(absolute);
      } catch {
        return { ok: false, reason: 'not parseable as a URL' };
      }
      if (url.origin !== appOrigin) return { ok: false, reason: 'resolves to another origin' };
      return checkRedirect(`${url.pathname}${url.search}`, appOrigin);
    },
  };
}

/** Whether `hostname` (already lower-case, as the URL parser leaves it) is `domain` or below it. */
export function inDomain(hostname: string, domain: string): boolean {
  return hostname === domain || hostname.endsWith(`.${domain}`);
}

// The authority of an absolute target, as typed: plain ASCII host labels and an optional port. No
// userinfo, no percent-encoding, no IDN (punycode look-alikes are spelt out, and so refused).
const PLAIN_AUTHORITY = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$/i;
const ABSOLUTE = /^(https?):\/\/([^/?#]*)(.*)$/i;

/**
 * Checks an absolute http(s) target on the SSO domain or one of its subdomains. The authority is
 * read from the raw string and must be plain; the parsed URL must agree with it; the rest (path
 * and query) goes through the same checks as a relative target on that origin.
 */
export function checkDomainRedirect(raw: string | null | undefined, domain: string): RedirectVerdict {
  if (raw === null || raw === undefined || raw === '') return { ok: false, reason: 'empty' };
  if (raw.length > MAX_LENGTH) return { ok: false, reason: 'too long' };
  if (FORBIDDEN.test(raw)) return { ok: false, reason: 'whitespace, control character or backslash' };
  const match = ABSOLUTE.exec(raw);
  if (!match) return { ok: false, reason: 'not an absolute http(s) URL' };
  const [, , authority, rest] = match as unknown as [string, string, string, string];
  if (!PLAIN_AUTHORITY.test(authority)) return { ok: false, reason: 'authority is not a plain host[:port]' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not parseable as a URL' };
  }
  if (url.username || url.password || url.hostname !== authority.replace(/:\d+$/, '').toLowerCase()) {
    return { ok: false, reason: 'the parsed host differs from the written one' };
  }
  if (!inDomain(url.hostname, domain)) return { ok: false, reason: 'outside the SSO domain' };
  const pathAndQuery = rest === '' || rest.startsWith('?') || rest.startsWith('#') ? `/${rest}` : rest;
  return checkRedirect(pathAndQuery, url.origin);
}

/**
 * sso-server: absolute targets on the SSO domain (any subdomain), or relative ones on the server's
 * own origin; anything else falls back to SSO_DEFAULT_REDIRECT_URL.
 */
export function domainRedirects(serverOrigin: string, domain: string, fallback: string): RedirectValidator {
  const check = (raw: string | null | undefined): RedirectVerdict => (raw?.startsWith('/') ? checkRedirect(raw, serverOrigin) : checkDomainRedirect(raw, domain));
  return { check, recheck: check, fallback };
}
