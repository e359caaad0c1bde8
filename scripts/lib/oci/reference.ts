// Image references: `[oci://]registry[:port]/repository[:tag|@sha256:…]`, as a WasmPlugin url names them.
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function parseReference(input: string): ImageReference {
  const text = input.replace(/^oci:\/\//, '');
  const slash = text.indexOf('/');
  if (slash <= 0) throw new Error(`image reference ${input} needs a registry host and a repository (registry/repo:tag)`);
  const registry = text.slice(0, slash);
  let rest = text.slice(slash + 1);
  const reference: ImageReference = { registry, repository: '' };
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference.digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(reference.digest)) throw new Error(`image reference ${input}: bad digest`);
  }
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    reference.tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(reference.tag)) throw new Error(`image reference ${input}: bad tag`);
  }
  if (!REPOSITORY.test(rest)) throw new Error(`image reference ${input}: bad repository name "${rest}"`);
  if (/[@\s]/.test(registry)) throw new Error(`image reference ${input}: credentials or spaces do not belong in a reference`);
  reference.repository = rest;
  if (!reference.tag && !reference.digest) reference.tag = 'latest';
  return reference;
}

/** The WasmPlugin `url` for a reference (tag form; the digest goes into `sha256`). */
export function wasmPluginUrl(reference: ImageReference): string {
  return `oci://${reference.registry}/${reference.repository}:${reference.tag ?? 'latest'}`;
}
