// Where the repository is and where the build leaves what it makes: the one place these paths are
// spelled, so that the build, the commands, the bench and the tests cannot disagree about them.
// Each artifact has its repository-relative path (the form written into generated configuration
// and shown to people) and its absolute path (the form a process opens, whatever its cwd).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, ending in a slash. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The build's output folder, relative to REPO_ROOT. */
export const DIST_DIR = 'dist';
export const DIST_DIR_ABSOLUTE = join(REPO_ROOT, DIST_DIR);

export interface Artifact {
  /** The file's name, for a build that writes into another folder. */
  file: string;
  /** Relative to REPO_ROOT, with forward slashes. */
  path: string;
  absolute: string;
}

function artifact(file: string): Artifact {
  const path = `${DIST_DIR}/${file}`;
  return { file, path, absolute: join(REPO_ROOT, path) };
}

/** The org-context filter, release build: what is shipped. */
export const FILTER_WASM = artifact('org-context.wasm');
/** The same filter with debug info and assertions. */
export const FILTER_DEBUG_WASM = artifact('org-context.debug.wasm');
/** The bench's baseline: a no-op on the filter's own ABI layer. */
export const NOOP_WASM = artifact('noop.wasm');
/** The bench's host-call baseline: exactly the host calls of a cached valid cookie, nothing else. */
export const HOST_CALLS_WASM = artifact('host-calls.wasm');
/** The enrichment Lambda as one ES module with no imports. */
export const ENRICHMENT_MODULE = artifact('enrichment.mjs');
/** The Lambda upload: ENRICHMENT_MODULE as `index.mjs`. */
export const ENRICHMENT_ZIP = artifact('enrichment.zip');

/** The local stack's state (signing keys, certificates, Envoy configuration), relative to REPO_ROOT; gitignored. */
export const DATA_DIR = '.data';

/** The local CA and the gateway's certificate, in a stack's data folder (DATA_DIR by default). */
export const tlsDirIn = (dataDir: string): string => join(dataDir, 'tls');
/** DATA_DIR's certificates, relative to REPO_ROOT (what `oc-edge envoy` and the rendered envoy/ use). */
export const LOCAL_TLS_DIR = tlsDirIn(DATA_DIR);
