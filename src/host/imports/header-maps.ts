// The header maps of the current stream: request headers (writable until on_request_headers
// returns Continue, readable in on_log) and response headers (in on_response_headers).
import { MapType, Status } from '../abi.ts';
import { lowerHeaderName, type HeaderMap } from '../header-map.ts';
import { readPairs } from '../pairs.ts';
import type { VmState } from '../vm-state.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

/** The map of `type` the current stream offers now (for writing, only while it is writable), or null. */
function mapOf(vm: VmState, type: number, write: boolean): HeaderMap | null {
  const stream = vm.current;
  if (!stream) return null;
  if (type === MapType.REQUEST_HEADERS) return write && !stream.headersWritable ? null : stream.headers;
  if (type === MapType.RESPONSE_HEADERS) return write && !stream.responseWritable ? null : stream.responseHeaders;
  return null;
}

/** Status for a map that is not available now: NOT_FOUND while logging, else BAD_ARGUMENT (Envoy). */
function missingMap(vm: VmState): number {
  return vm.current?.inLog ? Status.NOT_FOUND : Status.BAD_ARGUMENT;
}

/** A header name the module passes, lower-cased; undefined when outside memory. */
function headerName(vm: VmState, ptr: number, size: number): string | undefined {
  ptr >>>= 0;
  size >>>= 0;
  const memory = vm.memory;
  const bytes = memory.bytes;
  if (ptr + size > bytes.length) return undefined;
  return vm.headerNames.read(bytes, memory.dataView, ptr, size);
}

/** A header value the module passes (a byte string); undefined when outside memory. */
function headerValue(vm: VmState, ptr: number, size: number): string | undefined {
  ptr >>>= 0;
  size >>>= 0;
  const memory = vm.memory;
  const bytes = memory.bytes;
  if (ptr + size > bytes.length) return undefined;
  return vm.headerValues.read(bytes, memory.dataView, ptr, size);
}

export function headerMapImports(vmOf: VmStateRef): HostFunctions {
  return {
    proxy_get_header_map_pairs(type, ptrPtr, sizePtr) {
      const vm = vmOf();
      vm.guard('proxy_get_header_map_pairs');
      const map = mapOf(vm, type, false);
      if (!map) return missingMap(vm);
      const size = map.pairsSize();
      const ptr = vm.allocate(size);
      const memory = vm.memory;
      const bytes = memory.bytes;
      if (ptr === 0 || ptr + size > bytes.length) return Status.INVALID_MEMORY_ACCESS;
      map.writePairs(bytes, ptr);
      return memory.u32x2(ptrPtr, ptr, sizePtr, size) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    proxy_set_header_map_pairs(type, ptr, size) {
      const vm = vmOf();
      vm.guard('proxy_set_header_map_pairs');
      const map = mapOf(vm, type, true);
      if (!map) return missingMap(vm);
      if (!vm.memory.inBounds(ptr, size)) return Status.INVALID_MEMORY_ACCESS;
      const pairs = readPairs(vm.memory.bytes, ptr >>> 0, size >>> 0);
      map.clear();
      for (const [name, value] of pairs) map.add(lowerHeaderName(name), value);
      return Status.OK;
    },
    proxy_get_header_map_value(type, keyPtr, keySize, valuePtrPtr, valueSizePtr) {
      const vm = vmOf();
      vm.guard('proxy_get_header_map_value');
      const key = headerName(vm, keyPtr, keySize);
      if (key === undefined) return Status.INVALID_MEMORY_ACCESS;
      const map = mapOf(vm, type, false);
      if (!map) return missingMap(vm);
      const value = map.get(key);
      if (value === undefined) return Status.NOT_FOUND;
      return vm.copyOut(value, valuePtrPtr, valueSizePtr);
    },
    proxy_add_header_map_value(type, keyPtr, keySize, valuePtr, valueSize) {
      const vm = vmOf();
      vm.guard('proxy_add_header_map_value');
      const key = headerName(vm, keyPtr, keySize);
      const value = headerValue(vm, valuePtr, valueSize);
      if (key === undefined || value === undefined) return Status.INVALID_MEMORY_ACCESS;
      const map = mapOf(vm, type, true);
      if (!map) return Status.BAD_ARGUMENT;
      map.add(key, value);
      return Status.OK;
    },
    proxy_replace_header_map_value(type, keyPtr, keySize, valuePtr, valueSize) {
      const vm = vmOf();
      vm.guard('proxy_replace_header_map_value');
      // headerName and headerValue with one fetch of the memory views.
      const memory = vm.memory;
      const bytes = memory.bytes;
      const data = memory.dataView;
      keyPtr >>>= 0;
      keySize >>>= 0;
      valuePtr >>>= 0;
      valueSize >>>= 0;
      if (keyPtr + keySize > bytes.length || valuePtr + valueSize > bytes.length) return Status.INVALID_MEMORY_ACCESS;
      const key = vm.headerNames.read(bytes, data, keyPtr, keySize);
      const value = vm.headerValues.read(bytes, data, valuePtr, valueSize);
      const map = mapOf(vm, type, true);
      if (!map) return Status.BAD_ARGUMENT;
      map.replace(key, value);
      return Status.OK;
    },
    proxy_remove_header_map_value(type, keyPtr, keySize) {
      const vm = vmOf();
      vm.guard('proxy_remove_header_map_value');
      const key = headerName(vm, keyPtr, keySize);
      if (key === undefined) return Status.INVALID_MEMORY_ACCESS;
      const map = mapOf(vm, type, true);
      if (!map) return Status.BAD_ARGUMENT;
      map.remove(key);
      return Status.OK;
    },
    proxy_get_header_map_size(type, sizePtr) {
      const vm = vmOf();
      vm.guard('proxy_get_header_map_size');
      const map = mapOf(vm, type, false);
      if (!map) return missingMap(vm);
      return vm.memory.u32(sizePtr, map.byteSize()) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
  };
}
