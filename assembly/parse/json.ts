// A strict JSON parser (RFC 8259, as JSON.parse accepts it) over bytes, producing a small tree.
// Used at configuration time and for cookie-parser's `j:` payloads, which are parsed only after
// their signature checked out. Strings come out as unescaped UTF-8 bytes; duplicate object keys
// keep the last value, as JSON.parse does. Nesting deeper than MAX_DEPTH is rejected.
import { Bytes, copyBytes, equalAt } from '../bytes';

export const enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

export const MAX_DEPTH: i32 = 64;

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  flag: bool = false;
  /** The value of a number written as a plain integer (`-?[0-9]+`); NaN for any other number. */
  number: f64 = 0;
  bytes: Bytes | null = null;
  items: JsonValue[] | null = null; // array elements, or object values
  keys: Bytes[] | null = null; // object keys, in order (duplicates removed, last value kept)

  /** The value of `key` in an object, or null. */
  get(key: Bytes): JsonValue | null {
    const keys = this.keys;
    const items = this.items;
    if (this.kind != JsonKind.Object || keys === null || items === null) return null;
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      if (equalAt(changetype<usize>(k), k.length, changetype<usize>(key), key.length)) return unchecked(items[i]);
    }
    return null;
  }

  isString(): bool {
    return this.kind == JsonKind.String;
  }
}

// Configuration numbers are counts: only plain integers get a value, which spares the module a
// full decimal-to-double conversion.
function plainInteger(p: usize, len: i32): f64 {
  let i: i32 = 0;
  let negative = false;
  if (load<u8>(p) == 0x2d) {
    negative = true;
    i = 1;
  }
  let value: f64 = 0;
  for (; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c < 0x30 || c > 0x39) return NaN;
    value = value * 10 + <f64>(c - 0x30);
  }
  return negative ? -value : value;
}

class Parser {
  pos: i32 = 0;
  failed: bool = false;
  constructor(public src: usize, public len: i32) {}

  peek(): i32 {
    return this.pos < this.len ? <i32>load<u8>(this.src + <usize>this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.len) {
      const c = load<u8>(this.src + <usize>this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  fail(): JsonValue | null {
    this.failed = true;
    return null;
  }

  literal(text: string, value: JsonValue): JsonValue | null {
    const n = text.length;
    if (this.len - this.pos < n) return this.fail();
    for (let i = 0; i < n; i++) {
      if (<i32>load<u8>(this.src + <usize>(this.pos + i)) != text.charCodeAt(i)) return this.fail();
    }
    this.pos += n;
    return value;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail();
    this.skipSpace();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const bytes = this.string();
      if (bytes === null) return null;
      const v = new JsonValue();
      v.kind = JsonKind.String;
      v.bytes = bytes;
      return v;
    }
    if (c == 0x74) {
      const v = new JsonValue();
      v.kind = JsonKind.Bool;
      v.flag = true;
      return this.literal('true', v);
    }
    if (c == 0x66) {
      const v = new JsonValue();
      v.kind = JsonKind.Bool;
      return this.literal('false', v);
    }
    if (c == 0x6e) return this.literal('null', new JsonValue());
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail();
  }

  digits(): i32 {
    const start = this.pos;
    while (this.pos < this.len) {
      const c = load<u8>(this.src + <usize>this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
    } else if (this.digits() == 0) {
      return this.fail();
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail();
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail();
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.number = plainInteger(this.src + <usize>start, this.pos - start);
    return v;
  }

  hex4(): i32 {
    if (this.len - this.pos < 4) return -1;
    let v: i32 = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.src + <usize>(this.pos + i));
      let d: i32 = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x57;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    this.pos += 4;
    return v;
  }

  /** Parses a string starting at `"`; returns its unescaped UTF-8 bytes or null. */
  string(): Bytes | null {
    this.pos++; // opening quote
    // Find the closing quote first: the unescaped text is never longer than the escaped text.
    let end = this.pos;
    while (end < this.len) {
      const c = load<u8>(this.src + <usize>end);
      if (c == 0x22) break;
      end += c == 0x5c ? 2 : 1;
    }
    const out = new StaticArray<u8>(min(end, this.len) - this.pos);
    let o: usize = changetype<usize>(out);
    const base = o;
    while (true) {
      if (this.pos >= this.len) {
        this.failed = true;
        return null;
      }
      const c = <u32>load<u8>(this.src + <usize>this.pos);
      if (c == 0x22) {
        this.pos++;
        break;
      }
      if (c < 0x20) {
        this.failed = true;
        return null;
      }
      if (c != 0x5c) {
        store<u8>(o++, <u8>c);
        this.pos++;
        continue;
      }
      this.pos++;
      if (this.pos >= this.len) {
        this.failed = true;
        return null;
      }
      const e = <u32>load<u8>(this.src + <usize>this.pos);
      this.pos++;
      let ch: i32 = -1;
      if (e == 0x22 || e == 0x5c || e == 0x2f) ch = <i32>e;
      else if (e == 0x62) ch = 8;
      else if (e == 0x66) ch = 12;
      else if (e == 0x6e) ch = 10;
      else if (e == 0x72) ch = 13;
      else if (e == 0x74) ch = 9;
      if (ch >= 0) {
        store<u8>(o++, <u8>ch);
        continue;
      }
      if (e != 0x75) {
        this.failed = true;
        return null;
      }
      let cp = this.hex4();
      if (cp < 0) {
        this.failed = true;
        return null;
      }
      // A high surrogate followed by an escaped low surrogate is one code point.
      if (cp >= 0xd800 && cp <= 0xdbff && this.len - this.pos >= 6 &&
          load<u8>(this.src + <usize>this.pos) == 0x5c && load<u8>(this.src + <usize>this.pos + 1) == 0x75) {
        const save = this.pos;
        this.pos += 2;
        const lo = this.hex4();
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else {
          this.pos = save;
        }
      }
      // Every escape is 6 input bytes, at most 4 output bytes: `out` cannot overflow.
      if (cp < 0x80) {
        store<u8>(o++, <u8>cp);
      } else if (cp < 0x800) {
        store<u8>(o++, <u8>(0xc0 | (cp >> 6)));
        store<u8>(o++, <u8>(0x80 | (cp & 0x3f)));
      } else if (cp < 0x10000) {
        store<u8>(o++, <u8>(0xe0 | (cp >> 12)));
        store<u8>(o++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
        store<u8>(o++, <u8>(0x80 | (cp & 0x3f)));
      } else {
        store<u8>(o++, <u8>(0xf0 | (cp >> 18)));
        store<u8>(o++, <u8>(0x80 | ((cp >> 12) & 0x3f)));
        store<u8>(o++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
        store<u8>(o++, <u8>(0x80 | (cp & 0x3f)));
      }
    }
    return copyBytes(base, <i32>(o - base));
  }

  array(depth: i32): JsonValue | null {
    this.pos++;
    const items = new Array<JsonValue>();
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
    } else {
      while (true) {
        const item = this.value(depth + 1);
        if (item === null) return null;
        items.push(item);
        this.skipSpace();
        const c = this.peek();
        this.pos++;
        if (c == 0x5d) break;
        if (c != 0x2c) return this.fail();
      }
    }
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = items;
    return v;
  }

  object(depth: i32): JsonValue | null {
    this.pos++;
    const keys = new Array<Bytes>();
    const items = new Array<JsonValue>();
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
    } else {
      while (true) {
        this.skipSpace();
        if (this.peek() != 0x22) return this.fail();
        const key = this.string();
        if (key === null) return null;
        this.skipSpace();
        if (this.peek() != 0x3a) return this.fail();
        this.pos++;
        const item = this.value(depth + 1);
        if (item === null) return null;
        let replaced = false;
        for (let i = 0; i < keys.length; i++) {
          const k = unchecked(keys[i]);
          if (equalAt(changetype<usize>(k), k.length, changetype<usize>(key), key.length)) {
            unchecked((items[i] = item));
            replaced = true;
            break;
          }
        }
        if (!replaced) {
          keys.push(key);
          items.push(item);
        }
        this.skipSpace();
        const c = this.peek();
        this.pos++;
        if (c == 0x7d) break;
        if (c != 0x2c) return this.fail();
      }
    }
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.keys = keys;
    v.items = items;
    return v;
  }
}

/** Parses a whole JSON text (surrounding whitespace allowed); null when it is not valid JSON. */
export function parseJson(src: usize, len: i32): JsonValue | null {
  const parser = new Parser(src, len);
  const value = parser.value(0);
  if (value === null || parser.failed) return null;
  parser.skipSpace();
  if (parser.pos != len) return null;
  return value;
}

export function parseJsonBytes(bytes: Bytes): JsonValue | null {
  return parseJson(changetype<usize>(bytes), bytes.length);
}
