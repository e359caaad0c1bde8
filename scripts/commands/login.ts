// `oc-edge login`: runs the login service (src/login). Flags mirror the environment variables
// (see docs/login.md); secrets are environment-only and so have no flag. The option list comes
// from the settings table in src/login/config.ts, which imports only node built-ins, so
// `oc-edge --help` stays fast; openid-client and Redis load when the action runs.
import type { Command } from 'commander';
import { ConfigError, SETTINGS, loadConfig, modeHelpLines, settingsFromOptions } from '../../src/login/config.ts';
import { UsageError } from '../lib/errors.ts';

export function register(program: Command): void {
  const command = program
    .command('login')
    .description('run the login service: OIDC relying party, sessions, /oauth2/*, as the Envoy ext_authz check or a reverse-proxy sidecar (--mode)');
  for (const setting of SETTINGS) {
    if (setting.flag) command.option(`--${setting.flag} <value>`, `${setting.description} (env ${setting.env}${setting.default ? `; default ${setting.default}` : ''})`);
  }
  command.addHelpText(
    'after',
    `\nModes (--mode, env LOGIN_MODE):\n${modeHelpLines().join('\n')}\n` +
      `\nEnvironment only (secrets): ${SETTINGS.filter((s) => !s.flag).map((s) => s.env).join(', ')}.\n` +
      'Flags win over environment variables (docs/login.md). A bad setting exits 2 and is named.',
  );
  command.action(async (options: Record<string, unknown>) => {
    // Commander parsed the flags once; they go over the environment as settings (flags win).
    let config;
    try {
      config = loadConfig({ ...process.env, ...settingsFromOptions(options) });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
    const { serveUntilSignal } = await import('../../src/login/cli.ts');
    await serveUntilSignal(config);
    // The servers keep the process alive; SIGINT/SIGTERM close them and exit 0.
  });
}
