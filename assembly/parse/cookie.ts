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
 * The index of the first `;` at or after `from` in the `len` bytes at `p`, or `len`. Sixteen bytes
 * at a time with Wasm SIMD (the `;` bytes as a bit mask, the first one by counting trailing zeros);
 * the last, partial block is the sixteen bytes ending at `len`, its mask shifted so that only bytes
 * from `at` on count. Values under sixteen bytes are looked at byte by byte.
 */
// @ts-ignore: decorator
@inline function nextSemicolon(p: usize, from: i32, len: i32): i32 {
  let at = from;
  while (at + 16 <= len) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p + <usize>at), i8x16.splat(59)));
    if (mask != 0) return at + <i32>ctz(mask);
    at += 16;
  }
  if (at >= len) return len;
  if (len >= 16) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p + <usize>len - 16), i8x16.splat(59))) >>> (at - len + 16);
    return mask != 0 ? at + <i32>ctz(mask) : len;
  }
  while (at < len && load<u8>(p + <usize>at) != 59) at++; // ;
  return at;
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
    const end = nextSemicolon(header, start, len);
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
