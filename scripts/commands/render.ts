// `oc-edge render`: regenerates what follows from src/topology (istio/base/generated/,
// istio/mesh/istiod-values.yaml, envoy/gateway.yaml + envoy/waypoint.yaml, assembly/filter/generated/settings.ts), checks
// that the committed copies are current, or renders an istio/ overlay with kustomize and validates it.
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import { REPO_ROOT } from '../lib/artifacts.ts';

export function register(program: Command): void {
  program
    .command('render')
    .description('regenerate istio/, envoy/ and the filter\'s settings list from src/topology, or render and validate an overlay')
    .option('--check', 'only report generated files that are out of date (exit 1 if any)', false)
    .option('--overlay <name>', 'render istio/overlays/<name> with kubectl kustomize instead')
    .option('--validate', 'with --overlay: check every object against its CRD schema and every reference', false)
    .option('--out <file>', 'with --overlay: write the manifests here instead of stdout')
    .option('--kubectl <path>', 'kubectl binary', process.env.KUBECTL || 'kubectl')
    .action(async (options: { check: boolean; overlay?: string; validate: boolean; out?: string; kubectl: string }) => {
      const render = await import('../lib/render/render.ts');
      if (!options.overlay) {
        if (options.validate || options.out) throw new UsageError('--validate and --out go with --overlay');
        const stale = render.staleGeneratedFiles();
        if (options.check) {
          if (stale.length > 0) {
            process.stderr.write(`out of date (run: oc-edge render):\n${stale.map((f) => `  ${f}`).join('\n')}\n`);
            process.exitCode = 1;
          } else process.stderr.write('generated files are up to date\n');
          return;
        }
        const files = render.generatedFiles();
        render.writeGeneratedFiles(new Map([...files].filter(([path]) => stale.includes(path))));
        process.stderr.write(stale.length > 0 ? `wrote ${stale.join(', ')}\n` : 'generated files are up to date\n');
        return;
      }
      const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const dir = render.overlayDir(options.overlay);
      if (!existsSync(join(dir, 'kustomization.yaml'))) throw new UsageError(`no overlay ${options.overlay} (istio/overlays/${options.overlay}/kustomization.yaml)`);
      const text = await render.kustomize(dir, options.kubectl);
      if (options.validate) {
        const { CrdValidator, parseObjects } = await import('../lib/render/schema.ts');
        const { checkReferences } = await import('../lib/render/check.ts');
        const { parse } = await import('yaml');
        const objects = parseObjects(text);
        const validator = new CrdValidator();
        const problems = [
          ...objects.flatMap((o) => validator.validate(o).map((i) => `${i.object}: ${i.message}`)),
          ...checkReferences(objects, { meshValues: parse(readFileSync(join(REPO_ROOT, 'istio/mesh/istiod-values.yaml'), 'utf8')), requireFilled: true }),
        ];
        // A zero digest is schema-valid but pins nothing Istio can fetch: the plugin fails closed.
        for (const plugin of objects.filter((o) => o.kind === 'WasmPlugin')) {
          const sha = (plugin as { spec?: { sha256?: string } }).spec?.sha256 ?? '';
          if (/^0{64}$/.test(sha) || sha === '') {
            process.stderr.write(`warning: WasmPlugin ${plugin.metadata.name} has no real sha256 yet (oc-edge oci push … --update-overlay ${options.overlay})\n`);
          }
        }
        process.stderr.write(`${objects.length} objects checked against their schemas (CRDs and Kubernetes core kinds), ${validator.celRulesEvaluated} CEL validation rules evaluated\n`);
        if (problems.length > 0) {
          process.stderr.write(`${problems.map((p) => `  ${p}`).join('\n')}\n`);
          process.exitCode = 1;
        }
      }
      if (options.out) writeFileSync(options.out, text);
      else process.stdout.write(text);
    });
}
