// The serialized pairs layout of Proxy-Wasm (little-endian): u32 count N, N × (u32 name length,
// u32 value length), then every name and value followed by one 0x00 byte. Strings here are byte
// strings (one char per byte, latin1), as header bytes are in Node's http module.
import { PAIRS_MAX_BYTES, PAIRS_MAX_COUNT } from './abi.ts';
import { writeByteString } from './memory.ts';

export type Pairs = [string, string][];

export function pairsSize(names: readonly string[], values: readonly string[]): number {
  let size = 4;
  for (let i = 0; i < names.length; i++) size += 8 + names[i].length + 1 + values[i].length + 1;
  return size;
}

/** Writes pairs at `offset` of `target` (which must have pairsSize bytes free). */
export function writePairs(target: Buffer, offset: number, names: readonly string[], values: readonly string[]): void {
  const count = names.length;
  target.writeUInt32LE(count, offset);
  let sizes = offset + 4;
  let data = offset + 4 + 8 * count;
  for (let i = 0; i < count; i++) {
    const name = names[i];
    const value = values[i];
    target.writeUInt32LE(name.length, sizes);
    target.writeUInt32LE(value.length, sizes + 4);
    sizes += 8;
    data += writeByteString(target, name, data);
    target[data++] = 0;
    data += writeByteString(target, value, data);
    target[data++] = 0;
  }
}

export function encodePairs(pairs: Pairs): Buffer {
  const names = pairs.map((p) => p[0]);
  const values = pairs.map((p) => p[1]);
  const buffer = Buffer.alloc(pairsSize(names, values));
  writePairs(buffer, 0, names, values);
  return buffer;
}

/**
 * Reads pairs as Envoy does: anything malformed (short, overlong, missing NUL terminators, trailing
 * bytes, over 1 MiB or 1024 pairs) yields an empty list, never an error.
 */
export function readPairs(source: Buffer, offset: number, size: number): Pairs {
  if (size > PAIRS_MAX_BYTES || size < 4) return [];
  const end = offset + size;
  const count = source.readUInt32LE(offset);
  if (count > PAIRS_MAX_COUNT) return [];
  let sizes = offset + 4;
  let pos = sizes + count * 8;
  if (pos > end) return [];
  const pairs: Pairs = [];
  for (let i = 0; i < count; i++) {
    const nameLength = source.readUInt32LE(sizes);
    const valueLength = source.readUInt32LE(sizes + 4);
    sizes += 8;
    if (pos + nameLength + 1 > end) return [];
    const name = source.toString('latin1', pos, pos + nameLength);
    pos += nameLength;
    if (source[pos++] !== 0) return [];
    if (pos + valueLength + 1 > end) return [];
    const value = source.toString('latin1', pos, pos + valueLength);
    pos += valueLength;
    if (source[pos++] !== 0) return [];
    pairs.push([name, value]);
  }
  return pos === end ? pairs : [];
}
