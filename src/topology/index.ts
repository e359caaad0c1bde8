// The one source of truth for the system's shape: services, ports, listeners and routes.
// src/gateway builds its routing from it, and the envoy/ bootstrap and istio/ manifests are rendered
// from it, so the local waypoint, real Envoy and the cluster cannot drift apart.

export type ServiceName =
  | 'dashboard'
  | 'feature-user-backend'
  | 'feature-organisation-backend'
  | 'onboarding'
  | 'login-service'
  | 'identity-provider';

export interface Service {
  name: ServiceName;
  /** Default local port (127.0.0.1); all overridable. */
  port: number;
  /** What it is, for docs and progress output. */
  description: string;
}

export type ListenerName = 'external' | 'internal';

export interface Route {
  name: string;
  listener: ListenerName;
  /** PathPrefix match; the longest matching prefix wins. */
  prefix: string;
  service: ServiceName;
  /**
   * URLRewrite ReplacePrefixMatch: the prefix is replaced by this before forwarding
   * (`/user/me` → `/me` with '/'); undefined keeps the path as it is.
   */
  rewritePrefix?: string;
  /**
   * Whether the ext_authz check (the login service) runs for this route. The login service's own
   * endpoints are excluded, as the AuthorizationPolicy CUSTOM excludes `/oauth2/*`; M2M routes on
   * the internal listener have no ext_authz at all.
   */
  extAuthz: boolean;
  /** Requires a valid M2M (client-credentials) access token: the internal listener's guard. */
  requireM2mToken?: boolean;
}

export const SERVICES: readonly Service[] = [
  { name: 'dashboard', port: 3001, description: 'dashboard page' },
  { name: 'feature-user-backend', port: 3002, description: 'feature-user-backend (/me, /logout)' },
  { name: 'feature-organisation-backend', port: 3003, description: 'feature-organisation-backend (organisations, select)' },
  { name: 'onboarding', port: 3004, description: 'onboarding (users, privileges; M2M only)' },
  { name: 'login-service', port: 4180, description: 'login service (OIDC relying party, ext_authz)' },
  { name: 'identity-provider', port: 9000, description: 'identity provider (Cognito stand-in)' },
];

export const GATEWAY_PORTS = {
  /** Plain HTTP: redirects every request to HTTPS. */
  http: 8080,
  /** HTTPS: the external listener with the filter chain. */
  https: 8443,
  /** Internal listener for M2M traffic: no ext_authz. */
  internal: 8081,
} as const;

export const ROUTES: readonly Route[] = [
  { name: 'oauth2', listener: 'external', prefix: '/oauth2', service: 'login-service', extAuthz: false },
  { name: 'user', listener: 'external', prefix: '/user', service: 'feature-user-backend', rewritePrefix: '/', extAuthz: true },
  {
    name: 'organisation',
    listener: 'external',
    prefix: '/organisation',
    service: 'feature-organisation-backend',
    rewritePrefix: '/',
    extAuthz: true,
  },
  { name: 'dashboard', listener: 'external', prefix: '/', service: 'dashboard', extAuthz: true },
  {
    name: 'onboarding',
    listener: 'internal',
    prefix: '/onboarding',
    service: 'onboarding',
    rewritePrefix: '/',
    extAuthz: false,
    requireM2mToken: true,
  },
];

export function serviceByName(name: ServiceName): Service {
  const service = SERVICES.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`unknown service ${name}`);
  return service;
}

/**
 * The route for a path on a listener: longest PathPrefix wins, matching whole segments as
 * Gateway API does (`/user` matches `/user` and `/user/x`, not `/users`). Undefined → 404.
 */
export function matchRoute(listener: ListenerName, path: string, routes: readonly Route[] = ROUTES): Route | undefined {
  const pathOnly = path.split('?', 1)[0] ?? path;
  let best: Route | undefined;
  for (const route of routes) {
    if (route.listener !== listener) continue;
    const prefix = route.prefix.endsWith('/') && route.prefix !== '/' ? route.prefix.slice(0, -1) : route.prefix;
    const matches =
      prefix === '/' || pathOnly === prefix || pathOnly.startsWith(`${prefix}/`);
    if (matches && (!best || prefix.length > best.prefix.length)) best = route;
  }
  return best;
}

/** The path the backend sees after URLRewrite ReplacePrefixMatch (query kept). */
export function rewritePath(route: Route, path: string): string {
  if (route.rewritePrefix === undefined || route.prefix === '/') return path;
  const rest = path.slice(route.prefix.length);
  if (route.rewritePrefix === '/') return rest.startsWith('/') ? rest : `/${rest}`;
  return `${route.rewritePrefix}${rest}`;
}

export { AUTH_HEADERS_TO_REMOVE, EXT_AUTHZ_DEFAULTS, type ExtAuthzProviderSettings } from './ext-authz.ts';

/** HSTS on every HTTPS answer: browsers then never try plain HTTP for the domain again (a year). */
export const HSTS_HEADER = { name: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' } as const;

/**
 * Gateway API filters that set response headers on a route's answers: HSTS on the routes of the
 * external (HTTPS) listener; none on the internal listener (plain HTTP inside the VPC) and none on
 * the HTTP→HTTPS redirect (istio/base/gateways.yaml), where HSTS has no effect.
 */
export function responseHeaderFilters(route: Route): Record<string, unknown>[] {
  if (route.listener !== 'external') return [];
  return [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ ...HSTS_HEADER }] } }];
}
