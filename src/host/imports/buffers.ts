// The buffers a callback may see: the VM or plugin configuration while the root context starts,
// the request body in on_request_body (the only one a module may change).
import { BufferType, Status } from '../abi.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function bufferImports(vmOf: VmStateRef): HostFunctions {
  return {
    proxy_get_buffer_status(type, lengthPtr, flagsPtr) {
      const vm = vmOf();
      vm.guard('proxy_get_buffer_status');
      if (type >>> 0 > BufferType.PLUGIN_CONFIGURATION) return Status.BAD_ARGUMENT;
      const buffer = vm.buffer?.type === type ? vm.buffer.data : undefined;
      if (!buffer) return Status.NOT_FOUND;
      return vm.memory.u32(lengthPtr, buffer.length) && vm.memory.u32(flagsPtr, 0) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    proxy_get_buffer_bytes(type, start, length, ptrPtr, sizePtr) {
      const vm = vmOf();
      vm.guard('proxy_get_buffer_bytes');
      if (type >>> 0 > BufferType.PLUGIN_CONFIGURATION) return Status.BAD_ARGUMENT;
      const buffer = vm.buffer?.type === type ? vm.buffer.data : undefined;
      if (!buffer) return Status.NOT_FOUND;
      start >>>= 0;
      length >>>= 0;
      if (start + length > 0xffffffff) return Status.BAD_ARGUMENT;
      const end = Math.min(buffer.length, start + length);
      if (end <= start) return Status.OK; // nothing to copy: Envoy writes nothing
      return vm.copyOut(buffer.subarray(start, end), ptrPtr, sizePtr);
    },
    proxy_set_buffer_bytes(type, start, length, ptr, size) {
      const vm = vmOf();
      vm.guard('proxy_set_buffer_bytes');
      if (type >>> 0 > BufferType.PLUGIN_CONFIGURATION) return Status.BAD_ARGUMENT;
      const buffer = vm.buffer;
      if (!buffer || buffer.type !== type || type !== BufferType.REQUEST_BODY) return Status.NOT_FOUND;
      const data = vm.memory.copy(ptr, size);
      if (data === undefined) return Status.INVALID_MEMORY_ACCESS;
      start >>>= 0;
      length >>>= 0;
      // Envoy's body buffer: at 0, drop `length` bytes then prepend; at or past the end, append.
      if (start === 0) buffer.data = Buffer.concat([data, buffer.data.subarray(Math.min(length, buffer.data.length))]);
      else if (start >= buffer.data.length) buffer.data = Buffer.concat([buffer.data, data]);
      else return Status.BAD_ARGUMENT;
      return Status.OK;
    },
  };
}
