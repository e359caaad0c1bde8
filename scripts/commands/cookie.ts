// `oc-edge cookie`: sign an organisation cookie as the backend does, or verify one exactly as the
// org-context filter does (by running the built .wasm).
import type { Command } from 'commander';
import { FILTER_WASM } from '../lib/artifacts.ts';
import { ORG_COOKIE_NAME_DEFAULT } from '../../src/topology/plugin-settings.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  const cookie = program.command('cookie').description('sign or verify the signed organisation cookie');

  cookie
    .command('sign')
    .description('print the cookie value as the browser sends it back (Express res.cookie(..., { signed: true }), URL-encoded)')
    .requiredOption('--secret <secret>', 'the signing secret (the current one)')
    .requiredOption('--value <value>', 'the organisation id, or JSON with --json')
    .option('--json', 'parse --value as JSON: an object becomes a cookie-parser JSON cookie (j:)')
    .action(async (options: { secret: string; value: string; json?: boolean }) => {
      const { cookieInput, expressSignedValue } = await import('../lib/cookie/sign.ts');
      process.stdout.write(`${expressSignedValue(cookieInput(options.value, options.json === true), options.secret)}\n`);
    });

  cookie
    .command('verify')
    .description('run VALUE through the built filter: print the organisation id (exit 0) or why it is invalid (exit 1)')
    .argument('<value>', 'the cookie value as the browser sends it (URL-encoded), or name=value')
    .option('--secret <secret>', 'a secret, current first (repeatable, as during rotation)', collect, [])
    .option('--name <name>', 'the cookie name', ORG_COOKIE_NAME_DEFAULT)
    .option('--wasm <file>', `the filter module (default: ${FILTER_WASM.path}, built if missing)`)
    .action(async (value: string, options: { secret: string[]; name: string; wasm?: string }) => {
      const { verifyCookieWithFilter } = await import('../lib/cookie/verify.ts');
      const outcome = await verifyCookieWithFilter({ secrets: options.secret, value, cookieName: options.name, wasm: options.wasm });
      if (outcome.valid) {
        process.stdout.write(`${outcome.organisation}\n`);
      } else {
        process.stdout.write(`invalid: ${outcome.reason}\n`);
        process.exitCode = 1;
      }
    });
}
