// proxy_increment_metric without the JS boundary. Its offset is an i64, which V8 hands a JS import
// as a BigInt (an allocation and a conversion on every call); Envoy's increment is a native add.
// So the import a VM gets is a function of a small wasm module, called wasm to wasm: counters and
// gauges of a plugin keep their values in that module's memory (shared with the MetricStore) and
// the common case (a defined counter or gauge, the VM in no restricted phase) is an add there. Any
// other case — an unknown or histogram id, a restricted phase — goes to the JS import, which does
// exactly what it did before (the guard, NOT_FOUND, BAD_ARGUMENT).
//
// Memory layout (one 64 KiB page):
//   [0, 1024)        one i32 per VM: nonzero while the VM is in a restricted phase
//   [1024, 17408)    one i32 per metric id < 4096: (cell << 2) | (type + 1), 0 for none
//   [17408, 50176)   one f64 per cell (metric) < 4096: its value

export const FLAG_SLOTS = 256;
export const FAST_IDS = 4096;
export const FAST_CELLS = 4096;
export const ID_TABLE = 1024;
export const VALUES = 17408;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
}

/** The module: imports h.slow (the JS increment), h.mem, h.flag (this VM's flag offset); exports inc. */
function incrementModuleBytes(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f;
  const I64 = 0x7e;
  const type = section(1, [1, 0x60, 2, I32, I64, 1, I32]);
  const imports = section(2, [3, ...name('h'), ...name('slow'), 0x00, 0, ...name('h'), ...name('mem'), 0x02, 0x00, 1, ...name('h'), ...name('flag'), 0x03, I32, 0x00]);
  const functions = section(3, [1, 0]);
  const exports = section(7, [1, ...name('inc'), 0x00, 1]);
  // prettier-ignore
  const body = [
    1, 3, I32, // locals 2: entry, 3: type code, 4: cell address
    0x02, 0x40, // block $slow
    0x23, 0x00, 0x28, 0x02, 0x00, 0x0d, 0x00, // flag of this VM set: slow
    0x20, 0x00, 0x41, ...[0x80, 0x20], 0x4f, 0x0d, 0x00, // id >= 4096 (unsigned): slow
    0x20, 0x00, 0x41, 0x02, 0x74, 0x28, 0x02, ...uleb(ID_TABLE), 0x22, 0x02, // entry = table[id]
    0x41, 0x03, 0x71, 0x22, 0x03, 0x45, 0x0d, 0x00, // no metric: slow
    0x20, 0x03, 0x41, 0x03, 0x46, 0x0d, 0x00, // histogram: slow
    0x20, 0x03, 0x41, 0x01, 0x46, 0x04, 0x40, // counter:
    0x20, 0x01, 0x42, 0x00, 0x57, 0x04, 0x40, 0x41, 0x02, 0x0f, 0x0b, // offset <= 0: BAD_ARGUMENT
    0x0b,
    0x20, 0x02, 0x41, 0x02, 0x76, 0x41, 0x03, 0x74, 0x22, 0x04, // address = cell * 8
    0x20, 0x04, 0x2b, 0x03, ...uleb(VALUES), 0x20, 0x01, 0xb9, 0xa0, 0x39, 0x03, ...uleb(VALUES), // value += offset
    0x41, 0x00, 0x0f, // OK
    0x0b,
    0x20, 0x00, 0x20, 0x01, 0x10, 0x00, // the JS increment
    0x0b,
  ];
  const code = section(10, [1, ...uleb(body.length), ...body]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...functions, ...exports, ...code]);
}

let incrementModule: WebAssembly.Module | undefined;

/** An increment function for one VM whose flag is at byte `flagOffset` of `memory`. */
export function fastIncrement(memory: WebAssembly.Memory, flagOffset: number, slow: Function): Function {
  incrementModule ??= new WebAssembly.Module(incrementModuleBytes());
  const flag = new WebAssembly.Global({ value: 'i32', mutable: false }, flagOffset);
  const instance = new WebAssembly.Instance(incrementModule, { h: { slow, mem: memory, flag } });
  return instance.exports.inc as Function;
}
