// Reads the function signatures of a module's imports straight from its bytes: the JS API cannot
// tell them, and Envoy (V8) refuses a module whose import signature differs from the host's.

export interface ImportSignature {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  /** For functions: "i32,i64->i32"; undefined when the type could not be read. */
  signature?: string;
}

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('unexpected end of module');
    return this.bytes[this.offset++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new RangeError('bad LEB128');
    }
  }
  name(): string {
    const length = this.u32();
    const end = this.offset + length;
    if (end > this.bytes.length) throw new RangeError('unexpected end of module');
    const text = new TextDecoder().decode(this.bytes.subarray(this.offset, end));
    this.offset = end;
    return text;
  }
}

/** Function signatures of the type section; undefined entries for types this reader does not know. */
function readTypes(reader: Reader, end: number): (string | undefined)[] {
  const types: (string | undefined)[] = [];
  const count = reader.u32();
  for (let i = 0; i < count && reader.offset < end; i++) {
    if (reader.byte() !== 0x60) {
      // GC proposal types (rec groups, subtypes): not used by Proxy-Wasm modules; stop reading.
      return types;
    }
    const list = () => {
      const n = reader.u32();
      const items: string[] = [];
      for (let j = 0; j < n; j++) items.push(VALUE_TYPES[reader.byte()] ?? '?');
      return items.join(',');
    };
    const params = list();
    const results = list();
    types.push(`${params}->${results}`);
  }
  return types;
}

/** The imports of a (validated) module with their function signatures. */
export function readImportSignatures(bytes: Uint8Array): ImportSignature[] {
  const reader = new Reader(bytes);
  reader.offset = 8; // magic + version, checked by WebAssembly.Module already
  let types: (string | undefined)[] = [];
  const imports: ImportSignature[] = [];
  try {
    while (reader.offset < bytes.length) {
      const id = reader.byte();
      const size = reader.u32();
      const end = reader.offset + size;
      if (id === 1) types = readTypes(reader, end);
      if (id === 2) {
        const count = reader.u32();
        for (let i = 0; i < count; i++) {
          const module = reader.name();
          const name = reader.name();
          const kind = reader.byte();
          if (kind === 0) {
            imports.push({ module, name, kind: 'function', signature: types[reader.u32()] });
            continue;
          }
          // Other import kinds: record them and stop, their encodings are not needed here.
          imports.push({ module, name, kind: kind === 1 ? 'table' : kind === 2 ? 'memory' : kind === 3 ? 'global' : 'tag' });
          return imports;
        }
        return imports;
      }
      if (id !== 0 && id > 2) return imports; // sections are ordered; imports come before id 3
      reader.offset = end;
    }
  } catch {
    // A module V8 accepted but this reader cannot follow: signatures stay unknown.
  }
  return imports;
}
