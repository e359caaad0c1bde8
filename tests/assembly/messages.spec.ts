// The configuration-time text table: every piece is where its enum name says, and nothing is
// left over (a piece added without its enum entry, or the reverse, shifts every later one).
import { text, Text } from '../../assembly/filter/messages';

describe('text', () => {
  it('returns each piece by its name', () => {
    expect(text(Text.IdRule)).toBe(" is invalid (1-128 of A-Z a-z 0-9 . _ : -)");
    expect(text(Text.WholeNumber)).toBe("must be a whole number from 0 to 65536");
    expect(text(Text.MustBeString)).toBe("must be a string");
    expect(text(Text.MustBeList)).toBe("must be an array or a comma-separated string");
    expect(text(Text.EmptyItem)).toBe("has an empty item");
    expect(text(Text.Item)).toBe("item ");
    expect(text(Text.IsNotString)).toBe(" is not a string");
    expect(text(Text.MustBeObject)).toBe("must be a JSON object");
    expect(text(Text.EnvOnly)).toBe(" (secrets: env only)");
    expect(text(Text.UnknownKey)).toBe("unknown key ");
    expect(text(Text.BadCookieName)).toBe("is not a valid cookie name");
    expect(text(Text.ProtoCookieName)).toBe("cookie-parser never yields \"__proto__\"");
    expect(text(Text.ControlCharacters)).toBe("has control characters");
    expect(text(Text.MetadataOrHeader)).toBe("must be \"metadata\" or \"header\"");
    expect(text(Text.SameHeaders)).toBe("must differ from the org header");
    expect(text(Text.SecretRequired)).toBe("is required (a secret or a JSON array)");
    expect(text(Text.NotUtf8)).toBe("is not UTF-8");
    expect(text(Text.NotSecretList)).toBe("is not a JSON array of strings");
    expect(text(Text.NoSecret)).toBe("lists no secret");
    expect(text(Text.TooManySecrets)).toBe("lists more than 16 secrets");
    expect(text(Text.SecretNumber)).toBe("secret #");
    expect(text(Text.IsEmpty)).toBe(" is empty");
    expect(text(Text.IsShort)).toBe(" is shorter than 32 bytes");
    expect(text(Text.NotJson)).toBe("is not valid JSON");
    expect(text(Text.MustBeObjectOfArrays)).toBe("must be an object of arrays");
    expect(text(Text.OrganisationId)).toBe("organisation id");
    expect(text(Text.MustMapToArray)).toBe(" must map to an array");
    expect(text(Text.FeatureKey)).toBe("feature key");
    expect(text(Text.BadHeaderName)).toBe("must be a lower-case header name");
    expect(text(Text.InvalidConfiguration)).toBe("invalid configuration: ");
    expect(text(Text.Configured)).toBe("configured: secrets ");
    expect(text(Text.Bootstrapped)).toBe(", bootstrapped ");
    expect(text(Text.Cache)).toBe(", cache ");
    expect(text(Text.Membership)).toBe(", membership ");
    expect(text(Text.Off)).toBe("off");
    expect(text(Text.CookieRejected)).toBe("cookie rejected: ");
    expect(text(Text.MalformedEncoding)).toBe("malformed encoding");
    expect(text(Text.NotSigned)).toBe("not signed");
    expect(text(Text.MalformedSignature)).toBe("malformed signature");
    expect(text(Text.InvalidSignature)).toBe("invalid signature");
    expect(text(Text.NotAnId)).toBe("payload is not an id");
    expect(text(Text.Requests)).toBe("requests");
    expect(text(Text.CookieValid)).toBe("cookie_valid");
    expect(text(Text.CookieInvalid)).toBe("cookie_invalid");
    expect(text(Text.CookieAbsent)).toBe("cookie_absent");
    expect(text(Text.FallbackUsed)).toBe("fallback_used");
    expect(text(Text.MembershipRejected)).toBe("membership_rejected");
    expect(text(Text.SpoofedHeaderRemoved)).toBe("spoofed_header_removed");
  });
  it('has exactly one piece per name', () => {
    expect(text(Text.Count)).toBe('');
  });
});
