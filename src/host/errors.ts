// Typed failures of the host, so callers (gateway, CLI, tests) can tell a bad module from a
// rejected configuration from a trap without parsing messages.
import type { HostLog } from './types.ts';

export class HostError extends Error {
  override name = 'HostError';
}

/** The module is not loadable in Envoy: bad bytes, no ABI marker, an import Envoy lacks, no allocator. */
export class ModuleRejectedError extends HostError {
  override name = 'ModuleRejectedError';
}

/** The module loaded but failed while starting (`_initialize`/`_start`, `proxy_on_vm_start`) or trapped. */
export class PluginStartError extends HostError {
  override name = 'PluginStartError';
  constructor(
    message: string,
    readonly logs: HostLog[],
  ) {
    super(message);
  }
}

/**
 * `proxy_on_configure` returned false (on the canary VM, as in Envoy): the configuration is rejected.
 * `message` is the plugin's last critical/error log line when there is one, since that is where a
 * plugin names the setting it refused.
 */
export class PluginConfigError extends HostError {
  override name = 'PluginConfigError';
  constructor(
    message: string,
    readonly logs: HostLog[],
  ) {
    super(message);
  }
}
