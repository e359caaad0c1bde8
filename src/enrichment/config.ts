// The Lambda's settings, read once from the environment at cold start and validated there, so a
// misconfigured function fails its first invocation with a message that names the variable instead
// of failing logins in surprising ways later.
import { EnrichmentConfigError } from './errors.ts';
import { MEMBERSHIP_CLAIM } from './organisations.ts';

export type FailurePolicy = 'deny' | 'omit';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface EnrichmentSettings {
  /** Onboarding base URL; the client calls `${onboardingUrl}/users/{id}`. */
  onboardingUrl: string;
  /** OAuth 2.0 token endpoint for the client-credentials grant (Cognito: `https://<domain>/oauth2/token`). */
  tokenUrl: string;
  /** M2M app client id. */
  clientId: string;
  /** M2M app client secret (sent with HTTP Basic, never logged). */
  clientSecret: string;
  /** Scope(s) to request, space separated; undefined asks for the client's default scopes. */
  scope?: string;
  /** Onboarding `privilege` → `userType` claim value. A privilege not in the map is "unknown". */
  userTypes: Readonly<Record<string, string>>;
  /** What to do when the privilege cannot be found or mapped: `deny` fails the token issue. */
  failurePolicy: FailurePolicy;
  /** Time budget per invocation for token + onboarding calls, retries included (Cognito stops at 5 s). */
  timeoutMs: number;
  logLevel: LogLevel;
  /**
   * The claim that lists the user's organisation ids (from onboarding's user record), for the
   * filter's membership check; `false` adds none. Default MEMBERSHIP_CLAIM.
   */
  organisationsClaim: string | false;
}

/** Environment variable names, documented in docs/enrichment.md. */
export const ENV = {
  onboardingUrl: 'ONBOARDING_URL',
  tokenUrl: 'OAUTH_TOKEN_URL',
  clientId: 'OAUTH_CLIENT_ID',
  clientSecret: 'OAUTH_CLIENT_SECRET',
  scope: 'OAUTH_SCOPE',
  userTypes: 'USER_TYPE_MAP',
  failurePolicy: 'FAILURE_POLICY',
  timeoutMs: 'TIMEOUT_MS',
  logLevel: 'LOG_LEVEL',
  organisationsClaim: 'ORGANISATIONS_CLAIM',
} as const;

/** ORGANISATIONS_CLAIM value that turns the organisations claim off. */
export const ORGANISATIONS_CLAIM_OFF = 'off';

export const DEFAULT_TIMEOUT_MS = 3000;
/** Leaves Cognito's 5 s for the cold start and for Cognito itself. */
export const MAX_TIMEOUT_MS = 4500;

function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnrichmentConfigError(`${name} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EnrichmentConfigError(`${name} must be an http(s) URL`);
  // Credentials in a URL end up in logs and proxies; the secret has its own variable.
  if (url.username || url.password) throw new EnrichmentConfigError(`${name} must not contain credentials`);
  if (url.search || url.hash) throw new EnrichmentConfigError(`${name} must not have a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/**
 * `{"ORG_ADMIN":"admin"}` (JSON) or `ORG_ADMIN=admin,ORG_MEMBER=member`. Values are claim values,
 * so they must be non-empty strings; keys are compared exactly (privileges are identifiers).
 */
export function parseUserTypes(text: string, name: string = ENV.userTypes): Record<string, string> {
  const map: Record<string, string> = Object.create(null);
  const trimmed = text.trim();
  let entries: [string, unknown][];
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new EnrichmentConfigError(`${name} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new EnrichmentConfigError(`${name} must be a JSON object of privilege → userType`);
    }
    entries = Object.entries(parsed);
  } else {
    entries = trimmed.split(',').map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new EnrichmentConfigError(`${name}: "${pair.trim()}" is not PRIVILEGE=userType`);
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    });
  }
  for (const [privilege, userType] of entries) {
    if (!privilege) throw new EnrichmentConfigError(`${name} has an empty privilege`);
    if (typeof userType !== 'string' || userType.length === 0) {
      throw new EnrichmentConfigError(`${name}: the userType for ${privilege} must be a non-empty string`);
    }
    map[privilege] = userType;
  }
  if (Object.keys(map).length === 0) throw new EnrichmentConfigError(`${name} must map at least one privilege`);
  return map;
}

/** Validates settings given in code (the identity provider stand-in, tests). */
export function validateSettings(input: Partial<EnrichmentSettings>): EnrichmentSettings {
  const text = (value: unknown, name: string): string => {
    if (typeof value !== 'string' || value.trim() === '') throw new EnrichmentConfigError(`${name} is required`);
    return value.trim();
  };
  const failurePolicy = input.failurePolicy ?? 'deny';
  if (failurePolicy !== 'deny' && failurePolicy !== 'omit') {
    throw new EnrichmentConfigError(`${ENV.failurePolicy} must be deny or omit, not ${String(failurePolicy)}`);
  }
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new EnrichmentConfigError(`${ENV.timeoutMs} must be an integer from 100 to ${MAX_TIMEOUT_MS} (Cognito waits 5 s at most)`);
  }
  const logLevel = input.logLevel ?? 'info';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new EnrichmentConfigError(`${ENV.logLevel} must be debug, info, warn, error or silent`);
  }
  if (!input.userTypes || typeof input.userTypes !== 'object') throw new EnrichmentConfigError(`${ENV.userTypes} is required`);
  const userTypes = parseUserTypes(JSON.stringify(input.userTypes));
  const scope = input.scope?.trim() || undefined;
  const organisationsClaim = claimName(input.organisationsClaim);
  return Object.freeze({
    onboardingUrl: httpUrl(text(input.onboardingUrl, ENV.onboardingUrl), ENV.onboardingUrl),
    tokenUrl: httpUrl(text(input.tokenUrl, ENV.tokenUrl), ENV.tokenUrl),
    clientId: text(input.clientId, ENV.clientId),
    clientSecret: text(input.clientSecret, ENV.clientSecret),
    ...(scope ? { scope } : {}),
    userTypes: Object.freeze(userTypes),
    failurePolicy,
    timeoutMs,
    logLevel,
    organisationsClaim,
  });
}

function claimName(value: string | false | undefined): string | false {
  if (value === false) return false;
  if (value === undefined) return MEMBERSHIP_CLAIM;
  const name = typeof value === 'string' ? value.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (!name || /[\s,\u0000-\u001f\u007f]/.test(name)) {
    throw new EnrichmentConfigError(`${ENV.organisationsClaim} must be a claim name without spaces, commas or control characters, or ${ORGANISATIONS_CLAIM_OFF}`);
  }
  // Cognito reserves these; it would ignore the claim and the membership check would never see it.
  if (name.startsWith('cognito:')) throw new EnrichmentConfigError(`${ENV.organisationsClaim} must not be a cognito: claim`);
  return name;
}

/** Reads the settings from Lambda environment variables (see ENV). */
export function settingsFromEnv(env: Record<string, string | undefined>): EnrichmentSettings {
  const timeoutText = env[ENV.timeoutMs]?.trim();
  let timeoutMs: number | undefined;
  if (timeoutText) {
    if (!/^\d+$/.test(timeoutText)) throw new EnrichmentConfigError(`${ENV.timeoutMs} must be a whole number of milliseconds`);
    timeoutMs = Number(timeoutText);
  }
  const mapText = env[ENV.userTypes];
  if (!mapText?.trim()) throw new EnrichmentConfigError(`${ENV.userTypes} is required`);
  return validateSettings({
    onboardingUrl: env[ENV.onboardingUrl],
    tokenUrl: env[ENV.tokenUrl],
    clientId: env[ENV.clientId],
    clientSecret: env[ENV.clientSecret],
    scope: env[ENV.scope],
    userTypes: parseUserTypes(mapText),
    failurePolicy: (env[ENV.failurePolicy]?.trim() || undefined) as FailurePolicy | undefined,
    timeoutMs,
    logLevel: (env[ENV.logLevel]?.trim() || undefined) as LogLevel | undefined,
    organisationsClaim: organisationsClaimFromEnv(env[ENV.organisationsClaim]),
  });
}

// Words an operator writes meaning a switch, not a claim name. Taken as names they would silently
// add a claim called "false" (and the filter's membership check would look for another one).
const SWITCH_OFF_WORDS = new Set(['false', 'no', 'none', 'null', '0', 'disabled']);
const SWITCH_ON_WORDS = new Set(['true', 'yes', 'on', '1', 'enabled']);

/** Unset or empty: the default claim; `off`: none; a switch word: an error; anything else: that claim name. */
function organisationsClaimFromEnv(value: string | undefined): string | false | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const word = text.toLowerCase();
  if (word === ORGANISATIONS_CLAIM_OFF) return false;
  if (SWITCH_OFF_WORDS.has(word)) {
    throw new EnrichmentConfigError(`${ENV.organisationsClaim}=${text} is not a claim name: set it to ${ORGANISATIONS_CLAIM_OFF} to add no organisations claim`);
  }
  if (SWITCH_ON_WORDS.has(word)) {
    throw new EnrichmentConfigError(`${ENV.organisationsClaim}=${text} is not a claim name: leave it unset for the default claim ${MEMBERSHIP_CLAIM}`);
  }
  return text;
}
