// Percent-decoding of a cookie value as Node and the `cookie` module do it: Node reads header bytes
// as Latin-1 (a raw byte b >= 0x80 is the character U+00b), and `cookie` applies decodeURIComponent
// to every value containing `%` (escapes become bytes that must form UTF-8, `+` stays `+`) and
// keeps the text undecoded when that throws. The result is written as the UTF-8 bytes that
// cookie-signature hashes.

// @ts-ignore: decorator
@inline function hexValue(c: u32): i32 {
  if (c >= 48 && c <= 57) return <i32>c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return <i32>lower - 87;
  return -1;
}

/** True when `len` bytes at `p` are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
export function isValidUtf8(p: usize, len: i32): bool {
  let i: i32 = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(p + <usize>i);
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: i32;
    let min: u32;
    let cp: u32;
    if ((b0 & 0xe0) == 0xc0) {
      need = 1;
      min = 0x80;
      cp = b0 & 0x1f;
    } else if ((b0 & 0xf0) == 0xe0) {
      need = 2;
      min = 0x800;
      cp = b0 & 0x0f;
    } else if ((b0 & 0xf8) == 0xf0) {
      need = 3;
      min = 0x10000;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (len - i - 1 < need) return false;
    for (let k: i32 = 1; k <= need; k++) {
      const b = <u32>load<u8>(p + <usize>(i + k));
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/**
 * Writes the UTF-8 form of the Latin-1 text at `src` (`len` bytes) to `dst`, decoding `%XX`
 * escapes when `escapes` is set, as decodeURIComponent does. `dst` needs 2 × `len` bytes (a raw
 * byte >= 0x80 becomes two); it may equal `src` only when no byte is >= 0x80. Returns the length
 * written, or -1 for a malformed escape or escaped bytes that are not UTF-8 (decodeURIComponent's
 * URIError). Raw bytes become lead-and-continuation pairs, which can neither complete nor be
 * completed by an escaped sequence, so one UTF-8 check of the output is decodeURIComponent's check.
 */
export function percentDecode(src: usize, len: i32, dst: usize, escapes: bool = true): i32 {
  let o: usize = dst;
  let i: i32 = 0;
  // Any output byte of 0x80 or more: only then is the UTF-8 check needed.
  let high: u32 = 0;
  while (i < len) {
    let c = <u32>load<u8>(src + <usize>i);
    i++;
    if (c >= 0x80) {
      store<u8>(o, <u8>(0xc0 | (c >> 6)));
      o++;
      c = 0x80 | (c & 0x3f);
    } else if (c == 37 && escapes) {
      if (len - i < 2) return -1;
      const hi = hexValue(load<u8>(src + <usize>i));
      const lo = hexValue(load<u8>(src + <usize>i + 1));
      if ((hi | lo) < 0) return -1;
      c = <u32>((hi << 4) | lo);
      i += 2;
    }
    store<u8>(o, <u8>c);
    high |= c;
    o++;
  }
  const outLen = <i32>(o - dst);
  return high < 0x80 || isValidUtf8(dst, outLen) ? outLen : -1;
}
