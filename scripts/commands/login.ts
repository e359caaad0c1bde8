// Placeholder until issue 4 lands: the command exists so `oc-edge --help` lists it.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('login')
    .description('(not built yet: issue 4)')
    .action(() => {
      throw new Error('oc-edge login is not built yet (issue 4)');
    });
}
