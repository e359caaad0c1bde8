// Typed wrappers over the host calls the filters use. Results the host writes through
// out-pointers land in static scratch memory; returned data lives in the arena until the next
// callback.
import {
  proxy_get_buffer_bytes,
  proxy_get_header_map_pairs,
  proxy_get_header_map_value,
  proxy_add_header_map_value,
  proxy_get_property,
  proxy_define_metric,
  proxy_increment_metric,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  environ_get,
  environ_sizes_get,
  clock_time_get,
  WasmResult,
  MetricType,
} from './imports';
import { arenaAlloc } from './arena';

// @ts-ignore: decorator
@lazy const OUT: usize = memory.data(16, 8);

/** Where the last successful get* call left its data (in the arena). */
export let resultData: usize = 0;
export let resultSize: i32 = 0;

function took(status: u32): bool {
  if (status != WasmResult.Ok) {
    resultData = 0;
    resultSize = 0;
    return false;
  }
  resultData = load<usize>(OUT);
  resultSize = <i32>load<u32>(OUT, 4);
  return true;
}

/** Serialized header pairs of a map (see ENVOY-HOST.md) into resultData/resultSize. */
export function getHeaderPairs(mapType: u32): bool {
  return took(proxy_get_header_map_pairs(mapType, OUT, OUT + 4));
}

/**
 * The value of a header into resultData/resultSize; false when absent. Envoy answers with the
 * first entry only when the name is present several times (e.g. two HTTP/1.1 `cookie` headers).
 */
export function getHeaderValue(mapType: u32, name: usize, nameLen: i32): bool {
  return took(proxy_get_header_map_value(mapType, name, <usize>nameLen, OUT, OUT + 4));
}

export function getBufferBytes(bufferType: u32, start: u32, maxSize: u32): bool {
  return took(proxy_get_buffer_bytes(bufferType, start, maxSize, OUT, OUT + 4));
}

/** A property by its path (segments separated by 0x00). */
export function getProperty(path: usize, pathLen: i32): bool {
  return took(proxy_get_property(path, <usize>pathLen, OUT, OUT + 4));
}

export function replaceHeader(mapType: u32, name: usize, nameLen: i32, value: usize, valueLen: i32): void {
  proxy_replace_header_map_value(mapType, name, <usize>nameLen, value, <usize>valueLen);
}

/** Adds an entry (a copy already there stays): only for a name known to be absent. */
export function addHeader(mapType: u32, name: usize, nameLen: i32, value: usize, valueLen: i32): void {
  proxy_add_header_map_value(mapType, name, <usize>nameLen, value, <usize>valueLen);
}

export function removeHeader(mapType: u32, name: usize, nameLen: i32): void {
  proxy_remove_header_map_value(mapType, name, <usize>nameLen);
}

/** Defines a counter; returns its id, or -1 when the host refuses. */
export function defineCounter(name: usize, nameLen: i32): i64 {
  if (proxy_define_metric(MetricType.Counter, name, <usize>nameLen, OUT) != WasmResult.Ok) return -1;
  return <i64>load<u32>(OUT);
}

export function incrementCounter(id: i64): void {
  if (id >= 0) proxy_increment_metric(<u32>id, 1);
}

/** Wall-clock nanoseconds, or 0 when the host has no clock. */
export function nowNanos(): u64 {
  if (clock_time_get(0, 1000, OUT) != 0) return 0;
  return load<u64>(OUT);
}

/**
 * The VM's environment (WASI environ): calls `visit` for each `KEY=VALUE` entry with pointers into
 * the arena, valid only during the call (the buffer is wiped afterwards). Entries without `=` are
 * skipped.
 */
export function forEachEnvironmentVariable(visit: (key: usize, keyLen: i32, value: usize, valueLen: i32) => void): void {
  if (environ_sizes_get(OUT, OUT + 4) != 0) return;
  const count = load<u32>(OUT);
  const bufSize = load<u32>(OUT, 4);
  if (count == 0) return;
  const pointers = arenaAlloc(<usize>count << 2);
  const buffer = arenaAlloc(<usize>bufSize + 1);
  if (environ_get(pointers, buffer) != 0) return;
  const end = buffer + <usize>bufSize;
  for (let i: u32 = 0; i < count; i++) {
    const entry = load<usize>(pointers + (<usize>i << 2));
    if (entry < buffer || entry >= end) continue;
    let p = entry;
    while (p < end && load<u8>(p) != 0) p++;
    const entryLen = <i32>(p - entry);
    let eq: i32 = -1;
    for (let k: i32 = 0; k < entryLen; k++) {
      if (load<u8>(entry + <usize>k) == 0x3d) {
        eq = k;
        break;
      }
    }
    if (eq <= 0) continue;
    visit(entry, eq, entry + <usize>eq + 1, entryLen - eq - 1);
  }
  // The environment carries secrets: do not leave a copy in the arena.
  memory.fill(buffer, 0, <usize>bufSize);
}
