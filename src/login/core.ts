// The login service's core, independent of how requests arrive: resolve a session from cookies
// (refreshing its tokens under a lock when due), start and finish logins, end sessions. The
// ext_authz HTTP layer (http.ts) maps these outcomes to responses; the planned reverse-proxy
// sidecar and SSO modes reuse the same core with other HTTP layers.
import { canonicalLevel, idTokenAcr, meetsLevel } from './acr.ts';
import { CALLBACK_RETRY_COOKIE } from './callback-retry.ts';
import type { LoginConfig } from './config.ts';
import { expireCookie, firstCookie, serializeCookie } from './cookies.ts';
import { digest, logTag, randomId } from './crypto.ts';
import { LoginRejectedError, ProviderUnavailableError, RefreshRejectedError } from './errors.ts';
import { FlowCookies } from './flow-cookies.ts';
import type { LoginMetrics } from './metrics.ts';
import { endpointUrl, endpointsPath, ingressHome, rootIngress, type Ingress } from './ingress.ts';
import type { EndSession, OidcClient } from './oidc.ts';
import { LoginRateLimit } from './rate-limit.ts';
import { relativeRedirects, type RedirectValidator } from './redirect.ts';
import { Sessions, type Session } from './session.ts';
import { StoreUnavailableError, type SessionStore } from './store/types.ts';
import { LogoutRetries } from './logout-retry.ts';

export interface CoreLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export type DenyReason = 'no_session' | 'invalid_ticket' | 'unknown_session' | 'expired' | 'refresh_rejected' | 'tokens_expired' | 'insufficient_level';

export type Authentication =
  | { kind: 'allow'; session: Session; setCookies: string[] }
  | { kind: 'deny'; reason: DenyReason; setCookies: string[] };

export interface Redirect {
  location: string;
  setCookies: string[];
}

export interface LoginOptions {
  /** The ingress the login started on (its callback, cookie paths and default target). */
  ingress?: Ingress;
  /** Extra authorization request parameters, already validated by the caller. */
  params?: Record<string, string>;
}

export interface LogoutResult {
  setCookies: string[];
  endSession: EndSession;
  /** Where the browser ends up (directly when there is no provider logout). */
  target: string;
  hadSession: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LoginCore {
  readonly config: LoginConfig;
  readonly sessions: Sessions;
  readonly flows: FlowCookies;
  readonly oidc: OidcClient;
  readonly #store: SessionStore;
  readonly #metrics: LoginMetrics;
  readonly #logger: CoreLogger;
  readonly #redirects: RedirectValidator;
  readonly #root: Ingress;
  /** Refreshes in flight in this process, by store key: concurrent checks share one. */
  readonly #inflight = new Map<string, Promise<Session>>();
  readonly #rateLimit: LoginRateLimit;
  readonly #logoutRetries: LogoutRetries;
  #warnedUnsupportedLevel = false;

  constructor(
    config: LoginConfig,
    deps: { store: SessionStore; oidc: OidcClient; metrics: LoginMetrics; logger: CoreLogger; redirects?: RedirectValidator },
  ) {
    this.config = config;
    this.#redirects = deps.redirects ?? relativeRedirects(config.appOrigin);
    this.#root = rootIngress(config.appOrigin);
    this.#store = deps.store;
    this.oidc = deps.oidc;
    this.#metrics = deps.metrics;
    this.#logger = deps.logger;
    this.sessions = new Sessions(deps.store, config.encryptionKey, config.cookieName, {
      maxAgeMs: config.sessionMaxAgeMs,
      inactivityTimeoutMs: config.inactivityTimeoutMs,
    });
    this.flows = new FlowCookies(config.encryptionKey, config.cookieSecure, config.loginStateMaxAgeMs);
    this.#rateLimit = new LoginRateLimit(deps.store, config.loginRateLimit);
    this.#logoutRetries = new LogoutRetries({
      end: (sid) => this.#endSessionsOf(sid),
      logger: deps.logger,
      onPending: (count) => deps.metrics.frontChannelPending.set(count),
    });
  }

  /** Stops what runs in the background (front-channel logouts waiting for the store). */
  close(): void {
    this.#logoutRetries.close();
  }

  /**
   * Whether a session meets OIDC_ACR_VALUES (none configured: every session does). One below it
   * counts as no session for a check, but is kept: the login that raises the level replaces it,
   * and logout can still end it.
   */
  meetsRequiredLevel(session: Session): boolean {
    return this.config.acrValues === undefined || meetsLevel(this.config.acrValues, session.record.acr);
  }

  sessionCookie(session: Session): string {
    return serializeCookie(this.config.cookieName, this.sessions.ticket(session), {
      path: '/',
      domain: this.config.cookieDomain,
      secure: this.config.cookieSecure,
      maxAge: this.sessions.cookieMaxAge(session),
    });
  }

  clearSessionCookie(): string {
    return expireCookie(this.config.cookieName, { path: '/', domain: this.config.cookieDomain, secure: this.config.cookieSecure });
  }

  /** Whether a cookie is the login service's own (session, login state, logout target, callback retries). */
  ownsCookie(name: string): boolean {
    return name === this.config.cookieName || this.flows.owns(name) || name === CALLBACK_RETRY_COOKIE;
  }

  /** The active session behind the cookies, without refreshing; undefined when there is none. */
  async currentSession(cookies: Array<[string, string]>): Promise<Session | undefined> {
    const ticket = firstCookie(cookies, this.config.cookieName);
    if (!ticket) return undefined;
    const resolution = await this.sessions.resolve(ticket);
    return resolution.status === 'active' ? resolution.session : undefined;
  }

  /**
   * The session behind the cookies for a report (Wonderwall's /oauth2/session): an active one, or
   * one that just timed out for inactivity (`active: false`: the app can tell the user before
   * sending them to login). Undefined when there is none.
   */
  async inspectSession(cookies: Array<[string, string]>): Promise<{ session: Session; active: boolean } | undefined> {
    const ticket = firstCookie(cookies, this.config.cookieName);
    if (!ticket) return undefined;
    const resolution = await this.sessions.resolveForReport(ticket);
    if (resolution.status === 'active') return { session: resolution.session, active: true };
    if (resolution.status === 'inactive') return { session: resolution.session, active: false };
    return undefined;
  }

  /**
   * The decision for a request: its session, refreshed if its tokens are due. Throws
   * StoreUnavailableError (store down) and ProviderUnavailableError (tokens expired and the provider
   * cannot refresh them): both must become 5xx, never an allow.
   */
  async authenticate(cookies: Array<[string, string]>): Promise<Authentication> {
    const ticket = firstCookie(cookies, this.config.cookieName);
    if (!ticket) return { kind: 'deny', reason: 'no_session', setCookies: [] };
    const now = Date.now();
    const resolution = await this.sessions.resolve(ticket, now);
    if (resolution.status !== 'active') {
      const reason: DenyReason = resolution.status === 'invalid' ? 'invalid_ticket' : resolution.status === 'unknown' ? 'unknown_session' : 'expired';
      return { kind: 'deny', reason, setCookies: [this.clearSessionCookie()] };
    }
    let session = resolution.session;
    if (!this.meetsRequiredLevel(session)) return { kind: 'deny', reason: 'insufficient_level', setCookies: [] };
    const before = session.record.refreshedAt;
    try {
      session = await this.ensureFresh(session, now);
    } catch (error) {
      if (error instanceof RefreshRejectedError) return { kind: 'deny', reason: 'refresh_rejected', setCookies: [this.clearSessionCookie()] };
      throw error;
    }
    if (session.record.tokens.expiresAt <= Date.now()) {
      // No refresh token (or refresh impossible): the ID token would fail jwt_authn anyway.
      await this.sessions.destroy(session);
      return { kind: 'deny', reason: 'tokens_expired', setCookies: [this.clearSessionCookie()] };
    }
    await this.sessions.touch(session, now);
    // After a refresh the cookie is re-issued: same ticket, Max-Age recomputed — so the response
    // carries the state the browser should hold, as oauth2-proxy's does.
    const setCookies = session.record.refreshedAt !== before ? [this.sessionCookie(session)] : [];
    return { kind: 'allow', session, setCookies };
  }

  /** Refreshes the tokens if they expire within REFRESH_BEFORE_EXPIRY (once per session at a time). */
  async ensureFresh(session: Session, now = Date.now(), force = false): Promise<Session> {
    const { tokens, refreshedAt } = session.record;
    const due = force || tokens.expiresAt - now <= this.config.refreshBeforeExpiryMs;
    if (!due) return session;
    const stillValid = tokens.expiresAt > now;
    if (!tokens.refreshToken) return session;
    if (stillValid && now - refreshedAt < this.config.refreshCooldownMs) return session;
    let pending = this.#inflight.get(session.storeKey);
    if (!pending) {
      pending = this.#refreshUnderLock(session).finally(() => this.#inflight.delete(session.storeKey));
      this.#inflight.set(session.storeKey, pending);
    }
    try {
      return await pending;
    } catch (error) {
      // Provider down: sessions go on on their current tokens until those expire.
      if (error instanceof ProviderUnavailableError && stillValid) return session;
      throw error;
    }
  }

  async #reload(session: Session): Promise<Session | undefined> {
    const resolution = await this.sessions.resolve(this.sessions.ticket(session));
    return resolution.status === 'active' ? resolution.session : undefined;
  }

  async #refreshUnderLock(session: Session): Promise<Session> {
    const lockKey = `lock:${session.storeKey}`;
    const owner = randomId();
    const lockTtl = this.config.providerTimeoutMs * 2 + 1000;
    if (!(await this.#store.setIfAbsent(lockKey, owner, lockTtl))) {
      // Another replica is refreshing this session. Its current tokens serve meanwhile; if they
      // have already expired, wait for the other refresh to land.
      if (session.record.tokens.expiresAt > Date.now()) return session;
      const deadline = Date.now() + lockTtl;
      while (Date.now() < deadline) {
        await sleep(50);
        const current = await this.#reload(session);
        if (!current) throw new RefreshRejectedError('the session ended during a refresh by another replica');
        if (current.record.refreshedAt > session.record.refreshedAt) return current;
      }
      throw new ProviderUnavailableError('a token refresh by another replica did not finish in time');
    }
    try {
      const current = await this.#reload(session);
      if (!current) throw new RefreshRejectedError('the session ended before its refresh');
      // Refreshed by someone else between our read and our lock: nothing to do.
      if (current.record.refreshedAt > session.record.refreshedAt) return current;
      let tokens;
      try {
        tokens = await this.oidc.refresh(current.record.tokens, current.record.sub);
      } catch (error) {
        if (error instanceof RefreshRejectedError) {
          this.#metrics.refreshes.inc({ result: 'rejected' });
          await this.sessions.destroy(current);
          this.#logger.info({ session: logTag(current.id), reason: error.message }, 'refresh rejected by the provider; session ended');
        } else {
          this.#metrics.refreshes.inc({ result: 'failed' });
          this.#logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'token refresh failed; keeping the session');
        }
        throw error;
      }
      const now = Date.now();
      current.record = { ...current.record, tokens, refreshedAt: now };
      await this.sessions.save(current, now);
      this.#metrics.refreshes.inc({ result: 'ok' });
      return current;
    } finally {
      await this.#store.deleteIfEquals(lockKey, owner).catch(() => undefined);
    }
  }

  /**
   * Where a login to `target` starts (an absolute URL on APP_ORIGIN; the target re-checked): the
   * "Try again" of a failed login or callback.
   */
  loginUrl(targetRaw: string | null, ingress = this.#root): string {
    return this.#loginUrlFor(this.#target(targetRaw, ingress), ingress);
  }

  #isRoot(ingress: Ingress): boolean {
    return ingress.prefix === '' && ingress.origin === this.config.appOrigin;
  }

  /** A client's redirect value judged by the mode's rules; the ingress's home when it fails. */
  #target(raw: string | null | undefined, ingress: Ingress): string {
    const verdict = this.#redirects.check(raw);
    return verdict.ok ? verdict.url : (this.#redirects.fallback ?? ingressHome(ingress));
  }

  /** A target that comes back from a sealed cookie, judged again. */
  #retarget(stored: string | undefined, ingress: Ingress): string {
    const verdict = stored === undefined ? undefined : this.#redirects.recheck(stored);
    return verdict?.ok ? verdict.url : (this.#redirects.fallback ?? ingressHome(ingress));
  }

  #loginUrlFor(target: string, ingress: Ingress): string {
    const login = new URL(endpointUrl(ingress, '/login'));
    if (target !== ingressHome(ingress)) {
      const url = new URL(target);
      login.searchParams.set('redirect', url.origin === ingress.origin ? `${url.pathname}${url.search}` : url.href);
    }
    return login.href;
  }

  /** Ends the session behind the cookies here (a login with prompt=login starts from nothing). */
  async endLocalSession(cookies: Array<[string, string]>): Promise<string[]> {
    const session = await this.currentSession(cookies);
    if (!session) return [];
    await this.sessions.destroy(session);
    return [this.clearSessionCookie()];
  }

  /**
   * The authorization request's parameters: the caller's, plus OIDC_ACR_VALUES as acr_values when
   * the login names no level (Wonderwall's default level) and the provider advertises it.
   */
  #authorizationParams(params: Record<string, string> = {}): Record<string, string> {
    const required = this.config.acrValues;
    if (params.acr_values !== undefined || required === undefined) return params;
    const level = canonicalLevel(required);
    const supported = this.oidc.supported('acr_values_supported');
    if (supported?.includes(level)) return { ...params, acr_values: level };
    if (supported?.includes(required)) return { ...params, acr_values: required };
    if (!this.#warnedUnsupportedLevel) {
      this.#warnedUnsupportedLevel = true;
      this.#logger.warn({ level: required, supported: supported ?? null }, 'OIDC_ACR_VALUES is not in the provider\'s acr_values_supported: logins do not ask for it, and sessions below it count as none');
    }
    return params;
  }

  /** The redirect to the provider, and the login-state cookie. */
  async beginLogin(cookies: Array<[string, string]>, redirectRaw: string | null, options: LoginOptions = {}): Promise<Redirect> {
    const ingress = options.ingress ?? this.#root;
    // Fail before the user types a password if the session could not be stored afterwards.
    await this.#store.ping();
    // A browser that already has a session and comes back to login again and again is in a loop.
    await this.#rateLimit.count((await this.currentSession(cookies))?.record);
    const target = this.#target(redirectRaw, ingress);
    // The root ingress keeps the provider's registered default; another one has its own callback.
    const redirectUri = this.#isRoot(ingress) ? undefined : endpointUrl(ingress, '/callback');
    const params = this.#authorizationParams(options.params);
    const request = await this.oidc.beginLogin({ redirectUri, params });
    const cookiePath = endpointsPath(ingress);
    const setCookies = this.flows.prune(cookies, Date.now(), cookiePath);
    setCookies.push(
      this.flows.issueLogin(
        {
          state: request.state,
          nonce: request.nonce,
          codeVerifier: request.codeVerifier,
          redirect: target,
          createdAt: Date.now(),
          redirectUri,
          ...(params.acr_values !== undefined ? { acr: params.acr_values } : {}),
        },
        cookiePath,
      ),
    );
    this.#metrics.logins.inc({ result: 'started' });
    return { location: request.url.href, setCookies };
  }

  /** Redeems a callback: a new session (fresh id) and a redirect to the checked target. */
  async completeLogin(cookies: Array<[string, string]>, search: string, ingress = this.#root): Promise<Redirect> {
    const params = new URLSearchParams(search);
    const state = params.get('state');
    if (!state || state.length > 512) throw new LoginRejectedError('state_missing', 'the callback has no state parameter');
    const cookieName = this.flows.loginCookieName(state);
    const pending = this.flows.findLogin(cookies, state);
    if (!pending) {
      throw new LoginRejectedError(
        'state_unknown',
        'no login in progress matches this callback (already used, expired, or started in another browser); start the login again',
      );
    }
    const setCookies = [this.flows.clearLogin(cookieName, endpointsPath(ingress))];
    // From here on a failure can offer a fresh login to where this one was going.
    const target = this.#retarget(pending.redirect, ingress);
    const retryUrl = this.#loginUrlFor(target, ingress);
    // The cookie is cleared now, but a copy of it could be replayed: mark the state as used.
    if (!(await this.#store.setIfAbsent(`used-state:${digest(state)}`, '1', this.config.loginStateMaxAgeMs))) {
      throw Object.assign(new LoginRejectedError('state_replayed', 'this login callback was already used; start the login again'), { setCookies, retryUrl });
    }
    if (params.get('error')) {
      const code = (params.get('error') ?? '').replace(/[^a-z_]/gi, '').slice(0, 64);
      throw Object.assign(new LoginRejectedError('authorization_error', `the identity provider ended the login with "${code}"`), { setCookies, retryUrl });
    }
    let result;
    try {
      result = await this.oidc.finishLogin(search, pending);
    } catch (error) {
      // The code was not redeemed (provider down, or it refused): the user can only start over.
      throw Object.assign(error as Error, { setCookies, retryUrl });
    }
    // The level asked for must be the level given (OIDC Core 3.1.2.1: the client checks acr).
    const acr = idTokenAcr(result.tokens.idToken);
    if (pending.acr !== undefined && !meetsLevel(pending.acr, acr)) {
      throw Object.assign(
        new LoginRejectedError('acr_insufficient', `the identity provider authenticated at level ${acr === undefined ? '(none)' : JSON.stringify(acr)}, below the ${JSON.stringify(pending.acr)} asked for`),
        { setCookies, retryUrl },
      );
    }
    // Logging in again never keeps the old session: it is destroyed and a fresh id issued.
    const old = await this.currentSession(cookies).catch(() => undefined);
    if (old) await this.sessions.destroy(old);
    const session = await this.sessions.create(result.sub, result.sid, result.tokens, Date.now(), { acr });
    setCookies.push(this.sessionCookie(session));
    this.#metrics.logins.inc({ result: 'completed' });
    this.#logger.info({ session: logTag(session.id) }, 'login completed');
    return { location: target, setCookies };
  }

  /**
   * Ends the session here (store entry deleted, cookie expired, refresh token revoked) and says
   * where the browser goes next: the provider's logout (`provider`), or straight to the target.
   */
  async logout(session: Session | undefined, redirectRaw: string | null, provider: boolean, ingress = this.#root): Promise<LogoutResult> {
    const target = this.#target(redirectRaw, ingress);
    const setCookies = [this.clearSessionCookie()];
    if (session) {
      await this.sessions.destroy(session);
      const refreshToken = session.record.tokens.refreshToken;
      if (refreshToken) {
        const revoked = await this.oidc.revoke(refreshToken);
        this.#metrics.revocations.inc({ result: revoked ? 'ok' : 'failed' });
      }
    }
    this.#metrics.logouts.inc({ kind: provider ? 'provider' : 'local' });
    const postLogout = this.#isRoot(ingress) ? undefined : endpointUrl(ingress, '/logout/callback');
    const endSession: EndSession = provider ? this.oidc.endSession(session?.record.tokens.idToken, postLogout) : { kind: 'none' };
    if (endSession.kind !== 'none') setCookies.push(this.flows.issueLogoutTarget(target, Date.now(), `${endpointsPath(ingress)}/logout`));
    return { setCookies, endSession, target, hadSession: session !== undefined };
  }

  /**
   * Front-channel logout: the provider ended its session `sid`; every session here logged in under
   * it ends too. The refresh tokens are not revoked: their records are sealed with keys only the
   * browsers hold, and the provider ended the grant behind them itself. `queued`: the store is
   * down and the logout is retried in the background (logout-retry.ts); a full queue throws the
   * store's error, a 503.
   */
  async frontChannelLogout(sid: string): Promise<'ended' | 'queued'> {
    try {
      await this.#endSessionsOf(sid);
      return 'ended';
    } catch (error) {
      if (error instanceof StoreUnavailableError && this.#logoutRetries.add(sid)) return 'queued';
      throw error;
    }
  }

  async #endSessionsOf(sid: string): Promise<void> {
    const ended = await this.sessions.destroyForSid(sid);
    this.#metrics.logouts.inc({ kind: 'front_channel' });
    this.#logger.info({ sid: logTag(sid), sessions: ended }, 'front-channel logout');
  }

  /** The provider sent the browser back: on to the target chosen at logout (checked again). */
  finishLogout(cookies: Array<[string, string]>, ingress = this.#root): Redirect {
    const stored = this.flows.readLogoutTarget(cookies);
    return { location: this.#retarget(stored, ingress), setCookies: [this.flows.clearLogoutTarget(`${endpointsPath(ingress)}/logout`)] };
  }
}
