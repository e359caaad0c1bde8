// Shared data: key/value entries with compare-and-swap, shared by the plugin's VMs.
import { Status } from '../abi.ts';
import type { SharedDataStore } from '../stores.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function sharedDataImports(vmOf: VmStateRef, store: SharedDataStore): HostFunctions {
  return {
    proxy_get_shared_data(keyPtr, keySize, valuePtrPtr, valueSizePtr, casPtr) {
      const vm = vmOf();
      vm.guard('proxy_get_shared_data');
      const key = vm.memory.utf8(keyPtr, keySize);
      if (key === undefined) return Status.INVALID_MEMORY_ACCESS;
      const entry = store.get(key);
      if (!entry) return Status.NOT_FOUND;
      const copied = vm.copyOut(entry.value, valuePtrPtr, valueSizePtr);
      if (copied !== Status.OK) return copied;
      return vm.memory.u32(casPtr, entry.cas) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    proxy_set_shared_data(keyPtr, keySize, valuePtr, valueSize, cas) {
      const vm = vmOf();
      vm.guard('proxy_set_shared_data');
      const key = vm.memory.utf8(keyPtr, keySize);
      const value = vm.memory.copy(valuePtr, valueSize);
      if (key === undefined || value === undefined) return Status.INVALID_MEMORY_ACCESS;
      return store.set(key, value, cas >>> 0);
    },
  };
}
