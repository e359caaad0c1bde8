// The login service's configuration: read once from environment variables and flags, validated,
// and rejected with a ConfigError that names the setting. Flags win over the environment. Secrets
// (client secret, encryption key, Redis URL, which may carry a password) are read from the
// environment only, so they never show up in `ps` output or shell history.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Ingress } from './ingress.ts';
import { applyWonderwallAliases } from './wonderwall-aliases.ts';
import { checkDomainRedirect, inDomain } from './redirect.ts';
import { readFileSync } from 'node:fs';
import type { HostPort, RedisStoreSettings, StoreSettings } from './store/types.ts';
import { DEFAULT_MEMORY_MAX_ENTRIES } from './store/memory.ts';
import { usableCpus } from './cluster/cpus.ts';

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
export const LOGIN_MODES = ['ext-authz', 'standalone', 'sso-server', 'sso-proxy'] as const;
export type LoginMode = (typeof LOGIN_MODES)[number];
/**
 * What each mode runs and the settings it cannot start without (`--help`; docs/login.md's
 * "Configuration per mode" says the same, and a test holds the two together).
 */
export const MODE_GUIDE: Readonly<Record<LoginMode, { runs: string; needs: readonly string[] }>> = {
  'ext-authz': { runs: "the Envoy HTTP ext_authz check and this service's /oauth2 endpoints (the default)", needs: ['APP_ORIGIN', 'OIDC_ISSUER', 'OIDC_CLIENT_ID'] },
  standalone: { runs: "Wonderwall's default mode: a reverse proxy in front of one app", needs: ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'UPSTREAM_URL', 'APP_ORIGIN or INGRESS'] },
  'sso-server': { runs: "Wonderwall's SSO server: the one relying party of a domain, no reverse proxy", needs: ['APP_ORIGIN (on SSO_DOMAIN)', 'OIDC_ISSUER', 'OIDC_CLIENT_ID', 'SSO_DOMAIN', 'SESSION_COOKIE_NAME not __Host-'] },
  'sso-proxy': {
    runs: "Wonderwall's SSO proxy: a read-only sidecar in front of one app of the domain, no OIDC client",
    needs: ['SSO_SERVER_URL', "SESSION_COOKIE_NAME (the server's)", 'SESSION_STORE=redis', 'REDIS_URL (or REDIS_SENTINELS, REDIS_CLUSTER_NODES)', "ENCRYPTION_KEY (the server's)", 'UPSTREAM_URL', 'APP_ORIGIN (on SSO_DOMAIN) or INGRESS', 'no OIDC_CLIENT_SECRET'],
  },
};

/** MODE_GUIDE as help text: per mode, what runs and (indented) what it needs. Here, so a help can show it without loading the service. */
export function modeHelpLines(): string[] {
  return LOGIN_MODES.flatMap((mode) => [`  ${mode}: ${MODE_GUIDE[mode].runs}`, `      needs ${MODE_GUIDE[mode].needs.join(', ')}`]);
}

/** The modes this build serves; the others are refused at start with a ConfigError. */
export const AVAILABLE_MODES: readonly LoginMode[] = ['ext-authz', 'standalone', 'sso-server', 'sso-proxy'];

export interface ListenAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface LoginConfig {
  /** Which HTTP layer runs on the core (src/login/modes). */
  mode: LoginMode;
  /** Where the app is reached (standalone): APP_ORIGIN plus path prefixes; endpoints under each <prefix>/oauth2. */
  ingresses: Ingress[];
  /** standalone: the one app behind the sidecar, e.g. http://127.0.0.1:8080. */
  upstream?: URL;
  /** standalone: send requests without a session to login (except the ignored paths). */
  autoLogin: { enabled: boolean; ignorePaths: string[] };
  /** standalone: the ID token in this request header to the upstream (off by default). */
  upstreamIdToken: { include: boolean; header: string };
  /** standalone: peers (IPs or CIDRs) whose X-Forwarded-* / Forwarded headers are kept. */
  trustedProxies: string[];
  /** The browser-facing origin of the app (the gateway's), e.g. https://localhost:8443. */
  appOrigin: string;
  issuer: URL;
  clientId: string;
  /** Undefined: a public client (PKCE only, `token_endpoint_auth_method=none`). */
  clientSecret?: string;
  scopes: string[];
  /**
   * OIDC_ACR_VALUES: the level (acr_values) a login asks for when it names none, and the level a
   * session must meet to count (src/login/acr.ts); undefined: any.
   */
  acrValues?: string;
  /** Repeated logins by one user in a short window answer 429 (a login loop). */
  loginRateLimit: { enabled: boolean; logins: number; windowMs: number };
  /** Wonderwall modes: a failed callback goes back to login this many times before the error page. */
  callbackRetries: number;
  logoutMode: LogoutMode;
  /** Cognito's hosted-UI logout endpoint, e.g. https://<domain>.auth.<region>.amazoncognito.com/logout. */
  cognitoLogoutUrl?: URL;
  /** How the ID token hint reaches end_session_endpoint (LOGOUT_MODE=oidc). */
  idTokenHint: IdTokenHintMode;
  listen: ListenAddress;
  metricsListen: ListenAddress;
  /** Processes serving LISTEN (node:cluster workers); 1: this process alone (src/login/cluster). */
  workers: number;
  store: StoreSettings;
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
  /** sso-server: the session cookie's Domain (SSO_DOMAIN), so every app of the domain sends it. */
  cookieDomain?: string;
  /** sso-server: the domain whose origins may be redirected to and call the session endpoints. */
  sso?: { domain: string; defaultRedirectUrl: string };
  /** sso-proxy: the SSO server's public URL (origin and optional path, no trailing slash) its endpoints live under. */
  ssoServerUrl?: URL;
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
  { env: 'LOGIN_MODE', flag: 'mode', default: 'ext-authz', description: 'ext-authz (Envoy HTTP ext_authz service), standalone (reverse-proxy sidecar in front of UPSTREAM_URL), sso-server, sso-proxy' },
  { env: 'APP_ORIGIN', flag: 'app-origin', description: 'public origin of the app, the gateway\'s (required), e.g. https://localhost:8443' },
  { env: 'OIDC_ISSUER', flag: 'issuer', description: 'OpenID Provider issuer URL (required); discovery at <issuer>/.well-known/openid-configuration' },
  { env: 'OIDC_CLIENT_ID', flag: 'client-id', description: 'client id registered at the provider (required); the ID token audience' },
  { env: 'OIDC_CLIENT_SECRET', description: 'client secret (environment only); unset: public client with PKCE' },
  { env: 'OIDC_SCOPES', flag: 'scopes', default: 'openid email profile', description: 'scopes requested, space separated; must include openid' },
  { env: 'OIDC_ACR_VALUES', flag: 'acr-values', description: 'the level (acr_values) every login asks for unless it names one (`level`), if the provider supports it; a session below it counts as none' },
  { env: 'LOGOUT_MODE', flag: 'logout-mode', default: 'oidc', description: 'oidc: RP-initiated logout at end_session_endpoint; cognito: <COGNITO_LOGOUT_URL>?client_id&logout_uri; local: no provider logout' },
  { env: 'LOGOUT_ID_TOKEN_HINT', flag: 'logout-id-token-hint', default: 'query', description: 'LOGOUT_MODE=oidc: query (GET, id_token_hint in the URL, works everywhere), post (form POST, needs a provider that accepts POST with SameSite=None cookies), omit (client_id only)' },
  { env: 'COGNITO_LOGOUT_URL', flag: 'cognito-logout-url', description: 'Cognito hosted-UI /logout URL (required when LOGOUT_MODE=cognito)' },
  { env: 'LISTEN', flag: 'listen', default: '127.0.0.1:4180', description: 'host:port of the /oauth2 endpoints and the ext_authz check' },
  { env: 'METRICS_LISTEN', flag: 'metrics-listen', default: '127.0.0.1:4181', description: 'host:port of /metrics (Prometheus) and /healthz' },
  { env: 'WORKERS', flag: 'workers', default: '1', description: 'processes serving LISTEN, sharing its port (node:cluster): 1 to 64, or auto (the CPUs this process may use, a cgroup CPU limit included); more than 1 needs SESSION_STORE=redis. /metrics and /healthz then sum up all of them' },
  { env: 'SESSION_STORE', flag: 'session-store', default: 'memory', description: 'memory (one process) or redis (shared by replicas)' },
  { env: 'REDIS_URL', description: 'redis://[user:password@]host:port[/db] (environment only; required when SESSION_STORE=redis)' },
  { env: 'REDIS_SENTINELS', flag: 'redis-sentinels', description: 'Redis Sentinel: host:port,host:port of the sentinels (instead of REDIS_URL; needs REDIS_SENTINEL_NAME)' },
  { env: 'REDIS_SENTINEL_NAME', flag: 'redis-sentinel-name', description: 'Redis Sentinel: the monitored master group name (required with REDIS_SENTINELS)' },
  { env: 'REDIS_SENTINEL_USERNAME', description: 'Redis Sentinel: ACL user of the sentinels themselves (environment only)' },
  { env: 'REDIS_SENTINEL_PASSWORD', description: 'Redis Sentinel: password of the sentinels themselves (environment only)' },
  { env: 'REDIS_CLUSTER_NODES', flag: 'redis-cluster-nodes', description: 'Redis Cluster: host:port,host:port of some cluster nodes (instead of REDIS_URL); the rest are discovered' },
  { env: 'REDIS_USERNAME', description: 'ACL user of the Redis data nodes (environment only; with REDIS_URL only if the URL has no credentials)' },
  { env: 'REDIS_PASSWORD', description: 'password of the Redis data nodes (environment only; with REDIS_URL only if the URL has no credentials)' },
  { env: 'REDIS_TLS', flag: 'redis-tls', default: 'false', description: 'TLS to the Redis nodes with REDIS_SENTINELS or REDIS_CLUSTER_NODES (with REDIS_URL use rediss://)' },
  { env: 'REDIS_TLS_CA_FILE', flag: 'redis-tls-ca-file', description: 'PEM file of the CA(s) that sign the Redis servers\' certificates; default: the system roots' },
  { env: 'REDIS_WAIT_REPLICAS', flag: 'redis-wait-replicas', default: '0', description: 'a session write is answered only once this many replicas have it (Redis WAIT); 0 (off) for a lone Redis, 1 with Sentinel or Cluster so no login is lost on failover' },
  { env: 'REDIS_WAIT_TIMEOUT', flag: 'redis-wait-timeout', default: '500ms', description: 'how long a session write waits for REDIS_WAIT_REPLICAS; past it the login (or refresh, logout) fails with 503' },
  { env: 'MEMORY_STORE_MAX_ENTRIES', flag: 'memory-store-max-entries', default: String(DEFAULT_MEMORY_MAX_ENTRIES), description: 'SESSION_STORE=memory: entries kept (a session takes one or two); past it the least recently used goes (counted in oc_login_store_evictions_total)' },
  { env: 'ENCRYPTION_KEY', description: '32 bytes, base64/base64url/hex (environment only; required with redis); unset with memory: random per process' },
  { env: 'SESSION_MAX_AGE', flag: 'session-max-age', default: '10h', description: 'absolute session lifetime (e.g. 10h, 30m)' },
  { env: 'SESSION_INACTIVITY_TIMEOUT', flag: 'session-inactivity-timeout', default: '0', description: 'end a session idle this long; 0 disables' },
  { env: 'REFRESH_BEFORE_EXPIRY', flag: 'refresh-before-expiry', default: '5m', description: 'refresh tokens this long before they expire' },
  { env: 'REFRESH_COOLDOWN', flag: 'refresh-cooldown', default: '1m', description: 'minimum time between two refreshes of one session' },
  { env: 'LOGIN_STATE_MAX_AGE', flag: 'login-state-max-age', default: '10m', description: 'how long a started login may take' },
  { env: 'LOGIN_RATE_LIMIT', flag: 'login-rate-limit', description: 'cut login loops: a user who already has a session and starts LOGIN_RATE_LIMIT_LOGINS logins, each within LOGIN_RATE_LIMIT_WINDOW of the last, gets 429; default true in the Wonderwall modes (standalone, sso-*), false in ext-authz' },
  { env: 'LOGIN_RATE_LIMIT_LOGINS', flag: 'login-rate-limit-logins', default: '5', description: 'logins allowed in a row before the 429' },
  { env: 'LOGIN_RATE_LIMIT_WINDOW', flag: 'login-rate-limit-window', default: '5s', description: 'the count is forgotten this long after the last login that got through' },
  { env: 'CALLBACK_RETRIES', flag: 'callback-retries', default: '3', description: 'standalone, sso-server: a failed login callback starts the login again this many times (to the same target) before the error page; 0: never' },
  { env: 'SESSION_COOKIE_NAME', flag: 'session-cookie-name', description: 'session cookie name; default __Host-oc-session on https origins, oc-session on http' },
  { env: 'CHECK_PATH_PREFIX', flag: 'check-path-prefix', default: '', description: 'the ext_authz pathPrefix Envoy prepends to check paths, stripped before use; /ext-authz behind this project\'s gateway, envoy/ and mesh config' },
  { env: 'PROVIDER_TIMEOUT', flag: 'provider-timeout', default: '5s', description: 'timeout of each request to the provider' },
  { env: 'LOG_LEVEL', flag: 'log-level', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  { env: 'ALLOW_INSECURE_ISSUER', flag: 'allow-insecure-issuer', default: 'false', description: 'allow an http:// issuer that is not loopback (never in production)' },
  { env: 'UPSTREAM_URL', flag: 'upstream-url', description: 'standalone: origin of the app behind the sidecar (required), e.g. http://127.0.0.1:8080' },
  { env: 'INGRESS', flag: 'ingress', description: 'standalone: comma-separated URLs the app is reached at, on APP_ORIGIN (e.g. https://app.example.com,https://app.example.com/admin); endpoints under each <path>/oauth2; default APP_ORIGIN; sets APP_ORIGIN when that is unset' },
  { env: 'AUTO_LOGIN', flag: 'auto-login', default: 'false', description: 'standalone: requests without a session go to login (navigations 302, the rest 401 with Location)' },
  { env: 'AUTO_LOGIN_IGNORE_PATHS', flag: 'auto-login-ignore-paths', default: '', description: 'standalone: comma-separated path globs exempt from AUTO_LOGIN (* within a segment, ** across); /favicon.ico and /robots.txt always' },
  { env: 'UPSTREAM_INCLUDE_ID_TOKEN', flag: 'upstream-include-id-token', default: 'false', description: 'standalone: also send the ID token to the app in UPSTREAM_ID_TOKEN_HEADER' },
  { env: 'UPSTREAM_ID_TOKEN_HEADER', flag: 'upstream-id-token-header', default: 'x-id-token', description: 'standalone: the ID token header (a client copy is always removed)' },
  { env: 'SSO_DOMAIN', flag: 'sso-domain', description: 'sso-server: the domain of the apps sharing the session (e.g. example.com, required): the session cookie\'s Domain; redirects and CORS allowed for it and its subdomains. sso-proxy (optional): APP_ORIGIN must be on it, checked at start' },
  { env: 'SSO_DEFAULT_REDIRECT_URL', flag: 'sso-default-redirect-url', description: 'sso-server: where a login or logout with a missing or refused redirect lands (on SSO_DOMAIN); default APP_ORIGIN/' },
  { env: 'SSO_SERVER_URL', flag: 'sso-server-url', description: 'sso-proxy: the SSO server\'s public http(s) URL, origin and optional path (required), e.g. https://sso.example.com; login and logout are sent there, the session endpoints proxied to it' },
  { env: 'TRUSTED_PROXIES', flag: 'trusted-proxies', default: '', description: 'standalone: comma-separated IPs/CIDRs of the ingress in front; only their X-Forwarded-*/Forwarded headers reach the app' },
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

/** A count, or `auto`: the usable CPUs. Only the Redis store is shared by processes. */
function parseWorkers(value: string, storeKind: StoreKind): number {
  const text = value.trim();
  const workers = text === 'auto' ? usableCpus() : /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 64 ? Number(text) : undefined;
  if (workers === undefined) throw new ConfigError('WORKERS', `must be auto or a whole number from 1 to 64, got ${JSON.stringify(value)}`);
  if (storeKind === 'memory' && (text === 'auto' || workers > 1)) {
    throw new ConfigError('WORKERS', 'must be 1 with SESSION_STORE=memory: each worker would keep its own sessions, and a login made on one would be unknown to the others (use SESSION_STORE=redis)');
  }
  return workers;
}

// --- Session store settings -------------------------------------------------------------------

type Lookup = (name: string) => string | undefined;

function parseCount(setting: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(setting, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function parseNodes(setting: string, value: string): HostPort[] {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0 || items.length > 64) throw new ConfigError(setting, 'must list 1 to 64 host:port entries separated by commas');
  return items.map((item) => {
    const { host, port } = parseListen(setting, item);
    if (port === 0) throw new ConfigError(setting, `port 0 is not a Redis port, in ${JSON.stringify(item)}`);
    return { host, port };
  });
}

function parseMemoryStore(get: Lookup): StoreSettings {
  return { kind: 'memory', maxEntries: parseCount('MEMORY_STORE_MAX_ENTRIES', get('MEMORY_STORE_MAX_ENTRIES')!, 100, 10_000_000) };
}

function parseRedisStore(get: Lookup): RedisStoreSettings {
  const url = get('REDIS_URL');
  const sentinels = get('REDIS_SENTINELS');
  const clusterNodes = get('REDIS_CLUSTER_NODES');
  const topologies = [['REDIS_URL', url], ['REDIS_SENTINELS', sentinels], ['REDIS_CLUSTER_NODES', clusterNodes]].filter(([, value]) => value);
  if (topologies.length === 0) throw new ConfigError('REDIS_URL', 'is required when SESSION_STORE=redis (or REDIS_SENTINELS, or REDIS_CLUSTER_NODES)');
  if (topologies.length > 1) {
    throw new ConfigError(topologies[1]![0]!, `set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES (got ${topologies.map(([name]) => name).join(' and ')})`);
  }
  const settings: RedisStoreSettings = { kind: 'redis' };
  let urlHasCredentials = false;
  let urlTls = false;
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('REDIS_URL', 'must be a URL like redis://host:6379 (value not shown: it may hold a password)');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', `must use redis: or rediss:, got ${parsed.protocol}`);
    settings.url = url;
    urlHasCredentials = Boolean(parsed.username || parsed.password);
    urlTls = parsed.protocol === 'rediss:';
  }

  const sentinelName = get('REDIS_SENTINEL_NAME');
  const sentinelUsername = get('REDIS_SENTINEL_USERNAME');
  const sentinelPassword = get('REDIS_SENTINEL_PASSWORD');
  if (sentinels) {
    if (!sentinelName) throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the name in `sentinel monitor <name> …`)');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(sentinelName)) throw new ConfigError('REDIS_SENTINEL_NAME', `must be 1–64 letters, digits, '.', '_' or '-', got ${JSON.stringify(sentinelName)}`);
    if (sentinelUsername && !sentinelPassword) throw new ConfigError('REDIS_SENTINEL_PASSWORD', 'is required with REDIS_SENTINEL_USERNAME');
    settings.sentinel = {
      nodes: parseNodes('REDIS_SENTINELS', sentinels),
      name: sentinelName,
      ...(sentinelUsername ? { username: sentinelUsername } : {}),
      ...(sentinelPassword ? { password: sentinelPassword } : {}),
    };
  } else {
    for (const [name, value] of [['REDIS_SENTINEL_NAME', sentinelName], ['REDIS_SENTINEL_USERNAME', sentinelUsername], ['REDIS_SENTINEL_PASSWORD', sentinelPassword]] as const) {
      if (value) throw new ConfigError(name, 'is only used with REDIS_SENTINELS');
    }
  }
  if (clusterNodes) settings.cluster = { nodes: parseNodes('REDIS_CLUSTER_NODES', clusterNodes) };

  const username = get('REDIS_USERNAME');
  const password = get('REDIS_PASSWORD');
  if ((username || password) && urlHasCredentials) {
    throw new ConfigError(username ? 'REDIS_USERNAME' : 'REDIS_PASSWORD', 'conflicts with the credentials in REDIS_URL: set them in one place');
  }
  if (username && !password) throw new ConfigError('REDIS_PASSWORD', 'is required with REDIS_USERNAME');
  if (username) settings.username = username;
  if (password) settings.password = password;

  const tlsFlag = parseBoolean('REDIS_TLS', get('REDIS_TLS')!);
  if (tlsFlag && url && !urlTls) throw new ConfigError('REDIS_TLS', 'with REDIS_URL, TLS is chosen by the scheme: use rediss://');
  const caFile = get('REDIS_TLS_CA_FILE');
  if (tlsFlag || urlTls) {
    settings.tls = {};
    if (caFile) {
      let ca: string;
      try {
        ca = readFileSync(caFile, 'utf8');
      } catch (error) {
        throw new ConfigError('REDIS_TLS_CA_FILE', `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('REDIS_TLS_CA_FILE', 'holds no PEM certificate');
      settings.tls.ca = ca;
    }
  } else if (caFile) {
    throw new ConfigError('REDIS_TLS_CA_FILE', 'needs TLS: a rediss:// REDIS_URL, or REDIS_TLS=true');
  }

  const replicas = parseCount('REDIS_WAIT_REPLICAS', get('REDIS_WAIT_REPLICAS')!, 0, 16);
  const waitTimeoutMs = parseDuration('REDIS_WAIT_TIMEOUT', get('REDIS_WAIT_TIMEOUT')!);
  if (waitTimeoutMs < 10 || waitTimeoutMs > 10_000) throw new ConfigError('REDIS_WAIT_TIMEOUT', 'must be from 10ms to 10s (0 would wait forever)');
  if (replicas > 0) settings.wait = { replicas, timeoutMs: waitTimeoutMs };
  return settings;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

function firstIngressOrigin(value: string | undefined): string | undefined {
  const first = list(value)[0];
  if (!first) return undefined;
  try {
    return new URL(first).origin;
  } catch {
    throw new ConfigError('INGRESS', `must be absolute URLs, got ${JSON.stringify(first)}`);
  }
}

/** INGRESS as ingresses on APP_ORIGIN (paths without a trailing slash); APP_ORIGIN's root when unset. */
function parseIngresses(value: string | undefined, appOrigin: string): Ingress[] {
  const items = list(value);
  if (!items.length) return [{ origin: appOrigin, prefix: '' }];
  const ingresses: Ingress[] = [];
  for (const item of items) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError('INGRESS', `must be absolute URLs, got ${JSON.stringify(item)}`);
    }
    if (url.origin !== appOrigin) throw new ConfigError('INGRESS', `every ingress must be on APP_ORIGIN ${appOrigin}, got ${JSON.stringify(item)}`);
    if (url.search || url.hash || url.username || url.password || !/^(?:\/[A-Za-z0-9._~-]+)*\/?$/.test(url.pathname)) {
      throw new ConfigError('INGRESS', `an ingress is an origin and a plain path, got ${JSON.stringify(item)}`);
    }
    const prefix = url.pathname.replace(/\/$/, '');
    if (!ingresses.some((known) => known.prefix === prefix)) ingresses.push({ origin: appOrigin, prefix });
  }
  return ingresses;
}

const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * SSO_DOMAIN, when set: a plain DNS name that APP_ORIGIN is on (itself or a subdomain) — the SSO
 * server's own origin, or an SSO proxy's app, which outside the domain would never get the cookie.
 */
function parseSsoDomain(get: Lookup, appOrigin: string, role: string): string | undefined {
  const domain = (get('SSO_DOMAIN') ?? '').trim().toLowerCase().replace(/^\./, '');
  if (!domain) return undefined;
  if (!DOMAIN.test(domain) || domain.length > 253) throw new ConfigError('SSO_DOMAIN', `must be a plain DNS name like example.com, got ${JSON.stringify(domain)}`);
  if (!inDomain(new URL(appOrigin).hostname, domain)) throw new ConfigError('SSO_DOMAIN', `APP_ORIGIN ${appOrigin} (${role}) must be on ${domain} or a subdomain`);
  return domain;
}

/** SSO_DOMAIN and SSO_DEFAULT_REDIRECT_URL: the server's own origin must be inside the domain. */
function parseSso(get: Lookup, appOrigin: string, cookieName: string): { domain: string; defaultRedirectUrl: string } {
  const domain = parseSsoDomain(get, appOrigin, 'the SSO server');
  if (!domain) throw new ConfigError('SSO_DOMAIN', 'is required with LOGIN_MODE=sso-server');
  if (cookieName.startsWith('__Host-')) throw new ConfigError('SESSION_COOKIE_NAME', '__Host- cookies cannot carry a Domain: pick another name (e.g. __Secure-oc-sso)');
  const fallbackText = get('SSO_DEFAULT_REDIRECT_URL') ?? `${appOrigin}/`;
  const fallback = checkDomainRedirect(fallbackText, domain);
  if (!fallback.ok) throw new ConfigError('SSO_DEFAULT_REDIRECT_URL', `must be an http(s) URL on ${domain} (${fallback.reason}), got ${JSON.stringify(fallbackText)}`);
  return { domain, defaultRedirectUrl: fallback.url };
}

/** The relying party's provider settings (every mode but sso-proxy, which has no OIDC client). */
function parseProvider(get: Lookup, required: (name: string) => string, allowInsecureIssuer: boolean): { issuer: URL; clientId: string; clientSecret?: string } {
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
  return { issuer, clientId, clientSecret };
}

/**
 * sso-proxy's own settings: SSO_SERVER_URL (an http(s) origin with an optional path, where the
 * browser is sent to log in and out and the session endpoints are proxied), the server's cookie
 * name, and the shared Redis the server writes the sessions to.
 */
function parseSsoProxy(get: Lookup, storeKind: StoreKind): URL {
  const text = get('SSO_SERVER_URL');
  if (!text) throw new ConfigError('SSO_SERVER_URL', 'is required with LOGIN_MODE=sso-proxy (the SSO server\'s URL, e.g. https://sso.example.com)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('SSO_SERVER_URL', `must be an absolute http(s) URL, got ${JSON.stringify(text)}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash || !/^(?:\/[A-Za-z0-9._~-]+)*\/?$/.test(url.pathname)) {
    throw new ConfigError('SSO_SERVER_URL', `must be an http(s) origin with an optional plain path, no query or credentials, got ${JSON.stringify(text)}`);
  }
  url.pathname = url.pathname.replace(/\/$/, '');
  // Without the server's name the proxy would look for a cookie nobody sets.
  const cookieName = get('SESSION_COOKIE_NAME');
  if (!cookieName) throw new ConfigError('SESSION_COOKIE_NAME', 'is required with LOGIN_MODE=sso-proxy: the SSO server\'s session cookie name');
  if (cookieName.startsWith('__Host-')) throw new ConfigError('SESSION_COOKIE_NAME', 'the SSO server\'s cookie carries a Domain, so it is never a __Host- cookie');
  if (storeKind !== 'redis') throw new ConfigError('SESSION_STORE', 'must be redis with LOGIN_MODE=sso-proxy: the sessions are the SSO server\'s, shared through Redis');
  return url;
}

/**
 * sso-proxy has no identity provider. Its config has no issuer or client id, and reading one is a
 * bug: it throws (naming the setting) instead of handing out a made-up value. Non-enumerable, so a
 * copy of the config (`{ ...config }`) does not trip over them.
 */
function withoutProvider(settings: Omit<LoginConfig, 'issuer' | 'clientId' | 'clientSecret'>): LoginConfig {
  const absent = (setting: string) => ({
    enumerable: false,
    get(): never {
      throw new Error(`${setting}: LOGIN_MODE=${settings.mode} has no OIDC client; nothing in this mode may read it`);
    },
  });
  return Object.defineProperties({ ...settings }, { issuer: absent('OIDC_ISSUER'), clientId: absent('OIDC_CLIENT_ID') }) as LoginConfig;
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

/** A flag's option key as commander reports it: `app-origin` → `appOrigin`. */
export function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Options a command-line parser already parsed (commander's camelCase keys), keyed by environment
 * variable name — to lay over the environment (flags win) without turning them back into argv.
 */
export function settingsFromOptions(options: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const value = setting.flag ? options[optionKey(setting.flag)] : undefined;
    if (typeof value === 'string') env[setting.env] = value;
  }
  return env;
}

/**
 * Reads and validates the configuration. `env` is usually process.env; `argv` the flags after
 * `oc-edge login` (flags win). Throws ConfigError naming the first bad setting.
 */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): LoginConfig {
  const merged: Record<string, string | undefined> = applyWonderwallAliases({ ...env, ...flagsToEnv(argv) });
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

  const mode = oneOf<LoginMode>('LOGIN_MODE', get('LOGIN_MODE')!, LOGIN_MODES);
  if (!AVAILABLE_MODES.includes(mode)) throw new ConfigError('LOGIN_MODE', `${mode} is not available in this build yet (docs/login.md); use ${AVAILABLE_MODES.join(' or ')}`);
  const ingressText = get('INGRESS');
  const appOrigin = parseOrigin('APP_ORIGIN', get('APP_ORIGIN') ?? firstIngressOrigin(ingressText) ?? required('APP_ORIGIN'));
  const ingresses = parseIngresses(ingressText, appOrigin);
  const standalone = mode === 'standalone';
  // sso-proxy: a read-only sidecar in front of one app; it has no OIDC client of its own.
  const ssoProxy = mode === 'sso-proxy';
  const upstreamText = get('UPSTREAM_URL');
  if ((standalone || ssoProxy) && !upstreamText) throw new ConfigError('UPSTREAM_URL', `is required with LOGIN_MODE=${mode}`);
  const upstream = upstreamText ? new URL(parseOrigin('UPSTREAM_URL', upstreamText)) : undefined;
  const idTokenHeader = (get('UPSTREAM_ID_TOKEN_HEADER') ?? '').toLowerCase();
  if (!/^[a-z0-9!#$%&'*+\-.^_`|~]{1,64}$/.test(idTokenHeader) || ['authorization', 'cookie', 'host'].includes(idTokenHeader)) {
    throw new ConfigError('UPSTREAM_ID_TOKEN_HEADER', `must be a header name other than authorization, cookie or host, got ${JSON.stringify(idTokenHeader)}`);
  }
  const trustedProxies = list(get('TRUSTED_PROXIES'));
  for (const entry of trustedProxies) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError('TRUSTED_PROXIES', `must be IP addresses or CIDRs, got ${JSON.stringify(entry)}`);
    }
  }
  const ignorePaths = list(get('AUTO_LOGIN_IGNORE_PATHS'));
  for (const pattern of ignorePaths) {
    if (!pattern.startsWith('/')) throw new ConfigError('AUTO_LOGIN_IGNORE_PATHS', `patterns are absolute paths, got ${JSON.stringify(pattern)}`);
  }
  const allowInsecureIssuer = parseBoolean('ALLOW_INSECURE_ISSUER', get('ALLOW_INSECURE_ISSUER')!);

  const provider = ssoProxy ? undefined : parseProvider(get, required, allowInsecureIssuer);
  if (ssoProxy && get('OIDC_CLIENT_SECRET')) {
    // A secret the sidecar never uses is one more place it can leak from.
    throw new ConfigError('OIDC_CLIENT_SECRET', 'is not used with LOGIN_MODE=sso-proxy (only the SSO server talks to the provider): remove it from this environment');
  }

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

  const acrValues = get('OIDC_ACR_VALUES')?.trim() || undefined;
  if (acrValues !== undefined && !/^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/.test(acrValues)) {
    throw new ConfigError('OIDC_ACR_VALUES', `must be one acr value (printable ASCII, no space, quote or backslash), got ${JSON.stringify(acrValues)}`);
  }
  const loginRateLimit = {
    // Wonderwall's default where Wonderwall's semantics are promised; ext-authz keeps its own
    // behaviour unless asked (a test or tool that logs one browser in many times is no loop).
    enabled: parseBoolean('LOGIN_RATE_LIMIT', get('LOGIN_RATE_LIMIT') ?? String(mode !== 'ext-authz')),
    logins: parseCount('LOGIN_RATE_LIMIT_LOGINS', get('LOGIN_RATE_LIMIT_LOGINS')!, 1, 1000),
    windowMs: parseDuration('LOGIN_RATE_LIMIT_WINDOW', get('LOGIN_RATE_LIMIT_WINDOW')!),
  };
  if (loginRateLimit.windowMs < 100 || loginRateLimit.windowMs > 3_600_000) throw new ConfigError('LOGIN_RATE_LIMIT_WINDOW', 'must be from 100ms to 1h');
  const callbackRetries = parseCount('CALLBACK_RETRIES', get('CALLBACK_RETRIES')!, 0, 10);

  const idTokenHint = oneOf<IdTokenHintMode>('LOGOUT_ID_TOKEN_HINT', get('LOGOUT_ID_TOKEN_HINT')!, ['query', 'post', 'omit']);

  const storeKind = oneOf<StoreKind>('SESSION_STORE', get('SESSION_STORE')!, ['memory', 'redis']);
  const store: LoginConfig['store'] = storeKind === 'redis' ? parseRedisStore(get) : parseMemoryStore(get);

  const workers = parseWorkers(get('WORKERS')!, storeKind);

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

  const sso = mode === 'sso-server' ? parseSso(get, appOrigin, cookieName) : undefined;
  const ssoServerUrl = ssoProxy ? parseSsoProxy(get, storeKind) : undefined;
  // Optional for the proxy (it sets no cookie): given, it catches an app outside the domain at start.
  if (ssoProxy) parseSsoDomain(get, appOrigin, 'the app behind this SSO proxy');

  const checkPathPrefix = get('CHECK_PATH_PREFIX') ?? '';
  if (checkPathPrefix && !/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(checkPathPrefix)) {
    throw new ConfigError('CHECK_PATH_PREFIX', `must be empty or a path like /ext-authz (no trailing slash), got ${JSON.stringify(checkPathPrefix)}`);
  }

  const settings: Omit<LoginConfig, 'issuer' | 'clientId' | 'clientSecret'> = {
    mode,
    ingresses,
    upstream,
    autoLogin: { enabled: parseBoolean('AUTO_LOGIN', get('AUTO_LOGIN')!), ignorePaths },
    upstreamIdToken: { include: parseBoolean('UPSTREAM_INCLUDE_ID_TOKEN', get('UPSTREAM_INCLUDE_ID_TOKEN')!), header: idTokenHeader },
    trustedProxies,
    appOrigin,
    scopes,
    acrValues,
    loginRateLimit,
    callbackRetries,
    logoutMode,
    cognitoLogoutUrl,
    idTokenHint,
    listen: parseListen('LISTEN', get('LISTEN')!),
    metricsListen: parseListen('METRICS_LISTEN', get('METRICS_LISTEN')!),
    workers,
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
    cookieDomain: sso?.domain,
    sso,
    ssoServerUrl,
    checkPathPrefix,
    providerTimeoutMs,
    discoveryRetry: { initialMs: 500, maxMs: 30_000 },
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL')!, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    allowInsecureIssuer,
  };
  return provider ? { ...settings, ...provider } : withoutProvider(settings);
}
