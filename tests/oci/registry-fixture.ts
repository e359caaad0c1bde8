// A real OCI registry (Debian's docker-registry, distribution 2.8) on loopback with an ephemeral
// port and a temporary storage directory, plus an optional authenticating proxy in front of it
// that speaks the Basic or Bearer-token challenge, so the client's auth handshake meets real
// registry semantics behind it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../support/http.ts';

export interface Registry {
  /** host:port */
  address: string;
  stop(): Promise<void>;
}

export async function startRegistry(binary: string): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'oc-registry-'));
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog: { level: info }\nstorage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }\nhttp: { addr: "127.0.0.1:0", secret: test-only }\n`);
  const child: ChildProcess = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const address = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${log}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}: ${log}`));
    });
  });
  child.stderr!.resume();
  return {
    address,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AuthProxy {
  address: string;
  /** Requests the proxy turned away with 401. */
  rejected: number;
  stop(): Promise<void>;
}

/**
 * `basic`: every /v2 request needs the user's basic credentials.
 * `bearer`: /v2 requests need a token that /token issues for those credentials.
 */
export async function startAuthProxy(upstream: string, mode: 'basic' | 'bearer', user: string, password: string): Promise<AuthProxy> {
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const token = `token-${Math.random().toString(36).slice(2)}`;
  const state = { rejected: 0 };
  const server = await listen((req, res) => {
    const selfUrl = `http://${req.headers.host}`;
    if (req.url?.startsWith('/token')) {
      const url = new URL(req.url, selfUrl);
      if (req.headers.authorization !== basic || url.searchParams.get('service') !== 'test-registry' || !url.searchParams.get('scope')?.startsWith('repository:')) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    const expected = mode === 'basic' ? basic : `Bearer ${token}`;
    if (req.headers.authorization !== expected) {
      state.rejected += 1;
      const challenge = mode === 'basic' ? 'Basic realm="test"' : `Bearer realm="${selfUrl}/token",service="test-registry",scope="repository:wasm/org-context:pull,push"`;
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const [host, port] = upstream.split(':');
    const headers = { ...req.headers };
    delete headers.authorization;
    const forward = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  return {
    address: `127.0.0.1:${server.port}`,
    get rejected() {
      return state.rejected;
    },
    stop: server.close,
  };
}
