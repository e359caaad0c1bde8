// sso-proxy: the URLs it sends the browser to. Login and logout happen at the SSO server
// (<SSO_SERVER_URL>/oauth2/login, /logout), which is told where to send the browser back as an
// ABSOLUTE URL on this app: the client's relative redirect, judged by the proxy's validator
// (relative paths only) and grafted onto the ingress's origin, or the ingress's context root when
// it is missing or refused. The proxy's own login URL (autologin's Location) stays on the ingress.
import { ENDPOINTS_SEGMENT, endpointUrl, ingressHome, type Ingress } from '../ingress.ts';
import type { RedirectValidator } from '../redirect.ts';
import { HttpError } from './errors.ts';

/** Wonderwall's login parameters the proxy passes on to the server (which judges them against its provider). */
export const CARRIED_LOGIN_PARAMS = ['level', 'locale', 'prompt', 'domain_hint'] as const;

/** What any of them may look like: one token of printable ASCII. Anything else never leaves the proxy. */
const CARRIED_VALUE = /^[\x21-\x7e]{1,256}$/;

/** The absolute return URL on this app for a client's `redirect` value. */
export function returnUrl(validator: RedirectValidator, raw: string | null | undefined, ingress: Ingress): string {
  const verdict = validator.check(raw);
  return verdict.ok ? verdict.url : ingressHome(ingress);
}

/** An endpoint of the SSO server, e.g. `/login` → https://sso.example.com/oauth2/login (below its path, if any). */
export function serverEndpoint(server: URL, subpath: string, query: Record<string, string> = {}): string {
  const url = new URL(server.href);
  url.pathname = `${url.pathname.replace(/\/$/, '')}${ENDPOINTS_SEGMENT}${subpath}`;
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.href;
}

/**
 * The login parameters of a request, to carry to the server: each at most once, a plain token.
 * `defaults` fill the ones the request does not name (Wonderwall's configured acr level).
 */
export function carriedLoginParams(query: URLSearchParams, defaults: Partial<Record<(typeof CARRIED_LOGIN_PARAMS)[number], string>> = {}): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const name of CARRIED_LOGIN_PARAMS) {
    const values = query.getAll(name).filter((value) => value !== '');
    if (values.length > 1) throw new HttpError(400, 'invalid_parameter', `${name} may be given once`);
    const value = values[0] ?? defaults[name];
    if (value === undefined) continue;
    if (!CARRIED_VALUE.test(value)) throw new HttpError(400, 'invalid_parameter', `${name} must be a single token of printable ASCII`);
    carried[name] = value;
  }
  return carried;
}

/** The proxy's own login for `pathAndQuery` (autologin): relative targets the validator accepts, else none (the context root). */
export function proxyLoginUrl(validator: RedirectValidator, pathAndQuery: string, ingress: Ingress): string {
  const login = new URL(endpointUrl(ingress, '/login'));
  const verdict = validator.check(pathAndQuery);
  if (verdict.ok && verdict.url !== ingressHome(ingress)) login.searchParams.set('redirect', verdict.url.slice(ingress.origin.length));
  return login.href;
}
