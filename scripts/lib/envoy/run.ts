// Runs the Envoy that envoy-locate.ts finds: through func-e when one is installed (`func-e run`,
// with ENVOY_PATH set to the located binary, so func-e resolves no version and downloads nothing),
// else the binary itself. `envoy --mode validate` runs the binary directly: it is Envoy's own check.
import { spawn, spawnSync } from 'node:child_process';
import { probeEnvoy, type LocatedEnvoy } from './locate.ts';
import { toolsLayout, type Env } from './tools.ts';

export interface EnvoyInvocation {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const FUNC_E_HOME_SETTINGS = ['FUNC_E_HOME', 'FUNC_E_CONFIG_HOME', 'FUNC_E_DATA_HOME', 'FUNC_E_STATE_HOME', 'FUNC_E_RUNTIME_DIR'];

/** The command line that runs Envoy with `envoyArgs`; `env` is the base environment (secrets added by the caller). */
export function envoyInvocation(found: LocatedEnvoy, envoyArgs: string[], env: Env = process.env): EnvoyInvocation {
  const base = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  if (!found.funcE) return { command: found.envoy, args: envoyArgs, env: base };
  // func-e's run logs go to the project's FUNC_E_HOME unless the user chose func-e directories.
  const homes: Record<string, string> = FUNC_E_HOME_SETTINGS.some((name) => env[name]) ? {} : { FUNC_E_HOME: toolsLayout(env).funcEHome };
  return { command: found.funcE, args: ['run', ...envoyArgs], env: { ...base, ...homes, ENVOY_PATH: found.envoy } };
}

/** Runs Envoy in the foreground; resolves with its exit code. Secrets go in through `extraEnv` only. */
export function runEnvoy(found: LocatedEnvoy, configFile: string, extraEnv: Record<string, string>, logLevel = 'info'): Promise<number> {
  const invocation = envoyInvocation(found, ['-c', configFile, '--log-level', logLevel]);
  const child = spawn(invocation.command, invocation.args, { stdio: 'inherit', env: { ...invocation.env, ...extraEnv } });
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

export interface ValidateResult {
  ok: boolean;
  /** Envoy's stdout and stderr, for the failure message. */
  output: string;
}

/**
 * `envoy --mode validate -c FILE`: Envoy parses the whole bootstrap, reads the files it names (the
 * Wasm module, certificates) relative to `cwd`, builds every filter, and exits without listening.
 */
export function validateWithEnvoy(envoy: string, configFile: string, options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): ValidateResult {
  const result = spawnSync(envoy, ['--mode', 'validate', '-c', configFile, '--log-level', 'warn'], {
    encoding: 'utf8',
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs ?? 60_000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0, output };
}
