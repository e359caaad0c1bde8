// Calls out of the module: HTTP and gRPC calls to upstream clusters, and foreign functions. This
// host has neither clusters nor foreign functions, so each answers as Envoy does for an unknown one.
import { Status } from '../abi.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function callImports(vmOf: VmStateRef): HostFunctions {
  return {
    // An unknown cluster or service: BAD_ARGUMENT; an unknown call token: NOT_FOUND.
    proxy_http_call() {
      vmOf().guard('proxy_http_call');
      return Status.BAD_ARGUMENT;
    },
    proxy_grpc_call() {
      vmOf().guard('proxy_grpc_call');
      return Status.BAD_ARGUMENT;
    },
    proxy_grpc_stream() {
      vmOf().guard('proxy_grpc_stream');
      return Status.BAD_ARGUMENT;
    },
    proxy_grpc_send() {
      vmOf().guard('proxy_grpc_send');
      return Status.NOT_FOUND;
    },
    proxy_grpc_cancel() {
      vmOf().guard('proxy_grpc_cancel');
      return Status.NOT_FOUND;
    },
    proxy_grpc_close() {
      vmOf().guard('proxy_grpc_close');
      return Status.NOT_FOUND;
    },
    // The status of the last call's response: none ever came.
    proxy_get_status(codePtr, messagePtrPtr, messageSizePtr) {
      const vm = vmOf();
      vm.guard('proxy_get_status');
      if (!vm.memory.u32(codePtr, 0)) return Status.INVALID_MEMORY_ACCESS;
      return vm.copyOut('', messagePtrPtr, messageSizePtr);
    },
    proxy_call_foreign_function(namePtr, nameSize) {
      const vm = vmOf();
      vm.guard('proxy_call_foreign_function');
      const name = vm.memory.utf8(namePtr, nameSize);
      if (name === undefined) return Status.INVALID_MEMORY_ACCESS;
      return Status.NOT_FOUND;
    },
  };
}
