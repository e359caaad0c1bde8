// Bounds-checked access to a module's linear memory. The view is refreshed lazily: growing the
// memory detaches the old ArrayBuffer, which makes the old view's length 0.

export class GuestMemory {
  private view: Buffer;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.view = Buffer.from(memory.buffer);
  }

  get bytes(): Buffer {
    // memory.grow detaches the old buffer, so a zero-length view is the one sign of staleness.
    if (this.view.length === 0) this.view = Buffer.from(this.memory.buffer);
    return this.view;
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
    return ptr + size <= bytes.length ? bytes.toString('latin1', ptr, ptr + size) : undefined;
  }

  utf8(ptr: number, size: number): string | undefined {
    ptr >>>= 0;
    size >>>= 0;
    const bytes = this.bytes;
    return ptr + size <= bytes.length ? bytes.toString('utf8', ptr, ptr + size) : undefined;
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
    bytes.writeUInt32LE(value >>> 0, ptr);
    return true;
  }

  u64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    const bytes = this.bytes;
    if (ptr + 8 > bytes.length) return false;
    bytes.writeBigUInt64LE(BigInt.asUintN(64, value), ptr);
    return true;
  }

  readU32(ptr: number): number | undefined {
    ptr >>>= 0;
    const bytes = this.bytes;
    return ptr + 4 <= bytes.length ? bytes.readUInt32LE(ptr) : undefined;
  }
}

/**
 * Writes a byte string (chars 0–255) at `offset`. Short strings are copied in JS: for them the
 * native Buffer#write call costs more than the copy.
 */
export function writeByteString(target: Buffer, text: string, offset: number): number {
  const length = text.length;
  if (length > 48) return target.write(text, offset, 'latin1');
  for (let i = 0; i < length; i++) target[offset + i] = text.charCodeAt(i);
  return length;
}
