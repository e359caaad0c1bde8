// The host's cache of the byte strings a module passes (header names and values): one per VM and
// kind, so a filter that writes the same headers on every request allocates no strings for them.
import { lowerHeaderName } from './header-map.ts';

const CACHE_SLOTS = 128;
const SLOT_SHIFT = 32 - Math.log2(CACHE_SLOTS);
const EMPTY_KEY = new Int32Array(0);

/**
 * Byte strings the module passes again and again (header names, and values such as the ids and
 * feature lists a filter writes), decoded once: direct-mapped on the bytes, bounded in slots and
 * length, a hit confirmed by comparing every byte, a word at a time (strings under four bytes are
 * decoded each time). Names are lower-cased as Envoy does.
 */
export class ByteStringCache {
  /** Each slot's bytes as little-endian words: whole words from 0, then the last four bytes (see read). */
  private readonly keys: Int32Array[] = new Array(CACHE_SLOTS).fill(EMPTY_KEY);
  private readonly sizes = new Int32Array(CACHE_SLOTS).fill(-1);
  private readonly strings: string[] = new Array(CACHE_SLOTS).fill('');

  constructor(
    private readonly lowerCase: boolean,
    private readonly maxLength: number,
  ) {}

  private decode(bytes: Buffer, ptr: number, size: number): string {
    const text = bytes.latin1Slice(ptr, ptr + size);
    return this.lowerCase ? lowerHeaderName(text) : text;
  }

  /** The string at [ptr, ptr+size) of `bytes` (`data` views the same memory; bounds checked). */
  read(bytes: Buffer, data: DataView, ptr: number, size: number): string {
    if (size < 4) return size === 0 ? '' : this.decode(bytes, ptr, size);
    if (size > this.maxLength) return this.decode(bytes, ptr, size);
    // The slot: a multiplicative hash of the length and the first, middle and last four bytes
    // (ids often share a prefix and a length).
    const last = data.getInt32(ptr + size - 4, true);
    const middle = data.getInt32(ptr + ((size - 4) >> 1), true);
    const slot = Math.imul(data.getInt32(ptr, true) ^ Math.imul(last, 0x85ebca6b) ^ Math.imul(middle, 0xc2b2ae35) ^ size, 0x9e3779b1) >>> SLOT_SHIFT;
    const words = size >> 2;
    if (this.sizes[slot] === size) {
      // A word at a time; the last word ends at the last byte (it may overlap the one before).
      const key = this.keys[slot];
      let k = 0;
      while (k < words && key[k] === data.getInt32(ptr + 4 * k, true)) k++;
      if (k === words && key[words] === last) return this.strings[slot];
    }
    const text = this.decode(bytes, ptr, size);
    const key = new Int32Array(words + 1);
    for (let k = 0; k < words; k++) key[k] = data.getInt32(ptr + 4 * k, true);
    key[words] = last;
    this.keys[slot] = key;
    this.sizes[slot] = size;
    this.strings[slot] = text;
    return text;
  }
}
