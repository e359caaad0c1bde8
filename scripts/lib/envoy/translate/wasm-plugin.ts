// WasmPlugin → an Envoy Wasm HTTP filter, as istiod delivers it to the proxy: name
// `<namespace>.<name>`, root_id the plugin's name, V8, `failStrategy` → `failure_policy`
// (FAIL_CLOSE → FAIL_CLOSED, FAIL_OPEN → FAIL_OPEN), `vmConfig.env` INLINE entries → `key_values`,
// `valueFrom: HOST` entries → `host_env_keys` (read from the proxy's own environment),
// `pluginConfig` → the JSON configuration. `phase` and `priority` place it in the filter chain.
// The module: istio-agent pulls `url` and checks `sha256`; locally it is a file (LocalBindings.wasmFile).
import { spec, type IstioInput, type K8sObject } from './overlay.ts';
import { TranslationError, type EnvoyObject } from './envoy-types.ts';
import { wasmFilter, type FailurePolicy } from '../shapes.ts';
import type { LocalBindings } from './local.ts';

export type PluginPhase = 'AUTHN' | 'AUTHZ' | 'STATS' | 'UNSPECIFIED_PHASE';

export interface TranslatedPlugin {
  phase: PluginPhase;
  priority: number;
  filter: EnvoyObject;
}

const FAILURE_POLICIES: Record<string, FailurePolicy> = { FAIL_CLOSE: 'FAIL_CLOSED', FAIL_OPEN: 'FAIL_OPEN' };

export function wasmPluginsFor(input: IstioInput, serviceName: string, namespace: string, waypoint: string): K8sObject[] {
  return input.objects.filter((object) => {
    if (object.kind !== 'WasmPlugin' || object.metadata.namespace !== namespace) return false;
    if (spec(object).selector) throw new TranslationError(`WasmPlugin ${object.metadata.name}: a workload selector does not apply to a waypoint (use targetRefs)`);
    const refs = (spec(object).targetRefs ?? []) as { kind: string; name: string }[];
    return refs.some((ref) => (ref.kind === 'Service' && ref.name === serviceName) || (ref.kind === 'Gateway' && ref.name === waypoint));
  });
}

export function translateWasmPlugin(plugin: K8sObject, bindings: LocalBindings): TranslatedPlugin {
  const s = spec(plugin);
  const where = `WasmPlugin ${plugin.metadata.namespace}/${plugin.metadata.name}`;
  const unsupported = Object.keys(s).filter((key) => !['targetRefs', 'phase', 'priority', 'failStrategy', 'imagePullPolicy', 'url', 'sha256', 'vmConfig', 'pluginConfig', 'pluginName'].includes(key));
  if (unsupported.length) throw new TranslationError(`${where}: ${unsupported.join(', ')} is not translated`);
  const failurePolicy = FAILURE_POLICIES[s.failStrategy ?? 'FAIL_CLOSE'];
  if (!failurePolicy) throw new TranslationError(`${where}: failStrategy ${s.failStrategy} is not translated`);
  const hostKeys: string[] = [];
  const keyValues: Record<string, string> = {};
  for (const entry of (s.vmConfig?.env ?? []) as { name: string; valueFrom?: string; value?: string }[]) {
    if (entry.valueFrom === 'HOST') hostKeys.push(entry.name);
    else keyValues[entry.name] = bindings.pluginEnvOverrides[entry.name] ?? entry.value ?? '';
  }
  for (const [name, value] of Object.entries(bindings.pluginEnvOverrides)) {
    if (hostKeys.includes(name)) throw new TranslationError(`${where}: ${name} comes from the host environment (valueFrom: HOST), never inline`);
    keyValues[name] = value;
  }
  const name = `${plugin.metadata.namespace}.${plugin.metadata.name}`;
  return {
    phase: (s.phase ?? 'UNSPECIFIED_PHASE') as PluginPhase,
    priority: Number(s.priority ?? 0),
    filter: wasmFilter({
      name,
      rootId: s.pluginName ?? plugin.metadata.name,
      // Replaces the deprecated fail_open; a VM that fails to start or configure rejects requests.
      failurePolicy,
      ...(s.pluginConfig ? { configuration: JSON.stringify(s.pluginConfig) } : {}),
      file: bindings.wasmFile,
      hostEnvKeys: hostKeys,
      keyValues,
    }),
  };
}
