// The guest allocator the host calls (`malloc`) to hand over header maps, buffers and properties,
// also used for per-request scratch. Those bytes are needed only during the callback that asked
// for them, so they come from a bump arena rewound when each callback starts: no per-request heap
// traffic, no growth with the number of requests.
//
// The runtime is AssemblyScript's stub (a bump heap that only takes back its last block), so the
// arena grows by replacing itself with a block twice as big, up to MAX_ARENA; the outgrown block
// stays valid until the callback ends and is never reused (at most a handful over a VM's life). A
// request beyond MAX_ARENA gets a temporary block, handed back at the next rewind.

const INITIAL_ARENA: usize = 16 << 10;
const MAX_ARENA: usize = 1 << 20;
const MAX_TEMPORARY: usize = 16;

let arenaStart: usize = 0;
let arenaSize: usize = 0;
let arenaTop: usize = 0;
let temporaryCount: usize = 0;
// @ts-ignore: decorator
@lazy const temporary: usize = memory.data(16 << 2, 4);

/** Allocates `size` bytes valid until the next rewind; 0 for size 0 (as Envoy expects). */
export function arenaAlloc(size: usize): usize {
  if (size == 0) return 0;
  const aligned = (size + 15) & ~<usize>15;
  if (arenaTop + aligned > arenaSize) {
    let grown = max(arenaSize << 1, INITIAL_ARENA);
    while (grown < aligned && grown < MAX_ARENA) grown <<= 1;
    if (aligned > grown || grown > MAX_ARENA) {
      const block = heap.alloc(aligned);
      if (temporaryCount < MAX_TEMPORARY) {
        store<usize>(temporary + (temporaryCount << 2), block);
        temporaryCount++;
      }
      return block;
    }
    arenaStart = heap.alloc(grown);
    arenaSize = grown;
    arenaTop = 0;
  }
  const p = arenaStart + arenaTop;
  arenaTop += aligned;
  return p;
}

/** Forgets every arena allocation; called at the start of each host callback. */
export function rewindArena(): void {
  arenaTop = 0;
  // Newest first: the stub heap takes a block back only when it is the last one.
  while (temporaryCount > 0) {
    temporaryCount--;
    heap.free(load<usize>(temporary + (temporaryCount << 2)));
  }
}
