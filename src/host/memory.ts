// Bounds-checked access to a module's linear memory. The views are refreshed lazily: growing the
// memory detaches the old ArrayBuffer, which makes the old views' length 0, so one length check
// per access is the whole staleness test (no `memory.buffer` getter call on the hot path).

export class GuestMemory {
  private view: Buffer;
  private data: DataView;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.view = Buffer.from(memory.buffer);
    this.data = new DataView(memory.buffer);
  }

  private refresh(): void {
    this.view = Buffer.from(this.memory.buffer);
    this.data = new DataView(this.memory.buffer);
  }

  /** The memory as a Buffer (fresh after any growth). */
  get bytes(): Buffer {
    // memory.grow detaches the old buffer, so a zero-length view is the one sign of staleness.
    if (this.view.length === 0) this.refresh();
    return this.view;
  }

  /** The memory as a DataView (fresh after any growth). */
  get dataView(): DataView {
    if (this.view.length === 0) this.refresh();
    return this.data;
  }

  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /** Whether [ptr, ptr+size) lies inside memory (ptr and size as unsigned 32-bit). */
  inBounds(ptr: number, size: number): boolean {
    return (ptr >>> 0) + (size >>> 0) <= this.bytes.length;
  }

  latin1(ptr: number, size: number): string | undefined {
    ptr >>>= 0;
    size >>>= 0;
    const bytes = this.bytes;
    if (ptr + size > bytes.length) return undefined;
    return size === 0 ? '' : bytes.latin1Slice(ptr, ptr + size);
  }

  utf8(ptr: number, size: number): string | undefined {
    ptr >>>= 0;
    size >>>= 0;
    const bytes = this.bytes;
    if (ptr + size > bytes.length) return undefined;
    return size === 0 ? '' : bytes.utf8Slice(ptr, ptr + size);
  }

  copy(ptr: number, size: number): Buffer | undefined {
    ptr >>>= 0;
    size >>>= 0;
    const bytes = this.bytes;
    return ptr + size <= bytes.length ? Buffer.from(bytes.subarray(ptr, ptr + size)) : undefined;
  }

  u32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    const bytes = this.bytes;
    if (ptr + 4 > bytes.length) return false;
    this.data.setUint32(ptr, value >>> 0, true);
    return true;
  }

  /** Writes two u32 values (a pointer and a size, say) at two places; false if either is outside. */
  u32x2(ptrA: number, valueA: number, ptrB: number, valueB: number): boolean {
    ptrA >>>= 0;
    ptrB >>>= 0;
    const length = this.bytes.length;
    if (ptrA + 4 > length || ptrB + 4 > length) return false;
    const data = this.data;
    data.setUint32(ptrA, valueA >>> 0, true);
    data.setUint32(ptrB, valueB >>> 0, true);
    return true;
  }

  u64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    const bytes = this.bytes;
    if (ptr + 8 > bytes.length) return false;
    this.data.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  readU32(ptr: number): number | undefined {
    ptr >>>= 0;
    const bytes = this.bytes;
    return ptr + 4 <= bytes.length ? this.data.getUint32(ptr, true) : undefined;
  }
}

/**
 * Writes a byte string (chars 0–255) at `offset`. Short strings are copied in JS: for them the
 * native Buffer#latin1Write call costs more than the copy.
 */
export function writeByteString(target: Buffer, text: string, offset: number): number {
  const length = text.length;
  if (length > 64) return target.latin1Write(text, offset);
  for (let i = 0; i < length; i++) target[offset + i] = text.charCodeAt(i);
  return length;
}

// Buffer's own latin1/utf8 methods (what toString/write call after their argument checks): on the
// hot path the checks cost more than the copy. @types/node does not declare them.
declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
    latin1Write(text: string, offset: number, length?: number): number;
    utf8Write(text: string, offset: number, length?: number): number;
  }
}
