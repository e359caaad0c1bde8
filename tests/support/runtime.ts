// The runtime a filter suite runs on: OC_RUNTIME=node (default, src/host) or envoy (a real Envoy
// process, scripts/lib/simulate/runtime-envoy.ts). An envoy run without Envoy installed skips with
// the install command, and is an error under CI=true, like any missing tool (tools.ts).
import { createRuntime, runtimeKind, type Runtime, type RuntimeKind, type RuntimeOptions } from '../../scripts/lib/simulate/runtime.ts';
import { test } from 'node:test';
import { requireEnvoy } from './tools.ts';

export const RUNTIME: RuntimeKind = runtimeKind();

/** A skip reason when the chosen runtime cannot run here (node always can). */
export const runtimeSkip: string | undefined = RUNTIME === 'envoy' ? requireEnvoy().skip : undefined;

/**
 * `test` for what only the Node host can express (choosing a worker, an earlier filter answering):
 * on the envoy runtime the test is not defined at all — nothing is skipped, the case has no Envoy form.
 */
export const nodeOnlyTest: (name: string, fn: () => Promise<void>) => void = (name, fn) => {
  if (RUNTIME === 'node') test(name, fn);
};

/** Starts runtimes of the suite's kind and closes them all at the end. */
export function runtimes(): { start(options: RuntimeOptions): Promise<Runtime>; closeAll(): Promise<void> } {
  const started: Runtime[] = [];
  return {
    async start(options) {
      const runtime = await createRuntime(RUNTIME, options);
      started.push(runtime);
      return runtime;
    },
    async closeAll() {
      await Promise.all(started.splice(0).map((runtime) => runtime.close()));
    },
  };
}
