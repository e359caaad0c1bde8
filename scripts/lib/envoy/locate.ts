// Where this project's Envoy is: the one answer every command and test uses.
//   1. ENVOY_PATH (the variable func-e itself honours), which must be an executable file;
//   2. the project's pinned install (`npm run tools:install`, layout in envoy-tools.ts);
//   3. func-e's own installs of the same version: $FUNC_E_HOME/versions when FUNC_E_HOME is set,
//      else $FUNC_E_DATA_HOME/envoy-versions (default ~/.local/share/func-e), as func-e v1.6 keeps them;
//   4. otherwise EnvoyNotFoundError, naming the install command.
// An `envoy` on PATH is deliberately not taken: its version is whatever the machine has.
// func-e (to run Envoy through) is the project's, else one on PATH.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { INSTALL_COMMAND, compareVersions, envoyVersionSpec, specLabel, specMatches, toolsLayout, type Env, type EnvoyVersionSpec } from './tools.ts';

export type EnvoySource = 'ENVOY_PATH' | 'project' | 'func-e';

export interface LocatedEnvoy {
  /** The Envoy binary. */
  envoy: string;
  source: EnvoySource;
  /** The version its folder names (unknown for ENVOY_PATH). */
  version?: string;
  /** A func-e to run it through, when one is installed. */
  funcE?: string;
}

export class EnvoyNotFoundError extends Error {
  override name = 'EnvoyNotFoundError';
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The newest `<dir>/<version>/bin/envoy` whose version satisfies the spec. */
function newestInstalled(versionsDir: string, spec: EnvoyVersionSpec): { envoy: string; version: string } | undefined {
  let entries: string[];
  try {
    entries = readdirSync(versionsDir);
  } catch {
    return undefined;
  }
  const version = entries
    .filter((name) => specMatches(spec, name) && isExecutableFile(join(versionsDir, name, 'bin', 'envoy')))
    .sort(compareVersions)
    .at(-1);
  return version ? { envoy: join(versionsDir, version, 'bin', 'envoy'), version } : undefined;
}

/** The directory func-e v1.6 keeps its downloaded Envoy versions in, for this environment. */
export function funcEOwnVersionsDir(env: Env = process.env): string {
  if (env.FUNC_E_HOME) return join(env.FUNC_E_HOME, 'versions');
  const dataHome = env.FUNC_E_DATA_HOME || join(env.HOME || homedir(), '.local', 'share', 'func-e');
  return join(dataHome, 'envoy-versions');
}

export function locateFuncE(env: Env = process.env): string | undefined {
  const project = toolsLayout(env).funcE;
  if (isExecutableFile(project)) return project;
  // Empty PATH entries would mean the working directory: skip them.
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (isExecutableFile(join(dir, 'func-e'))) return join(dir, 'func-e');
  }
  return undefined;
}

/** Finds Envoy or throws EnvoyNotFoundError with what was looked at and how to install it. */
export function locateEnvoy(env: Env = process.env): LocatedEnvoy {
  const funcE = locateFuncE(env);
  const withFuncE = (found: LocatedEnvoy): LocatedEnvoy => (funcE ? { ...found, funcE } : found);
  if (env.ENVOY_PATH) {
    if (!isExecutableFile(env.ENVOY_PATH)) throw new EnvoyNotFoundError(`ENVOY_PATH=${env.ENVOY_PATH} is not an executable file`);
    return withFuncE({ envoy: env.ENVOY_PATH, source: 'ENVOY_PATH' });
  }
  const spec = envoyVersionSpec(env);
  const projectDir = toolsLayout(env).funcEVersionsDir;
  const project = newestInstalled(projectDir, spec);
  if (project) return withFuncE({ ...project, source: 'project' });
  const ownDir = funcEOwnVersionsDir(env);
  const own = newestInstalled(ownDir, spec);
  if (own) return withFuncE({ ...own, source: 'func-e' });
  throw new EnvoyNotFoundError(
    `no Envoy ${specLabel(spec)}: run \`${INSTALL_COMMAND}\` (installs it under ${toolsLayout(env).root}), or set ENVOY_PATH to an envoy binary ` +
      `(looked in ${projectDir} and ${ownDir})`,
  );
}

/** locateEnvoy, with "not found" as undefined and its message as the reason (for skips and probes). */
export function probeEnvoy(env: Env = process.env): { found?: LocatedEnvoy; reason?: string } {
  try {
    return { found: locateEnvoy(env) };
  } catch (error) {
    if (error instanceof EnvoyNotFoundError) return { reason: error.message };
    throw error;
  }
}
