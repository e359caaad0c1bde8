// Builds the SDK baseline (bench/sdk-baseline: org-context's hot path on the AssemblyScript
// Proxy-Wasm SDK) into its git-ignored build/ folder, only when a source is newer than the module:
// it is a bench input, not a product of `npm run build`.
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../lib/artifacts.ts';

export const SDK_BASELINE_DIR = join(REPO_ROOT, 'bench', 'sdk-baseline');
export const SDK_BASELINE_WASM = join(SDK_BASELINE_DIR, 'build', 'sdk-baseline.wasm');
/** The root_id it registers (its registerRootContext name; the SDK ignores it, Envoy needs one). */
export const SDK_BASELINE_ROOT_ID = 'sdk-baseline';
const ASC = join(REPO_ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const run = promisify(execFile);

function newestSource(): number {
  const dir = join(SDK_BASELINE_DIR, 'assembly');
  const times = readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs);
  return Math.max(statSync(join(SDK_BASELINE_DIR, 'asconfig.json')).mtimeMs, ...times);
}

function isFresh(): boolean {
  try {
    return statSync(SDK_BASELINE_WASM).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/** The baseline module's path, compiled first when missing or stale. */
export async function ensureSdkBaseline(onProgress: (message: string) => void): Promise<string> {
  if (isFresh()) return SDK_BASELINE_WASM;
  onProgress('envoy: compiling the SDK baseline (bench/sdk-baseline)');
  // A child asc run in the baseline's folder: the wasi-shim's asconfig names its library relative
  // to itself, which the in-process compiler's --baseDir resolves wrongly.
  try {
    await run(process.execPath, [ASC, 'assembly/index.ts', '--config', 'asconfig.json'], { cwd: SDK_BASELINE_DIR, maxBuffer: 8 << 20 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`compiling the SDK baseline failed:\n${`${stdout}${stderr}`.trim() || String(error)}`);
  }
  return SDK_BASELINE_WASM;
}
