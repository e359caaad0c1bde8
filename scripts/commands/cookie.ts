// Placeholder until issue 2 lands: the command exists so `oc-edge --help` lists it.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('cookie')
    .description('(not built yet: issue 2)')
    .action(() => {
      throw new Error('oc-edge cookie is not built yet (issue 2)');
    });
}
