// Finding one cookie in a `cookie` header value, with the rules of the `cookie` module (0.7) that
// cookie-parser uses: pairs split on `;`, a segment without `=` skipped, name and value trimmed of
// spaces and tabs, the first occurrence of a name wins, a value wrapped in `"` unwrapped.

import { sameBytes } from '../bytes';

// Where the last findCookie() found its value (no allocation on the request path).
export let foundValueStart: usize = 0;
export let foundValueLength: i32 = 0;

// @ts-ignore: decorator
@inline function isBlank(c: u32): bool {
  return c == 0x20 || c == 0x09;
}

/**
 * Looks for cookie `name` in the `len` bytes of one header entry at `header`. On success sets
 * foundValueStart/foundValueLength and returns true.
 */
export function findCookie(header: usize, len: i32, name: usize, nameLen: i32): bool {
  let index: i32 = 0;
  while (index < len) {
    // The pair ends at the next `;` (or the end); it needs an `=` before that.
    let end = index;
    let eq: i32 = -1;
    while (end < len) {
      const c = <u32>load<u8>(header + <usize>end);
      if (c == 59) break; // ;
      if (c == 61 && eq < 0) eq = end; // =
      end++;
    }
    if (eq >= 0) {
      let keyStart = index;
      while (keyStart < eq && isBlank(load<u8>(header + <usize>keyStart))) keyStart++;
      let keyEnd = eq;
      while (keyEnd > keyStart && isBlank(load<u8>(header + <usize>keyEnd - 1))) keyEnd--;
      if (keyEnd - keyStart == nameLen && sameBytes(header + <usize>keyStart, name, nameLen)) {
        let valueStart = eq + 1;
        while (valueStart < end && isBlank(load<u8>(header + <usize>valueStart))) valueStart++;
        let valueEnd = end;
        while (valueEnd > valueStart && isBlank(load<u8>(header + <usize>valueEnd - 1))) valueEnd--;
        if (
          valueEnd - valueStart >= 2 &&
          load<u8>(header + <usize>valueStart) == 0x22 &&
          load<u8>(header + <usize>valueEnd - 1) == 0x22
        ) {
          valueStart++;
          valueEnd--;
        }
        foundValueStart = header + <usize>valueStart;
        foundValueLength = valueEnd - valueStart;
        return true;
      }
    }
    index = end + 1;
  }
  return false;
}
