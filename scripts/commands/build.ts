// `oc-edge build` (npm run build): compiles the org-context filter (release + debug) and the no-op
// baseline module into dist/, and prints their sizes.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('build')
    .description('compile dist/org-context.wasm (release), dist/org-context.debug.wasm and dist/noop.wasm; print sizes')
    .action(async () => {
      const { buildFilter, SIZE_BUDGET_BYTES } = await import('../lib/build-filter.ts');
      const { relative } = await import('node:path');
      for (const module of await buildFilter()) {
        const budget = module.name === 'org-context (release)'
          ? (module.bytes <= SIZE_BUDGET_BYTES ? ` (budget ${SIZE_BUDGET_BYTES} B: ok)` : ` (OVER the ${SIZE_BUDGET_BYTES} B budget)`)
          : '';
        process.stdout.write(`${relative(process.cwd(), module.path)}  ${module.bytes} B  ${(module.bytes / 1024).toFixed(1)} KiB${budget}\n`);
      }
    });
}
