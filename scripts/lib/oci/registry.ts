// A small OCI distribution-spec client: push (blob upload POST + monolithic PUT, manifest PUT) and
// pull (manifest + blobs, every digest verified). Authentication follows the registry's challenge:
// `WWW-Authenticate: Basic` → basic credentials; `Bearer realm=…,service=…,scope=…` → a token from
// the realm (with the basic credentials, or anonymous), cached per scope. Credentials never appear
// in URLs, errors or logs.
import { sha256Digest, MEDIA, type Descriptor, type Image } from './image.ts';
import type { ImageReference } from './reference.ts';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A ready bearer token (e.g. from a cloud CLI); used as is. */
  token?: string;
}

export interface RegistryOptions {
  /** Plain HTTP instead of HTTPS (a local registry). */
  insecure?: boolean;
  credentials?: RegistryCredentials;
  fetch?: typeof fetch;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas). */
export function parseChallenge(header: string): Challenge {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const match of header.slice(space + 1).matchAll(re)) params[(match[1] as string).toLowerCase()] = match[2] ?? match[3] ?? '';
  return { scheme, params };
}

export class RegistryClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly credentials: RegistryCredentials;
  private authorization: string | undefined;

  constructor(
    private readonly reference: ImageReference,
    options: RegistryOptions = {},
  ) {
    this.base = `${options.insecure ? 'http' : 'https'}://${reference.registry}/v2/${reference.repository}`;
    this.fetch = options.fetch ?? fetch;
    this.credentials = options.credentials ?? {};
    if (this.credentials.token) this.authorization = `Bearer ${this.credentials.token}`;
  }

  /** One request; on a 401 challenge, authenticates once and retries. */
  private async request(url: string, init: RequestInit = {}, retried = false): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.authorization) headers.set('authorization', this.authorization);
    let response: Response;
    try {
      response = await this.fetch(url, { ...init, headers, redirect: 'follow' });
    } catch (error) {
      throw new RegistryError(`cannot reach registry ${this.reference.registry}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    if (response.status === 401 && !retried) {
      await response.arrayBuffer();
      await this.authenticate(response.headers.get('www-authenticate') ?? '');
      return this.request(url, init, true);
    }
    return response;
  }

  private async authenticate(header: string): Promise<void> {
    const challenge = parseChallenge(header);
    const { username, password } = this.credentials;
    const basic = username !== undefined ? `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` : undefined;
    if (challenge.scheme === 'basic') {
      if (!basic) throw new RegistryError(`registry ${this.reference.registry} wants basic credentials (--username, OC_REGISTRY_PASSWORD)`);
      this.authorization = basic;
      return;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) throw new RegistryError(`registry ${this.reference.registry}: unsupported authentication challenge`);
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', challenge.params.scope ?? `repository:${this.reference.repository}:pull,push`);
    const response = await this.fetch(realm, { headers: basic ? { authorization: basic } : {} });
    if (!response.ok) throw new RegistryError(`token request to ${realm.origin}${realm.pathname} failed: HTTP ${response.status}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token response from ${realm.origin}${realm.pathname} has no token`);
    this.authorization = `Bearer ${token}`;
  }

  private async fail(response: Response, what: string): Promise<never> {
    let detail = '';
    try {
      const body = (await response.json()) as { errors?: { code: string; message: string }[] };
      detail = body.errors?.map((e) => `${e.code}: ${e.message}`).join('; ') ?? '';
    } catch {
      // not a registry error document
    }
    throw new RegistryError(`${what}: HTTP ${response.status}${detail ? ` (${detail})` : ''}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.request(`${this.base}/blobs/${digest}`, { method: 'HEAD' });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return this.fail(response, `checking blob ${digest}`);
  }

  async pushBlob(descriptor: Descriptor, data: Buffer): Promise<'uploaded' | 'exists'> {
    if (await this.hasBlob(descriptor.digest)) return 'exists';
    const start = await this.request(`${this.base}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
    if (start.status !== 202) return this.fail(start, 'starting a blob upload');
    await start.arrayBuffer();
    const location = start.headers.get('location');
    if (!location) throw new RegistryError('blob upload: registry sent no Location');
    const url = new URL(location, this.base);
    url.searchParams.set('digest', descriptor.digest);
    const put = await this.request(url.toString(), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      body: new Uint8Array(data),
    });
    if (put.status !== 201) return this.fail(put, `uploading blob ${descriptor.digest}`);
    await put.arrayBuffer();
    return 'uploaded';
  }

  /** Pushes every blob, then the manifest under `tag`; returns the digest the registry reports. */
  async push(image: Image, tag: string): Promise<string> {
    for (const { descriptor, data } of image.blobs) await this.pushBlob(descriptor, data);
    const response = await this.request(`${this.base}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': image.manifestDescriptor.mediaType },
      body: new Uint8Array(image.manifest),
    });
    if (response.status !== 201) return this.fail(response, `pushing manifest ${tag}`);
    await response.arrayBuffer();
    const reported = response.headers.get('docker-content-digest');
    if (reported && reported !== image.manifestDescriptor.digest) {
      throw new RegistryError(`registry stored the manifest as ${reported}, expected ${image.manifestDescriptor.digest}`);
    }
    return image.manifestDescriptor.digest;
  }

  /** The manifest bytes for a tag or digest, verified when fetched by digest. */
  async pullManifest(reference: string): Promise<{ bytes: Buffer; digest: string; manifest: { mediaType?: string; config: Descriptor; layers: Descriptor[] } }> {
    const response = await this.request(`${this.base}/manifests/${reference}`, {
      headers: { accept: [MEDIA.manifest, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ') },
    });
    if (response.status !== 200) return this.fail(response, `fetching manifest ${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) throw new RegistryError(`manifest ${reference} does not match its digest`);
    return { bytes, digest, manifest: JSON.parse(bytes.toString('utf8')) };
  }

  async pullBlob(digest: string): Promise<Buffer> {
    const response = await this.request(`${this.base}/blobs/${digest}`);
    if (response.status !== 200) return this.fail(response, `fetching blob ${digest}`);
    const data = Buffer.from(await response.arrayBuffer());
    if (sha256Digest(data) !== digest) throw new RegistryError(`blob ${digest} does not match its digest`);
    return data;
  }
}
