// proxy_get_property: Envoy's attribute tree, reached by path segments separated by 0x00, and
// Envoy's encodings (strings raw, int64/timestamps 8-byte LE, doubles 8-byte, bools 1 byte, maps
// and lists in the pairs layout with values encoded recursively, null → SERIALIZATION_FAILURE).
import { Status } from './abi.ts';
import type { HeaderMap } from './header-map.ts';
import { encodePairs } from './pairs.ts';

/** What a stream exposes through properties. */
export interface StreamAttributes {
  headers: HeaderMap | null;
  sourceAddress: string;
  metadata: Record<string, unknown>;
  /** Request start, milliseconds since the epoch (Date.now()); reported in nanoseconds. */
  startMs: number;
}

export interface PluginAttributes {
  pluginName: string;
  rootId: string;
  vmId: string;
}

export type PropertyResult = { status: 0; value: Buffer } | { status: number; value?: undefined };

const NOT_FOUND: PropertyResult = { status: Status.NOT_FOUND };
const SERIALIZATION_FAILURE: PropertyResult = { status: Status.SERIALIZATION_FAILURE };

class EncodingError extends Error {}

const ok = (value: Buffer): PropertyResult => ({ status: Status.OK, value });
const latin1 = (text: string) => ok(Buffer.from(text, 'latin1'));
const utf8 = (text: string) => ok(Buffer.from(text, 'utf8'));

function int64(value: bigint | number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64LE(BigInt(value));
  return buffer;
}

/** Encodes a JSON value as Envoy serialises a protobuf Struct value. */
export function encodeJsonValue(value: unknown): Buffer {
  if (value === null || value === undefined) throw new EncodingError('null');
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number') {
    // Struct numbers are doubles.
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    return buffer;
  }
  if (typeof value === 'boolean') return Buffer.from([value ? 1 : 0]);
  if (Array.isArray(value)) return encodePairs(value.map((item) => [encodeJsonValue(item).toString('latin1'), '']));
  if (typeof value === 'object') {
    return encodePairs(Object.entries(value as Record<string, unknown>).map(([k, v]) => [Buffer.from(k, 'utf8').toString('latin1'), encodeJsonValue(v).toString('latin1')]));
  }
  throw new EncodingError(typeof value);
}

function jsonAt(root: unknown, segments: string[], from: number): PropertyResult {
  let node = root;
  for (let i = from; i < segments.length; i++) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, segments[i])) return NOT_FOUND;
    node = (node as Record<string, unknown>)[segments[i]];
  }
  try {
    return ok(encodeJsonValue(node));
  } catch {
    return SERIALIZATION_FAILURE;
  }
}

function requestAttribute(name: string, rest: string[], stream: StreamAttributes): PropertyResult {
  const headers = stream.headers;
  if (name === 'time') return ok(int64(BigInt(stream.startMs) * 1_000_000n));
  if (name === 'protocol') return utf8('HTTP/1.1');
  if (!headers) return NOT_FOUND;
  const header = (key: string) => {
    const value = headers.get(key);
    return value === undefined ? NOT_FOUND : latin1(value);
  };
  const path = headers.get(':path') ?? '';
  const query = path.indexOf('?');
  switch (name) {
    case 'path':
      return header(':path');
    case 'url_path':
      return headers.get(':path') === undefined ? NOT_FOUND : latin1(query < 0 ? path : path.slice(0, query));
    case 'query':
      return headers.get(':path') === undefined ? NOT_FOUND : latin1(query < 0 ? '' : path.slice(query + 1));
    case 'host':
      return header(':authority');
    case 'method':
      return header(':method');
    case 'scheme':
      return header(':scheme');
    case 'referer':
      return header('referer');
    case 'useragent':
      return header('user-agent');
    case 'id':
      return header('x-request-id');
    case 'headers': {
      if (rest.length > 1) return NOT_FOUND;
      if (rest.length === 1) {
        const value = headers.getAll(rest[0]);
        return value === undefined ? NOT_FOUND : latin1(value);
      }
      return ok(encodePairs(headers.toList()));
    }
    default:
      return NOT_FOUND;
  }
}

export function getProperty(segments: string[], plugin: PluginAttributes, stream: StreamAttributes | null): PropertyResult {
  const [root, second] = segments;
  switch (root) {
    case 'plugin_name':
      return segments.length === 1 ? utf8(plugin.pluginName) : NOT_FOUND;
    case 'plugin_root_id':
      return segments.length === 1 ? utf8(plugin.rootId) : NOT_FOUND;
    case 'plugin_vm_id':
      return segments.length === 1 ? utf8(plugin.vmId) : NOT_FOUND;
  }
  if (!stream) return NOT_FOUND;
  switch (root) {
    case 'request':
      return second === undefined ? NOT_FOUND : requestAttribute(second, segments.slice(2), stream);
    case 'source': {
      const colon = stream.sourceAddress.lastIndexOf(':');
      if (second === 'address' && segments.length === 2) return utf8(stream.sourceAddress);
      if (second === 'port' && segments.length === 2 && colon >= 0) return ok(int64(Number(stream.sourceAddress.slice(colon + 1)) || 0));
      return NOT_FOUND;
    }
    case 'metadata':
      // The Metadata message itself is protobuf in Envoy; this host offers its filter_metadata map.
      if (second === undefined) return jsonAt({ filter_metadata: stream.metadata }, segments, 1);
      if (second !== 'filter_metadata') return NOT_FOUND;
      return jsonAt(stream.metadata, segments, 2);
    default:
      return NOT_FOUND;
  }
}
