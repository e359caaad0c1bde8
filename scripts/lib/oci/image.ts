// The WasmPlugin image, in the two shapes Istio's image fetcher (pkg/wasm/imagefetcher.go) accepts:
//  - "oci": an OCI artifact with exactly two layers, the runtime config
//    (application/vnd.module.wasm.config.v1+json) and the raw module
//    (application/vnd.module.wasm.content.layer.v1+wasm);
//  - "compat": an ordinary OCI image whose single tar+gzip layer holds `plugin.wasm`, annotated
//    module.wasm.image/variant=compat, which any registry and tool (skopeo, docker) understands.
// Everything is deterministic (no timestamps), so the manifest digest — the WasmPlugin's sha256 —
// depends only on the wasm bytes and the variant.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tar, untarFile } from './tar.ts';

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  wasmConfig: 'application/vnd.module.wasm.config.v1+json',
  wasmLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
  imageConfig: 'application/vnd.oci.image.config.v1+json',
  tarGzipLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export type Variant = 'oci' | 'compat';
export const VARIANTS: readonly Variant[] = ['oci', 'compat'];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Blob {
  descriptor: Descriptor;
  data: Buffer;
}

export interface Image {
  variant: Variant;
  /** The exact manifest bytes pushed; the digest is over these bytes. */
  manifest: Buffer;
  manifestDescriptor: Descriptor;
  /** Config first, then layers; a blob listed twice (oci: config as a layer) appears once. */
  blobs: Blob[];
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blob(mediaType: string, data: Buffer, annotations?: Record<string, string>): Blob {
  const descriptor: Descriptor = { mediaType, digest: sha256Digest(data), size: data.length };
  if (annotations) descriptor.annotations = annotations;
  return { descriptor, data };
}

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/** Rejects anything that is not a WebAssembly binary before it reaches a registry. */
export function assertWasm(wasm: Uint8Array): void {
  if (wasm.length < 8 || !Buffer.from(wasm.subarray(0, 4)).equals(WASM_MAGIC)) throw new Error('not a WebAssembly binary (missing \\0asm magic)');
}

/** The runtime config of the Wasm artifact spec (type envoy_proxy, ABI, root ids). */
function runtimeConfig(): Buffer {
  return Buffer.from(JSON.stringify({ type: 'envoy_proxy', abiVersions: ['v0.2.1'], config: { rootIds: [] } }));
}

export function buildImage(wasm: Uint8Array, variant: Variant, annotations: Record<string, string> = {}): Image {
  assertWasm(wasm);
  const module = Buffer.from(wasm);
  let config: Blob;
  let layers: Blob[];
  const manifestAnnotations: Record<string, string> = { ...annotations };
  if (variant === 'oci') {
    config = blob(MEDIA.wasmConfig, runtimeConfig());
    // Istio's fetcher wants exactly two layers: the runtime config and the module.
    layers = [
      blob(MEDIA.wasmConfig, config.data, { 'org.opencontainers.image.title': 'runtime-config.json' }),
      blob(MEDIA.wasmLayer, module, { 'org.opencontainers.image.title': 'plugin.wasm' }),
    ];
  } else {
    const archive = tar([{ name: 'plugin.wasm', data: module }, { name: 'runtime-config.json', data: runtimeConfig() }]);
    const layer = blob(MEDIA.tarGzipLayer, gzipSync(archive, { level: 9 }));
    // A minimal but complete image config: tools (skopeo) read os/architecture and rootfs.diff_ids.
    const imageConfig = { architecture: 'wasm', os: 'wasip1', rootfs: { type: 'layers', diff_ids: [sha256Digest(archive)] }, config: {} };
    config = blob(MEDIA.imageConfig, Buffer.from(JSON.stringify(imageConfig)));
    layers = [layer];
    manifestAnnotations['module.wasm.image/variant'] = 'compat';
  }
  const manifestObject: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  if (Object.keys(manifestAnnotations).length > 0) manifestObject.annotations = manifestAnnotations;
  const manifest = Buffer.from(JSON.stringify(manifestObject));
  const blobs = new Map<string, Blob>();
  for (const b of [config, ...layers]) blobs.set(b.descriptor.digest, b);
  return {
    variant,
    manifest,
    manifestDescriptor: { mediaType: MEDIA.manifest, digest: sha256Digest(manifest), size: manifest.length },
    blobs: [...blobs.values()],
  };
}

/** The module inside an image, found the way Istio's fetcher finds it (wasm layer, else plugin.wasm in the last tar+gzip layer). */
export function extractWasm(manifest: { layers: Descriptor[] }, blobOf: (digest: string) => Buffer): Buffer {
  const wasmLayer = manifest.layers.find((l) => l.mediaType === MEDIA.wasmLayer);
  if (wasmLayer) return blobOf(wasmLayer.digest);
  const last = manifest.layers[manifest.layers.length - 1];
  if (last?.mediaType !== MEDIA.tarGzipLayer) throw new Error('no Wasm layer in the image');
  const found = untarFile(gunzipSync(blobOf(last.digest)), (name) => name === 'plugin.wasm' || name.endsWith('/plugin.wasm'));
  if (!found) throw new Error('plugin.wasm not found in the image layer');
  return Buffer.from(found);
}
