// proxy_log and proxy_get_log_level: the plugin's lines go to Envoy's `wasm` logger.
import { Status } from '../abi.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function loggingImports(vmOf: VmStateRef, logLevel: number): HostFunctions {
  return {
    proxy_log(level, ptr, size) {
      const vm = vmOf();
      vm.guard('proxy_log');
      if (level >>> 0 > 5) return Status.BAD_ARGUMENT;
      const message = vm.memory.utf8(ptr, size);
      if (message === undefined) return Status.INVALID_MEMORY_ACCESS;
      vm.emit(level, message);
      return Status.OK;
    },
    proxy_get_log_level(ptr) {
      const vm = vmOf();
      vm.guard('proxy_get_log_level');
      return vm.memory.u32(ptr, logLevel) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
  };
}
