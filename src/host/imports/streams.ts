// What a module does to the stream it serves: continue it, close it, or answer it locally.
import { Status } from '../abi.ts';
import { lowerHeaderName } from '../header-map.ts';
import { readPairs } from '../pairs.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

/** The highest stream type (request, response, downstream) the ABI defines. */
const LAST_STREAM_TYPE = 2;

export function streamImports(vmOf: VmStateRef): HostFunctions {
  return {
    proxy_continue_stream(type) {
      const vm = vmOf();
      vm.guard('proxy_continue_stream');
      if (type >>> 0 > LAST_STREAM_TYPE) return Status.BAD_ARGUMENT;
      return vm.current ? Status.OK : Status.NOT_FOUND;
    },
    proxy_close_stream(type) {
      const vm = vmOf();
      vm.guard('proxy_close_stream');
      if (type >>> 0 > LAST_STREAM_TYPE) return Status.BAD_ARGUMENT;
      if (!vm.current) return Status.NOT_FOUND;
      vm.current.closed = true;
      return Status.OK;
    },
    proxy_send_local_response(status, detailsPtr, detailsSize, bodyPtr, bodySize, headersPtr, headersSize) {
      const vm = vmOf();
      vm.guard('proxy_send_local_response');
      const details = vm.memory.utf8(detailsPtr, detailsSize);
      const body = vm.memory.utf8(bodyPtr, bodySize);
      if (details === undefined || body === undefined || !vm.memory.inBounds(headersPtr, headersSize)) return Status.INVALID_MEMORY_ACCESS;
      const stream = vm.current;
      if (!stream) return Status.NOT_FOUND;
      if (stream.localResponse) return Status.BAD_ARGUMENT; // Envoy sends one local reply per stream
      const headers = readPairs(vm.memory.bytes, headersPtr >>> 0, headersSize >>> 0).map(([n, v]): [string, string] => [lowerHeaderName(n), v]);
      stream.localResponse = { status: status >>> 0, details, body, headers };
      return Status.OK;
    },
  };
}
