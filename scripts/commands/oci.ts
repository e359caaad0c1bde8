// `oc-edge oci`: package the release filter module as the WasmPlugin image (scripts/lib/oci).
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import { FILTER_WASM } from '../lib/artifacts.ts';

interface CommonOptions {
  wasm: string;
  variant: string;
  tag?: string;
}

function parseVariant(value: string): 'oci' | 'compat' {
  if (value !== 'oci' && value !== 'compat') throw new UsageError(`--variant must be oci or compat, got ${value}`);
  return value;
}

async function readPassword(fromStdin: boolean): Promise<string | undefined> {
  if (!fromStdin) return process.env.OC_REGISTRY_PASSWORD || undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  const oci = program.command('oci').description('package the org-context filter as the WasmPlugin OCI image');

  oci
    .command('build')
    .description('write an OCI image layout and print the manifest digest (the WasmPlugin sha256)')
    .option('--wasm <file>', 'the module', FILTER_WASM.path)
    .option('--variant <oci|compat>', 'oci: Wasm artifact layers; compat: a tar+gzip layer with plugin.wasm', 'oci')
    .option('--out <dir>', 'OCI image layout directory', 'build/oci')
    .option('--tag <tag>', 'tag in the layout', 'latest')
    .action(async (options: CommonOptions & { out: string; tag: string }) => {
      const { readFileSync } = await import('node:fs');
      const { buildImage } = await import('../lib/oci/image.ts');
      const { writeLayout } = await import('../lib/oci/layout.ts');
      const image = buildImage(readFileSync(options.wasm), parseVariant(options.variant));
      writeLayout(options.out, image, options.tag);
      process.stderr.write(`wrote ${options.variant} image to ${options.out} (tag ${options.tag})\n`);
      process.stdout.write(`${image.manifestDescriptor.digest}\n`);
    });

  oci
    .command('push <reference>')
    .description('build and push to a registry (registry/repo:tag), print the manifest digest')
    .option('--wasm <file>', 'the module', FILTER_WASM.path)
    .option('--variant <oci|compat>', 'image variant', 'oci')
    .option('--insecure', 'plain HTTP (a local registry)', false)
    .option('--username <name>', 'registry user; the password comes from OC_REGISTRY_PASSWORD or --password-stdin')
    .option('--password-stdin', 'read the password from stdin', false)
    .option('--layout <dir>', 'also write the OCI image layout here')
    .option('--update-overlay <name>', 'write wasmUrl and wasmSha256 into istio/overlays/<name>/settings.yaml')
    .action(async (reference: string, options: CommonOptions & { insecure: boolean; username?: string; passwordStdin: boolean; layout?: string; updateOverlay?: string }) => {
      const { readFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { buildImage } = await import('../lib/oci/image.ts');
      const { writeLayout } = await import('../lib/oci/layout.ts');
      const { parseReference, wasmPluginUrl } = await import('../lib/oci/reference.ts');
      const { RegistryClient } = await import('../lib/oci/registry.ts');
      const { updateOverlaySettings } = await import('../lib/oci/overlay.ts');
      let ref;
      try {
        ref = parseReference(reference);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (ref.digest) throw new UsageError('push to a tag, not a digest (the digest is computed)');
      const tag = ref.tag ?? 'latest';
      const image = buildImage(readFileSync(options.wasm), parseVariant(options.variant));
      if (options.layout) writeLayout(options.layout, image, tag);
      const password = await readPassword(options.passwordStdin);
      const client = new RegistryClient(ref, {
        insecure: options.insecure,
        credentials: { username: options.username, password, token: process.env.OC_REGISTRY_TOKEN || undefined },
      });
      const digest = await client.push(image, tag);
      process.stderr.write(`pushed ${options.variant} image ${ref.registry}/${ref.repository}:${tag}\n`);
      if (options.updateOverlay) {
        const settings = join('istio', 'overlays', options.updateOverlay, 'settings.yaml');
        updateOverlaySettings(settings, { wasmUrl: wasmPluginUrl(ref), wasmSha256: digest.slice('sha256:'.length) });
        process.stderr.write(`updated ${settings}\n`);
      }
      process.stdout.write(`${digest}\n`);
    });
}
