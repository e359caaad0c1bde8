// What may be written into a header: organisation ids and feature keys are 1–128 characters of
// `A-Z a-z 0-9 . _ : -`; header names are lower-case HTTP tokens (Envoy lower-cases names).

export const MAX_ID_LENGTH: i32 = 128;

// @ts-ignore: decorator
@inline function isIdChar(c: u32): bool {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c == 0x2e || c == 0x5f || c == 0x3a || c == 0x2d
  );
}

/** True for a valid organisation id (also the rule for feature keys). */
export function isValidId(p: usize, len: i32): bool {
  if (len < 1 || len > MAX_ID_LENGTH) return false;
  for (let i: i32 = 0; i < len; i++) {
    if (!isIdChar(load<u8>(p + <usize>i))) return false;
  }
  return true;
}

/** True for a header name of `a-z 0-9 - _ .` (Envoy lower-cases names; no pseudo-headers). */
export function isValidHeaderName(p: usize, len: i32): bool {
  if (len < 1 || len > 256) return false;
  for (let i: i32 = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f || c == 0x2e)) return false;
  }
  return true;
}

/** True for a cookie name as the `cookie` module can find it: a token, no `=`, `;` or blanks. */
export function isValidCookieName(p: usize, len: i32): bool {
  if (len < 1 || len > 256) return false;
  for (let i: i32 = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c <= 0x20 || c >= 0x7f || c == 0x3d || c == 0x3b || c == 0x2c || c == 0x22) return false;
  }
  return true;
}
