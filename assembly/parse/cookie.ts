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
 *
 * A pair's name is what precedes its first `=`, trimmed; configured names are visible ASCII
 * without `=`, so "the trimmed name equals `name`" is "after the pair's leading blanks come
 * `name`, blanks and `=`". Pairs that do not start that way are skipped with one test per byte.
 */
// @ts-ignore: decorator
@inline export function findCookie(header: usize, len: i32, name: usize, nameLen: i32): bool {
  let index: i32 = 0;
  while (index < len) {
    let start = index;
    while (start < len && isBlank(load<u8>(header + <usize>start))) start++;
    let end = start;
    // To the next `;`: eight bytes at a time while no byte of the word is `;` (w ^ 0x3b…3b has
    // no zero byte), then byte by byte.
    while (end + 8 <= len) {
      const x = load<u64>(header + <usize>end) ^ 0x3b3b3b3b3b3b3b3b;
      if (((x - 0x0101010101010101) & ~x & 0x8080808080808080) != 0) break;
      end += 8;
    }
    while (end < len && load<u8>(header + <usize>end) != 59) end++; // ;
    if (end - start > nameLen && sameBytes(header + <usize>start, name, nameLen)) {
      let eq = start + nameLen;
      while (eq < end && isBlank(load<u8>(header + <usize>eq))) eq++;
      if (eq < end && load<u8>(header + <usize>eq) == 61) {
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
