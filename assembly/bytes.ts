// Byte helpers. The filter keeps every value as UTF-8 bytes (StaticArray<u8>); strings exist only at
// configuration time and in error messages.

export type Bytes = StaticArray<u8>;

// @ts-ignore: decorator
@inline export function ptr(bytes: Bytes): usize {
  return changetype<usize>(bytes);
}

/** UTF-8 bytes of a string (configuration time only). */
export function utf8(text: string): Bytes {
  const buffer = String.UTF8.encode(text);
  const out = new StaticArray<u8>(buffer.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(buffer), <usize>buffer.byteLength);
  return out;
}

/** Copies `len` bytes at `src` into a new array. */
export function copyBytes(src: usize, len: i32): Bytes {
  const out = new StaticArray<u8>(len);
  memory.copy(changetype<usize>(out), src, <usize>len);
  return out;
}

/** A string for messages; invalid UTF-8 is replaced, never trusted. */
export function bytesToString(bytes: Bytes): string {
  return String.UTF8.decodeUnsafe(changetype<usize>(bytes), <usize>bytes.length);
}

// @ts-ignore: decorator
@inline export function equalAt(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  return aLen == bLen && memory.compare(a, b, <usize>aLen) == 0;
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

/**
 * A 32-bit hash of bytes for table lookups (not cryptographic: tables always confirm a hit by
 * comparing the bytes). Reads 4 bytes per step so long cookies stay cheap.
 */
export function hashBytes(p: usize, len: i32): u32 {
  let h: u32 = 0x9e3779b9 ^ <u32>len;
  let i: i32 = 0;
  while (len - i >= 4) {
    h = (h ^ load<u32>(p + <usize>i)) * 0x01000193;
    h ^= h >>> 15;
    i += 4;
  }
  while (i < len) {
    h = (h ^ <u32>load<u8>(p + <usize>i)) * 0x01000193;
    i++;
  }
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  return h;
}
