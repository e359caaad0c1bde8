// OCI image layout on disk (image-spec "image-layout"): oci-layout, index.json, blobs/sha256/….
// skopeo reads it as `oci:<dir>:<tag>`; `oc-edge oci push --layout` keeps a copy of what it pushed.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { MEDIA, sha256Digest, type Descriptor, type Image } from './image.ts';

function blobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(dir, 'blobs', algorithm as string, hex as string);
}

/** Writes (or adds to) a layout; the manifest is tagged `tag` in index.json. */
export function writeLayout(dir: string, image: Image, tag: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const { descriptor, data } of [...image.blobs, { descriptor: image.manifestDescriptor, data: image.manifest }]) {
    writeFileSync(blobPath(dir, descriptor.digest), data);
  }
  const indexFile = join(dir, 'index.json');
  const index = existsSync(indexFile)
    ? (JSON.parse(readFileSync(indexFile, 'utf8')) as { manifests: Descriptor[] })
    : { manifests: [] as Descriptor[] };
  const refName = 'org.opencontainers.image.ref.name';
  const manifests = index.manifests.filter((m) => m.annotations?.[refName] !== tag);
  manifests.push({ ...image.manifestDescriptor, annotations: { [refName]: tag } });
  writeFileSync(indexFile, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }, null, 2));
}

/** Reads a blob back and checks it against its digest. */
export function readLayoutBlob(dir: string, digest: string): Buffer {
  const data = readFileSync(blobPath(dir, digest));
  if (sha256Digest(data) !== digest) throw new Error(`blob ${digest} in ${dir} does not match its digest`);
  return data;
}

export function layoutManifest(dir: string, tag: string): Descriptor {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`no manifest tagged ${tag} in ${dir}`);
  return found;
}
