// Base64 (RFC 4648) on raw memory: the standard alphabet for cookie signatures, the URL-safe one
// for the JWT payload header. Decoding reports malformed input instead of guessing.

// @ts-ignore: decorator
@lazy const STD: StaticArray<u8> = [
  65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
  97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117,
  118, 119, 120, 121, 122, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 43, 47,
];

/** Length of the unpadded standard encoding of `len` bytes. */
export function base64UnpaddedLength(len: i32): i32 {
  return (len / 3) * 4 + (len % 3 == 0 ? 0 : (len % 3) + 1);
}

/** Encodes `len` bytes with the standard alphabet and no `=` padding; returns the output length. */
export function base64EncodeUnpadded(src: usize, len: i32, dst: usize): i32 {
  const table = changetype<usize>(STD);
  let o: usize = dst;
  // A bit accumulator: 8 bits in per byte, 6 bits out per character; the tail is zero-filled.
  let acc: u32 = 0;
  let bits: u32 = 0;
  for (let i: i32 = 0; i < len; i++) {
    acc = (acc << 8) | <u32>load<u8>(src + <usize>i);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      store<u8>(o++, load<u8>(table + ((acc >>> bits) & 63)));
    }
  }
  if (bits > 0) store<u8>(o++, load<u8>(table + ((acc << (6 - bits)) & 63)));
  return <i32>(o - dst);
}

// Decoding tables: 256 entries each, the sextet value or 0xff for a byte outside the alphabet.
// @ts-ignore: decorator
@lazy const DECODE_STD: usize = decodeTable(false);
// @ts-ignore: decorator
@lazy const DECODE_URL: usize = decodeTable(true);

function decodeTable(urlSafe: bool): usize {
  const table = heap.alloc(256);
  memory.fill(table, 0xff, 256);
  for (let i: u32 = 0; i < 26; i++) {
    store<u8>(table + 65 + i, <u8>i);
    store<u8>(table + 97 + i, <u8>(26 + i));
  }
  for (let i: u32 = 0; i < 10; i++) store<u8>(table + 48 + i, <u8>(52 + i));
  store<u8>(table + (urlSafe ? 45 : 43), 62);
  store<u8>(table + (urlSafe ? 95 : 47), 63);
  return table;
}

// @ts-ignore: decorator
@inline function sextet(table: usize, c: u32): i32 {
  const v = <i32>load<u8>(table + c);
  return v == 0xff ? -1 : v;
}

/** Bytes needed to decode `len` characters (an upper bound). */
export function base64DecodedMaxLength(len: i32): i32 {
  return (len / 4) * 3 + 3;
}

/**
 * Decodes `len` characters into `dst`; returns the byte count, or -1 when the input is malformed:
 * a character outside the alphabet, a length that cannot end a quantum (4n+1), or `=` anywhere but
 * as the final padding of a complete quantum. Padding is optional.
 */
export function base64Decode(src: usize, len: i32, dst: usize, urlSafe: bool): i32 {
  if (len < 0) return -1;
  // Strip correct padding: only when the padded length is a multiple of 4.
  if (len > 0 && load<u8>(src + <usize>len - 1) == 61) {
    if ((len & 3) != 0) return -1;
    len--;
    if (len > 0 && load<u8>(src + <usize>len - 1) == 61) len--;
    if ((len & 3) == 0 || (len & 3) == 1) return -1;
  }
  if ((len & 3) == 1) return -1;
  const table = urlSafe ? DECODE_URL : DECODE_STD;
  let o: usize = dst;
  let acc: u32 = 0;
  let bits: u32 = 0;
  for (let i: i32 = 0; i < len; i++) {
    const v = sextet(table, load<u8>(src + <usize>i));
    if (v < 0) return -1;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(o++, <u8>(acc >>> bits));
    }
  }
  return <i32>(o - dst);
}
