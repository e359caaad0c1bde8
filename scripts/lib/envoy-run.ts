// Finds and runs an Envoy binary: ENVOY_PATH first (the same variable func-e honours), else
// `func-e run`, which downloads Envoy on first use (needs network).
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  // Empty PATH entries would mean the working directory (which holds envoy/): skip them.
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      if (statSync(join(dir, name)).isFile()) return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface EnvoyBinary {
  command: string;
  /** Arguments before Envoy's own (`run` for func-e). */
  prefix: string[];
}

export function findEnvoy(env: NodeJS.ProcessEnv = process.env): EnvoyBinary | undefined {
  if (env.ENVOY_PATH) return { command: env.ENVOY_PATH, prefix: [] };
  const funcE = onPath('func-e', env);
  if (funcE) return { command: funcE, prefix: ['run'] };
  const envoy = onPath('envoy', env);
  return envoy ? { command: envoy, prefix: [] } : undefined;
}

/** Runs Envoy in the foreground; resolves with its exit code. Secrets go in through `env` only. */
export function runEnvoy(binary: EnvoyBinary, configFile: string, env: Record<string, string>, logLevel = 'info'): Promise<number> {
  const child = spawn(binary.command, [...binary.prefix, '-c', configFile, '--log-level', logLevel], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}
