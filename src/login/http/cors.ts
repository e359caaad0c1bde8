// CORS for the SSO server's session endpoints: the apps of the SSO domain read and refresh the
// shared session from their own pages (fetch with credentials). An origin is trusted only when it
// is exactly what a browser sends (scheme://host[:port], as the URL parser serialises it) and its
// host is the SSO domain or below it; any other origin gets no CORS header at all.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inDomain } from '../redirect.ts';
import { BASE_HEADERS } from './respond.ts';

const ALLOWED_METHODS = 'GET, POST';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

export function domainOrigins(domain: string): (origin: string) => boolean {
  return (origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin && inDomain(url.hostname, domain);
  };
}

/**
 * Adds the CORS headers for a trusted Origin to `res` (before the endpoint answers) and answers a
 * preflight itself. Returns true when the request was a preflight and has been answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, trusts: (origin: string) => boolean): boolean {
  const origin = req.headers.origin;
  const trusted = typeof origin === 'string' && trusts(origin);
  res.setHeader('vary', 'Origin');
  if (trusted) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
  }
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (!preflight) return false;
  req.resume();
  if (trusted) {
    res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
    // Only a plain content-type is ever needed; a request for other headers is simply not granted.
    res.setHeader('access-control-allow-headers', 'content-type');
    res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
  }
  res.writeHead(trusted ? 204 : 403, { ...BASE_HEADERS });
  res.end();
  return true;
}
