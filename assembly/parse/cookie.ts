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
 * The index of the first `;` at or after `from` in the `len` bytes at `p`, or `len`. Eight bytes at
 * a time: in w = word ^ 0x3b…3b a `;` is a zero byte, and the lowest byte flagged by
 * (w - 0x01…01) & ~w & 0x80…80 is exactly the first zero byte (a false flag needs a borrow from a
 * zero byte below it), so its position comes from counting trailing zeros, with no byte loop. The
 * last, partial word is the eight bytes ending at `len`, shifted so that only bytes from `at` on
 * are looked at.
 */
// @ts-ignore: decorator
@inline function nextSemicolon(p: usize, from: i32, len: i32): i32 {
  let at = from;
  // Sixteen bytes at a time while there are that many: the `;` bytes as a bit mask.
  while (at + 16 <= len) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p + <usize>at), i8x16.splat(59)));
    if (mask != 0) return at + <i32>ctz(mask);
    at += 16;
  }
  while (at + 8 <= len) {
    const x = load<u64>(p + <usize>at) ^ 0x3b3b3b3b3b3b3b3b;
    const flags = (x - 0x0101010101010101) & ~x & 0x8080808080808080;
    if (flags != 0) return at + <i32>(ctz(flags) >> 3);
    at += 8;
  }
  if (at >= len) return len;
  if (len >= 8) {
    // The bytes from `at` to `len`, at the bottom of the word; the bytes shifted in become `;` ^ 0
    // after the xor, which flags nothing.
    const x = (load<u64>(p + <usize>len - 8) >>> (<u64>(at - len + 8) << 3)) ^ 0x3b3b3b3b3b3b3b3b;
    const flags = (x - 0x0101010101010101) & ~x & 0x8080808080808080;
    return flags != 0 ? at + <i32>(ctz(flags) >> 3) : len;
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
