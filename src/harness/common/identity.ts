// What a backend behind the gateway knows about the caller: only what the gateway wrote. The
// payload header is the verified token's payload (jwt_authn strips client copies); the
// organisation and features headers are the org-context filter's (it strips client copies).
import type { Request } from 'express';
import { pluginSettingDefault } from '../../topology/plugin-settings.ts';
import { JWT_PAYLOAD_HEADER } from '../../topology/waypoint.ts';

// The filter's default header names, which istio/base/wasmplugin.yaml sets as well.
export const ORG_HEADER = pluginSettingDefault('ORG_HEADER');
export const FEATURES_HEADER = pluginSettingDefault('FEATURES_HEADER');

export interface Caller {
  sub: string;
  claims: Record<string, unknown>;
}

/** The verified claims, or undefined when the gateway let the request through without a token. */
export function callerOf(req: Request): Caller | undefined {
  const header = req.get(JWT_PAYLOAD_HEADER);
  if (!header || !/^[A-Za-z0-9_-]+$/.test(header)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    const sub = (claims as Record<string, unknown>).sub;
    return typeof sub === 'string' && sub ? { sub, claims: claims as Record<string, unknown> } : undefined;
  } catch {
    return undefined;
  }
}

export function selectedOrganisation(req: Request): string | undefined {
  return req.get(ORG_HEADER) || undefined;
}

export function supportedFeatures(req: Request): string[] {
  return (req.get(FEATURES_HEADER) ?? '').split(',').map((feature) => feature.trim()).filter(Boolean);
}

/**
 * State-changing requests must come from the app's own pages: Sec-Fetch-Site (or, without it,
 * Origin) must be same-origin. The session cookie is SameSite=Lax already; this is the second lock.
 */
export function isSameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = req.get('origin');
  if (!origin) return true; // non-browser clients send neither; they cannot ride a browser's cookies
  const host = req.get('x-forwarded-host');
  const proto = req.get('x-forwarded-proto');
  return Boolean(host && proto) && origin === `${proto}://${host}`;
}
