// `node --import tsx src/login/main.ts [flags]`: the login service on its own, without the oc-edge
// toolchain (the shape of a container entrypoint).
import { ConfigError, runFromCommandLine, usage } from './cli.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${usage('node --import tsx src/login/main.ts')}\n`);
  process.exit(0);
}
try {
  await runFromCommandLine(process.env, argv);
} catch (error) {
  process.stderr.write(`login: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
