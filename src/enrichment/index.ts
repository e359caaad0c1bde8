// The enrichment module's public surface for code that runs it in-process (the identity provider
// stand-in, tests). The Lambda entry is handler.ts.
export { createHandler, EnrichmentDenied, CLAIM, type EnrichmentHandler, type HandlerDependencies } from './enrich.ts';
export {
  settingsFromEnv,
  validateSettings,
  parseUserTypes,
  ENV,
  DEFAULT_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
  ORGANISATIONS_CLAIM_OFF,
  type EnrichmentSettings,
  type FailurePolicy,
} from './config.ts';
export {
  MEMBERSHIP_CLAIM,
  MAX_ORGANISATIONS,
  MAX_ORGANISATIONS_CLAIM_BYTES,
  organisationsClaim,
  type OrganisationsClaim,
  type OrganisationsOmitted,
} from './organisations.ts';
export { EnrichmentConfigError, OnboardingError, type OnboardingFailure } from './errors.ts';
export { respond, groupOverrideFrom } from './respond.ts';
export { refreshMargin } from './token-source.ts';
export type {
  PreTokenGenerationEvent,
  PreTokenGenerationV1Event,
  PreTokenGenerationV2Event,
  PreTokenGenerationV3Event,
  PreTokenGenerationHandler,
  InvocationContext,
  TriggerSource,
} from './events.ts';
export { TRIGGER_SOURCES } from './events.ts';
