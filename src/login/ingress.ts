// An ingress: where the app is reached — the public origin and a path prefix ("" for the root).
// Its endpoints live under <prefix>/oauth2, and every URL the service builds for a request (the
// callback, the post-logout return, the default target) is built on the ingress it came in on.
export interface Ingress {
  /** e.g. https://app.example.com */
  origin: string;
  /** "" or a path without a trailing slash, e.g. /app */
  prefix: string;
}

export const ENDPOINTS_SEGMENT = '/oauth2';

export function rootIngress(origin: string): Ingress {
  return { origin, prefix: '' };
}

export function ingressBase(ingress: Ingress): string {
  return `${ingress.origin}${ingress.prefix}`;
}

/** The context root: where a user goes when there is nowhere better. */
export function ingressHome(ingress: Ingress): string {
  return `${ingressBase(ingress)}/`;
}

/** Path of the ingress's endpoints, e.g. /app/oauth2. */
export function endpointsPath(ingress: Ingress): string {
  return `${ingress.prefix}${ENDPOINTS_SEGMENT}`;
}

export function endpointUrl(ingress: Ingress, subpath: string): string {
  return `${ingress.origin}${endpointsPath(ingress)}${subpath}`;
}

/**
 * The ingress a request path belongs to: the longest prefix that is the whole path or followed by
 * "/". Undefined when none matches (a path outside every ingress).
 */
export function matchIngress(ingresses: readonly Ingress[], pathname: string): Ingress | undefined {
  let best: Ingress | undefined;
  for (const ingress of ingresses) {
    const { prefix } = ingress;
    const inside = prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`);
    if (inside && (!best || prefix.length > best.prefix.length)) best = ingress;
  }
  return best;
}
