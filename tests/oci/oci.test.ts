// `oc-edge oci`: the WasmPlugin image against a real registry (docker-registry) and skopeo. Pushed
// images are pulled back the way Istio's fetcher reads them; the wasm must come back byte for byte
// and the digest the client prints must be the one the registry and skopeo report.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { requireTool } from '../support/tools.ts';
import { startAuthProxy, startRegistry, type Registry } from './registry-fixture.ts';
import { buildImage, extractWasm, MEDIA, VARIANTS, sha256Digest } from '../../scripts/lib/oci/image.ts';
import { writeLayout, layoutManifest, readLayoutBlob } from '../../scripts/lib/oci/layout.ts';
import { parseReference, wasmPluginUrl } from '../../scripts/lib/oci/reference.ts';
import { RegistryClient, parseChallenge } from '../../scripts/lib/oci/registry.ts';
import { untarFile } from '../../scripts/lib/oci/tar.ts';
import { FILTER_WASM, REPO_ROOT } from '../../scripts/lib/artifacts.ts';

const run = promisify(execFile);
const root = REPO_ROOT;
const registryTool = requireTool('docker-registry', 'registry');
const skopeo = requireTool('skopeo');

/** The real filter when it has been built; otherwise a valid module header with varied bytes. */
function sampleWasm(): Buffer {
  const built = FILTER_WASM.absolute;
  if (existsSync(built)) return readFileSync(built);
  const body = Buffer.alloc(70_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
  return Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), body]);
}
const wasm = sampleWasm();

let registry: Registry | undefined;
before(async () => {
  if (registryTool.path) registry = await startRegistry(registryTool.path);
});
after(async () => {
  await registry?.stop();
});

test('images are deterministic and shaped as Istio fetcher expects', () => {
  const oci = buildImage(wasm, 'oci');
  assert.equal(oci.manifestDescriptor.digest, buildImage(Buffer.from(wasm), 'oci').manifestDescriptor.digest);
  const ociManifest = JSON.parse(oci.manifest.toString());
  assert.equal(ociManifest.layers.length, 2);
  assert.deepEqual(ociManifest.layers.map((l: { mediaType: string }) => l.mediaType).sort(), [MEDIA.wasmConfig, MEDIA.wasmLayer].sort());
  const compat = buildImage(wasm, 'compat');
  const compatManifest = JSON.parse(compat.manifest.toString());
  assert.equal(compatManifest.layers.at(-1).mediaType, MEDIA.tarGzipLayer);
  assert.equal(compatManifest.annotations['module.wasm.image/variant'], 'compat');
  const layer = compat.blobs.find((b) => b.descriptor.digest === compatManifest.layers.at(-1).digest)!;
  assert.ok(untarFile(gunzipSync(layer.data), (n) => n === 'plugin.wasm')!.equals(wasm));
  assert.notEqual(oci.manifestDescriptor.digest, compat.manifestDescriptor.digest);
  // A different module gives a different digest: the WasmPlugin sha256 pins the bytes.
  const other = Buffer.from(wasm);
  other[other.length - 1] ^= 1;
  assert.notEqual(buildImage(other, 'oci').manifestDescriptor.digest, oci.manifestDescriptor.digest);
  assert.throws(() => buildImage(Buffer.from('not wasm at all'), 'oci'), /not a WebAssembly binary/);
});

test('references parse as WasmPlugin urls name them; credentials are refused', () => {
  assert.deepEqual(parseReference('oci://127.0.0.1:5000/wasm/org-context:1.2.3'), { registry: '127.0.0.1:5000', repository: 'wasm/org-context', tag: '1.2.3' });
  assert.equal(wasmPluginUrl(parseReference('ghcr.io/acme/org-context')), 'oci://ghcr.io/acme/org-context:latest');
  assert.throws(() => parseReference('user:pw@ghcr.io/acme/x:1'), /credentials|bad/);
  assert.throws(() => parseReference('org-context:1'), /registry host/);
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"').params, {
    realm: 'https://auth.example/token',
    service: 'reg',
    scope: 'repository:a/b:pull,push',
  });
});

for (const variant of VARIANTS) {
  test(`${variant}: push, pull back byte-identical, digests agree`, { skip: registryTool.skip }, async () => {
    const image = buildImage(wasm, variant);
    const ref = parseReference(`${registry!.address}/wasm/org-context:${variant}`);
    const client = new RegistryClient(ref, { insecure: true });
    const digest = await client.push(image, ref.tag!);
    assert.equal(digest, image.manifestDescriptor.digest);
    const pulled = await client.pullManifest(ref.tag!);
    assert.equal(pulled.digest, digest);
    const blobs = new Map<string, Buffer>();
    for (const d of [pulled.manifest.config, ...pulled.manifest.layers]) blobs.set(d.digest, await client.pullBlob(d.digest));
    const back = extractWasm(pulled.manifest, (d) => blobs.get(d)!);
    assert.ok(back.equals(wasm), 'the wasm came back changed');
    // By digest too (what Istio does once sha256 is pinned).
    assert.equal((await client.pullManifest(digest)).digest, digest);
    // Pushing the same bytes again uploads nothing new and yields the same digest.
    assert.equal(await client.pushBlob(image.blobs[0]!.descriptor, image.blobs[0]!.data), 'exists');
    assert.equal(await client.push(image, ref.tag!), digest);
  });
}

test('skopeo reads the pushed images and agrees on the digest', { skip: registryTool.skip ?? skopeo.skip }, async () => {
  for (const variant of VARIANTS) {
    const image = buildImage(wasm, variant);
    const ref = parseReference(`${registry!.address}/wasm/skopeo-check:${variant}`);
    await new RegistryClient(ref, { insecure: true }).push(image, ref.tag!);
    const target = `docker://${ref.registry}/${ref.repository}:${ref.tag}`;
    const raw = await run(skopeo.path!, ['inspect', '--raw', '--tls-verify=false', target], { encoding: 'buffer' });
    assert.equal(sha256Digest(raw.stdout), image.manifestDescriptor.digest);
    if (variant === 'compat') {
      // A standard image: skopeo understands its config too.
      const inspected = JSON.parse((await run(skopeo.path!, ['inspect', '--tls-verify=false', target])).stdout);
      assert.equal(inspected.Digest, image.manifestDescriptor.digest);
      assert.equal(inspected.Layers.length, 1);
    }
  }
});

test('the OCI image layout is readable by skopeo', { skip: skopeo.skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-layout-'));
  try {
    const image = buildImage(wasm, 'compat');
    writeLayout(dir, image, 'dev');
    writeLayout(dir, buildImage(wasm, 'oci'), 'dev-oci');
    assert.equal(layoutManifest(dir, 'dev').digest, image.manifestDescriptor.digest);
    const manifest = JSON.parse(readLayoutBlob(dir, image.manifestDescriptor.digest).toString());
    assert.ok(extractWasm(manifest, (d) => readLayoutBlob(dir, d)).equals(wasm));
    const inspected = JSON.parse((await run(skopeo.path!, ['inspect', `oci:${dir}:dev`])).stdout);
    assert.equal(inspected.Digest, image.manifestDescriptor.digest);
    const raw = await run(skopeo.path!, ['inspect', '--raw', `oci:${dir}:dev-oci`], { encoding: 'buffer' });
    assert.equal(sha256Digest(raw.stdout), buildImage(wasm, 'oci').manifestDescriptor.digest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const mode of ['basic', 'bearer'] as const) {
  test(`${mode} auth: refused without credentials, accepted with them, password never in errors`, { skip: registryTool.skip }, async () => {
    const password = `pw-${mode}-s3cret`;
    const proxy = await startAuthProxy(registry!.address, mode, 'ci', password);
    try {
      const ref = parseReference(`${proxy.address}/wasm/org-context:${mode}`);
      const image = buildImage(wasm, 'oci');
      const anonymous = new RegistryClient(ref, { insecure: true });
      await assert.rejects(anonymous.push(image, ref.tag!), (error: Error) => {
        assert.match(error.message, mode === 'basic' ? /wants basic credentials/ : /token request .* failed: HTTP 401/);
        return true;
      });
      const wrong = new RegistryClient(ref, { insecure: true, credentials: { username: 'ci', password: 'wrong-password' } });
      await assert.rejects(wrong.push(image, ref.tag!), (error: Error) => !error.message.includes('wrong-password'));
      const client = new RegistryClient(ref, { insecure: true, credentials: { username: 'ci', password } });
      assert.equal(await client.push(image, ref.tag!), image.manifestDescriptor.digest);
      assert.ok(proxy.rejected > 0, 'the proxy never challenged');
      const pulled = await client.pullManifest(ref.tag!);
      assert.equal(pulled.digest, image.manifestDescriptor.digest);
    } finally {
      await proxy.stop();
    }
  });
}

test('oc-edge oci push prints the digest and updates the overlay', { skip: registryTool.skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-overlay-'));
  try {
    mkdirSync(join(dir, 'istio/overlays/test'), { recursive: true });
    copyFileSync(join(root, 'istio/overlays/local/settings.yaml'), join(dir, 'istio/overlays/test/settings.yaml'));
    writeFileSync(join(dir, 'plugin.wasm'), wasm);
    const reference = `${registry!.address}/wasm/cli:1.0.0`;
    const { stdout } = await run(process.execPath, [join(root, 'bin/oc-edge.js'), 'oci', 'push', reference, '--insecure', '--wasm', 'plugin.wasm', '--update-overlay', 'test', '--layout', 'layout'], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } });
    const digest = stdout.trim();
    assert.equal(digest, buildImage(wasm, 'oci').manifestDescriptor.digest);
    const settingsText = readFileSync(join(dir, 'istio/overlays/test/settings.yaml'), 'utf8');
    const settings = parse(settingsText);
    assert.equal(settings.data.wasmUrl, `oci://${reference}`);
    assert.equal(settings.data.wasmSha256, digest.slice('sha256:'.length));
    assert.match(settingsText, /^# Local settings\./, 'comments were lost');
    assert.equal(layoutManifest(join(dir, 'layout'), '1.0.0').digest, digest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
