// Percent-decoding as JavaScript's decodeURIComponent does it (what the `cookie` module applies to
// every cookie value containing `%`): `%XX` escapes become bytes, `+` stays `+`, and the result
// must be well-formed UTF-8. Unlike the `cookie` module we never fall back to the raw value: a
// malformed cookie is untrusted.

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
 * Decodes `len` bytes at `src` into `dst` (which may equal `src`: output never outruns input).
 * Returns the decoded length, or -1 for a malformed escape or a result that is not UTF-8.
 */
export function percentDecode(src: usize, len: i32, dst: usize): i32 {
  let o: usize = dst;
  let i: i32 = 0;
  // Any byte of 0x80 or more: only then is the UTF-8 check needed.
  let high: u32 = 0;
  while (i < len) {
    let c = <u32>load<u8>(src + <usize>i);
    if (c == 37) {
      if (len - i < 3) return -1;
      const hi = hexValue(load<u8>(src + <usize>i + 1));
      const lo = hexValue(load<u8>(src + <usize>i + 2));
      if ((hi | lo) < 0) return -1;
      c = <u32>((hi << 4) | lo);
      i += 3;
    } else {
      i++;
    }
    store<u8>(o, <u8>c);
    high |= c;
    o++;
  }
  const outLen = <i32>(o - dst);
  return high < 0x80 || isValidUtf8(dst, outLen) ? outLen : -1;
}
