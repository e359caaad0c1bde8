// Writing answers: every response carries the same no-store / nosniff / no-referrer headers, and
// bodies are sent with their exact length.
import type { ServerResponse } from 'node:http';
import type { Page } from '../pages.ts';

export type Headers = Record<string, string | string[]>;

export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function withCookies(headers: Headers, setCookies: readonly string[]): Headers {
  if (setCookies.length) headers['set-cookie'] = [...setCookies];
  return headers;
}

export function send(res: ServerResponse, status: number, headers: Headers, body = ''): void {
  res.writeHead(status, { ...BASE_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, setCookies: readonly string[] = [], extra: Headers = {}): void {
  send(res, status, withCookies({ 'content-type': 'application/json', ...extra }, setCookies), JSON.stringify(value));
}

export function sendRedirect(res: ServerResponse, location: string, setCookies: readonly string[] = []): void {
  send(res, 302, withCookies({ location }, setCookies));
}

export function sendNoContent(res: ServerResponse, setCookies: readonly string[] = []): void {
  res.writeHead(204, withCookies({ ...BASE_HEADERS }, setCookies));
  res.end();
}

export function sendPage(res: ServerResponse, status: number, page: Page, setCookies: readonly string[] = [], extra: Headers = {}): void {
  send(res, status, withCookies({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp, ...extra }, setCookies), page.html);
}
