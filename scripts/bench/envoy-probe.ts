// Builds the host-call probes (bench/host-call-probe: probe.ts, one kind of host call per request
// chosen by its pluginConfig; noop-on-done.ts, the no-op with one more callback) into their
// git-ignored build/ folder with the filter's own compiler
// settings (asconfig.json, release), only when a source it uses is newer than the module: it is a
// bench input, not a product of `npm run build`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../lib/artifacts.ts';

export const PROBE_DIR = join(REPO_ROOT, 'bench', 'host-call-probe');
const built = (name: string) => ({ entry: join(PROBE_DIR, `${name}.ts`), wasm: join(PROBE_DIR, 'build', `${name}.wasm`) });
export const PROBE = built('probe');
export const NOOP_ON_DONE = built('noop-on-done');
/** What the modules are compiled from besides their entries: the ABI layer and the helpers they import. */
const SHARED_SOURCES = [join(REPO_ROOT, 'asconfig.json'), join(REPO_ROOT, 'assembly', 'bytes.ts'), ...filesIn(join(REPO_ROOT, 'assembly', 'abi'))];

function filesIn(dir: string): string[] {
  return readdirSync(dir).map((name) => join(dir, name));
}

function isFresh(module: { entry: string; wasm: string }): boolean {
  try {
    const time = statSync(module.wasm).mtimeMs;
    return [module.entry, ...SHARED_SOURCES].every((file) => statSync(file).mtimeMs <= time);
  } catch {
    return false;
  }
}

/** A probe module's path (PROBE, NOOP_ON_DONE), compiled first when missing or stale. */
export async function ensureProbe(module: { entry: string; wasm: string }, onProgress: (message: string) => void): Promise<string> {
  if (isFresh(module)) return module.wasm;
  onProgress(`envoy: compiling ${relative(REPO_ROOT, module.entry)}`);
  const asc = await import('assemblyscript/asc');
  let diagnostics = '';
  const sink = { write: (chunk: string | Uint8Array) => { diagnostics += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true; } };
  const args = [relative(REPO_ROOT, module.entry), '--baseDir', REPO_ROOT, '--config', 'asconfig.json', '--target', 'release', '--outFile', module.wasm];
  const result = await asc.main(args, { stdout: sink, stderr: sink });
  if (result.error) throw new Error(`compiling ${module.entry} failed:\n${diagnostics.trim() || result.error.message}`);
  return module.wasm;
}
