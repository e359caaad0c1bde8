// What all VMs of one plugin share (Envoy: the plugin, its stats scope, the vm_id's shared data),
// built from the host options.
import type { PluginAttributes } from './properties.ts';
import { MetricStore, SharedDataStore, SharedQueueStore } from './stores.ts';
import type { HostLog, HostOptions } from './types.ts';

export interface PluginShared {
  readonly plugin: PluginAttributes;
  readonly environ: readonly string[];
  readonly vmConfig: Buffer;
  readonly pluginConfig: Buffer;
  readonly logLevel: number;
  readonly metrics: MetricStore;
  readonly sharedData: SharedDataStore;
  readonly queues: SharedQueueStore;
  readonly onLog?: (log: HostLog) => void;
}

function configBuffer(config: string | object | undefined): Buffer {
  if (config === undefined) return Buffer.alloc(0);
  return Buffer.from(typeof config === 'string' ? config : JSON.stringify(config), 'utf8');
}

/** vmConfig.env as WASI environ entries: key_values, then the host_env_keys this process has. */
function environment(options: HostOptions): string[] {
  const entries = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const key of options.hostEnvKeys ?? []) {
    const value = process.env[key];
    if (value !== undefined) entries.push(`${key}=${value}`);
  }
  return entries;
}

/** The plugin's shared state; `logLevel` is the index in LOG_LEVELS, already checked. */
export function pluginShared(options: HostOptions, logLevel: number): PluginShared {
  return {
    plugin: { pluginName: options.pluginName ?? 'org-context', rootId: options.rootId ?? '', vmId: options.vmId ?? '' },
    environ: environment(options),
    vmConfig: configBuffer(options.vmConfig),
    pluginConfig: configBuffer(options.pluginConfig),
    logLevel,
    metrics: new MetricStore(),
    sharedData: new SharedDataStore(),
    queues: new SharedQueueStore(),
    onLog: options.onLog,
  };
}
