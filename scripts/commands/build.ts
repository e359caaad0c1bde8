// `oc-edge build` (npm run build): compiles the org-context filter (release + debug) and the no-op
// baseline module into dist/, bundles the enrichment Lambda into dist/enrichment.zip, and prints
// the sizes.
import type { Command } from 'commander';
import { DIST_DIR_ABSOLUTE, ENRICHMENT_ZIP, FILTER_DEBUG_WASM, FILTER_WASM, HOST_CALLS_WASM, NOOP_WASM } from '../lib/artifacts.ts';

export function register(program: Command): void {
  program
    .command('build')
    .description(`compile ${FILTER_WASM.path} (release), ${FILTER_DEBUG_WASM.path}, ${NOOP_WASM.path} and ${HOST_CALLS_WASM.path} (bench baselines); bundle ${ENRICHMENT_ZIP.path}; print sizes`)
    .action(async () => {
      const { buildFilter, SIZE_BUDGET_BYTES } = await import('../lib/build/filter.ts');
      const { bundleEnrichment } = await import('../lib/build/enrichment.ts');
      const { relative } = await import('node:path');
      const show = (path: string, bytes: number, note = '') =>
        process.stdout.write(`${relative(process.cwd(), path)}  ${bytes} B  ${(bytes / 1024).toFixed(1)} KiB${note}\n`);
      for (const module of await buildFilter()) {
        const budget = module.name === 'org-context (release)'
          ? (module.bytes <= SIZE_BUDGET_BYTES ? ` (budget ${SIZE_BUDGET_BYTES} B: ok)` : ` (OVER the ${SIZE_BUDGET_BYTES} B budget)`)
          : '';
        show(module.path, module.bytes, budget);
      }
      const lambda = await bundleEnrichment(DIST_DIR_ABSOLUTE);
      show(lambda.file, lambda.bytes, ` (Lambda handler index.handler; module ${relative(process.cwd(), lambda.module)})`);
    });
}
