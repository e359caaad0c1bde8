// Placeholder until issue 7 lands: the command exists so `oc-edge --help` lists it.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('render')
    .description('(not built yet: issue 7)')
    .action(() => {
      throw new Error('oc-edge render is not built yet (issue 7)');
    });
}
