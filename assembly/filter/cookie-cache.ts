// The verified-cookie cache: exact raw cookie value → the organisation id it carries. Only cookies
// whose signature checked out are stored, so a client cannot fill it with garbage; it is
// direct-mapped and fixed in size (a colliding cookie evicts the old one), and a new configuration
// builds a new, empty cache. Entries live in unmanaged memory, freed on eviction and disposal.
import { hashBytes } from '../bytes';

/** Longer cookie values are verified every time (Express cookies are well under this). */
export const MAX_CACHED_VALUE: i32 = 512;

// Entry layout: u16 value length, u8 id length, u8 unused, value bytes, id bytes.
const HEADER: usize = 4;

// Where lookup() found the id.
export let cachedIdStart: usize = 0;
export let cachedIdLength: i32 = 0;

export class CookieCache {
  private entries: StaticArray<usize>;
  private hashes: StaticArray<u32>;

  constructor(public readonly capacity: i32) {
    this.entries = new StaticArray<usize>(max(capacity, 0));
    this.hashes = new StaticArray<u32>(max(capacity, 0));
  }

  /** True (and cachedIdStart/Length set) when this exact value was verified before. */
  lookup(value: usize, len: i32): bool {
    if (this.capacity <= 0 || len > MAX_CACHED_VALUE) return false;
    const hash = hashBytes(value, len);
    const slot = <i32>(hash % <u32>this.capacity);
    const entry = unchecked(this.entries[slot]);
    if (entry == 0 || unchecked(this.hashes[slot]) != hash) return false;
    if (<i32>load<u16>(entry) != len || memory.compare(entry + HEADER, value, <usize>len) != 0) return false;
    cachedIdStart = entry + HEADER + <usize>len;
    cachedIdLength = <i32>load<u8>(entry, 2);
    return true;
  }

  insert(value: usize, len: i32, id: usize, idLen: i32): void {
    if (this.capacity <= 0 || len > MAX_CACHED_VALUE || idLen > 255) return;
    const hash = hashBytes(value, len);
    const slot = <i32>(hash % <u32>this.capacity);
    const old = unchecked(this.entries[slot]);
    if (old != 0) heap.free(old);
    const entry = heap.alloc(HEADER + <usize>len + <usize>idLen);
    store<u16>(entry, <u16>len);
    store<u8>(entry, <u8>idLen, 2);
    memory.copy(entry + HEADER, value, <usize>len);
    memory.copy(entry + HEADER + <usize>len, id, <usize>idLen);
    unchecked((this.entries[slot] = entry));
    unchecked((this.hashes[slot] = hash));
  }

  /** Frees every entry; the cache is empty afterwards. */
  clear(): void {
    for (let i = 0; i < this.capacity; i++) {
      const entry = unchecked(this.entries[i]);
      if (entry != 0) {
        heap.free(entry);
        unchecked((this.entries[i] = 0));
      }
    }
  }
}
