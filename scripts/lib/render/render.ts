// Renders istio/ kustomizations with the real kustomize (`kubectl kustomize`), and writes or checks
// the files generated from src/topology (istio/ and envoy/ parts, and the filter's setting names).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { generatedIstioFiles } from './manifests.ts';
import { loginWorkloadFiles } from './login-workloads.ts';
import { envoyFiles } from '../envoy/bootstrap.ts';
import { PLUGIN_SETTINGS_AS_FILE, pluginSettingsAs } from './plugin-settings-as.ts';
import { REPO_ROOT } from '../artifacts.ts';

const run = promisify(execFile);
/** `login-examples`: production plus the login-sidecar and sso components (istio/overlays/login-examples). */
export const OVERLAYS = ['local', 'production', 'login-examples'] as const;

export async function kustomize(dir: string, kubectl = 'kubectl'): Promise<string> {
  const { stdout } = await run(kubectl, ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export function overlayDir(overlay: string, root = REPO_ROOT): string {
  return join(root, 'istio', 'overlays', overlay);
}

/**
 * Every file `oc-edge render` writes: istio/ parts from src/topology, envoy/ (translated from the
 * rendered local overlay) and the
 * filter's AssemblyScript list of its settings.
 */
export function generatedFiles(): Map<string, string> {
  return new Map([...generatedIstioFiles(), ...loginWorkloadFiles(), ...envoyFiles(), [PLUGIN_SETTINGS_AS_FILE, pluginSettingsAs()]]);
}

/** Generated files whose committed content differs from what the topology produces now. */
export function staleGeneratedFiles(root = REPO_ROOT, files: Map<string, string> = generatedFiles()): string[] {
  const stale: string[] = [];
  for (const [path, content] of files) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, path), 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== content) stale.push(path);
  }
  return stale;
}

export function writeGeneratedFiles(files: Map<string, string>, root = REPO_ROOT): string[] {
  const written: string[] = [];
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    written.push(path);
  }
  return written;
}
