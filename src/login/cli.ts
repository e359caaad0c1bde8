// Running the service from a command line: help text from the settings table, signal handling,
// and exit codes (2: bad configuration, naming the setting).
import { ConfigError, SETTINGS, loadConfig, modeHelpLines, type LoginConfig } from './config.ts';
import { startLoginService, type LoginService } from './server.ts';

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

/** Starts the service and keeps it up until SIGINT/SIGTERM. */
export async function serveUntilSignal(config: LoginConfig): Promise<LoginService> {
  const service = await startLoginService(config);
  const stop = () => {
    void service.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return service;
}

/** `main.ts`: flags from argv over the environment. Throws ConfigError on bad settings. */
export function runFromCommandLine(env: Record<string, string | undefined>, argv: readonly string[]): Promise<LoginService> {
  return serveUntilSignal(loadConfig(env, argv));
}

export { ConfigError };
