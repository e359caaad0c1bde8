// A minimal browser for driving login flows in tests (login service, identity provider) and the bench: a cookie jar that keeps
// cookies as a browser does (host-only, Path, Max-Age/Expires, Secure), manual redirects, the
// Sec-Fetch-* and Origin headers a browser sends, and form submission. Virtual origins (e.g.
// https://app.test) can be mapped to a local server, standing in for the gateway's TLS listener.
// undici's request() is used rather than fetch(): fetch adds its own Sec-Fetch-Mode (cors).
import { request as undiciRequest } from 'undici';

export interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  expiresAt?: number;
}

export interface BrowserResponse {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  setCookies: string[];
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Set Sec-Fetch-Mode: navigate and Accept: text/html (default true for GET). */
  navigate?: boolean;
  /** The page this request comes from (Origin and Sec-Fetch-Site are derived from it). */
  from?: string;
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path === '/') return '/';
  const last = path.lastIndexOf('/');
  return last === 0 ? '/' : path.slice(0, last);
}

/** The request a browser makes for the next hop: 307/308 keep method and body; 301/302/303 turn into a GET navigation. */
function nextHop(status: number, previous: RequestOptions, from: string): RequestOptions {
  return status === 307 || status === 308 ? { ...previous, from } : { navigate: true, from };
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class Browser {
  readonly cookies: StoredCookie[] = [];
  readonly #routes = new Map<string, string>();

  /** Requests to `origin` (e.g. https://app.test) go to `target` (e.g. http://127.0.0.1:4180). */
  route(origin: string, target: string): this {
    this.#routes.set(new URL(origin).origin, target.replace(/\/$/, ''));
    return this;
  }

  #isSecureContext(url: URL): boolean {
    return url.protocol === 'https:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  }

  storeSetCookie(line: string, url: URL, now = Date.now()): void {
    const [pair, ...attributes] = line.split(';');
    const eq = pair!.indexOf('=');
    if (eq <= 0) return;
    const cookie: StoredCookie = {
      name: pair!.slice(0, eq).trim(),
      value: pair!.slice(eq + 1).trim(),
      host: url.host,
      path: defaultPath(url),
      secure: false,
      httpOnly: false,
    };
    let maxAge: number | undefined;
    for (const attribute of attributes) {
      const [rawKey, ...rest] = attribute.split('=');
      const key = rawKey!.trim().toLowerCase();
      const value = rest.join('=').trim();
      if (key === 'path' && value.startsWith('/')) cookie.path = value;
      else if (key === 'secure') cookie.secure = true;
      else if (key === 'httponly') cookie.httpOnly = true;
      else if (key === 'max-age') maxAge = Number(value);
      else if (key === 'expires' && maxAge === undefined) {
        const at = Date.parse(value);
        if (!Number.isNaN(at)) cookie.expiresAt = at;
      } else if (key === 'domain' && value) throw new Error(`unexpected Domain attribute in Set-Cookie for ${cookie.name}: cookies must be host-only`);
    }
    if (maxAge !== undefined) cookie.expiresAt = now + maxAge * 1000;
    if (cookie.secure && !this.#isSecureContext(url)) return;
    if (cookie.name.startsWith('__Host-') && (!cookie.secure || cookie.path !== '/')) return;
    const index = this.cookies.findIndex((c) => c.name === cookie.name && c.host === cookie.host && c.path === cookie.path);
    if (index !== -1) this.cookies.splice(index, 1);
    if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) return;
    this.cookies.push(cookie);
  }

  cookieHeader(url: URL, now = Date.now()): string {
    return this.cookies
      .filter((c) => c.host === url.host && pathMatches(url.pathname, c.path) && (!c.secure || this.#isSecureContext(url)) && (c.expiresAt === undefined || c.expiresAt > now))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  cookie(name: string, host?: string): StoredCookie | undefined {
    return this.cookies.find((c) => c.name === name && (!host || c.host === host));
  }

  /** One request, no redirect following; cookies sent and stored. */
  async request(target: string, options: RequestOptions = {}): Promise<BrowserResponse> {
    const url = new URL(target);
    const method = options.method ?? (options.form ? 'POST' : 'GET');
    const headers: Record<string, string> = {};
    const navigate = options.navigate ?? method === 'GET';
    if (navigate) {
      headers['sec-fetch-mode'] = 'navigate';
      headers['sec-fetch-dest'] = 'document';
      headers.accept = 'text/html,application/xhtml+xml';
    }
    if (options.from !== undefined) {
      const from = new URL(options.from);
      headers['sec-fetch-site'] = from.origin === url.origin ? 'same-origin' : 'cross-site';
      if (method === 'POST') headers.origin = from.origin;
    } else {
      headers['sec-fetch-site'] = 'none';
    }
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    Object.assign(headers, options.headers);
    const routed = this.#routes.get(url.origin);
    const wire = routed ? `${routed}${url.pathname}${url.search}` : url.href;
    const response = await undiciRequest(wire, { method, headers, body });
    const text = await response.body.text();
    const responseHeaders = new Headers();
    const setCookies: string[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
        if (name === 'set-cookie') setCookies.push(item);
        else responseHeaders.append(name, item);
      }
    }
    for (const line of setCookies) this.storeSetCookie(line, url);
    return { url: url.href, status: response.statusCode, headers: responseHeaders, body: text, setCookies };
  }

  /**
   * Follows redirects like a top-level navigation; returns every hop, the last one last. With a
   * `maxHops` other than the default it stops quietly after that many (to look at a middle hop).
   */
  async navigate(target: string, options: RequestOptions = {}, maxHops = 20, throwOnLimit = maxHops === 20): Promise<BrowserResponse[]> {
    const hops: BrowserResponse[] = [];
    let current = target;
    let request: RequestOptions = options;
    for (let hop = 0; hop < maxHops; hop++) {
      const response = await this.request(current, request);
      hops.push(response);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return hops;
      request = nextHop(response.status, request, current);
      current = new URL(location, current).href;
    }
    if (!throwOnLimit) return hops;
    throw new Error(`more than ${maxHops} redirects from ${target}`);
  }

  /**
   * Follows redirects like `navigate`, but stops before requesting a URL that starts with `stopAt`
   * (e.g. a relying party's callback that nothing serves) and returns that URL; otherwise returns
   * the page the redirects end on.
   */
  async follow(target: string, stopAt: string, options: RequestOptions = {}): Promise<{ url: string; response?: BrowserResponse }> {
    let current = target;
    let request = options;
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.request(current, request);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      const next = new URL(location, current).href;
      if (next.startsWith(stopAt)) return { url: next };
      request = nextHop(response.status, request, current);
      current = next;
    }
    throw new Error(`more than 20 redirects from ${target}`);
  }

  /** Submits the first form of an HTML page (hidden inputs and the first named submit button). */
  async submitForm(page: BrowserResponse, overrides: Record<string, string> = {}, maxHops = 20): Promise<BrowserResponse[]> {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url}`);
    const attribute = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
    const unescape = (text: string) => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const action = new URL(unescape(attribute(form[1]!, 'action') ?? page.url), page.url).href;
    const fields: Record<string, string> = {};
    for (const input of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], 'name');
      if (name) fields[unescape(name)] = unescape(attribute(input[0], 'value') ?? '');
    }
    const button = /<button\b[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"/i.exec(form[2]!);
    if (button) fields[button[1]!] = button[2]!;
    return this.navigate(action, { method: 'POST', form: { ...fields, ...overrides }, from: page.url, navigate: true }, maxHops);
  }
}
