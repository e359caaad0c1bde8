// Request headers as Envoy's filters see them: an ordered list of [lower-case name, value] entries
// in which a name may repeat (HTTP/1.1 can send several `cookie` lines). Every stage edits this one
// list, the same shape src/host takes and returns.

export type HeaderList = [string, string][];

/** From Node's rawHeaders (name, value, name, value, … in arrival order). */
export function fromRaw(raw: string[]): HeaderList {
  const list: HeaderList = [];
  for (let index = 0; index + 1 < raw.length; index += 2) list.push([raw[index]!.toLowerCase(), raw[index + 1]!]);
  return list;
}

/** The first value of a name, as Envoy's header-map lookup returns it. */
export function first(headers: HeaderList, name: string): string | undefined {
  return headers.find(([candidate]) => candidate === name)?.[1];
}

export function all(headers: HeaderList, name: string): string[] {
  return headers.filter(([candidate]) => candidate === name).map(([, value]) => value);
}

/** Removes every entry of a name, in place; returns how many there were. */
export function remove(headers: HeaderList, name: string): number {
  let removed = 0;
  for (let index = headers.length - 1; index >= 0; index -= 1) {
    if (headers[index]![0] === name) {
      headers.splice(index, 1);
      removed += 1;
    }
  }
  return removed;
}

/** Envoy's `replace`/`set`: every old entry goes, one new entry is appended. */
export function set(headers: HeaderList, name: string, value: string): void {
  remove(headers, name);
  headers.push([name, value]);
}

/** Hop-by-hop headers never cross a proxy (RFC 9110 §7.6.1), plus those `connection` names. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'http2-settings']);

export function isHopByHop(name: string, connectionTokens: Set<string>): boolean {
  return HOP_BY_HOP.has(name) || connectionTokens.has(name);
}

export function connectionTokens(values: string[]): Set<string> {
  return new Set(values.flatMap((value) => value.split(',')).map((token) => token.trim().toLowerCase()).filter(Boolean));
}

/** Drops hop-by-hop entries, in place. */
export function stripHopByHop(headers: HeaderList): void {
  const tokens = connectionTokens(all(headers, 'connection'));
  for (let index = headers.length - 1; index >= 0; index -= 1) {
    if (isHopByHop(headers[index]![0], tokens)) headers.splice(index, 1);
  }
}

/** Flattens to undici's `[name, value, name, value]` form, which keeps repeated names apart. */
export function toFlat(headers: HeaderList): string[] {
  return headers.flatMap(([name, value]) => [name, value]);
}

/** Response headers from undici (values may be arrays) to a list, minus hop-by-hop entries. */
export function fromUndici(headers: Record<string, string | string[] | undefined>): HeaderList {
  const list: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) list.push([name.toLowerCase(), item]);
  }
  stripHopByHop(list);
  return list;
}

/** Groups a list for Node's `writeHead`, keeping repeated names (set-cookie) as arrays. */
export function toNodeHeaders(headers: HeaderList): Record<string, string | string[]> {
  const grouped: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const existing = grouped[name];
    if (existing === undefined) grouped[name] = value;
    else grouped[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return grouped;
}
