// Placeholder until issue 3 lands: the command exists so `oc-edge --help` lists it.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('simulate')
    .description('(not built yet: issue 3)')
    .action(() => {
      throw new Error('oc-edge simulate is not built yet (issue 3)');
    });
}
