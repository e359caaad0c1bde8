// Finds the external programs the suites talk to (redis-server, chromium, registry, skopeo, kubectl,
// Envoy). Locally a missing tool skips its suite with a reason; under CI=true it is an error, because
// CI installs every tool (.ci/run) and a skipped suite would hide a missing install step.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { probeEnvoy, type LocatedEnvoy } from '../../scripts/lib/envoy/locate.ts';

export function findTool(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/**
 * The path of the first tool found, or a skip reason for node:test's `skip` option.
 * Throws under CI=true so that no suite skips in CI.
 */
export function requireTool(...names: string[]): { path?: string; skip?: string } {
  for (const name of names) {
    const path = findTool(name);
    if (path) return { path };
  }
  const reason = `${names.join(' or ')} not installed (apt-get install it, see .ci/run)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  return { skip: reason };
}

/**
 * Envoy as every command finds it (scripts/lib/envoy/locate.ts: ENVOY_PATH, the project's
 * `npm run tools:install`, func-e's own), or a skip reason that names the install command.
 * Throws under CI=true, like requireTool.
 */
export function requireEnvoy(): { envoy?: LocatedEnvoy; skip?: string } {
  const { found, reason } = probeEnvoy();
  if (found) return { envoy: found };
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  return { skip: reason! };
}
