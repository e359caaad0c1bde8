// The oc-edge toolchain: one command per job, each defined in scripts/commands/<name>.ts.
// Command modules only declare options; they import their heavy implementation lazily inside the
// action, so `oc-edge --help` and every command start fast.
import { Command, CommanderError } from 'commander';
import { register as build } from './commands/build.ts';
import { register as cookie } from './commands/cookie.ts';
import { register as simulate } from './commands/simulate.ts';
import { register as bench } from './commands/bench.ts';
import { register as login } from './commands/login.ts';
import { register as keys } from './commands/keys.ts';
import { register as oci } from './commands/oci.ts';
import { register as render } from './commands/render.ts';
import { register as envoy } from './commands/envoy.ts';
import { register as start } from './commands/start.ts';
import { UsageError } from './lib/errors.ts';

const program = new Command('oc-edge')
  .description('Toolchain for oneconnect-edge: build the org-context filter, sign cookies, simulate, package, render, run.')
  .showHelpAfterError()
  .exitOverride();

for (const registerCommand of [build, cookie, simulate, bench, login, keys, oci, render, envoy, start]) {
  registerCommand(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // help and version exit 0; every usage error exits 2, as documented.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof UsageError) {
    process.stderr.write(`oc-edge: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`oc-edge: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
