// Which context the module's calls are about (proxy_set_effective_context), and proxy_done.
import { Status } from '../abi.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function contextImports(vmOf: VmStateRef): HostFunctions {
  return {
    proxy_set_effective_context(id) {
      const vm = vmOf();
      vm.guard('proxy_set_effective_context');
      if (id >>> 0 === vm.rootId) {
        vm.current = null;
        return Status.OK;
      }
      const stream = vm.streams.get(id >>> 0);
      if (!stream) return Status.BAD_ARGUMENT;
      vm.current = stream;
      return Status.OK;
    },
    proxy_done() {
      vmOf().guard('proxy_done');
      return Status.NOT_FOUND; // only meaningful while a root context shuts down
    },
  };
}
