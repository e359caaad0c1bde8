// `oc-edge build` (npm run build): compiles the org-context filter (release + debug) and the no-op
// baseline module into dist/, bundles the enrichment Lambda into dist/enrichment.zip, and prints
// the sizes.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('build')
    .description('compile dist/org-context.wasm (release), dist/org-context.debug.wasm, dist/noop.wasm and dist/host-calls.wasm (bench baselines); bundle dist/enrichment.zip; print sizes')
    .action(async () => {
      const { buildFilter, SIZE_BUDGET_BYTES } = await import('../lib/build/filter.ts');
      const { bundleEnrichment } = await import('../lib/build/enrichment.ts');
      const { relative, join } = await import('node:path');
      const show = (path: string, bytes: number, note = '') =>
        process.stdout.write(`${relative(process.cwd(), path)}  ${bytes} B  ${(bytes / 1024).toFixed(1)} KiB${note}\n`);
      for (const module of await buildFilter()) {
        const budget = module.name === 'org-context (release)'
          ? (module.bytes <= SIZE_BUDGET_BYTES ? ` (budget ${SIZE_BUDGET_BYTES} B: ok)` : ` (OVER the ${SIZE_BUDGET_BYTES} B budget)`)
          : '';
        show(module.path, module.bytes, budget);
      }
      const lambda = await bundleEnrichment(join(new URL('../..', import.meta.url).pathname, 'dist'));
      show(lambda.file, lambda.bytes, ` (Lambda handler index.handler; module ${relative(process.cwd(), lambda.module)})`);
    });
}
