// Running the service from a command line: help text from the settings table, signal handling,
// and exit codes (2: bad configuration, naming the setting).
import { ConfigError, SETTINGS, loadConfig, modeHelpLines, type LoginConfig } from './config.ts';
import cluster from 'node:cluster';
import { pino } from 'pino';

export function usage(command = 'oc-edge login'): string {
  const lines = [
    `Usage: ${command} [flags]`,
    '',
    'Runs the login service: the OIDC relying party with server-side sessions and the /oauth2/* endpoints,',
    'in one of these modes (--mode, LOGIN_MODE). Configured by environment variables;',
    'each non-secret one has a flag, and flags win. Secrets are environment-only.',
    '',
    'Modes, and the settings each needs:',
    ...modeHelpLines(),
    '',
    'Settings:',
  ];
  for (const setting of SETTINGS) {
    const name = setting.flag ? `--${setting.flag} <value>  (${setting.env})` : `${setting.env}  (environment only)`;
    lines.push(`  ${name}`);
    lines.push(`      ${setting.description}${setting.default !== undefined ? ` [default: ${setting.default === '' ? '""' : setting.default}]` : ''}`);
  }
  lines.push('', 'Exit codes: 0 stopped by SIGINT/SIGTERM, 1 failed to start, 2 bad configuration.');
  return lines.join('\n');
}

/**
 * Starts the service and keeps it up until SIGINT/SIGTERM. With WORKERS > 1 this process is the
 * cluster's primary, and the same command line run again by node:cluster is each worker.
 */
export async function serveUntilSignal(config: LoginConfig): Promise<void> {
  if (config.workers > 1 && cluster.isWorker) {
    await (await import('./cluster/worker.ts')).runWorker(config);
    return;
  }
  // Loaded on demand: a primary never loads the service itself (openid-client, ioredis, the modes),
  // which keeps its memory to the little it needs.
  const running = config.workers > 1 ? await supervise(config) : await (await import('./server.ts')).startLoginService(config);
  const stop = () => {
    void running.close().then((code) => process.exit(code ?? 0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The primary as the command line runs it: its exit code is the cluster's (1 when a worker died). */
async function supervise(config: LoginConfig): Promise<{ close(): Promise<number> }> {
  const { runPrimary } = await import('./cluster/primary.ts');
  const primary = await runPrimary(config, pino({ name: 'login', level: config.logLevel }));
  void primary.stopped.then((code) => process.exit(code));
  return { close: () => primary.stop() };
}

/** `main.ts`: flags from argv over the environment. Throws ConfigError on bad settings. */
export function runFromCommandLine(env: Record<string, string | undefined>, argv: readonly string[]): Promise<void> {
  return serveUntilSignal(loadConfig(env, argv));
}

export { ConfigError };
