// Shared queues: registered by a root context under the plugin's vm_id, resolved and fed by any
// VM; the registering VM hears of new items through on_queue_ready.
import { Status } from '../abi.ts';
import type { SharedQueueStore } from '../stores.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function sharedQueueImports(vmOf: VmStateRef, queues: SharedQueueStore, vmId: string): HostFunctions {
  return {
    proxy_register_shared_queue(namePtr, nameSize, tokenPtr) {
      const vm = vmOf();
      vm.guard('proxy_register_shared_queue');
      const name = vm.memory.utf8(namePtr, nameSize);
      if (name === undefined) return Status.INVALID_MEMORY_ACCESS;
      const token = queues.register(vmId, name, { notify: (t) => vm.pendingQueues.add(t) });
      return vm.memory.u32(tokenPtr, token) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    proxy_resolve_shared_queue(vmIdPtr, vmIdSize, namePtr, nameSize, tokenPtr) {
      const vm = vmOf();
      vm.guard('proxy_resolve_shared_queue');
      const queueVmId = vm.memory.utf8(vmIdPtr, vmIdSize);
      const name = vm.memory.utf8(namePtr, nameSize);
      if (queueVmId === undefined || name === undefined) return Status.INVALID_MEMORY_ACCESS;
      const token = queues.resolve(queueVmId, name);
      if (token === undefined) return Status.NOT_FOUND;
      return vm.memory.u32(tokenPtr, token) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    proxy_enqueue_shared_queue(token, ptr, size) {
      const vm = vmOf();
      vm.guard('proxy_enqueue_shared_queue');
      const value = vm.memory.copy(ptr, size);
      if (value === undefined) return Status.INVALID_MEMORY_ACCESS;
      return queues.enqueue(token >>> 0, value);
    },
    proxy_dequeue_shared_queue(token, ptrPtr, sizePtr) {
      const vm = vmOf();
      vm.guard('proxy_dequeue_shared_queue');
      const result = queues.dequeue(token >>> 0);
      if (result.status !== Status.OK) return result.status;
      return vm.copyOut(result.value!, ptrPtr, sizePtr);
    },
  };
}
