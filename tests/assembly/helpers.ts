// Helpers shared by the specs (not a spec itself: as-pect only runs *.spec.ts).
export function text(value: string): StaticArray<u8> {
  const buffer = String.UTF8.encode(value);
  const out = new StaticArray<u8>(buffer.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(buffer), <usize>buffer.byteLength);
  return out;
}

export function hex(bytes: StaticArray<u8>): string {
  const digits = '0123456789abcdef';
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    out += digits.charAt(bytes[i] >> 4) + digits.charAt(bytes[i] & 15);
  }
  return out;
}

export function fromHex(value: string): StaticArray<u8> {
  const out = new StaticArray<u8>(value.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = <u8>parseInt(value.substr(i * 2, 2), 16);
  return out;
}

export function asString(p: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(p, <usize>len);
}

/** One byte per character (codes 0–255): a header as Node reads it, Latin-1. */
export function latin1(value: string): StaticArray<u8> {
  const out = new StaticArray<u8>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = <u8>value.charCodeAt(i);
  return out;
}
