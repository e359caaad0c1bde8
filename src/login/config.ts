// The login service's configuration: read once from environment variables and flags, validated,
// and rejected with a ConfigError that names the setting. Flags win over the environment. Secrets
// (client secret, encryption key, Redis URL, which may carry a password) are read from the
// environment only, so they never show up in `ps` output or shell history.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    /** The environment variable (or flag) that is wrong. */
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

export type LogoutMode = 'oidc' | 'cognito' | 'local';
export type IdTokenHintMode = 'query' | 'post' | 'omit';
export type StoreKind = 'memory' | 'redis';

export interface ListenAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface LoginConfig {
  /** The browser-facing origin of the app (the gateway's), e.g. https://localhost:8443. */
  appOrigin: string;
  issuer: URL;
  clientId: string;
  /** Undefined: a public client (PKCE only, `token_endpoint_auth_method=none`). */
  clientSecret?: string;
  scopes: string[];
  logoutMode: LogoutMode;
  /** Cognito's hosted-UI logout endpoint, e.g. https://<domain>.auth.<region>.amazoncognito.com/logout. */
  cognitoLogoutUrl?: URL;
  /** How the ID token hint reaches end_session_endpoint (LOGOUT_MODE=oidc). */
  idTokenHint: IdTokenHintMode;
  listen: ListenAddress;
  metricsListen: ListenAddress;
  store: { kind: 'memory' } | { kind: 'redis'; url: string };
  /** 32 bytes: the root of every cookie and ticket key. */
  encryptionKey: Buffer;
  /** True when ENCRYPTION_KEY was not set and a random per-process key is used. */
  encryptionKeyGenerated: boolean;
  sessionMaxAgeMs: number;
  /** 0: no inactivity timeout. */
  inactivityTimeoutMs: number;
  refreshBeforeExpiryMs: number;
  refreshCooldownMs: number;
  loginStateMaxAgeMs: number;
  cookieName: string;
  cookieSecure: boolean;
  /** Istio/Envoy `pathPrefix` of the ext_authz HTTP service, stripped from check paths. */
  checkPathPrefix: string;
  providerTimeoutMs: number;
  /** Discovery retry backoff while the provider is unreachable at start. */
  discoveryRetry: { initialMs: number; maxMs: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Allow plain-HTTP issuers that are not loopback (never in production). */
  allowInsecureIssuer: boolean;
}

export interface Setting {
  env: string;
  /** Undefined for secrets: environment only. */
  flag?: string;
  default?: string;
  description: string;
}

/** Every setting, in the order docs/login.md and `--help` list them. */
export const SETTINGS: readonly Setting[] = [
  { env: 'APP_ORIGIN', flag: 'app-origin', description: 'public origin of the app, the gateway\'s (required), e.g. https://localhost:8443' },
  { env: 'OIDC_ISSUER', flag: 'issuer', description: 'OpenID Provider issuer URL (required); discovery at <issuer>/.well-known/openid-configuration' },
  { env: 'OIDC_CLIENT_ID', flag: 'client-id', description: 'client id registered at the provider (required); the ID token audience' },
  { env: 'OIDC_CLIENT_SECRET', description: 'client secret (environment only); unset: public client with PKCE' },
  { env: 'OIDC_SCOPES', flag: 'scopes', default: 'openid email profile', description: 'scopes requested, space separated; must include openid' },
  { env: 'LOGOUT_MODE', flag: 'logout-mode', default: 'oidc', description: 'oidc: RP-initiated logout at end_session_endpoint; cognito: <COGNITO_LOGOUT_URL>?client_id&logout_uri; local: no provider logout' },
  { env: 'LOGOUT_ID_TOKEN_HINT', flag: 'logout-id-token-hint', default: 'query', description: 'LOGOUT_MODE=oidc: query (GET, id_token_hint in the URL, works everywhere), post (form POST, needs a provider that accepts POST with SameSite=None cookies), omit (client_id only)' },
  { env: 'COGNITO_LOGOUT_URL', flag: 'cognito-logout-url', description: 'Cognito hosted-UI /logout URL (required when LOGOUT_MODE=cognito)' },
  { env: 'LISTEN', flag: 'listen', default: '127.0.0.1:4180', description: 'host:port of the /oauth2 endpoints and the ext_authz check' },
  { env: 'METRICS_LISTEN', flag: 'metrics-listen', default: '127.0.0.1:4181', description: 'host:port of /metrics (Prometheus) and /healthz' },
  { env: 'SESSION_STORE', flag: 'session-store', default: 'memory', description: 'memory (one process) or redis (shared by replicas)' },
  { env: 'REDIS_URL', description: 'redis://[user:password@]host:port[/db] (environment only; required when SESSION_STORE=redis)' },
  { env: 'ENCRYPTION_KEY', description: '32 bytes, base64/base64url/hex (environment only; required with redis); unset with memory: random per process' },
  { env: 'SESSION_MAX_AGE', flag: 'session-max-age', default: '10h', description: 'absolute session lifetime (e.g. 10h, 30m)' },
  { env: 'SESSION_INACTIVITY_TIMEOUT', flag: 'session-inactivity-timeout', default: '0', description: 'end a session idle this long; 0 disables' },
  { env: 'REFRESH_BEFORE_EXPIRY', flag: 'refresh-before-expiry', default: '5m', description: 'refresh tokens this long before they expire' },
  { env: 'REFRESH_COOLDOWN', flag: 'refresh-cooldown', default: '1m', description: 'minimum time between two refreshes of one session' },
  { env: 'LOGIN_STATE_MAX_AGE', flag: 'login-state-max-age', default: '10m', description: 'how long a started login may take' },
  { env: 'SESSION_COOKIE_NAME', flag: 'session-cookie-name', description: 'session cookie name; default __Host-oc-session on https origins, oc-session on http' },
  { env: 'CHECK_PATH_PREFIX', flag: 'check-path-prefix', default: '', description: 'the ext_authz pathPrefix Envoy prepends to check paths, stripped before use; /ext-authz behind this project\'s gateway, envoy/ and mesh config' },
  { env: 'PROVIDER_TIMEOUT', flag: 'provider-timeout', default: '5s', description: 'timeout of each request to the provider' },
  { env: 'LOG_LEVEL', flag: 'log-level', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  { env: 'ALLOW_INSECURE_ISSUER', flag: 'allow-insecure-issuer', default: 'false', description: 'allow an http:// issuer that is not loopback (never in production)' },
];

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `5m`, `1.5h`, `250ms`; a bare number is seconds. */
export function parseDuration(setting: string, value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new ConfigError(setting, `must be a duration like 30s, 5m, 10h or 250ms, got ${JSON.stringify(value)}`);
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  if (!Number.isFinite(ms)) throw new ConfigError(setting, `duration out of range: ${JSON.stringify(value)}`);
  return Math.round(ms);
}

function parseListen(setting: string, value: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new ConfigError(setting, `must be host:port (port 0 picks a free one), got ${JSON.stringify(value)}`);
  return { host: match[1] ?? match[2]!, port };
}

function parseOrigin(setting: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(setting, `must be an origin like https://app.example.com, got ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new ConfigError(setting, `must be a bare http(s) origin with no path, query or credentials, got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function parseKey(setting: string, value: string): Buffer {
  const text = value.trim();
  const candidates = [/^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined, Buffer.from(text, 'base64url'), Buffer.from(text, 'base64')];
  const key = candidates.find((candidate) => candidate?.length === 32);
  // Never echo the value: it is a secret.
  if (!key) throw new ConfigError(setting, 'must be exactly 32 bytes encoded as base64, base64url or hex (try `openssl rand -base64 32`)');
  return key;
}

function parseBoolean(setting: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(setting, `must be true or false, got ${JSON.stringify(value)}`);
}

function oneOf<T extends string>(setting: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(setting, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** Flag values from argv (`--issuer x` or `--issuer=x`), keyed by environment variable name. */
function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const options: Record<string, { type: 'string' }> = {};
  for (const setting of SETTINGS) if (setting.flag) options[setting.flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError('argv', `${message.split('\n')[0]} (see --help; secrets are environment-only)`);
  }
  const env: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const value = setting.flag ? values[setting.flag] : undefined;
    if (typeof value === 'string') env[setting.env] = value;
  }
  return env;
}

/**
 * Reads and validates the configuration. `env` is usually process.env; `argv` the flags after
 * `oc-edge login` (flags win). Throws ConfigError naming the first bad setting.
 */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): LoginConfig {
  const merged: Record<string, string | undefined> = { ...env, ...flagsToEnv(argv) };
  const defaults = Object.fromEntries(SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.env, s.default!]));
  const get = (name: string): string | undefined => {
    const value = merged[name];
    return value === undefined || value === '' ? defaults[name] : value;
  };
  const required = (name: string): string => {
    const value = get(name);
    if (value === undefined || value === '') throw new ConfigError(name, 'is required');
    return value;
  };

  const appOrigin = parseOrigin('APP_ORIGIN', required('APP_ORIGIN'));
  const allowInsecureIssuer = parseBoolean('ALLOW_INSECURE_ISSUER', get('ALLOW_INSECURE_ISSUER')!);

  const issuerText = required('OIDC_ISSUER');
  let issuer: URL;
  try {
    issuer = new URL(issuerText);
  } catch {
    throw new ConfigError('OIDC_ISSUER', `must be an absolute URL, got ${JSON.stringify(issuerText)}`);
  }
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && (isLoopback(issuer.hostname) || allowInsecureIssuer))) {
    throw new ConfigError('OIDC_ISSUER', `must be https (http only for localhost, or with ALLOW_INSECURE_ISSUER=true), got ${issuer.protocol}`);
  }
  if (issuer.search || issuer.hash || issuer.username || issuer.password) {
    throw new ConfigError('OIDC_ISSUER', 'must not carry a query, fragment or credentials');
  }

  const clientId = required('OIDC_CLIENT_ID');
  if (!/^[\x21-\x7e]{1,256}$/.test(clientId)) throw new ConfigError('OIDC_CLIENT_ID', 'must be 1–256 printable ASCII characters');
  const clientSecret = get('OIDC_CLIENT_SECRET');

  const scopes = get('OIDC_SCOPES')!.split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError('OIDC_SCOPES', `must include openid, got ${JSON.stringify(scopes.join(' '))}`);
  if (scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) throw new ConfigError('OIDC_SCOPES', 'contains a character not allowed in a scope');

  const logoutMode = oneOf<LogoutMode>('LOGOUT_MODE', get('LOGOUT_MODE')!, ['oidc', 'cognito', 'local']);
  let cognitoLogoutUrl: URL | undefined;
  const cognito = get('COGNITO_LOGOUT_URL');
  if (logoutMode === 'cognito' || cognito) {
    if (!cognito) throw new ConfigError('COGNITO_LOGOUT_URL', 'is required when LOGOUT_MODE=cognito');
    try {
      cognitoLogoutUrl = new URL(cognito);
    } catch {
      throw new ConfigError('COGNITO_LOGOUT_URL', `must be an absolute URL, got ${JSON.stringify(cognito)}`);
    }
    if (cognitoLogoutUrl.protocol !== 'https:' && !(cognitoLogoutUrl.protocol === 'http:' && (isLoopback(cognitoLogoutUrl.hostname) || allowInsecureIssuer))) {
      throw new ConfigError('COGNITO_LOGOUT_URL', 'must be https (http only for localhost)');
    }
  }

  const idTokenHint = oneOf<IdTokenHintMode>('LOGOUT_ID_TOKEN_HINT', get('LOGOUT_ID_TOKEN_HINT')!, ['query', 'post', 'omit']);

  const storeKind = oneOf<StoreKind>('SESSION_STORE', get('SESSION_STORE')!, ['memory', 'redis']);
  let store: LoginConfig['store'] = { kind: 'memory' };
  if (storeKind === 'redis') {
    const url = required('REDIS_URL');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('REDIS_URL', 'must be a URL like redis://host:6379 (value not shown: it may hold a password)');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', `must use redis: or rediss:, got ${parsed.protocol}`);
    store = { kind: 'redis', url };
  }

  const keyText = get('ENCRYPTION_KEY');
  if (!keyText && storeKind === 'redis') {
    throw new ConfigError('ENCRYPTION_KEY', 'is required with SESSION_STORE=redis: every replica must read the same cookies');
  }
  const encryptionKey = keyText ? parseKey('ENCRYPTION_KEY', keyText) : randomBytes(32);

  const sessionMaxAgeMs = parseDuration('SESSION_MAX_AGE', get('SESSION_MAX_AGE')!);
  if (sessionMaxAgeMs < 1000) throw new ConfigError('SESSION_MAX_AGE', 'must be at least 1s');
  const inactivityTimeoutMs = parseDuration('SESSION_INACTIVITY_TIMEOUT', get('SESSION_INACTIVITY_TIMEOUT')!);
  const refreshBeforeExpiryMs = parseDuration('REFRESH_BEFORE_EXPIRY', get('REFRESH_BEFORE_EXPIRY')!);
  const refreshCooldownMs = parseDuration('REFRESH_COOLDOWN', get('REFRESH_COOLDOWN')!);
  const loginStateMaxAgeMs = parseDuration('LOGIN_STATE_MAX_AGE', get('LOGIN_STATE_MAX_AGE')!);
  if (loginStateMaxAgeMs < 1000) throw new ConfigError('LOGIN_STATE_MAX_AGE', 'must be at least 1s');
  const providerTimeoutMs = parseDuration('PROVIDER_TIMEOUT', get('PROVIDER_TIMEOUT')!);
  if (providerTimeoutMs < 100) throw new ConfigError('PROVIDER_TIMEOUT', 'must be at least 100ms');

  const cookieSecure = appOrigin.startsWith('https:');
  const cookieName = get('SESSION_COOKIE_NAME') ?? (cookieSecure ? '__Host-oc-session' : 'oc-session');
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(cookieName)) throw new ConfigError('SESSION_COOKIE_NAME', 'must be a cookie token of 1–64 characters');
  if (cookieName.startsWith('__Host-') && !cookieSecure) throw new ConfigError('SESSION_COOKIE_NAME', '__Host- cookies need an https APP_ORIGIN');

  const checkPathPrefix = get('CHECK_PATH_PREFIX') ?? '';
  if (checkPathPrefix && !/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(checkPathPrefix)) {
    throw new ConfigError('CHECK_PATH_PREFIX', `must be empty or a path like /ext-authz (no trailing slash), got ${JSON.stringify(checkPathPrefix)}`);
  }

  return {
    appOrigin,
    issuer,
    clientId,
    clientSecret,
    scopes,
    logoutMode,
    cognitoLogoutUrl,
    idTokenHint,
    listen: parseListen('LISTEN', get('LISTEN')!),
    metricsListen: parseListen('METRICS_LISTEN', get('METRICS_LISTEN')!),
    store,
    encryptionKey,
    encryptionKeyGenerated: !keyText,
    sessionMaxAgeMs,
    inactivityTimeoutMs,
    refreshBeforeExpiryMs,
    refreshCooldownMs,
    loginStateMaxAgeMs,
    cookieName,
    cookieSecure,
    checkPathPrefix,
    providerTimeoutMs,
    discoveryRetry: { initialMs: 500, maxMs: 30_000 },
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL')!, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    allowInsecureIssuer,
  };
}
