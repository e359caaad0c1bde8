// Placeholder until issue 6 lands: the command exists so `oc-edge --help` lists it.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('start')
    .description('(not built yet: issue 6)')
    .action(() => {
      throw new Error('oc-edge start is not built yet (issue 6)');
    });
}
