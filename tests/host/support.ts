// Compiles the hand-written .wat fixtures with wabt, so every host rule is checked against a module
// whose every instruction is visible in tests/host/fixtures/.
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';

const wabt = await wabtInit();
const cache = new Map<string, Uint8Array>();

export function watToWasm(name: string, source: string): Uint8Array {
  const module = wabt.parseWat(name, source, { mutable_globals: true, sign_extension: true, bulk_memory: true });
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The bytes of tests/host/fixtures/<name>.wat. */
export function fixture(name: string): Uint8Array {
  let bytes = cache.get(name);
  if (!bytes) {
    const source = readFileSync(new URL(`fixtures/${name}.wat`, import.meta.url), 'utf8');
    bytes = watToWasm(`${name}.wat`, source);
    cache.set(name, bytes);
  }
  return bytes;
}
