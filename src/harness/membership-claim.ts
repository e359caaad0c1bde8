// Puts each user's organisations into their tokens as `custom:organisations` (comma-separated, as
// a Cognito custom attribute is a string), so the org-context filter's membership check has a
// verified claim to read. It wraps the real enrichment handler and only adds to its answer: the
// Lambda's own claims and failure policy are untouched.
import type { PreTokenGenerationHandler } from '../enrichment/index.ts';

export const MEMBERSHIP_CLAIM = 'custom:organisations';

type Answer = {
  version?: string;
  response?: {
    claimsOverrideDetails?: { claimsToAddOrOverride?: Record<string, string> };
    claimsAndScopeOverrideDetails?: {
      idTokenGeneration?: { claimsToAddOrOverride?: Record<string, string> };
      accessTokenGeneration?: { claimsToAddOrOverride?: Record<string, string> };
    };
  };
};

export function withMembershipClaim(
  inner: PreTokenGenerationHandler,
  organisationsOf: (userId: string) => string[] | undefined,
): PreTokenGenerationHandler {
  const wrapped = async (event: Parameters<PreTokenGenerationHandler>[0], context: Parameters<PreTokenGenerationHandler>[1]) => {
    const answer = (await inner(event, context)) as Answer;
    const userId = (event as { request?: { userAttributes?: Record<string, string> } }).request?.userAttributes?.sub;
    const organisations = userId ? organisationsOf(userId) : undefined;
    if (!organisations || !answer?.response) return answer;
    const claim = { [MEMBERSHIP_CLAIM]: organisations.join(',') };
    if (answer.version === '1' || answer.response.claimsOverrideDetails) {
      const details = (answer.response.claimsOverrideDetails ??= {});
      details.claimsToAddOrOverride = { ...details.claimsToAddOrOverride, ...claim };
    } else {
      const details = (answer.response.claimsAndScopeOverrideDetails ??= {});
      const id = (details.idTokenGeneration ??= {});
      id.claimsToAddOrOverride = { ...id.claimsToAddOrOverride, ...claim };
    }
    return answer;
  };
  return wrapped as unknown as PreTokenGenerationHandler;
}
