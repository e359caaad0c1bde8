// Wonderwall's WONDERWALL_* variables accepted as aliases, so a deployment of Wonderwall switches
// by changing the image. Each alias fills our setting only when that setting is not given; some
// need their value translated (a well-known URL to an issuer, Wonderwall's extra scopes to a full
// list, a host:port to a URL). Node built-ins only, like config.ts.
type Env = Record<string, string | undefined>;

interface Alias {
  wonderwall: string;
  ours: string;
  /** Our value for Wonderwall's; undefined drops it. */
  translate?: (value: string, env: Env) => string | undefined;
}

const WELL_KNOWN = '/.well-known/openid-configuration';

export const WONDERWALL_ALIASES: readonly Alias[] = [
  { wonderwall: 'WONDERWALL_OPENID_CLIENT_ID', ours: 'OIDC_CLIENT_ID' },
  { wonderwall: 'WONDERWALL_OPENID_CLIENT_SECRET', ours: 'OIDC_CLIENT_SECRET' },
  {
    wonderwall: 'WONDERWALL_OPENID_WELL_KNOWN_URL',
    ours: 'OIDC_ISSUER',
    translate: (value) => (value.endsWith(WELL_KNOWN) ? value.slice(0, -WELL_KNOWN.length) : value),
  },
  {
    wonderwall: 'WONDERWALL_OPENID_SCOPES',
    ours: 'OIDC_SCOPES',
    // Wonderwall's list is comma separated and adds to openid.
    translate: (value) => ['openid', ...value.split(',').map((scope) => scope.trim()).filter((scope) => scope && scope !== 'openid')].join(' '),
  },
  { wonderwall: 'WONDERWALL_OPENID_ACR_VALUES', ours: 'OIDC_ACR_VALUES' },
  { wonderwall: 'WONDERWALL_RATELIMIT_ENABLED', ours: 'LOGIN_RATE_LIMIT' },
  { wonderwall: 'WONDERWALL_RATELIMIT_LOGINS', ours: 'LOGIN_RATE_LIMIT_LOGINS' },
  { wonderwall: 'WONDERWALL_RATELIMIT_WINDOW', ours: 'LOGIN_RATE_LIMIT_WINDOW' },
  { wonderwall: 'WONDERWALL_INGRESS', ours: 'INGRESS' },
  { wonderwall: 'WONDERWALL_UPSTREAM_HOST', ours: 'UPSTREAM_URL', translate: (value) => (/^https?:\/\//.test(value) ? value : `http://${value}`) },
  { wonderwall: 'WONDERWALL_AUTO_LOGIN', ours: 'AUTO_LOGIN' },
  { wonderwall: 'WONDERWALL_AUTO_LOGIN_IGNORE_PATHS', ours: 'AUTO_LOGIN_IGNORE_PATHS' },
  { wonderwall: 'WONDERWALL_UPSTREAM_INCLUDE_ID_TOKEN', ours: 'UPSTREAM_INCLUDE_ID_TOKEN' },
  // Apps behind Wonderwall read the ID token from its header name.
  { wonderwall: 'WONDERWALL_UPSTREAM_INCLUDE_ID_TOKEN', ours: 'UPSTREAM_ID_TOKEN_HEADER', translate: () => 'x-wonderwall-id-token' },
  { wonderwall: 'WONDERWALL_BIND_ADDRESS', ours: 'LISTEN' },
  { wonderwall: 'WONDERWALL_METRICS_BIND_ADDRESS', ours: 'METRICS_LISTEN' },
  { wonderwall: 'WONDERWALL_ENCRYPTION_KEY', ours: 'ENCRYPTION_KEY' },
  { wonderwall: 'WONDERWALL_REDIS_URI', ours: 'REDIS_URL' },
  { wonderwall: 'WONDERWALL_REDIS_URI', ours: 'SESSION_STORE', translate: () => 'redis' },
  { wonderwall: 'WONDERWALL_SESSION_MAX_LIFETIME', ours: 'SESSION_MAX_AGE' },
  {
    wonderwall: 'WONDERWALL_SESSION_INACTIVITY_TIMEOUT',
    ours: 'SESSION_INACTIVITY_TIMEOUT',
    // Wonderwall has a default timeout and a separate switch; only the switch turns it on.
    translate: (value, env) => (/^true$/i.test(env.WONDERWALL_SESSION_INACTIVITY ?? '') ? value : undefined),
  },
  { wonderwall: 'WONDERWALL_SESSION_INACTIVITY', ours: 'SESSION_INACTIVITY_TIMEOUT', translate: (value) => (/^true$/i.test(value) ? '30m' : undefined) },
  { wonderwall: 'WONDERWALL_LOG_LEVEL', ours: 'LOG_LEVEL' },
  { wonderwall: 'WONDERWALL_SSO_SESSION_COOKIE_NAME', ours: 'SESSION_COOKIE_NAME' },
  { wonderwall: 'WONDERWALL_SSO_SERVER_URL', ours: 'SSO_SERVER_URL' },
  { wonderwall: 'WONDERWALL_SSO_DOMAIN', ours: 'SSO_DOMAIN' },
  { wonderwall: 'WONDERWALL_SSO_SERVER_DEFAULT_REDIRECT_URL', ours: 'SSO_DEFAULT_REDIRECT_URL' },
  {
    wonderwall: 'WONDERWALL_SSO_ENABLED',
    ours: 'LOGIN_MODE',
    translate: (value, env) => (/^true$/i.test(value) ? (env.WONDERWALL_SSO_MODE === 'proxy' ? 'sso-proxy' : 'sso-server') : undefined),
  },
];

/** `env` with every alias applied where our setting is unset; Wonderwall's default mode is standalone. */
export function applyWonderwallAliases(env: Env): Env {
  const result: Env = { ...env };
  const given = (name: string) => result[name] !== undefined && result[name] !== '';
  let any = false;
  for (const alias of WONDERWALL_ALIASES) {
    const value = env[alias.wonderwall];
    if (value === undefined || value === '') continue;
    any = true;
    if (given(alias.ours)) continue;
    const translated = alias.translate ? alias.translate(value, env) : value;
    if (translated !== undefined) result[alias.ours] = translated;
  }
  if (any && !given('LOGIN_MODE')) result.LOGIN_MODE = 'standalone';
  return result;
}
