// A read-only hash table from byte strings to byte strings, built at configuration time and looked
// up on the request path without allocating (organisation id → its features header value).
import { Bytes, hashBytes } from '../bytes';

export class ByteTable {
  private keys: Bytes[] = [];
  private values: Bytes[] = [];
  private slots: StaticArray<i32> = new StaticArray<i32>(8); // index + 1; 0 = empty
  private mask: u32 = 7;

  get size(): i32 {
    return this.keys.length;
  }

  /** Adds or replaces `key`. */
  set(key: Bytes, value: Bytes): void {
    const found = this.indexOf(changetype<usize>(key), key.length);
    if (found >= 0) {
      unchecked((this.values[found] = value));
      return;
    }
    this.keys.push(key);
    this.values.push(value);
    if (<u32>this.keys.length * 2 > this.mask + 1) this.rehash((this.mask + 1) << 1);
    else this.place(this.keys.length - 1);
  }

  /** Index of `key`, or -1. */
  indexOf(key: usize, keyLen: i32): i32 {
    let slot = hashBytes(key, keyLen) & this.mask;
    while (true) {
      const entry = unchecked(this.slots[slot]);
      if (entry == 0) return -1;
      const candidate = unchecked(this.keys[entry - 1]);
      if (candidate.length == keyLen && memory.compare(changetype<usize>(candidate), key, <usize>keyLen) == 0) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  valueAt(index: i32): Bytes {
    return unchecked(this.values[index]);
  }

  private place(index: i32): void {
    const key = unchecked(this.keys[index]);
    let slot = hashBytes(changetype<usize>(key), key.length) & this.mask;
    while (unchecked(this.slots[slot]) != 0) slot = (slot + 1) & this.mask;
    unchecked((this.slots[slot] = index + 1));
  }

  private rehash(capacity: u32): void {
    this.slots = new StaticArray<i32>(<i32>capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < this.keys.length; i++) this.place(i);
  }
}
