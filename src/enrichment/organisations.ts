// The user's organisation ids as a token claim, so the org-context filter's membership check
// (ORG_MEMBERSHIP_CLAIM) can refuse a cookie that selects an organisation the user is not in.
// The value is comma-separated — a string, as Cognito's V1 answer and a custom attribute need, and
// one of the two shapes the filter reads. Bounded: a token travels in every request's headers, so
// an oversized list is left out rather than truncated. A missing claim makes the filter select no
// organisation from the cookie; a truncated one could never grant more, but it would silently drop
// memberships, so it is all or nothing.

/** The claim name the Lambda writes and the filter's ORG_MEMBERSHIP_CLAIM names by default. */
export const MEMBERSHIP_CLAIM = 'custom:organisations';
/** At most this many organisation ids in the claim. */
export const MAX_ORGANISATIONS = 100;
/** At most this many bytes (UTF-8) in the claim's value. */
export const MAX_ORGANISATIONS_CLAIM_BYTES = 4096;

export type OrganisationsOmitted =
  | 'none' // onboarding lists no organisation for the user
  | 'invalid_id' // an id that is empty, has a comma or a control character
  | 'too_many' // more than MAX_ORGANISATIONS
  | 'too_long'; // more than MAX_ORGANISATIONS_CLAIM_BYTES

export type OrganisationsClaim = { value: string; count: number } | { omitted: OrganisationsOmitted; count: number };

// A comma would split one id into two; control characters have no place in a header.
// eslint-disable-next-line no-control-regex
const INVALID_ID = /[,\u0000-\u001f\u007f]/;

/** The claim value for onboarding's `organisations`, or why there is none. */
export function organisationsClaim(organisations: readonly string[] | undefined): OrganisationsClaim {
  const ids = [...new Set(organisations ?? [])];
  const count = ids.length;
  if (count === 0) return { omitted: 'none', count };
  if (ids.some((id) => id.length === 0 || id.trim() !== id || INVALID_ID.test(id))) return { omitted: 'invalid_id', count };
  if (count > MAX_ORGANISATIONS) return { omitted: 'too_many', count };
  const value = ids.join(',');
  if (Buffer.byteLength(value, 'utf8') > MAX_ORGANISATIONS_CLAIM_BYTES) return { omitted: 'too_long', count };
  return { value, count };
}
