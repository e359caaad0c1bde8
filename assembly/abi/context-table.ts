// Live HTTP contexts by id: open addressing with linear probing and backward-shift deletion, so
// the table never fills with tombstones and only grows (doubling) with the number of concurrent
// streams, never with the number of requests.
import { HttpContext } from './context';

export class ContextTable {
  private ids: StaticArray<u32> = new StaticArray<u32>(64); // 0 = empty (context ids start at 1)
  private contexts: StaticArray<HttpContext | null> = new StaticArray<HttpContext | null>(64);
  private mask: u32 = 63;
  private count: u32 = 0;

  // @ts-ignore: decorator
  @inline private home(id: u32): u32 {
    return (id * 0x9e3779b1) >>> 16 & this.mask;
  }

  get(id: u32): HttpContext | null {
    let slot = this.home(id);
    while (true) {
      const found = unchecked(this.ids[slot]);
      if (found == id) return unchecked(this.contexts[slot]);
      if (found == 0) return null;
      slot = (slot + 1) & this.mask;
    }
  }

  set(id: u32, context: HttpContext): void {
    if (id == 0) return;
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    let slot = this.home(id);
    while (true) {
      const found = unchecked(this.ids[slot]);
      if (found == id || found == 0) break;
      slot = (slot + 1) & this.mask;
    }
    if (unchecked(this.ids[slot]) == 0) this.count++;
    unchecked((this.ids[slot] = id));
    unchecked((this.contexts[slot] = context));
  }

  delete(id: u32): void {
    let slot = this.home(id);
    while (true) {
      const found = unchecked(this.ids[slot]);
      if (found == 0) return;
      if (found == id) break;
      slot = (slot + 1) & this.mask;
    }
    // Shift later entries of the same probe run back into the hole.
    let hole = slot;
    let next = (slot + 1) & this.mask;
    while (true) {
      const moving = unchecked(this.ids[next]);
      if (moving == 0) break;
      const home = this.home(moving);
      // Move when the entry's home is not cyclically within (hole, next].
      if (((next - home) & this.mask) >= ((next - hole) & this.mask)) {
        unchecked((this.ids[hole] = moving));
        unchecked((this.contexts[hole] = unchecked(this.contexts[next])));
        hole = next;
      }
      next = (next + 1) & this.mask;
    }
    unchecked((this.ids[hole] = 0));
    unchecked((this.contexts[hole] = null));
    this.count--;
  }

  private grow(): void {
    const oldIds = this.ids;
    const oldContexts = this.contexts;
    const capacity = (this.mask + 1) << 1;
    this.ids = new StaticArray<u32>(<i32>capacity);
    this.contexts = new StaticArray<HttpContext | null>(<i32>capacity);
    this.mask = capacity - 1;
    this.count = 0;
    for (let i = 0; i < oldIds.length; i++) {
      const id = unchecked(oldIds[i]);
      const context = unchecked(oldContexts[i]);
      if (id != 0 && context !== null) this.set(id, context);
    }
  }
}
