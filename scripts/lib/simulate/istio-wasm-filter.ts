// The Wasm HTTP filter exactly as Istio builds it for a WasmPlugin (istio/base/wasmplugin.yaml, the
// module fetched to a local file): PluginConfig name <namespace>.<WasmPlugin name>, root_id the
// plugin's name, failure_policy from failStrategy, the pluginConfig as JSON in a StringValue, and a
// V8 vm_config whose env carries INLINE entries as key_values and valueFrom: HOST ones as
// host_env_keys (read from Envoy's own environment). The Envoy runtime and the Envoy suites use it.
import { HOST_ENV_SETTINGS } from '../../../src/topology/plugin-settings.ts';
import { wasmFilter, type FailurePolicy } from '../envoy/shapes.ts';

export const WASM_PLUGIN_NAME = 'oneconnect.org-context';
export const WASM_ROOT_ID = 'org-context';

/**
 * What a caller may change in that filter (every field optional; none given is Istio's filter as
 * istio/base/wasmplugin.yaml has it): the failure policy (WasmPlugin failStrategy, or FAIL_RELOAD,
 * which Istio does not offer), the PluginConfig's reload_config, the pluginConfig (Istio's JSON in a
 * StringValue; a string is passed as is), the inline env (default none) and the host env keys
 * (default HOST_ENV_SETTINGS).
 */
export interface WasmFilterOptions {
  failurePolicy?: FailurePolicy;
  reloadConfig?: Record<string, unknown>;
  pluginConfig?: Record<string, unknown> | unknown[] | string;
  keyValues?: Record<string, string>;
  hostEnvKeys?: readonly string[];
}

export function istioWasmPluginFilter(wasmFile: string, options: WasmFilterOptions = {}): Record<string, unknown> {
  const configuration =
    options.pluginConfig === undefined ? undefined : typeof options.pluginConfig === 'string' ? options.pluginConfig : JSON.stringify(options.pluginConfig);
  return wasmFilter({
    name: WASM_PLUGIN_NAME,
    rootId: WASM_ROOT_ID,
    failurePolicy: options.failurePolicy ?? 'FAIL_CLOSED',
    ...(options.reloadConfig ? { reloadConfig: options.reloadConfig } : {}),
    ...(configuration !== undefined ? { configuration } : {}),
    file: wasmFile,
    hostEnvKeys: options.hostEnvKeys ?? HOST_ENV_SETTINGS,
    keyValues: options.keyValues ?? {},
  });
}
