// Cookie parsing and Set-Cookie serialising. Parsing is deliberately forgiving of junk (a hostile
// or broken Cookie header yields fewer cookies, never an exception) and bounded in size.
export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Seconds; 0 expires the cookie now. Undefined: a browser-session cookie. */
  maxAge?: number;
  sameSite?: 'Lax' | 'Strict';
  /** Only the SSO session cookie has one (SSO_DOMAIN): every other cookie stays host-only. */
  domain?: string;
}

const MAX_HEADER = 16384;
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Cookies in header order; a name may repeat (browsers send the most specific path first).
 * `header` may be an array: HTTP/1.1 allows several Cookie lines.
 */
export function parseCookies(header: string | string[] | undefined): Array<[string, string]> {
  if (!header) return [];
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (text.length > MAX_HEADER) return [];
  const cookies: Array<[string, string]> = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (NAME.test(name)) cookies.push([name, value]);
  }
  return cookies;
}

export function firstCookie(cookies: Array<[string, string]>, name: string): string | undefined {
  return cookies.find(([candidate]) => candidate === name)?.[1];
}

/** An HttpOnly cookie, host-only unless `domain` is given. Values must already be cookie-safe. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', `SameSite=${options.sameSite ?? 'Lax'}`];
  if (options.domain) parts.push(`Domain=${options.domain}`);
  if (options.secure) parts.push('Secure');
  if (options.maxAge !== undefined) {
    const seconds = Math.max(0, Math.floor(options.maxAge));
    parts.push(`Max-Age=${seconds}`);
    if (seconds === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  return parts.join('; ');
}

export function expireCookie(name: string, options: Omit<CookieOptions, 'maxAge'>): string {
  return serializeCookie(name, '', { ...options, maxAge: 0 });
}
