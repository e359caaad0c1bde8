// Metrics: defined by name, shared by the plugin's VMs (Envoy's stats scope). The increment a VM
// gets is the wasm fast path of metric-cells.ts in front of the JS one here (see vmImports).
import { Status } from '../abi.ts';
import type { MetricStore } from '../stores.ts';
import type { HostFunctions, VmStateRef } from './host-functions.ts';

/** The highest metric type (counter, gauge, histogram) the ABI defines. */
const LAST_METRIC_TYPE = 2;

export function metricImports(vmOf: VmStateRef, metrics: MetricStore): HostFunctions {
  return {
    proxy_define_metric(type, namePtr, nameSize, idPtr) {
      const vm = vmOf();
      vm.guard('proxy_define_metric');
      if (type >>> 0 > LAST_METRIC_TYPE) return Status.BAD_ARGUMENT;
      const name = vm.memory.utf8(namePtr, nameSize);
      if (name === undefined) return Status.INVALID_MEMORY_ACCESS;
      return vm.memory.u32(idPtr, metrics.define(type, name)) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
    // The i64 arguments arrive as BigInts.
    proxy_increment_metric(id, offset) {
      const vm = vmOf();
      vm.guard('proxy_increment_metric');
      return metrics.increment(id >>> 0, Number(offset as unknown as bigint));
    },
    proxy_record_metric(id, value) {
      const vm = vmOf();
      vm.guard('proxy_record_metric');
      return metrics.record(id >>> 0, Number(BigInt.asUintN(64, value as unknown as bigint)));
    },
    proxy_get_metric(id, resultPtr) {
      const vm = vmOf();
      vm.guard('proxy_get_metric');
      const result = metrics.get(id >>> 0);
      if (result.status !== Status.OK) return result.status;
      return vm.memory.u64(resultPtr, BigInt(Math.trunc(result.value))) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    },
  };
}
