// The Pre Token Generation handler: user id → onboarding privilege → `userType` claim.
// Everything it needs is built once per container (settings, token cache), so warm invocations
// reuse the M2M token and pay only for the onboarding call.
import { validateSettings, type EnrichmentSettings } from './config.ts';
import { EnrichmentConfigError, OnboardingError } from './errors.ts';
import type { Fetch } from './http.ts';
import { createLogger, type Logger } from './log.ts';
import { OnboardingClient } from './onboarding-client.ts';
import { organisationsClaim } from './organisations.ts';
import type { InvocationContext, PreTokenGenerationEvent, PreTokenGenerationHandler } from './events.ts';
import { TRIGGER_SOURCES } from './events.ts';
import { respond } from './respond.ts';
import { ClientCredentialsTokenSource } from './token-source.ts';

export const CLAIM = 'userType';

export interface HandlerDependencies {
  fetch?: Fetch;
  /** Log line sink (default: stdout). */
  write?: (line: string) => void;
  now?: () => number;
}

export interface EnrichmentHandler extends PreTokenGenerationHandler {
  /** The M2M token cache, exposed for observability and tests. */
  readonly tokens: ClientCredentialsTokenSource;
  readonly settings: EnrichmentSettings;
}

/** Error thrown to Cognito under the `deny` policy; Cognito prefixes "PreTokenGeneration failed with error". */
export class EnrichmentDenied extends Error {
  override name = 'EnrichmentDenied';
}

function privilegeToUserType(map: Readonly<Record<string, string>>, privilege: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(map, privilege) ? map[privilege] : undefined;
}

export function createHandler(input: Partial<EnrichmentSettings>, deps: HandlerDependencies = {}): EnrichmentHandler {
  const settings = validateSettings(input);
  if (settings.organisationsClaim === CLAIM) throw new EnrichmentConfigError(`the organisations claim cannot be ${CLAIM}`);
  const rootLog = createLogger(settings.logLevel, deps.write);
  const tokens = new ClientCredentialsTokenSource({
    tokenUrl: settings.tokenUrl,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    ...(settings.scope ? { scope: settings.scope } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const onboarding = new OnboardingClient({ baseUrl: settings.onboardingUrl, tokens, ...(deps.fetch ? { fetch: deps.fetch } : {}) });

  const fail = <E extends PreTokenGenerationEvent>(event: E, log: Logger, reason: string, fields: Record<string, unknown>): E => {
    if (settings.failurePolicy === 'deny') {
      log.error('enrichment failed, denying tokens', { policy: 'deny', reason, ...fields });
      throw new EnrichmentDenied(`cannot set ${CLAIM}: ${reason}`);
    }
    log.warn(`enrichment failed, issuing tokens without ${CLAIM}`, { policy: 'omit', reason, ...fields });
    return respond(event, undefined);
  };

  const handler = async (event: PreTokenGenerationEvent, context?: InvocationContext): Promise<PreTokenGenerationEvent> => {
    const started = Date.now();
    const log = rootLog.child({
      requestId: context?.awsRequestId,
      triggerSource: event?.triggerSource,
      eventVersion: event?.version,
      userPoolId: event?.userPoolId,
      clientId: event?.callerContext?.clientId,
    });
    if (event?.version !== '1' && event?.version !== '2' && event?.version !== '3') {
      // A configuration mistake on the user pool, not a user's problem: always an error.
      log.error('unsupported event version');
      throw new Error(`unsupported Pre Token Generation event version ${JSON.stringify(event?.version)}`);
    }
    if (event.triggerSource === 'TokenGeneration_ClientCredentials') {
      // A machine's token: there is no user to enrich (and this is how the Lambda's own
      // onboarding token is issued under V3, which must not call onboarding again).
      log.info('client credentials token, passing through');
      return event;
    }
    if (!(TRIGGER_SOURCES as readonly string[]).includes(event.triggerSource)) {
      log.warn('unknown trigger source, enriching as a user token');
    }
    const userId = event.request?.userAttributes?.sub;
    if (typeof userId !== 'string' || userId.length === 0) {
      return fail(event, log, 'the event has no user id (request.userAttributes.sub)', {});
    }
    // The budget is the configured timeout, or less if Lambda itself is about to stop us.
    const remaining = context?.getRemainingTimeInMillis?.();
    const budget = typeof remaining === 'number' && remaining > 0 ? Math.min(settings.timeoutMs, Math.max(remaining - 200, 50)) : settings.timeoutMs;
    const signal = AbortSignal.timeout(budget);
    try {
      const { user, info } = await onboarding.getUser(userId, signal, budget);
      const userType = privilegeToUserType(settings.userTypes, user.privilege);
      if (userType === undefined) {
        return fail(event, log, `unknown privilege "${user.privilege}" for user ${userId}`, { userId, privilege: user.privilege });
      }
      const claims: Record<string, string> = { [CLAIM]: userType };
      let organisations: number | undefined;
      if (settings.organisationsClaim) {
        // Over the bound or unusable: no claim, so the filter selects no organisation from the cookie.
        const listed = organisationsClaim(user.organisations);
        organisations = listed.count;
        if ('value' in listed) claims[settings.organisationsClaim] = listed.value;
        else if (listed.omitted !== 'none') {
          log.warn(`organisations claim omitted: ${listed.omitted}`, { userId, organisations: listed.count, reason: listed.omitted });
        }
      }
      log.info('enriched', {
        userId,
        privilege: user.privilege,
        [CLAIM]: userType,
        ...(organisations !== undefined ? { organisations } : {}),
        m2mCached: info.tokenCached,
        m2mRefetched: info.tokenRefetched,
        durationMs: Date.now() - started,
      });
      return respond(event, claims);
    } catch (error) {
      if (error instanceof OnboardingError) {
        return fail(event, log, error.message, { userId, failure: error.failure, durationMs: Date.now() - started });
      }
      log.error('unexpected error', { userId, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
  return Object.assign(handler, { tokens, settings });
}
