// The Pre Token Generation events this handler accepts, as typed by @types/aws-lambda.
// V1 (`claimsOverrideDetails`, ID token only) and V2/V3 (`claimsAndScopeOverrideDetails`, ID and
// access token) share the request; V3 adds `TokenGeneration_ClientCredentials` (no user at all).
import type {
  GroupOverrideDetails,
  PreTokenGenerationTriggerEvent,
  PreTokenGenerationV2TriggerEvent,
  PreTokenGenerationV3TriggerEvent,
  Context,
} from 'aws-lambda';

export type PreTokenGenerationV1Event = PreTokenGenerationTriggerEvent;
export type PreTokenGenerationV2Event = PreTokenGenerationV2TriggerEvent;
/** V3 carries every V2 trigger source plus client credentials. */
export type PreTokenGenerationV3Event =
  | (Omit<PreTokenGenerationV2TriggerEvent, 'version'> & { version: '3' })
  | PreTokenGenerationV3TriggerEvent;

export type PreTokenGenerationEvent = PreTokenGenerationV1Event | PreTokenGenerationV2Event | PreTokenGenerationV3Event;

/** The slice of the Lambda context this handler reads. */
export type InvocationContext = Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'getRemainingTimeInMillis' | 'functionName'>>;

export type PreTokenGenerationHandler = (event: PreTokenGenerationEvent, context?: InvocationContext) => Promise<PreTokenGenerationEvent>;

export type { GroupOverrideDetails };

export const TRIGGER_SOURCES = [
  'TokenGeneration_HostedAuth',
  'TokenGeneration_Authentication',
  'TokenGeneration_NewPasswordChallenge',
  'TokenGeneration_AuthenticateDevice',
  'TokenGeneration_RefreshTokens',
  'TokenGeneration_ClientCredentials',
] as const;

export type TriggerSource = (typeof TRIGGER_SOURCES)[number];
