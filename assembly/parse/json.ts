// Strict JSON (RFC 8259, what JSON.parse accepts) read in place, without building a tree and
// without allocating: validate a text once, then walk it with cursors (object members, array
// elements) and unescape strings into caller-provided memory. Used at configuration time and on
// the request path (cookie-parser's `j:` payloads, the JWT payload header). Duplicate object keys:
// lookups take the last one, as JSON.parse does. Nesting deeper than MAX_DEPTH is rejected.

import { sameBytes } from '../bytes';

export const MAX_DEPTH: i32 = 64;

// @ts-ignore: decorator
@inline function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

export function skipSpace(p: usize, end: usize): usize {
  while (p < end && isSpace(load<u8>(p))) p++;
  return p;
}

function hexDigit(c: u32): i32 {
  if (isDigit(c)) return <i32>c - 0x30;
  c |= 0x20;
  return c >= 0x61 && c <= 0x66 ? <i32>c - 0x57 : -1;
}

function hex4(p: usize): i32 {
  let v: i32 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const d = hexDigit(load<u8>(p + i));
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** `p` at `"`: returns the position after the closing quote, or 0 when the string is invalid. */
export function skipString(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c < 0x20) return 0;
    if (c != 0x5c) {
      p++;
      continue;
    }
    if (p + 1 >= end) return 0;
    const e = <u32>load<u8>(p + 1);
    if (e == 0x75) {
      if (p + 6 > end || hex4(p + 2) < 0) return 0;
      p += 6;
    } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
      p += 2;
    } else {
      return 0;
    }
  }
  return 0;
}

function skipDigits(p: usize, end: usize): usize {
  while (p < end && isDigit(load<u8>(p))) p++;
  return p;
}

function skipNumber(p: usize, end: usize): usize {
  if (load<u8>(p) == 0x2d) p++;
  if (p >= end || !isDigit(load<u8>(p))) return 0;
  p = load<u8>(p) == 0x30 ? p + 1 : skipDigits(p, end);
  if (p < end && load<u8>(p) == 0x2e) {
    const q = skipDigits(p + 1, end);
    if (q == p + 1) return 0;
    p = q;
  }
  if (p < end && (load<u8>(p) | 0x20) == 0x65) {
    p++;
    if (p < end && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) p++;
    const q = skipDigits(p, end);
    if (q == p) return 0;
    p = q;
  }
  return p;
}

function skipLiteral(p: usize, end: usize, word: u32, length: usize): usize {
  // `word` holds the literal's bytes little-endian (true, false's "alse" part, null).
  if (p + length > end) return 0;
  for (let i: usize = 0; i < length; i++) {
    if (<u32>load<u8>(p + i) != ((word >>> (<u32>i << 3)) & 0xff)) return 0;
  }
  return p + length;
}

/** `p` at a value (no leading space): returns the position after it, or 0 when invalid. */
export function skipValue(p: usize, end: usize, depth: i32): usize {
  if (p >= end || depth > MAX_DEPTH) return 0;
  const c = <u32>load<u8>(p);
  if (c == 0x22) return skipString(p, end);
  if (c == 0x74) return skipLiteral(p, end, 0x65757274, 4); // true
  if (c == 0x6e) return skipLiteral(p, end, 0x6c6c756e, 4); // null
  if (c == 0x66) return skipLiteral(p + 1, end, 0x65736c61, 4); // f + alse
  if (c == 0x2d || isDigit(c)) return skipNumber(p, end);
  if (c != 0x7b && c != 0x5b) return 0;
  const isObject = c == 0x7b;
  const close: u32 = isObject ? 0x7d : 0x5d;
  p = skipSpace(p + 1, end);
  if (p < end && load<u8>(p) == close) return p + 1;
  while (true) {
    if (isObject) {
      if (p >= end || load<u8>(p) != 0x22) return 0;
      p = skipString(p, end);
      if (p == 0) return 0;
      p = skipSpace(p, end);
      if (p >= end || load<u8>(p) != 0x3a) return 0;
      p = skipSpace(p + 1, end);
    }
    p = skipValue(p, end, depth + 1);
    if (p == 0) return 0;
    p = skipSpace(p, end);
    if (p >= end) return 0;
    const next = <u32>load<u8>(p);
    if (next == close) return p + 1;
    if (next != 0x2c) return 0;
    p = skipSpace(p + 1, end);
  }
}

/** True when `len` bytes at `p` are one JSON text (surrounding whitespace allowed). */
export function isValidJson(p: usize, len: i32): bool {
  const end = p + <usize>len;
  const start = skipSpace(p, end);
  const after = skipValue(start, end, 0);
  return after != 0 && skipSpace(after, end) == end;
}

/** The first non-space position of a (valid) JSON text. */
export function valueStart(p: usize, len: i32): usize {
  return skipSpace(p, p + <usize>len);
}

/** Writes code point `cp` as UTF-8 at `o` (lone surrogates as their 3-byte form); returns the new end. */
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

/**
 * Unescapes the (valid) string at `p` (at its `"`) into `out`, which needs no more room than the
 * string's text; returns the byte length. An escaped surrogate pair becomes one code point.
 */
export function unescapeString(p: usize, out: usize): i32 {
  let o = out;
  p++;
  while (true) {
    const c = <u32>load<u8>(p);
    if (c == 0x22) break;
    if (c != 0x5c) {
      store<u8>(o++, <u8>c);
      p++;
      continue;
    }
    const e = <u32>load<u8>(p + 1);
    p += 2;
    if (e != 0x75) {
      let ch = e;
      if (e == 0x62) ch = 8;
      else if (e == 0x66) ch = 12;
      else if (e == 0x6e) ch = 10;
      else if (e == 0x72) ch = 13;
      else if (e == 0x74) ch = 9;
      store<u8>(o++, <u8>ch);
      continue;
    }
    let cp = <u32>hex4(p);
    p += 4;
    if (cp >= 0xd800 && cp <= 0xdbff && load<u8>(p) == 0x5c && load<u8>(p + 1) == 0x75) {
      const lo = <u32>hex4(p + 2);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
      }
    }
    o = putCodePoint(o, cp);
  }
  return <i32>(o - out);
}

// The member or element the last cursor step found (positions in the validated text).
export let keyAt: usize = 0;
export let valueAt: usize = 0;
export let valueEnd: usize = 0;

/**
 * Cursor over an object's members or an array's elements in a validated text. `p` starts at the
 * `{` or `[`; each call moves to the next entry, sets keyAt (objects) / valueAt / valueEnd, and
 * returns the cursor for the following call, or 0 when there are no more entries.
 */
export function nextEntry(p: usize, end: usize): usize {
  let c = <u32>load<u8>(p);
  if (c == 0x7d || c == 0x5d) return 0;
  // First call: at `{` / `[`. Later calls: at `,` or at the closing bracket.
  p = skipSpace(p + 1, end);
  c = <u32>load<u8>(p);
  if (c == 0x7d || c == 0x5d) return 0;
  if (c == 0x22 && isObjectMemberStart(p, end)) {
    keyAt = p;
    p = skipSpace(skipString(p, end), end) + 1; // past `:`
    p = skipSpace(p, end);
  } else {
    keyAt = 0;
  }
  valueAt = p;
  valueEnd = skipValue(p, end, 0);
  // Only reachable on text that was not validated first: stop rather than wander.
  if (valueEnd == 0) return 0;
  return skipSpace(valueEnd, end);
}

// In a validated text a string followed by `:` is a key; a string followed by `,`/`]` is a value.
function isObjectMemberStart(p: usize, end: usize): bool {
  const after = skipSpace(skipString(p, end), end);
  return after < end && load<u8>(after) == 0x3a;
}

/** The JSON kind at `p`: the first byte (`{`, `[`, `"`, `t`, `f`, `n`), or `0` for a number. */
export function kindAt(p: usize): u32 {
  const c = <u32>load<u8>(p);
  return c == 0x2d || isDigit(c) ? 0x30 : c;
}

/**
 * The value of the last member named `key` in the object at `object` (validated text), or 0.
 * `scratch` must hold the longest key of the object.
 */
export function findMember(object: usize, end: usize, key: usize, keyLen: i32, scratch: usize): usize {
  if (kindAt(object) != 0x7b) return 0;
  let found: usize = 0;
  let cursor = object;
  while ((cursor = nextEntry(cursor, end)) != 0) {
    if (keyAt == 0) return 0;
    const n = unescapeString(keyAt, scratch);
    if (n == keyLen && sameBytes(scratch, key, keyLen)) found = valueAt;
  }
  return found;
}

/** A number written as a plain integer (`-?[0-9]+`) has its value; any other number is NaN. */
export function plainInteger(p: usize, end: usize): f64 {
  let negative = false;
  if (p < end && load<u8>(p) == 0x2d) {
    negative = true;
    p++;
  }
  if (p >= end) return NaN;
  let value: f64 = 0;
  for (; p < end; p++) {
    const c = <u32>load<u8>(p);
    if (!isDigit(c)) return NaN;
    value = value * 10 + <f64>(c - 0x30);
  }
  return negative ? -value : value;
}
