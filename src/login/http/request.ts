// Reading requests: the request target, form bodies (bounded), and what kind of request a
// browser made (navigation, same-origin POST). Every value here comes from a client: hostile.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

export const MAX_FORM_BODY = 4096;

/**
 * The request target as a URL on `origin`. Origin-form only ("/path?query"): anything else is not
 * something Envoy, a gateway or a browser sends. Concatenated, not resolved: "//x" stays a path.
 */
export function parseTarget(rawUrl: string, origin: string): URL | undefined {
  if (!rawUrl.startsWith('/')) return undefined;
  try {
    return new URL(`${origin}${rawUrl}`);
  } catch {
    return undefined;
  }
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type && type !== 'application/x-www-form-urlencoded' && type !== 'text/plain' && type !== 'multipart/form-data') {
    throw new HttpError(415, 'unsupported_media_type', 'send the form as application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BODY) throw new HttpError(413, 'body_too_large', `the body is over ${MAX_FORM_BODY} bytes`);
    chunks.push(chunk);
  }
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(Buffer.concat(chunks).toString()) : new URLSearchParams();
}

/**
 * A POST that a cross-site page could not have forged: a browser sends Origin on every POST and
 * Sec-Fetch-Site on modern ones; when either is present it must say "this app". Non-browser
 * clients (curl, a backend calling server-to-server) send neither and cannot be CSRF victims.
 */
export function isSameOriginPost(req: IncomingMessage, appOrigin: string): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== appOrigin) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  return true;
}

/**
 * isSameOriginPost for the SSO server: Origin (when sent) must be one `trusts` accepts, and
 * Sec-Fetch-Site (when sent) this site — the SSO domain's apps are same-site to the server.
 */
export function isTrustedPost(req: IncomingMessage, trusts: (origin: string) => boolean): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && !trusts(origin)) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'same-site' && site !== 'none') return false;
  return true;
}

/** A top-level browser navigation, per LOGIN-FLOW.md (the ext_authz check): 302 to login, the rest 401. */
export function isNavigation(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const mode = req.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}

/**
 * The page endpoints Wonderwall routes HEAD to (login, logout, logout/local) answer a HEAD as
 * that GET — same checks, status, headers and effects — without the body, which Node's response
 * drops for a HEAD request.
 */
export const GET_OR_HEAD: readonly string[] = ['GET', 'HEAD'];

export function isGetOrHead(req: IncomingMessage): boolean {
  return GET_OR_HEAD.includes(req.method ?? '');
}

/**
 * A GET that loads a page in a tab (what a redirect to the provider can serve): Sec-Fetch-Mode
 * navigate with Sec-Fetch-Dest document, or — from a browser without Sec-Fetch — Accept: text/html.
 * An iframe, fetch() or XHR is none: it could not follow the provider's pages. `methods`:
 * GET_OR_HEAD where a HEAD is answered as the GET.
 */
export function isDocumentNavigation(req: IncomingMessage, methods: readonly string[] = ['GET']): boolean {
  if (!methods.includes(req.method ?? '')) return false;
  const mode = req.headers['sec-fetch-mode'];
  const dest = req.headers['sec-fetch-dest'];
  if (mode !== undefined || dest !== undefined) return mode === 'navigate' && dest === 'document';
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}

/**
 * A GET a cross-site page could not have caused: no Sec-Fetch-Site (an older browser, curl), or
 * one saying this site or the user (address bar, bookmark). Wonderwall lets GET /oauth2/logout
 * log out unconditionally; this keeps that for the app's own links but not for a foreign <img>.
 */
export function isSameSiteGet(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'same-site' || site === 'none';
}
