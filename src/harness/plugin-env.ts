// The org-context filter's environment for the local stack, taken from the same manifests the
// cluster uses: the WasmPlugin's `vmConfig.env` (istio/base/wasmplugin.yaml) with the placeholders
// filled from the local overlay's settings, as the settings component's replacements fill them.
// `valueFrom: HOST` entries (the cookie secrets) come from the caller, as the waypoint's own
// environment supplies them. So the local filter runs with exactly the cluster's configuration.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';

interface EnvEntry {
  name: string;
  valueFrom?: 'INLINE' | 'HOST';
  value?: string;
}

interface Replacement {
  source: { kind: string; name: string; fieldPath: string };
  targets: { select: { kind: string; name: string }; fieldPaths: string[] }[];
}

function readYaml(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The plugin environment. `host` supplies `valueFrom: HOST` values; `overrides` replace or add
 * entries (e.g. ORG_MEMBERSHIP_CLAIM, which the base leaves unset).
 */
export function pluginEnvironment(options: {
  host: Record<string, string>;
  overrides?: Record<string, string>;
  root?: string;
  overlay?: string;
}): Record<string, string> {
  const root = options.root ?? REPO_ROOT;
  const overlay = options.overlay ?? 'local';
  const pluginPath = join(root, 'istio/base/wasmplugin.yaml');
  const plugin = parseAllDocuments(readFileSync(pluginPath, 'utf8'))
    .map((document) => document.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { vmConfig?: { env?: EnvEntry[] } } })
    .find((document) => document?.kind === 'WasmPlugin');
  const entries = plugin?.spec?.vmConfig?.env;
  if (!plugin || !Array.isArray(entries)) throw new Error(`${pluginPath}: no WasmPlugin with spec.vmConfig.env`);
  const pluginName = plugin.metadata?.name ?? '';

  const settingsPath = join(root, `istio/overlays/${overlay}/settings.yaml`);
  const settings = (readYaml(settingsPath) as { data?: Record<string, string> })?.data ?? {};
  const component = readYaml(join(root, 'istio/components/settings/kustomization.yaml')) as { replacements?: Replacement[] };

  // spec.vmConfig.env.[name=X].value ← settings.data.<key>
  const filled: Record<string, string> = {};
  for (const replacement of component.replacements ?? []) {
    const key = /^data\.(.+)$/.exec(replacement.source.fieldPath)?.[1];
    if (!key) continue;
    for (const target of replacement.targets) {
      if (target.select.kind !== 'WasmPlugin' || target.select.name !== pluginName) continue;
      for (const fieldPath of target.fieldPaths) {
        const name = /^spec\.vmConfig\.env\.\[name=([A-Z0-9_]+)\]\.value$/.exec(fieldPath)?.[1];
        if (!name) continue;
        const value = settings[key];
        if (value === undefined) throw new Error(`${settingsPath}: data.${key} (for ${name}) is missing`);
        filled[name] = value;
      }
    }
  }

  const env: Record<string, string> = {};
  for (const entry of entries) {
    if (entry.valueFrom === 'HOST') {
      const value = options.host[entry.name];
      if (value === undefined) throw new Error(`plugin setting ${entry.name} comes from the host environment, and none was given`);
      env[entry.name] = value;
    } else {
      env[entry.name] = filled[entry.name] ?? entry.value ?? '';
    }
  }
  return { ...env, ...options.overrides };
}
