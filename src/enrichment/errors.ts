// Precise errors: each says what failed and never carries a token or a secret, because Cognito
// shows a thrown Lambda error to the user ("PreTokenGeneration failed with error <message>.").

/** A setting is missing or invalid; the message names the environment variable. */
export class EnrichmentConfigError extends Error {
  override name = 'EnrichmentConfigError';
}

export type OnboardingFailure =
  | 'timeout' // the invocation's time budget ran out
  | 'connection' // could not connect (after one retry)
  | 'token' // the token endpoint refused or failed
  | 'unauthorized' // onboarding refused the M2M token (after one refetch)
  | 'not_found' // onboarding has no such user
  | 'status' // any other unexpected HTTP status
  | 'invalid_response'; // a body that is not the documented shape

/** Onboarding (or the token endpoint in front of it) could not give us the user's privilege. */
export class OnboardingError extends Error {
  override name = 'OnboardingError';
  constructor(
    readonly failure: OnboardingFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
