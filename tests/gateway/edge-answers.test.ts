// What the edge answers itself, on every listener: `100 Continue` to an `Expect: 100-continue`
// upload (as Envoy with proxy_100_continue off; forwarded, undici refused it: 502), and HSTS on the
// HTTPS listener that a backend cannot weaken (the production HTTPRoutes *set* the header too).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../../src/gateway/index.ts';
import { HSTS_HEADER } from '../../src/topology/index.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { listen, memoryLogger, recordingUpstream, trustingAgent, type TestServer } from './support.ts';

interface Upload {
  continued: boolean;
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** POSTs `body` with `Expect: 100-continue`, sending it only once the gateway says `100 Continue`. */
function uploadAfterContinue(options: { port: number; path: string; body: Buffer; ca?: string }): Promise<Upload> {
  const send = options.ca ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({
      host: '127.0.0.1',
      port: options.port,
      method: 'POST',
      path: options.path,
      headers: { expect: '100-continue', 'content-length': options.body.length, authorization: 'Bearer x' },
      ...(options.ca ? { ca: options.ca, servername: 'localhost' } : {}),
    });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      req.end(options.body);
    });
    req.on('response', (res) => {
      // A final answer before `100 Continue` (the redirect) needs no body: the client stops there.
      if (!continued) req.destroy();
      res.resume();
      res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

describe('answers the edge gives itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-edge-answers-'));
  const certs = ensureLocalCertificates(join(dir, 'tls'));
  const agent = trustingAgent(certs.ca);
  let gateway: RunningGateway;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let authService: TestServer;

  before(async () => {
    upstream = await recordingUpstream((req, res, body) => {
      // A backend that would switch HSTS off for the whole host if its header went through.
      const weak = req.url?.startsWith('/weak-hsts') ? { 'strict-transport-security': 'max-age=0' } : {};
      res.writeHead(200, { 'content-type': 'application/json', ...weak });
      res.end(JSON.stringify({ bodyLength: body.length }));
    });
    authService = await listen((_req, res) => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: { key: certs.key, cert: certs.cert },
      upstreams: { 'feature-user-backend': upstream.url, onboarding: upstream.url },
      extAuthz: { service: authService.url },
      m2m: { verify: async () => true },
      logger: memoryLogger().logger,
    });
  });
  after(async () => {
    await gateway.close();
    await agent.close();
    await Promise.all([upstream.close(), authService.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const body = Buffer.alloc(256 * 1024, 'b');

  for (const [name, port, path, secure] of [
    ['HTTPS, through ext_authz', () => gateway.ports.https, '/user/upload', true],
    ['internal', () => gateway.ports.internal, '/onboarding/upload', false],
  ] as const) {
    test(`Expect: 100-continue on the ${name} listener: 100 from the gateway, the body forwarded without Expect`, async () => {
      const before = upstream.requests.length;
      const result = await uploadAfterContinue({ port: port(), path, body, ...(secure ? { ca: certs.ca } : {}) });
      assert.equal(result.continued, true, 'the client got 100 Continue');
      assert.equal(result.status, 200);
      assert.equal(upstream.requests.length, before + 1);
      const seen = upstream.requests.at(-1)!;
      assert.equal(seen.body.length, body.length, 'the whole body reached the backend');
      assert.equal(seen.headers.expect, undefined, 'Expect is not forwarded');
    });
  }

  test('Expect: 100-continue on the HTTP listener still gets the redirect', async () => {
    const result = await uploadAfterContinue({ port: gateway.ports.http, path: '/user/upload', body });
    assert.equal(result.status, 301);
    assert.match(String(result.headers.location), /^https:\/\/localhost:\d+\/user\/upload$/);
  });

  test('the gateway’s HSTS replaces a backend’s own, never sent twice', async () => {
    const response = await request(`https://127.0.0.1:${gateway.ports.https}/user/weak-hsts`, { dispatcher: agent });
    await response.body.dump();
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['strict-transport-security'], HSTS_HEADER.value);
  });

  test('a backend’s HSTS on the internal listener passes untouched (the edge adds none there)', async () => {
    const response = await request(`http://127.0.0.1:${gateway.ports.internal}/onboarding/weak-hsts`, { headers: { authorization: 'Bearer x' } });
    await response.body.dump();
    assert.equal(response.headers['strict-transport-security'], 'max-age=0');
  });
});
