// The shape of `oc-edge start --sso`: which login service runs where, in which mode, in front of
// which demo app. One home for these names and ports: the harness, the CLI's output, the tests
// and the README read them from here.
//
// Why `oc.localhost` and not `localhost`: the SSO server's session cookie carries
// `Domain=<SSO_DOMAIN>`. Chromium (156, measured with the real browser) drops a cookie with
// `Domain=localhost` altogether — `localhost` counts as a top-level domain there, and a cookie may
// not be scoped to a TLD — while it keeps `Domain=oc.localhost` and sends it to every
// `*.oc.localhost` host. Chromium resolves every `*.localhost` name to loopback itself, so no
// /etc/hosts entry is needed.
import type { LoginMode } from '../login/config.ts';

/** The SSO domain: the session cookie's Domain, and where the server accepts redirects and CORS. */
export const SSO_DOMAIN = 'oc.localhost';

/** The session cookie the SSO server sets and the SSO proxies read (Wonderwall's sso.session-cookie-name). */
export const SSO_SESSION_COOKIE = 'oc-sso';

export type SsoSiteName = 'sso-server' | 'app-a' | 'app-b' | 'app-c';

export interface SsoSite {
  name: SsoSiteName;
  /** What a person sees it as. */
  title: string;
  /** The browser-facing host name (resolved to loopback by Chromium). */
  host: string;
  /** Default port of the login service there (127.0.0.1); its metrics and health port is `port + 10`. */
  port: number;
  mode: Extract<LoginMode, 'sso-server' | 'sso-proxy' | 'standalone'>;
  /** The demo app behind it: default port on 127.0.0.1 (the SSO server has none). */
  upstreamPort?: number;
}

export const SSO_SITES: readonly SsoSite[] = [
  { name: 'sso-server', title: 'SSO server', host: `sso.${SSO_DOMAIN}`, port: 4300, mode: 'sso-server' },
  { name: 'app-a', title: 'App A', host: `app-a.${SSO_DOMAIN}`, port: 4301, mode: 'sso-proxy', upstreamPort: 4321 },
  { name: 'app-b', title: 'App B', host: `app-b.${SSO_DOMAIN}`, port: 4302, mode: 'sso-proxy', upstreamPort: 4322 },
  // Outside the SSO domain on purpose: a standalone sidecar is its own relying party with its own
  // host-only session; it shares nothing with the SSO apps but the identity provider.
  { name: 'app-c', title: 'App C (standalone sidecar)', host: 'app-c.localhost', port: 4303, mode: 'standalone', upstreamPort: 4323 },
];

/** The metrics and health port next to a site's login service port. */
export const METRICS_PORT_OFFSET = 10;

/** The identity provider's default port (not 9000: `npm start` may be running next to it). */
export const SSO_IDP_PORT = 4390;

/** The Redis the harness starts when no --redis URL is given. */
export const SSO_REDIS_PORT = 4379;

export function ssoSite(name: SsoSiteName): SsoSite {
  const site = SSO_SITES.find((candidate) => candidate.name === name);
  if (!site) throw new Error(`unknown SSO site ${name}`);
  return site;
}

/** The origin a browser uses for a site on a given port. */
export function siteOrigin(site: SsoSite, port: number): string {
  return `http://${site.host}:${port}`;
}
