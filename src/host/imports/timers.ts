// The clock and the root context's tick period.
import { Status } from '../abi.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

export function timerImports(vmOf: VmStateRef): HostFunctions {
  return {
    proxy_get_current_time_nanoseconds(ptr) {
      const vm = vmOf();
      vm.guard('proxy_get_current_time_nanoseconds');
      return vm.memory.u64(ptr, BigInt(Date.now()) * 1_000_000n) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    proxy_set_tick_period_milliseconds(period) {
      const vm = vmOf();
      vm.guard('proxy_set_tick_period_milliseconds');
      vm.tickPeriodMs = period >>> 0;
      return Status.OK;
    },
  };
}
