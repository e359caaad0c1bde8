// The verified-cookie cache: exact raw cookie value → the organisation id it carries (and the
// index of that organisation's features). Only cookies whose signature checked out are stored, so
// a client cannot fill it with garbage. Direct-mapped and fixed in size: a colliding cookie evicts
// the old one. The slots are one block allocated at the first insert and reused after a
// reconfiguration (emptied), so memory stays flat whatever the traffic.
import { constantTimeEqual } from '../crypto/compare';

/** Longer cookie values are verified every time (Express cookies are well under this). */
export const MAX_CACHED_VALUE: i32 = 256;
/** Shorter ones too: a signed value is at least `s:` + one character + `.` + 43 = 47 bytes. */
export const MIN_CACHED_VALUE: i32 = 16;
const MAX_CACHED_ID: i32 = 128;

// Slot layout: u32 hash, u16 value length (0 = empty), u8 id length, u8 unused, i32 features
// index, value bytes, id bytes.
const HEADER: usize = 12;
const SLOT: usize = HEADER + <usize>MAX_CACHED_VALUE + <usize>MAX_CACHED_ID;

// Where lookup() found the id.
export let cachedIdStart: usize = 0;
export let cachedIdLength: i32 = 0;
export let cachedFeatures: i32 = -1;

/**
 * The slot hash of a cookie value (16 bytes or more): its length and its first, middle and last
 * eight bytes, a fixed amount of work whatever the length. Signed values end in 43 characters of
 * HMAC, so valid cookies spread evenly; a hit is always confirmed by comparing every byte, so
 * values crafted to collide only evict each other (each is then verified again, as any invalid
 * cookie is).
 */
function valueHash(value: usize, len: i32): u32 {
  let h = load<u64>(value) ^ (<u64>len * 0x9e3779b97f4a7c15);
  h = (h ^ (h >>> 29)) * 0xbf58476d1ce4e5b9 ^ load<u64>(value + <usize>((len >> 1) - 4));
  h = (h ^ (h >>> 32)) * 0x94d049bb133111eb ^ load<u64>(value + <usize>len - 8);
  h = (h ^ (h >>> 29)) * 0xff51afd7ed558ccd;
  return <u32>(h ^ (h >>> 32));
}

export class CookieCache {
  private slots: usize = 0;
  private allocated: i32 = 0;
  capacity: i32 = 0;

  /** Empties the cache and sets its size (entries); 0 disables it. */
  reset(capacity: i32): void {
    this.capacity = capacity;
    if (this.slots != 0 && capacity <= this.allocated) {
      for (let i: i32 = 0; i < this.allocated; i++) store<u16>(this.slots + <usize>i * SLOT, 0, 4);
    } else {
      // Freed when it is the heap's last block; otherwise it stays (once per reconfiguration).
      if (this.slots != 0) heap.free(this.slots);
      this.slots = 0;
      this.allocated = 0;
    }
  }

  // @ts-ignore: decorator
  @inline private slot(hash: u32): usize {
    // hash × capacity / 2^32: a slot in [0, capacity) without a division.
    return this.slots + <usize>((<u64>hash * <u64>this.capacity) >>> 32) * SLOT;
  }

  /** True (and cachedIdStart/Length/Features set) when this exact value was verified before. */
  lookup(value: usize, len: i32): bool {
    if (this.slots == 0 || len > MAX_CACHED_VALUE || len < MIN_CACHED_VALUE) return false;
    const hash = valueHash(value, len);
    const entry = this.slot(hash);
    if (load<u32>(entry) != hash || <i32>load<u16>(entry, 4) != len) return false;
    // In constant time: how far a guess matches a cached value must not show.
    if (!constantTimeEqual(entry + HEADER, value, len)) return false;
    cachedIdStart = entry + HEADER + <usize>MAX_CACHED_VALUE;
    cachedIdLength = <i32>load<u8>(entry, 6);
    cachedFeatures = load<i32>(entry, 8);
    return true;
  }

  insert(value: usize, len: i32, id: usize, idLen: i32, features: i32): void {
    if (this.capacity <= 0 || len > MAX_CACHED_VALUE || len < MIN_CACHED_VALUE || idLen > MAX_CACHED_ID) return;
    if (this.slots == 0) {
      this.slots = heap.alloc(<usize>this.capacity * SLOT);
      this.allocated = this.capacity;
      for (let i: i32 = 0; i < this.capacity; i++) store<u16>(this.slots + <usize>i * SLOT, 0, 4);
    }
    const hash = valueHash(value, len);
    const entry = this.slot(hash);
    store<u32>(entry, hash);
    store<u16>(entry, <u16>len, 4);
    store<u8>(entry, <u8>idLen, 6);
    store<i32>(entry, features, 8);
    memory.copy(entry + HEADER, value, <usize>len);
    memory.copy(entry + HEADER + <usize>MAX_CACHED_VALUE, id, <usize>idLen);
  }
}
