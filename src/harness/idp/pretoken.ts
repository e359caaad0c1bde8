// Cognito's side of the Pre Token Generation trigger: the event it builds for each token issue,
// the invocation (JSON in, JSON out, 5 s), and how it applies the answer to the tokens.
import { randomUUID } from 'node:crypto';
import type { PreTokenGenerationEvent, PreTokenGenerationHandler, TriggerSource } from '../../enrichment/index.ts';
import type { SeedUser } from '../seed/index.ts';

export type EventVersion = '1' | '2' | '3';

/** Cognito waits this long for the trigger, then fails the token issue. */
export const COGNITO_TRIGGER_TIMEOUT_MS = 5000;

/**
 * Claims the trigger cannot change: Cognito ignores them in claimsToAddOrOverride and
 * claimsToSuppress (groups change only through groupOverrideDetails).
 */
export const PROTECTED_CLAIMS = new Set([
  'acr', 'amr', 'aud', 'at_hash', 'auth_time', 'azp', 'c_hash', 'client_id', 'exp', 'iat', 'identities', 'iss',
  'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'sid', 'sub', 'token_use', 'username', 'event_id', 'version',
]);

function protectedClaim(name: string): boolean {
  return PROTECTED_CLAIMS.has(name) || name.startsWith('cognito:');
}

export interface TokenChanges {
  add: Record<string, unknown>;
  suppress: string[];
}

/** What one trigger answer does to the tokens about to be issued. */
export interface Overrides {
  id: TokenChanges;
  access: TokenChanges & { scopesToAdd: string[]; scopesToSuppress: string[] };
  /** undefined: keep the user's groups as they are. */
  groups?: { groups?: string[]; roles?: string[]; preferredRole?: string | null };
  ignored: string[];
}

/** The trigger threw, timed out or answered nonsense: the token issue fails with this message. */
export class PreTokenGenerationFailed extends Error {
  override name = 'PreTokenGenerationFailed';
}

export interface EventInput {
  version: EventVersion;
  triggerSource: TriggerSource;
  userPoolId: string;
  clientId: string;
  user?: SeedUser;
  scopes: string[];
}

/** The region is the pool id's prefix (`eu-west-1_AbC123` → `eu-west-1`). */
export function regionOf(userPoolId: string): string {
  return userPoolId.split('_', 1)[0] ?? userPoolId;
}

/** The event as Cognito sends it: attribute values are strings, empty response object is null. */
export function buildEvent(input: EventInput): PreTokenGenerationEvent {
  const { user } = input;
  const userAttributes: Record<string, string> = user
    ? {
        sub: user.id,
        'cognito:user_status': 'CONFIRMED',
        email_verified: String(user.emailVerified),
        email: user.email,
      }
    : {};
  const groupConfiguration = user
    ? { groupsToOverride: [...user.groups], iamRolesToOverride: [] as string[], preferredRole: null }
    : null;
  const base = {
    version: input.version,
    triggerSource: input.triggerSource,
    region: regionOf(input.userPoolId),
    userPoolId: input.userPoolId,
    // A client-credentials event has no user; Cognito names it after the grant.
    userName: user ? user.username : 'ClientCredentials',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: input.clientId },
  };
  if (input.version === '1') {
    return { ...base, request: { userAttributes, groupConfiguration }, response: { claimsOverrideDetails: null } } as unknown as PreTokenGenerationEvent;
  }
  return {
    ...base,
    request: { userAttributes, groupConfiguration, scopes: [...input.scopes] },
    response: { claimsAndScopeOverrideDetails: null },
  } as unknown as PreTokenGenerationEvent;
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new PreTokenGenerationFailed(`PreTokenGeneration failed with error invalid response: ${where} must be a list of strings.`);
  }
  return value as string[];
}

function claimMap(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PreTokenGenerationFailed(`PreTokenGeneration failed with error invalid response: ${where} must be an object.`);
  }
  return value as Record<string, unknown>;
}

function changes(add: Record<string, unknown>, suppress: string[], ignored: string[], stringsOnly: boolean, where: string): TokenChanges {
  const out: TokenChanges = { add: {}, suppress: [] };
  for (const [name, value] of Object.entries(add)) {
    if (protectedClaim(name)) ignored.push(name);
    else if (stringsOnly && typeof value !== 'string') {
      // V1 answers are string maps; anything else is refused as Cognito does.
      throw new PreTokenGenerationFailed(`PreTokenGeneration failed with error invalid response: ${where}.${name} must be a string.`);
    } else out.add[name] = value;
  }
  for (const name of suppress) {
    if (protectedClaim(name)) ignored.push(name);
    else out.suppress.push(name);
  }
  return out;
}

function groupsFrom(value: unknown): Overrides['groups'] {
  if (value === undefined || value === null) return undefined;
  const details = claimMap(value, 'groupOverrideDetails');
  const groups: NonNullable<Overrides['groups']> = {};
  if (details.groupsToOverride !== undefined && details.groupsToOverride !== null) groups.groups = stringList(details.groupsToOverride, 'groupsToOverride');
  if (details.iamRolesToOverride !== undefined && details.iamRolesToOverride !== null) groups.roles = stringList(details.iamRolesToOverride, 'iamRolesToOverride');
  if (details.preferredRole !== undefined) groups.preferredRole = typeof details.preferredRole === 'string' ? details.preferredRole : null;
  return groups;
}

/** Reads the answer in the shape of the event's version. */
export function overridesFrom(version: EventVersion, answer: unknown): Overrides {
  const ignored: string[] = [];
  const response = claimMap((answer as { response?: unknown } | null)?.response, 'response');
  if (version === '1') {
    const details = claimMap(response.claimsOverrideDetails, 'claimsOverrideDetails');
    return {
      id: changes(claimMap(details.claimsToAddOrOverride, 'claimsToAddOrOverride'), stringList(details.claimsToSuppress, 'claimsToSuppress'), ignored, true, 'claimsToAddOrOverride'),
      access: { add: {}, suppress: [], scopesToAdd: [], scopesToSuppress: [] },
      groups: groupsFrom(details.groupOverrideDetails),
      ignored,
    };
  }
  const details = claimMap(response.claimsAndScopeOverrideDetails, 'claimsAndScopeOverrideDetails');
  const id = claimMap(details.idTokenGeneration, 'idTokenGeneration');
  const access = claimMap(details.accessTokenGeneration, 'accessTokenGeneration');
  return {
    id: changes(claimMap(id.claimsToAddOrOverride, 'idTokenGeneration.claimsToAddOrOverride'), stringList(id.claimsToSuppress, 'idTokenGeneration.claimsToSuppress'), ignored, false, 'idTokenGeneration'),
    access: {
      ...changes(claimMap(access.claimsToAddOrOverride, 'accessTokenGeneration.claimsToAddOrOverride'), stringList(access.claimsToSuppress, 'accessTokenGeneration.claimsToSuppress'), ignored, false, 'accessTokenGeneration'),
      scopesToAdd: stringList(access.scopesToAdd, 'scopesToAdd'),
      scopesToSuppress: stringList(access.scopesToSuppress, 'scopesToSuppress'),
    },
    groups: groupsFrom(details.groupOverrideDetails),
    ignored,
  };
}

/**
 * Invokes the handler like Lambda does: a JSON copy of the event in, a JSON copy of the answer out,
 * a fresh request id, and Cognito's 5 s limit. Any failure becomes the message Cognito reports.
 */
export async function invokeTrigger(
  handler: PreTokenGenerationHandler,
  event: PreTokenGenerationEvent,
  timeoutMs: number = COGNITO_TRIGGER_TIMEOUT_MS,
): Promise<{ overrides: Overrides; requestId: string }> {
  const requestId = randomUUID();
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: requestId,
    functionName: 'oneconnect-enrichment',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new PreTokenGenerationFailed('PreTokenGeneration invocation failed due to error TimeoutException.')), timeoutMs);
  });
  try {
    const answer = await Promise.race([handler(JSON.parse(JSON.stringify(event)), context), timeout]);
    const json: unknown = JSON.parse(JSON.stringify(answer ?? null));
    return { overrides: overridesFrom(event.version as EventVersion, json), requestId };
  } catch (error) {
    if (error instanceof PreTokenGenerationFailed) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new PreTokenGenerationFailed(`PreTokenGeneration failed with error ${message}.`);
  } finally {
    clearTimeout(timer);
  }
}

/** Applies groups and ID token changes to a claim set (returns a new object). */
export function applyToIdClaims(claims: Record<string, unknown>, overrides: Overrides | undefined): Record<string, unknown> {
  const out = { ...claims };
  if (!overrides) return out;
  if (overrides.groups) {
    const { groups, roles, preferredRole } = overrides.groups;
    if (groups !== undefined) {
      if (groups.length > 0) out['cognito:groups'] = [...groups];
      else delete out['cognito:groups'];
    }
    if (roles !== undefined) {
      if (roles.length > 0) out['cognito:roles'] = [...roles];
      else delete out['cognito:roles'];
    }
    if (preferredRole) out['cognito:preferred_role'] = preferredRole;
  }
  for (const name of overrides.id.suppress) delete out[name];
  Object.assign(out, overrides.id.add);
  return out;
}
