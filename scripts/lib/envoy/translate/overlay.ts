// The input of the translation: an istio/ overlay as kustomize renders it (the objects istiod would
// watch) and the mesh config istiod runs with (its extensionProviders). Read through scripts/lib/render,
// never re-derived from src/topology, so a wrong manifest shows up in the local Envoy config.
import { execFileSync } from 'node:child_process';
import { overlayDir } from '../../render/render.ts';
import { meshConfigValues } from '../../render/manifests.ts';
import { parseObjects, type K8sObject } from '../../render/schema.ts';

export type { K8sObject };

export interface MeshConfig {
  extensionProviders?: { name: string; envoyExtAuthzHttp?: Record<string, unknown> }[];
}

export interface IstioInput {
  objects: K8sObject[];
  mesh: MeshConfig;
}

/**
 * `kubectl kustomize istio/overlays/<overlay>`, synchronously: `oc-edge render` and its drift check
 * produce every generated file in one pass. `KUBECTL` names another binary, as for `render --overlay`.
 */
export function renderOverlayObjects(overlay = 'local', options: { root?: string; kubectl?: string } = {}): K8sObject[] {
  const kubectl = options.kubectl ?? (process.env.KUBECTL || 'kubectl');
  let text: string;
  try {
    text = execFileSync(kubectl, ['kustomize', overlayDir(overlay, options.root)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const detail = (error as { code?: string; stderr?: string }).code === 'ENOENT' ? `${kubectl} not found (the Envoy config is translated from the kustomize output; install kubectl)` : String((error as { stderr?: string }).stderr ?? error).trim();
    throw new Error(`cannot render istio/overlays/${overlay}: ${detail}`);
  }
  return parseObjects(text);
}

/** The rendered overlay (of the repository, or of a copy at `root`) and the mesh config (istio/mesh/istiod-values.yaml, as `oc-edge render` writes it). */
export function istioInput(overlay = 'local', root?: string): IstioInput {
  return { objects: renderOverlayObjects(overlay, root ? { root } : {}), mesh: (meshConfigValues() as { meshConfig: MeshConfig }).meshConfig };
}

export const spec = (object: K8sObject): Record<string, any> => (object.spec ?? {}) as Record<string, any>;

export function ofKind(input: IstioInput, kind: string): K8sObject[] {
  return input.objects.filter((object) => object.kind === kind);
}

export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
}

/** Whether a policy's targetRefs name `kind`/`name` (policies attach in their own namespace). */
export function targets(policy: K8sObject, kind: string, name: string): boolean {
  const refs = (spec(policy).targetRefs ?? []) as TargetRef[];
  return refs.some((ref) => ref.kind === kind && ref.name === name);
}
