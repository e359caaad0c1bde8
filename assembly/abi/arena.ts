// The guest allocator the host calls (`malloc`) to hand over header maps, buffers and properties.
// Those bytes are only needed during the callback that asked for them, so they come from a bump
// arena that is rewound when each callback starts: no per-request heap traffic and no growth with
// the number of requests. A request bigger than the arena gets its own block, freed at the next
// rewind, and the arena is enlarged (up to MAX_ARENA) so steady traffic stays in the fast path.

const INITIAL_ARENA: usize = 16 << 10;
const MAX_ARENA: usize = 1 << 20;

let arenaStart: usize = 0;
let arenaSize: usize = 0;
let arenaTop: usize = 0;
let wantedSize: usize = INITIAL_ARENA;
// Blocks handed out beyond the arena, freed at the next rewind.
const overflow = new Array<usize>();

/** Allocates `size` bytes valid until the next rewind; 0 for size 0 (as Envoy expects). */
export function arenaAlloc(size: usize): usize {
  if (size == 0) return 0;
  const aligned = (size + 7) & ~<usize>7;
  if (arenaStart == 0) {
    arenaStart = heap.alloc(wantedSize);
    arenaSize = wantedSize;
    arenaTop = 0;
  }
  if (arenaTop + aligned <= arenaSize) {
    const p = arenaStart + arenaTop;
    arenaTop += aligned;
    return p;
  }
  // Grow the arena for the next callbacks, bounded, and serve this one from its own block.
  const needed = arenaTop + aligned;
  if (needed > wantedSize) wantedSize = min(MAX_ARENA, max(wantedSize << 1, needed));
  const block = heap.alloc(aligned);
  overflow.push(block);
  return block;
}

/** Forgets every arena allocation; called at the start of each host callback. */
export function rewindArena(): void {
  arenaTop = 0;
  const count = overflow.length;
  if (count > 0) {
    for (let i: i32 = 0; i < count; i++) heap.free(unchecked(overflow[i]));
    overflow.length = 0;
  }
  if (arenaSize < wantedSize) {
    if (arenaStart != 0) heap.free(arenaStart);
    arenaStart = 0;
    arenaSize = 0;
  }
}
