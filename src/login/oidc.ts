// The OpenID Connect relying party: discovery (retried with backoff while the provider is down),
// the authorization request (code + PKCE S256 + state + nonce), the callback (RFC 9207 `iss`, full
// ID token validation including the JWS signature), refresh, revocation and the logout URL shapes.
// Everything protocol-level is openid-client's; this module adds policy and precise errors.
import * as client from 'openid-client';
import type { LoginConfig } from './config.ts';
import { LoginRejectedError, ProviderUnavailableError, RefreshRejectedError } from './errors.ts';
import { ProviderProbe } from './provider-probe.ts';

export interface TokenSet {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms when the first of the ID token and the access token expires. */
  expiresAt: number;
}

export interface LoginResult {
  sub: string;
  /** The provider's session id (`sid`), when it sends one. */
  sid?: string;
  tokens: TokenSet;
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export type EndSession =
  | { kind: 'form'; action: string; fields: Record<string, string> }
  | { kind: 'redirect'; url: string }
  | { kind: 'none' };

/** What a login asks of the provider beyond the code flow itself (Wonderwall's login parameters). */
export interface AuthorizationOptions {
  /** The callback of the ingress the login started on (default: APP_ORIGIN's /oauth2/callback). */
  redirectUri?: string;
  /** Extra authorization request parameters (acr_values, ui_locales, prompt, max_age, domain_hint). */
  params?: Record<string, string>;
}

export interface OidcLogger {
  info(message: string): void;
  warn(message: string): void;
}

function describe(error: unknown): string {
  if (error instanceof client.ResponseBodyError) return `${error.error} (HTTP ${error.status})`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

const UNAVAILABLE_CLIENT_ERRORS = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_TIMEOUT', 'OAUTH_ABORT']);

/**
 * What a provider failure means for us: `rejected` (the provider said no to this grant: 4xx),
 * `invalid` (the provider answered, but the answer failed a check: iss, nonce, aud, signature…),
 * `unavailable` (network, timeout, 5xx, not JSON: try again later; never end a session for it).
 */
function classify(error: unknown): 'rejected' | 'invalid' | 'unavailable' {
  if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError) {
    return error.status >= 500 ? 'unavailable' : 'rejected';
  }
  if (error instanceof client.AuthorizationResponseError) return 'rejected';
  if (error instanceof client.ClientError) {
    // openid-client reports a request that ran out of PROVIDER_TIMEOUT as a ClientError too: a
    // provider too slow to answer is down, not one whose answer failed a check.
    return UNAVAILABLE_CLIENT_ERRORS.has(error.code ?? '') ? 'unavailable' : 'invalid';
  }
  return 'unavailable';
}

function tokenSetFrom(response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, previous?: TokenSet): { tokens: TokenSet; claims: client.IDToken } {
  const claims = response.claims();
  if (!response.id_token || !claims) throw new LoginRejectedError('id_token_missing', 'the provider returned no ID token');
  const now = Date.now();
  const accessExpiry = response.expires_in !== undefined ? now + response.expires_in * 1000 : Number.POSITIVE_INFINITY;
  return {
    claims,
    tokens: {
      idToken: response.id_token,
      accessToken: response.access_token,
      // Cognito does not rotate refresh tokens: keep the old one when none comes back.
      refreshToken: response.refresh_token ?? previous?.refreshToken,
      expiresAt: Math.min(claims.exp * 1000, accessExpiry),
    },
  };
}

export class OidcClient {
  readonly #config: LoginConfig;
  readonly #logger: OidcLogger;
  readonly #onProviderUp: (up: boolean) => void;
  #configuration: client.Configuration | undefined;
  readonly #probe: ProviderProbe;
  #closed = false;
  /** When the last discovery attempt ended (a login may cut the backoff short, once a second). */
  #lastAttemptAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  /** Resolves when discovery succeeded; never rejects (it retries until close). */
  readonly ready: Promise<void>;
  #resolveReady!: () => void;

  constructor(config: LoginConfig, logger: OidcLogger, onProviderUp: (up: boolean) => void = () => {}) {
    this.#config = config;
    this.#logger = logger;
    this.#onProviderUp = onProviderUp;
    this.#probe = new ProviderProbe(config.providerTimeoutMs);
    this.ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
  }

  get redirectUri(): string {
    return `${this.#config.appOrigin}/oauth2/callback`;
  }

  get postLogoutRedirectUri(): string {
    return `${this.#config.appOrigin}/oauth2/logout/callback`;
  }

  get isReady(): boolean {
    return this.#configuration !== undefined;
  }

  /** Discovers the provider, retrying with exponential backoff (and saying so) until it answers. */
  start(): void {
    void this.#discoverLoop();
  }

  async #discoverLoop(): Promise<void> {
    const { initialMs, maxMs } = this.#config.discoveryRetry;
    let delay = initialMs;
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        this.#configuration = await this.#discover();
        this.#onProviderUp(true);
        this.#logger.info(`identity provider discovered: ${this.#config.issuer.href}`);
        this.#resolveReady();
        return;
      } catch (error) {
        this.#lastAttemptAt = Date.now();
        this.#onProviderUp(false);
        this.#logger.warn(
          `identity provider unreachable at ${this.#config.issuer.href} (${describe(error)}); retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt}); logins answer 503 until then`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#retryTimer = setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, maxMs);
    }
  }

  async #discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret, providerTimeoutMs } = this.#config;
    const auth = clientSecret ? client.ClientSecretBasic(clientSecret) : client.None();
    const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests, client.enableNonRepudiationChecks] : [client.enableNonRepudiationChecks];
    const configuration = await client.discovery(issuer, clientId, clientSecret ? { client_secret: clientSecret } : undefined, auth, {
      execute,
      timeout: providerTimeoutMs / 1000,
    });
    const metadata = configuration.serverMetadata();
    // S256 is the only method we send; a provider that lists methods without it would reject us.
    const pkce = metadata.code_challenge_methods_supported;
    if (pkce && !pkce.includes('S256')) throw new Error('the provider does not support PKCE S256');
    return configuration;
  }

  #require(): client.Configuration {
    if (!this.#configuration) throw new ProviderUnavailableError(`identity provider ${this.#config.issuer.href} has not been reached yet`);
    return this.#configuration;
  }

  /**
   * A user is waiting: try discovery again now rather than at the end of the backoff (up to 30 s),
   * so the error page's retry link works soon after the provider is back. At most once a second,
   * so a crowd of retries is not a crowd of attempts.
   */
  #retryDiscoverySoon(): void {
    if (this.#configuration || Date.now() - this.#lastAttemptAt < 1000) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#wake?.();
  }

  /**
   * The authorization request, once the provider's authorization endpoint answers: a browser sent
   * to a provider that is down would end on its own connection error, with no way back to the app.
   */
  async beginLogin(options: AuthorizationOptions = {}): Promise<AuthorizationRequest> {
    if (!this.#configuration) this.#retryDiscoverySoon();
    const configuration = this.#require();
    const endpoint = configuration.serverMetadata().authorization_endpoint;
    if (!endpoint) throw new ProviderUnavailableError(`identity provider ${this.#config.issuer.href} advertises no authorization_endpoint`);
    await this.#probe.ensureReachable(endpoint);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(configuration, {
      ...options.params,
      redirect_uri: options.redirectUri ?? this.redirectUri,
      response_type: 'code',
      scope: this.#config.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, state, nonce, codeVerifier };
  }

  /**
   * Redeems the callback. `search` is the callback's query string. The checks: state (already
   * matched to the cookie by the caller, checked again here), `iss` when the provider advertises
   * RFC 9207, PKCE, and the ID token's signature, iss, aud, azp, exp, iat and nonce.
   */
  async finishLogin(search: string, expected: { state: string; nonce: string; codeVerifier: string; redirectUri?: string }): Promise<LoginResult> {
    const configuration = this.#require();
    const currentUrl = new URL(expected.redirectUri ?? this.redirectUri);
    currentUrl.search = search;
    let response;
    try {
      response = await client.authorizationCodeGrant(configuration, currentUrl, {
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        pkceCodeVerifier: expected.codeVerifier,
        idTokenExpected: true,
      });
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError) {
        throw new LoginRejectedError('authorization_error', `the provider answered the login with an error: ${error.error}`);
      }
      const kind = classify(error);
      if (kind === 'rejected') throw new LoginRejectedError('code_rejected', `the provider rejected the authorization code: ${describe(error)}`);
      // openid-client's messages name the failed check (iss, state, nonce, aud, signature, exp…)
      // and never contain the token.
      if (kind === 'invalid') throw new LoginRejectedError('validation_failed', `login response failed validation: ${describe(error)}`);
      throw new ProviderUnavailableError(`identity provider failed during login: ${describe(error)}`);
    }
    const { tokens, claims } = tokenSetFrom(response);
    if (claims.aud !== this.#config.clientId && !(Array.isArray(claims.aud) && claims.aud.length === 1 && claims.aud[0] === this.#config.clientId)) {
      // RequestAuthentication downstream requires aud = client id exactly; refuse anything wider.
      throw new LoginRejectedError('validation_failed', 'the ID token audience is not exactly this client');
    }
    return { sub: claims.sub, sid: typeof claims.sid === 'string' ? claims.sid : undefined, tokens };
  }

  /** New tokens for a session; RefreshRejectedError when the provider refuses the refresh token. */
  async refresh(previous: TokenSet, expectedSub: string): Promise<TokenSet> {
    const configuration = this.#require();
    if (!previous.refreshToken) throw new RefreshRejectedError('the session has no refresh token');
    let response;
    try {
      response = await client.refreshTokenGrant(configuration, previous.refreshToken);
    } catch (error) {
      const kind = classify(error);
      if (kind === 'rejected') throw new RefreshRejectedError(`the provider rejected the refresh token: ${describe(error)}`);
      if (kind === 'invalid') throw new RefreshRejectedError(`refreshed tokens failed validation: ${describe(error)}`);
      throw new ProviderUnavailableError(`identity provider failed to refresh: ${describe(error)}`);
    }
    let result;
    try {
      result = tokenSetFrom(response, previous);
    } catch (error) {
      throw new RefreshRejectedError(error instanceof Error ? error.message : String(error));
    }
    if (result.claims.sub !== expectedSub) throw new RefreshRejectedError('the refreshed ID token is for another subject');
    return result.tokens;
  }

  /** Revokes a refresh token (RFC 7009). Best effort: false (and a log line) when it failed. */
  async revoke(refreshToken: string): Promise<boolean> {
    const configuration = this.#configuration;
    if (!configuration || !configuration.serverMetadata().revocation_endpoint) return false;
    try {
      await client.tokenRevocation(configuration, refreshToken, { token_type_hint: 'refresh_token' });
      return true;
    } catch (error) {
      this.#logger.warn(`refresh token revocation failed: ${describe(error)}`);
      return false;
    }
  }

  /**
   * Where the browser goes to end the provider's session. OIDC: end_session_endpoint with
   * client_id, post_logout_redirect_uri and — per LOGOUT_ID_TOKEN_HINT — the ID token hint in the
   * query (GET: what every provider accepts, since its session cookie is SameSite=Lax), in a POST
   * form (keeps it out of URLs; needs a provider that takes POST), or not at all.
   * Cognito: GET /logout?client_id&logout_uri (it takes no token).
   */
  endSession(idToken: string | undefined, postLogoutRedirectUri = this.postLogoutRedirectUri): EndSession {
    const { logoutMode, clientId, cognitoLogoutUrl, idTokenHint } = this.#config;
    if (logoutMode === 'cognito' && cognitoLogoutUrl) {
      const url = new URL(cognitoLogoutUrl);
      url.searchParams.set('client_id', clientId);
      url.searchParams.set('logout_uri', postLogoutRedirectUri);
      return { kind: 'redirect', url: url.href };
    }
    const endpoint = logoutMode === 'oidc' ? this.#configuration?.serverMetadata().end_session_endpoint : undefined;
    if (!endpoint) return { kind: 'none' };
    const fields: Record<string, string> = { client_id: clientId, post_logout_redirect_uri: postLogoutRedirectUri };
    if (idToken && idTokenHint !== 'omit') fields.id_token_hint = idToken;
    if (idTokenHint === 'post') return { kind: 'form', action: endpoint, fields };
    const url = new URL(endpoint);
    for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
    return { kind: 'redirect', url: url.href };
  }

  /**
   * The values of a metadata list (acr_values_supported, ui_locales_supported) the discovered
   * provider advertises; undefined when it was not discovered or does not advertise the list.
   */
  supported(list: 'acr_values_supported' | 'ui_locales_supported'): readonly string[] | undefined {
    const values = this.#configuration?.serverMetadata()[list];
    return Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : undefined;
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#wake?.();
  }
}
