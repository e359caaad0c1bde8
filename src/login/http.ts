// The ext_authz HTTP shape of the login service: the /oauth2/* endpoints a browser visits, and
// the check Envoy's HTTP ext_authz sends for every other path. Only translation lives here —
// request in, LoginCore call, response out — so other modes can put other HTTP layers on the core.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LoginConfig } from './config.ts';
import { parseCookies } from './cookies.ts';
import type { LoginCore } from './core.ts';
import { randomId, safeEqual } from './crypto.ts';
import { LoginRejectedError, ProviderUnavailableError, RefreshRejectedError } from './errors.ts';
import type { LoginMetrics } from './metrics.ts';
import { errorPage, formPostPage } from './pages.ts';
import { checkRedirect } from './redirect.ts';
import type { Session } from './session.ts';
import { StoreUnavailableError } from './store/types.ts';
import { upstreamCookieHeaders } from './upstream-cookies.ts';

const MAX_BODY = 4096;

const BASE_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body = ''): void {
  res.writeHead(status, { ...BASE_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown, setCookies: string[] = [], extra: Record<string, string> = {}): void {
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', ...extra };
  if (setCookies.length) headers['set-cookie'] = setCookies;
  send(res, status, headers, JSON.stringify(value));
}

function redirect(res: ServerResponse, location: string, setCookies: string[] = []): void {
  const headers: Record<string, string | string[]> = { location };
  if (setCookies.length) headers['set-cookie'] = setCookies;
  send(res, 302, headers);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type && type !== 'application/x-www-form-urlencoded' && type !== 'text/plain' && type !== 'multipart/form-data') {
    throw new HttpError(415, 'unsupported_media_type', 'send the form as application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body_too_large', `the body is over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(Buffer.concat(chunks).toString()) : new URLSearchParams();
}

/**
 * A POST that a cross-site page could not have forged: a browser sends Origin on every POST and
 * Sec-Fetch-Site on modern ones; when either is present it must say "this app". Non-browser
 * clients (curl, a backend calling server-to-server) send neither and cannot be CSRF victims.
 */
function isSameOriginPost(req: IncomingMessage, appOrigin: string): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== appOrigin) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  return true;
}

/** A top-level browser navigation, per LOGIN-FLOW.md: these get a 302 to login, the rest 401. */
function isNavigation(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const mode = req.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}

export interface HttpLayerOptions {
  config: LoginConfig;
  core: LoginCore;
  metrics: LoginMetrics;
  logger: Logger;
}

export function createRequestHandler({ config, core, metrics, logger }: HttpLayerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const home = `${config.appOrigin}/`;
  const ownsCookie = (name: string) => core.ownsCookie(name);
  // During an outage every check fails the same way: log each failure kind once per 10 s (with a
  // count of the ones skipped) instead of once per request.
  const quietUntil = new Map<string, { until: number; skipped: number }>();
  function logCheckFailure(code: string, reason: string): void {
    const now = Date.now();
    const quiet = quietUntil.get(code);
    if (quiet && now < quiet.until) {
      quiet.skipped++;
      return;
    }
    logger.error({ code, reason, similarSkipped: quiet?.skipped ?? 0 }, 'check failed');
    quietUntil.set(code, { until: now + 10_000, skipped: 0 });
  }

  function failPage(res: ServerResponse, error: unknown, setCookies: string[] = [], retryUrl?: string): void {
    const correlationId = randomId(9);
    let status = 500;
    let title = 'Login failed';
    let message = 'Something went wrong on our side.';
    let code = 'internal_error';
    if (error instanceof StoreUnavailableError) {
      status = 503;
      code = 'session_store_unavailable';
      title = 'Sign-in is unavailable';
      message = 'The session store cannot be reached. Please try again in a moment.';
      metrics.storeErrors.inc();
    } else if (error instanceof ProviderUnavailableError) {
      status = 503;
      code = error.code;
      title = 'Sign-in is unavailable';
      message = 'The identity provider cannot be reached right now. Existing sessions continue; please try again in a moment.';
    } else if (error instanceof LoginRejectedError) {
      status = 400;
      code = error.code;
      message = error.message;
    } else if (error instanceof HttpError) {
      status = error.status;
      code = error.code;
      title = 'Request refused';
      message = error.message;
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (status >= 500) logger.error({ correlationId, code, reason }, 'request failed');
    else logger.warn({ correlationId, code, reason }, 'request refused');
    const page = errorPage(title, message, correlationId, home, retryUrl);
    const headers: Record<string, string | string[]> = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp };
    if (status === 503) headers['retry-after'] = '5';
    if (setCookies.length) headers['set-cookie'] = setCookies;
    send(res, status, headers, page.html);
  }

  async function check(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): Promise<void> {
    const started = performance.now();
    let result = 'error';
    try {
      const auth = await core.authenticate(parseCookies(req.headers.cookie));
      if (auth.kind === 'allow') {
        result = 'allowed';
        const headers: Record<string, string | string[]> = {
          authorization: `Bearer ${auth.session.record.tokens.idToken}`,
          ...upstreamCookieHeaders(req.headers.cookie, ownsCookie),
        };
        if (auth.setCookies.length) headers['set-cookie'] = auth.setCookies;
        send(res, 200, headers);
      } else if (isNavigation(req)) {
        result = 'redirected';
        const original = checkRedirect(pathAndQuery, config.appOrigin);
        const login = new URL('/oauth2/login', config.appOrigin);
        if (original.ok) login.searchParams.set('redirect', original.url.slice(config.appOrigin.length));
        redirect(res, login.href, auth.setCookies);
      } else {
        result = 'unauthorized';
        json(res, 401, { error: 'unauthenticated', reason: auth.reason, login: '/oauth2/login' }, auth.setCookies, { 'www-authenticate': 'Cookie realm="oneconnect"' });
      }
    } catch (error) {
      // Never an allow on failure: 503 (Envoy turns it into statusOnError, 403 by default).
      if (error instanceof StoreUnavailableError) metrics.storeErrors.inc();
      const code = error instanceof StoreUnavailableError ? 'session_store_unavailable' : error instanceof ProviderUnavailableError ? error.code : 'internal_error';
      logCheckFailure(code, error instanceof Error ? error.message : String(error));
      json(res, 503, { error: code }, [], { 'retry-after': '5' });
    } finally {
      metrics.checks.inc({ result });
      metrics.checkDuration.observe({ result }, (performance.now() - started) / 1000);
    }
  }

  function sessionView(session: Session): unknown {
    const now = Date.now();
    const { record } = session;
    const timeoutAt = core.sessions.timeoutAt(session);
    const iso = (ms: number) => new Date(ms).toISOString();
    const secs = (ms: number) => Math.max(0, Math.round((ms - now) / 1000));
    const cooldownEnds = record.refreshedAt + config.refreshCooldownMs;
    return {
      session: {
        created_at: iso(record.createdAt),
        ends_at: iso(record.endsAt),
        ends_in_seconds: secs(record.endsAt),
        timeout_at: timeoutAt === undefined ? null : iso(timeoutAt),
        timeout_in_seconds: timeoutAt === undefined ? null : secs(timeoutAt),
        active: true,
      },
      tokens: {
        expire_at: iso(record.tokens.expiresAt),
        expire_in_seconds: secs(record.tokens.expiresAt),
        refreshed_at: iso(record.refreshedAt),
        next_auto_refresh_in_seconds: record.tokens.refreshToken ? secs(record.tokens.expiresAt - config.refreshBeforeExpiryMs) : null,
        refresh_cooldown: cooldownEnds > now,
        refresh_cooldown_seconds: secs(cooldownEnds),
      },
      // For GET /oauth2/logout?csrf=…; readable only by same-origin scripts (no CORS here).
      logout_csrf: core.sessions.csrfToken(session),
    };
  }

  async function logout(req: IncomingMessage, res: ServerResponse, url: URL, provider: boolean): Promise<void> {
    const cookies = parseCookies(req.headers.cookie);
    let target = url.searchParams.get('redirect');
    let csrf = url.searchParams.get('csrf');
    if (req.method === 'POST') {
      if (!isSameOriginPost(req, config.appOrigin)) throw new HttpError(403, 'cross_site_logout', 'logout must come from the application itself');
      const form = await readForm(req);
      target = form.get('redirect') ?? target;
      csrf = null;
    }
    const session = await core.currentSession(cookies);
    if (req.method === 'GET' && session) {
      // A cross-site GET (an <img>, a link) must not log the user out: GET needs the token.
      if (!csrf || !safeEqual(csrf, core.sessions.csrfToken(session))) {
        throw new HttpError(403, 'csrf_required', 'logging out by GET needs the csrf parameter from /oauth2/session; or POST from the application');
      }
    }
    const outcome = await core.logout(session, target, provider);
    if (outcome.endSession.kind === 'form') {
      const page = formPostPage(outcome.endSession.action, outcome.endSession.fields, config.appOrigin);
      send(res, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp, 'set-cookie': outcome.setCookies }, page.html);
    } else if (outcome.endSession.kind === 'redirect') {
      redirect(res, outcome.endSession.url, outcome.setCookies);
    } else {
      redirect(res, outcome.target, outcome.setCookies);
    }
  }

  async function oauth2(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) {
        throw Object.assign(new HttpError(405, 'method_not_allowed', `use ${methods.join(' or ')}`), { allow: methods.join(', ') });
      }
    };
    switch (url.pathname) {
      case '/oauth2/login': {
        allow('GET', 'HEAD');
        const target = url.searchParams.get('redirect');
        let outcome;
        try {
          outcome = await core.beginLogin(parseCookies(req.headers.cookie), target);
        } catch (error) {
          // Provider or store down: the error page offers this same login again.
          throw Object.assign(error as Error, { retryUrl: core.loginUrl(target) });
        }
        return redirect(res, outcome.location, outcome.setCookies);
      }
      case '/oauth2/callback': {
        allow('GET');
        const outcome = await core.completeLogin(parseCookies(req.headers.cookie), url.search);
        return redirect(res, outcome.location, outcome.setCookies);
      }
      case '/oauth2/logout':
        allow('GET', 'POST');
        return logout(req, res, url, true);
      case '/oauth2/logout/local':
        allow('GET', 'POST');
        return logout(req, res, url, false);
      case '/oauth2/logout/callback': {
        allow('GET');
        const outcome = core.finishLogout(parseCookies(req.headers.cookie));
        return redirect(res, outcome.location, outcome.setCookies);
      }
      case '/oauth2/session': {
        allow('GET');
        const session = await core.currentSession(parseCookies(req.headers.cookie));
        if (!session) return json(res, 401, { error: 'unauthenticated' });
        return json(res, 200, sessionView(session));
      }
      case '/oauth2/session/refresh': {
        allow('POST');
        if (!isSameOriginPost(req, config.appOrigin)) throw new HttpError(403, 'cross_site_request', 'refresh must come from the application itself');
        const session = await core.currentSession(parseCookies(req.headers.cookie));
        if (!session) return json(res, 401, { error: 'unauthenticated' });
        try {
          const fresh = await core.ensureFresh(session, Date.now(), true);
          const cookies = fresh.record.refreshedAt !== session.record.refreshedAt ? [core.sessionCookie(fresh)] : [];
          return json(res, 200, sessionView(fresh), cookies);
        } catch (error) {
          if (error instanceof RefreshRejectedError) return json(res, 401, { error: 'refresh_rejected' }, [core.clearSessionCookie()]);
          throw error;
        }
      }
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }

  return (req, res) => {
    const rawUrl = req.url ?? '/';
    let url: URL;
    try {
      // Origin-form only ("/path?query"); anything else is not something Envoy or a browser sends.
      // Concatenated, not resolved: "//x" is a path here, not a host.
      if (!rawUrl.startsWith('/')) throw new Error('not origin-form');
      url = new URL(`${config.appOrigin}${rawUrl}`);
    } catch {
      return json(res, 400, { error: 'bad_request_target' });
    }
    const prefix = config.checkPathPrefix;
    const isCheck = prefix
      ? rawUrl === prefix || rawUrl.startsWith(`${prefix}/`) || rawUrl.startsWith(`${prefix}?`)
      : !(url.pathname === '/oauth2' || url.pathname.startsWith('/oauth2/'));
    const handled = isCheck ? check(req, res, prefix ? rawUrl.slice(prefix.length) || '/' : rawUrl) : oauth2(req, res, url);
    handled.catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError && (error as HttpError & { allow?: string }).allow) {
        return json(res, 405, { error: error.code }, [], { allow: (error as HttpError & { allow?: string }).allow! });
      }
      const { setCookies = [], retryUrl } = error as { setCookies?: string[]; retryUrl?: string };
      const inLogin = url.pathname === '/oauth2/login' || url.pathname === '/oauth2/callback';
      if (error instanceof LoginRejectedError || (inLogin && error instanceof ProviderUnavailableError)) metrics.logins.inc({ result: error.code });
      // A callback that cannot tell where its login was going still offers a fresh one.
      const retry = retryUrl ?? (inLogin ? core.loginUrl(null) : undefined);
      failPage(res, error, setCookies, retry);
    });
    // Checks carry no body we use; drain anything sent so the connection can be reused.
    if (isCheck) req.resume();
  };
}
