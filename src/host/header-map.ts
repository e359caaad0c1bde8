// A header map with Envoy's semantics (Http::HeaderMapImpl as seen through Proxy-Wasm): names are
// lower-cased (ASCII only), pseudo-headers stay in front, `get` sees the first entry, `add` on an
// inline header appends to its value, `replace` removes every entry then adds one.
//
// Envoy's codec turns a request into byte strings before any filter runs, and hands a module its
// header bytes with a copy; so does this map: the request codec (request-codec.ts) writes the
// serialized pairs (count, lengths, every name and value) into an image while it validates the
// headers (the same pass over the characters), and get_header_map_pairs is one copy of that image.
// Any change to the map drops the image; the next read serializes the entries and keeps the
// result, until the next change.
import { writeByteString } from './memory.ts';

/**
 * Headers Envoy stores inline, so a second add is folded into the first entry's value. The list
 * is the one ENVOY-HOST.md gives plus :method and :scheme, which Envoy also keeps inline.
 */
const INLINE_HEADERS = new Set([':path', ':authority', ':method', ':scheme', 'user-agent', 'x-forwarded-for', 'x-request-id', 'content-type', 'te', 'cookie']);

const UPPER = /[A-Z]/;

/**
 * A name length's bit in a map's length set: one bit per length up to 30, one for every longer
 * name. A map keeps the set of its names' lengths (a superset after removals), so removing or
 * replacing a name whose length no entry has (the common case for the headers a filter adds) is
 * one test instead of a scan over every entry.
 */
export function lengthBit(length: number): number {
  return 1 << (length > 31 ? 31 : length);
}

/** ASCII lower-casing (absl::AsciiStrToLower); other bytes are left as they are. */
export function lowerHeaderName(name: string): string {
  return UPPER.test(name) ? name.replace(/[A-Z]+/g, (c) => c.toLowerCase()) : name;
}

/**
 * A header name's bytes as little-endian 32-bit words at offsets 0, 4, 8… and a last one ending at
 * the name's end (overlapping the one before), so a name of 4 bytes or more is written with whole
 * words and nothing past its end; shorter names have no words.
 */
export function nameWords(name: string): Int32Array {
  const length = name.length;
  const words = new Int32Array(length < 4 ? 0 : (length + 3) >> 2);
  for (let j = 0; j < words.length; j++) {
    const at = Math.min(4 * j, length - 4);
    words[j] = (name.charCodeAt(at) & 0xff) | ((name.charCodeAt(at + 1) & 0xff) << 8) | ((name.charCodeAt(at + 2) & 0xff) << 16) | ((name.charCodeAt(at + 3) & 0xff) << 24);
  }
  return words;
}

/**
 * A reusable byte area for the request maps' images. Requests run one at a time, so one area per
 * plugin serves them all: the map that wrote it last owns it, any other map's image is gone.
 */
export class ImageArea {
  bytes: Buffer = Buffer.allocUnsafeSlow(4096);
  /**
   * The ArrayBuffer under `bytes` and where `bytes` starts in it, kept: reading a typed array's
   * `buffer` on the request path is a runtime call in V8.
   */
  arrayBuffer: ArrayBuffer = this.bytes.buffer as ArrayBuffer;
  byteOffset: number = this.bytes.byteOffset;
  view: DataView = new DataView(this.arrayBuffer, this.byteOffset, this.bytes.length);
  /** The bytes as 32-bit words (the area starts word-aligned). */
  words: Int32Array = new Int32Array(this.arrayBuffer, this.byteOffset, this.bytes.length >> 2);
  owner: HeaderMap | null = null;

  /** Makes room for `size` bytes, keeping the first `keep`. */
  reserve(size: number, keep: number): Buffer {
    if (size > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(size, this.bytes.length * 2));
      if (keep > 0) grown.set(this.bytes.subarray(0, keep));
      this.bytes = grown;
      this.arrayBuffer = grown.buffer as ArrayBuffer;
      this.byteOffset = grown.byteOffset;
      this.view = new DataView(this.arrayBuffer, this.byteOffset, grown.length);
      this.words = new Int32Array(this.arrayBuffer, this.byteOffset, grown.length >> 2);
    }
    return this.bytes;
  }
}

export class HeaderMap {
  /**
   * The map's serialized pairs (count, lengths, names and values each followed by a NUL) at
   * [imageStart, imageEnd) of the ArrayBuffer `image`, or null when they are to be written (after
   * a change). The codec's image lives in a shared area (`imageArea`) that a later request may
   * take over.
   */
  private image: ArrayBuffer | null = null;
  private imageArea: ImageArea | null = null;
  private imageStart = 0;
  private imageEnd = 0;
  /** Envoy's byteSize when known (-1: to be counted). */
  private bytes = -1;
  /** The lengthBit of every name (and maybe of removed ones), or 0 when to be computed. */
  private lengths = 0;

  constructor(
    readonly names: string[] = [],
    readonly values: string[] = [],
  ) {}

  /**
   * A map over already lower-cased entries (the arrays are taken over, not copied); `lengths`, when
   * the caller knows it, is the lengthBit of every name.
   */
  static fromEntries(names: string[], values: string[], byteSize = -1, lengths = 0): HeaderMap {
    const map = new HeaderMap(names, values);
    map.bytes = byteSize;
    map.lengths = lengths;
    return map;
  }

  /**
   * A map whose serialized pairs the codec wrote into `area` already, at [start, end), while it
   * checked the request (Envoy's codec hands the filters byte strings, not text).
   */
  static withImage(names: string[], values: string[], area: ImageArea, start: number, end: number, byteSize: number, lengths: number): HeaderMap {
    const map = new HeaderMap(names, values);
    map.bytes = byteSize;
    map.lengths = lengths;
    map.imageArea = area;
    map.image = area.arrayBuffer;
    map.imageStart = area.byteOffset + start;
    map.imageEnd = area.byteOffset + end;
    area.owner = map;
    return map;
  }

  get size(): number {
    return this.names.length;
  }

  private changed(): void {
    this.bytes = -1;
    if (this.image === null) return;
    this.image = null;
    if (this.imageArea !== null) {
      if (this.imageArea.owner === this) this.imageArea.owner = null;
      this.imageArea = null;
    }
  }

  /** First value of a (lower-cased) name, or undefined. */
  get(name: string): string | undefined {
    const index = this.names.indexOf(name);
    return index < 0 ? undefined : this.values[index];
  }

  /** Every value of a name joined with ",", as Envoy's CEL header lookup reports them. */
  getAll(name: string): string | undefined {
    let joined: string | undefined;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] === name) joined = joined === undefined ? this.values[i] : `${joined},${this.values[i]}`;
    }
    return joined;
  }

  /** Whether an entry may have this name: false means certainly none has. */
  private mayHave(name: string): boolean {
    let lengths = this.lengths;
    if (lengths === 0) {
      // The always-set bit 0 (no name is empty) marks the set as computed.
      lengths = 1;
      for (let i = 0; i < this.names.length; i++) lengths |= lengthBit(this.names[i].length);
      this.lengths = lengths;
    }
    return (lengths & lengthBit(name.length)) !== 0;
  }

  add(name: string, value: string): void {
    this.changed();
    if (this.lengths !== 0) this.lengths |= lengthBit(name.length);
    if (INLINE_HEADERS.has(name)) {
      const index = this.names.indexOf(name);
      if (index >= 0) {
        this.values[index] += (name === 'cookie' ? '; ' : ',') + value;
        return;
      }
    }
    if (name.charCodeAt(0) === 58 /* ':' */) {
      // Pseudo-headers are kept ahead of every regular header.
      let at = 0;
      while (at < this.names.length && this.names[at].charCodeAt(0) === 58) at++;
      this.names.splice(at, 0, name);
      this.values.splice(at, 0, value);
      return;
    }
    this.names.push(name);
    this.values.push(value);
  }

  remove(name: string): void {
    if (!this.mayHave(name)) return; // absent: nothing changes
    const names = this.names;
    const values = this.values;
    const length = names.length;
    let read = 0;
    while (read < length && names[read] !== name) read++;
    if (read === length) return; // absent: nothing changes
    this.changed();
    let write = read;
    for (read++; read < length; read++) {
      if (names[read] !== name) {
        names[write] = names[read];
        values[write] = values[read];
        write++;
      }
    }
    // Popping the few removed entries is cheaper than setting the length (a runtime call).
    while (names.length > write) {
      names.pop();
      values.pop();
    }
  }

  replace(name: string, value: string): void {
    this.remove(name);
    // Absent now, so an inline header has no entry to fold into: a regular one is appended.
    if (name.charCodeAt(0) === 58 /* ':' */) {
      this.add(name, value);
      return;
    }
    this.changed();
    this.lengths |= lengthBit(name.length);
    this.names.push(name);
    this.values.push(value);
  }

  clear(): void {
    this.changed();
    this.lengths = 0;
    this.names.length = 0;
    this.values.length = 0;
  }

  /** Envoy's byteSize: the sum of name and value lengths. */
  byteSize(): number {
    if (this.bytes >= 0) return this.bytes;
    let size = 0;
    for (let i = 0; i < this.names.length; i++) size += this.names[i].length + this.values[i].length;
    this.bytes = size;
    return size;
  }

  /** Size of the serialized pairs. */
  pairsSize(): number {
    return 4 + 10 * this.names.length + this.byteSize();
  }

  /**
   * Writes the serialized pairs at `offset` of `target` (pairsSize() bytes must be free there):
   * one copy of the image, written first if the map changed since.
   */
  writePairs(target: Buffer, offset: number): void {
    if (this.image === null || (this.imageArea !== null && this.imageArea.owner !== this)) this.buildImage();
    const start = this.imageStart;
    target.set(new Uint8Array(this.image!, start, this.imageEnd - start), offset);
  }

  /** Serializes every entry into an image of the map's own (after a change, or without a codec image). */
  private buildImage(): void {
    const names = this.names;
    const values = this.values;
    if (this.imageArea !== null) {
      if (this.imageArea.owner === this) this.imageArea.owner = null;
      this.imageArea = null;
    }
    const count = names.length;
    const length = this.pairsSize();
    const image = Buffer.allocUnsafe(length);
    image.writeUInt32LE(count, 0);
    let sizes = 4;
    let at = 4 + 8 * count;
    for (let i = 0; i < count; i++) {
      image.writeUInt32LE(names[i].length, sizes);
      image.writeUInt32LE(values[i].length, sizes + 4);
      sizes += 8;
      at += writeByteString(image, names[i], at);
      image[at++] = 0;
      at += writeByteString(image, values[i], at);
      image[at++] = 0;
    }
    this.image = image.buffer as ArrayBuffer;
    this.imageStart = image.byteOffset;
    this.imageEnd = image.byteOffset + length;
  }

  toList(): [string, string][] {
    const list: [string, string][] = new Array(this.names.length);
    for (let i = 0; i < this.names.length; i++) list[i] = [this.names[i], this.values[i]];
    return list;
  }
}
