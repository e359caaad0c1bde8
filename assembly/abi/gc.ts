// When the collector of AssemblyScript's minimal runtime may run: only at the end of a callback,
// never in the middle (it does not see objects held only by stack frames).
let garbage = false;

/** Tells the ABI layer that this callback left unreachable objects behind. */
export function markGarbage(): void {
  garbage = true;
}

/** Reads and clears the flag. */
export function takeGarbageFlag(): bool {
  const was = garbage;
  garbage = false;
  return was;
}

export function hasGarbage(): bool {
  return garbage;
}
