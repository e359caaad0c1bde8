// The Node runtime: src/host's createHost behind the runtime interface.
import { createHost } from '../../../src/host/index.ts';
import type { Runtime, RuntimeOptions, RuntimeRequest, RuntimeResult } from './runtime.ts';

export async function createNodeRuntime(options: RuntimeOptions): Promise<Runtime> {
  const plugin = await createHost({
    wasm: options.wasm,
    env: options.env,
    pluginConfig: options.pluginConfig,
    logLevel: options.logLevel,
    failStrategy: options.failStrategy,
    workers: options.workers,
  });
  return {
    kind: 'node',
    startupLogs: plugin.startupLogs,
    async request(input: RuntimeRequest = {}): Promise<RuntimeResult> {
      const result = plugin.request(input);
      const localResponse = result.localResponse ? { status: result.localResponse.status, details: result.localResponse.details, body: result.localResponse.body ?? '' } : null;
      return { headers: result.headers, localResponse, logs: result.logs };
    },
    metrics: async () => plugin.metrics(),
    close: async () => plugin.close(),
  };
}
