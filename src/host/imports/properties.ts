// proxy_get_property / proxy_set_property: Envoy's attribute tree (../properties.ts), and the
// values a module stored on its stream, which shadow it.
import { Status } from '../abi.ts';
import { getProperty, type PluginAttributes } from '../properties.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function propertyImports(vmOf: VmStateRef, plugin: PluginAttributes): HostFunctions {
  return {
    proxy_get_property(pathPtr, pathSize, valuePtrPtr, valueSizePtr) {
      const vm = vmOf();
      vm.guard('proxy_get_property');
      const path = vm.memory.utf8(pathPtr, pathSize);
      if (path === undefined) return Status.INVALID_MEMORY_ACCESS;
      const stream = vm.current;
      const stored = stream?.properties?.get(path);
      if (stored) return vm.copyOut(stored, valuePtrPtr, valueSizePtr);
      const result = getProperty(path.split('\0'), plugin, stream ? stream.attrs : null);
      if (result.status !== Status.OK) return result.status;
      return vm.copyOut(result.value!, valuePtrPtr, valueSizePtr);
    },
    proxy_set_property(pathPtr, pathSize, valuePtr, valueSize) {
      const vm = vmOf();
      vm.guard('proxy_set_property');
      const path = vm.memory.utf8(pathPtr, pathSize);
      const value = vm.memory.copy(valuePtr, valueSize);
      if (path === undefined || value === undefined) return Status.INVALID_MEMORY_ACCESS;
      const stream = vm.current;
      if (!stream) return Status.NOT_FOUND;
      (stream.properties ??= new Map()).set(path, value);
      return Status.OK;
    },
  };
}
