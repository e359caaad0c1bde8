// Placeholder until issue 7 lands: the command exists so `oc-edge --help` lists it.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('envoy')
    .description('(not built yet: issue 7)')
    .action(() => {
      throw new Error('oc-edge envoy is not built yet (issue 7)');
    });
}
