// Strict JSON (RFC 8259, what JSON.parse accepts) read in place, without building a tree and
// without allocating: validate a text once, then walk it with cursors (object members, array
// elements) and unescape strings into caller-provided memory. Used at configuration time and on
// the request path (cookie-parser's `j:` payloads, the JWT payload header). Duplicate object keys:
// lookups take the last one, as JSON.parse does. Any nesting depth is read, as JSON.parse reads
// it: nothing here recurses (validation keeps a bit per open bracket, skipping counts brackets).

import { putCodePoint, sameBytes } from '../bytes';

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

/** `p` at a string, number or literal: returns the position after it, or 0 when invalid. */
function skipScalar(p: usize, end: usize): usize {
  if (p >= end) return 0;
  const c = <u32>load<u8>(p);
  if (c == 0x22) return skipString(p, end);
  if (c == 0x74) return skipLiteral(p, end, 0x65757274, 4); // true
  if (c == 0x6e) return skipLiteral(p, end, 0x6c6c756e, 4); // null
  if (c == 0x66) return skipLiteral(p + 1, end, 0x65736c61, 4); // f + alse
  if (c == 0x2d || isDigit(c)) return skipNumber(p, end);
  return 0;
}

/**
 * `p` at a value of a validated text: returns the position after it (0 if the text ends first).
 * A container is skipped by counting brackets outside strings, which validation made balanced.
 */
export function skipValue(p: usize, end: usize): usize {
  let depth: i32 = 0;
  do {
    if (p >= end) return 0;
    const c = <u32>load<u8>(p);
    if (c == 0x22) {
      p = skipString(p, end);
      if (p == 0) return 0;
    } else if ((c | 0x20) == 0x7b || (c | 0x20) == 0x7d) {
      // `{` `[` open, `}` `]` close (the pairs differ only in bit 5).
      depth += c & 2 ? 1 : -1;
      p++;
    } else if (depth == 0) {
      return skipScalar(p, end);
    } else {
      p++;
    }
  } while (depth > 0);
  return p;
}

/** `p` at an object member: returns the position of its value (after `"key":`), or 0. */
function skipKey(p: usize, end: usize): usize {
  if (p >= end || load<u8>(p) != 0x22) return 0;
  p = skipString(p, end);
  if (p == 0) return 0;
  p = skipSpace(p, end);
  if (p >= end || load<u8>(p) != 0x3a) return 0;
  return skipSpace(p + 1, end);
}

/**
 * True when `len` bytes at `p` are one JSON text (surrounding whitespace allowed), at any depth.
 * The open containers are a stack of bits (1 = object) at `stack`, which needs (len >> 3) + 1
 * bytes (every level takes a byte of text); without one (configuration time) it is allocated.
 */
export function isValidJson(p: usize, len: i32, stack: usize = 0): bool {
  if (stack == 0) stack = changetype<usize>(new StaticArray<u8>((len >> 3) + 1));
  const end = p + <usize>len;
  let depth: u32 = 0;
  p = skipSpace(p, end);
  for (;;) {
    // At a value.
    if (p >= end) return false;
    const c = <u32>load<u8>(p);
    if (c == 0x7b || c == 0x5b) {
      const byte = stack + <usize>(depth >> 3);
      const bit: u32 = 1 << (depth & 7);
      const bits = <u32>load<u8>(byte);
      store<u8>(byte, <u8>(c == 0x7b ? bits | bit : bits & ~bit));
      depth++;
      p = skipSpace(p + 1, end);
      // An empty container is a complete value; otherwise its first entry follows.
      if (p < end && <u32>load<u8>(p) == c + 2) {
        depth--;
        p++;
      } else {
        if (c == 0x7b && (p = skipKey(p, end)) == 0) return false;
        continue;
      }
    } else {
      p = skipScalar(p, end);
      if (p == 0) return false;
    }
    // After a value: close containers until a `,` starts the next entry.
    for (;;) {
      p = skipSpace(p, end);
      if (depth == 0) return p == end;
      if (p >= end) return false;
      const inObject = (<u32>load<u8>(stack + <usize>((depth - 1) >> 3)) >> ((depth - 1) & 7)) & 1;
      const next = <u32>load<u8>(p);
      p++;
      if (next == 0x2c) {
        p = skipSpace(p, end);
        if (inObject != 0 && (p = skipKey(p, end)) == 0) return false;
        break;
      }
      if (next != (inObject != 0 ? 0x7d : 0x5d)) return false;
      depth--;
    }
  }
  return false; // not reached: every path returns in the loop
}

/** The first non-space position of a (valid) JSON text. */
export function valueStart(p: usize, len: i32): usize {
  return skipSpace(p, p + <usize>len);
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
  valueEnd = skipValue(p, end);
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
