// A header map with Envoy's semantics (Http::HeaderMapImpl as seen through Proxy-Wasm): names are
// lower-cased (ASCII only), pseudo-headers stay in front, `get` sees the first entry, `add` on an
// inline header appends to its value, `replace` removes every entry then adds one.

/**
 * Headers Envoy stores inline, so a second add is folded into the first entry's value. The list
 * is the one ENVOY-HOST.md gives plus :method and :scheme, which Envoy also keeps inline.
 */
const INLINE_HEADERS = new Set([':path', ':authority', ':method', ':scheme', 'user-agent', 'x-forwarded-for', 'x-request-id', 'content-type', 'te', 'cookie']);

const UPPER = /[A-Z]/;

/** ASCII lower-casing (absl::AsciiStrToLower); other bytes are left as they are. */
export function lowerHeaderName(name: string): string {
  return UPPER.test(name) ? name.replace(/[A-Z]+/g, (c) => c.toLowerCase()) : name;
}

export class HeaderMap {
  constructor(
    readonly names: string[] = [],
    readonly values: string[] = [],
  ) {}

  /** A map over already lower-cased entries (the arrays are taken over, not copied). */
  static fromEntries(names: string[], values: string[]): HeaderMap {
    return new HeaderMap(names, values);
  }

  get size(): number {
    return this.names.length;
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

  add(name: string, value: string): void {
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
    let write = 0;
    for (let read = 0; read < this.names.length; read++) {
      if (this.names[read] !== name) {
        this.names[write] = this.names[read];
        this.values[write] = this.values[read];
        write++;
      }
    }
    this.names.length = write;
    this.values.length = write;
  }

  replace(name: string, value: string): void {
    this.remove(name);
    this.add(name, value);
  }

  clear(): void {
    this.names.length = 0;
    this.values.length = 0;
  }

  /** Envoy's byteSize: the sum of name and value lengths. */
  byteSize(): number {
    let size = 0;
    for (let i = 0; i < this.names.length; i++) size += this.names[i].length + this.values[i].length;
    return size;
  }

  toList(): [string, string][] {
    const list: [string, string][] = new Array(this.names.length);
    for (let i = 0; i < this.names.length; i++) list[i] = [this.names[i], this.values[i]];
    return list;
  }
}
