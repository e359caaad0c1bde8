// Configuration-time text: every message, log line part and metric name, kept as one string.
// Each string literal costs the module about 20 bytes besides its characters (an object header
// and data-segment framing), and the release module's budget is 24,000 bytes; one table pays
// that once. Not for the request path: text() allocates.
//
// One piece per line of TEXT, in the order of the enum `Text` (tests/assembly/messages.spec.ts
// checks the count and each piece). Leading and trailing spaces are part of a piece.

export const enum Text {
  IdRule,
  WholeNumber,
  MustBeString,
  MustBeList,
  EmptyItem,
  Item,
  IsNotString,
  MustBeObject,
  EnvOnly,
  UnknownKey,
  BadCookieName,
  ProtoCookieName,
  ControlCharacters,
  MetadataOrHeader,
  SameHeaders,
  SecretRequired,
  NotUtf8,
  NotSecretList,
  NoSecret,
  TooManySecrets,
  SecretNumber,
  IsEmpty,
  IsShort,
  NotJson,
  MustBeObjectOfArrays,
  OrganisationId,
  MustMapToArray,
  FeatureKey,
  BadHeaderName,
  InvalidConfiguration,
  Configured,
  Bootstrapped,
  Cache,
  Membership,
  Off,
  CookieRejected,
  MalformedEncoding,
  NotSigned,
  MalformedSignature,
  InvalidSignature,
  NotAnId,
  Requests,
  CookieValid,
  CookieInvalid,
  CookieAbsent,
  FallbackUsed,
  MembershipRejected,
  SpoofedHeaderRemoved,
  /** The number of pieces. */
  Count,
}

const TEXT = ` is invalid (1-128 of A-Z a-z 0-9 . _ : -)
must be a whole number from 0 to 65536
must be a string
must be an array or a comma-separated string
has an empty item
item 
 is not a string
must be a JSON object
 (secrets: env only)
unknown key 
is not a valid cookie name
cookie-parser never yields "__proto__"
has control characters
must be "metadata" or "header"
must differ from the org header
is required (a secret or a JSON array)
is not UTF-8
is not a JSON array of strings
lists no secret
lists more than 16 secrets
secret #
 is empty
 is shorter than 32 bytes
is not valid JSON
must be an object of arrays
organisation id
 must map to an array
feature key
must be a lower-case header name
invalid configuration: 
configured: secrets 
, bootstrapped 
, cache 
, membership 
off
cookie rejected: 
malformed encoding
not signed
malformed signature
invalid signature
payload is not an id
requests
cookie_valid
cookie_invalid
cookie_absent
fallback_used
membership_rejected
spoofed_header_removed`;

/** Piece `index` of TEXT (configuration time: a new string). */
export function text(index: Text): string {
  const base = changetype<usize>(TEXT);
  const size = <usize>TEXT.length << 1;
  let start: usize = 0;
  // Bounded by the table: an index past the last piece gives the empty string.
  for (let n = <i32>index; n > 0 && start < size; start += 2) {
    if (load<u16>(base + start) == 0x0a) n--;
  }
  let end = start;
  while (end < size && load<u16>(base + end) != 0x0a) end += 2;
  const out = changetype<string>(__new(end - start, idof<string>()));
  memory.copy(changetype<usize>(out), base + start, end - start);
  return out;
}
