// Byte helpers. The filter keeps every value as UTF-8 bytes (StaticArray<u8>); strings exist only at
// configuration time and in error messages.

import { OBJECT, TOTAL_OVERHEAD } from 'rt/common';

export type Bytes = StaticArray<u8>;

/**
 * The length of a byte string, read from its object header in place: what `.length` returns, without
 * the call the size-optimised build makes for it (for the request path).
 */
// @ts-ignore: decorator
@inline export function byteLength(bytes: Bytes): i32 {
  return <i32>changetype<OBJECT>(changetype<usize>(bytes) - TOTAL_OVERHEAD).rtSize;
}

/**
 * Writes code point `cp` as UTF-8 at `o` (lone surrogates as their 3-byte form); returns the new end.
 * Shared by utf8() and JSON string unescaping, which is why it lives here, below the parsers.
 */
export function putCodePoint(o: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(o, <u8>cp);
    return o + 1;
  }
  if (cp < 0x800) {
    store<u8>(o, <u8>(0xc0 | (cp >> 6)));
    store<u8>(o + 1, <u8>(0x80 | (cp & 0x3f)));
    return o + 2;
  }
  if (cp < 0x10000) {
    store<u8>(o, <u8>(0xe0 | (cp >> 12)));
    store<u8>(o + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(o + 2, <u8>(0x80 | (cp & 0x3f)));
    return o + 3;
  }
  store<u8>(o, <u8>(0xf0 | (cp >> 18)));
  store<u8>(o + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(o + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(o + 3, <u8>(0x80 | (cp & 0x3f)));
  return o + 4;
}

/** UTF-8 bytes of a string (configuration time and messages only; lone surrogates become U+FFFD). */
export function utf8(text: string): Bytes {
  const n = text.length;
  // At most 3 bytes per UTF-16 unit; trimmed to size below.
  const buffer = new StaticArray<u8>(n * 3);
  let o: usize = changetype<usize>(buffer);
  const base = o;
  for (let i = 0; i < n; i++) {
    let c = <u32>text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? <u32>text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    o = putCodePoint(o, c);
  }
  return copyBytes(base, <i32>(o - base));
}

/** A non-negative integer in decimal, for messages (avoids the standard library's formatter). */
export function decimal(value: i32): string {
  let out = '';
  let v = value < 0 ? 0 : value;
  do {
    out = String.fromCharCode(0x30 + (v % 10)) + out;
    v /= 10;
  } while (v > 0);
  return out;
}

/** Copies `len` bytes at `src` into a new array. */
export function copyBytes(src: usize, len: i32): Bytes {
  const out = new StaticArray<u8>(len);
  memory.copy(changetype<usize>(out), src, <usize>len);
  return out;
}

/** True when the `len` bytes at `a` and `b` are equal (one shared loop keeps the module small). */
export function sameBytes(a: usize, b: usize, len: i32): bool {
  let i: i32 = 0;
  // 8 bytes at a time (unaligned loads are fine in Wasm), then the tail.
  for (; i + 8 <= len; i += 8) {
    if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  }
  for (; i < len; i++) {
    if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  }
  return true;
}

export function equalAt(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  return aLen == bLen && sameBytes(a, b, aLen);
}

export function bytesEqual(a: Bytes, b: Bytes): bool {
  return equalAt(changetype<usize>(a), a.length, changetype<usize>(b), b.length);
}

/** Joins byte strings with a one-byte separator. */
export function joinBytes(parts: Bytes[], separator: u8): Bytes {
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += unchecked(parts[i]).length + (i > 0 ? 1 : 0);
  const out = new StaticArray<u8>(total);
  let o: usize = changetype<usize>(out);
  for (let i = 0; i < parts.length; i++) {
    const part = unchecked(parts[i]);
    if (i > 0) {
      store<u8>(o, separator);
      o++;
    }
    memory.copy(o, changetype<usize>(part), <usize>part.length);
    o += <usize>part.length;
  }
  return out;
}
