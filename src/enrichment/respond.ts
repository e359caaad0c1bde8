// Writes the handler's answer into `event.response` in the exact shape of the event's version.
// The group configuration Cognito sent is always copied back as groupOverrideDetails: the answer
// then says explicitly "keep these groups", so adding a claim can never drop `cognito:groups`.
import type { GroupOverrideDetails, PreTokenGenerationEvent } from './events.ts';

type Claims = Record<string, string>;

export function groupOverrideFrom(event: PreTokenGenerationEvent): GroupOverrideDetails {
  const config = event.request.groupConfiguration ?? {};
  const copy: GroupOverrideDetails = {};
  if (Array.isArray(config.groupsToOverride)) copy.groupsToOverride = [...config.groupsToOverride];
  if (Array.isArray(config.iamRolesToOverride)) copy.iamRolesToOverride = [...config.iamRolesToOverride];
  // Cognito sends preferredRole: null when there is none; send back what came.
  if (config.preferredRole !== undefined) copy.preferredRole = config.preferredRole;
  return copy;
}

/** `claims` undefined → no claims added (the `omit` policy); groups are kept either way. */
export function respond<E extends PreTokenGenerationEvent>(event: E, claims: Claims | undefined): E {
  const groupOverrideDetails = groupOverrideFrom(event);
  if (event.version === '1') {
    const response = {
      claimsOverrideDetails: {
        ...(claims ? { claimsToAddOrOverride: { ...claims } } : {}),
        groupOverrideDetails,
      },
    };
    return { ...event, response } as E;
  }
  const response = {
    claimsAndScopeOverrideDetails: {
      ...(claims
        ? {
            idTokenGeneration: { claimsToAddOrOverride: { ...claims } },
            // APIs behind the gateway may authorise on the access token, so it carries it too.
            accessTokenGeneration: { claimsToAddOrOverride: { ...claims } },
          }
        : {}),
      groupOverrideDetails,
    },
  };
  return { ...event, response } as E;
}
