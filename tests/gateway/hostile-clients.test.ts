// What a client sends must never stop the gateway or hold it: every method on every listener
// (a HEAD once ended the process), `Expect: 100-continue` (once a 502), clients that drip headers
// or a body (once held forever), and HSTS on every HTTPS answer, never on plain HTTP.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../../src/gateway/index.ts';
import { HSTS_HEADER } from '../../src/topology/index.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { dripUntilClosed, memoryLogger, recordingUpstream, trustingAgent } from './support.ts';

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'DELETE', 'PATCH', 'PUT', 'POST', 'FOO'];
const SERVICES = ['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service', 'onboarding', 'identity-provider'];

/** Writes `head` on a fresh connection; resolves with all the server sent until it closed (or `waitMs`). */
function rawExchange(socket: Socket, head: string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, waitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.write(head);
  });
}

describe('hostile clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-hostile-'));
  const certs = ensureLocalCertificates(join(dir, 'tls'));
  const agent = trustingAgent(certs.ca);
  const log = memoryLogger();
  let gateway: RunningGateway;
  let upstreams: Record<string, Awaited<ReturnType<typeof recordingUpstream>>>;

  before(async () => {
    upstreams = {};
    for (const service of SERVICES) upstreams[service] = await recordingUpstream();
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: { key: certs.key, cert: certs.cert },
      upstreams: Object.fromEntries(SERVICES.map((service) => [service, upstreams[service]!.url])),
      m2m: { verify: async () => true },
      timeouts: { requestHeadersMs: 400, requestMs: 800 },
      logger: log.logger,
    });
  });
  after(async () => {
    await gateway.close();
    await agent.close();
    await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = () => tlsConnect({ host: '127.0.0.1', port: gateway.ports.https, ca: certs.ca, servername: 'localhost' });
  const plain = (port: number) => connect({ host: '127.0.0.1', port });
  const alive = async () => {
    const response = await request(`https://127.0.0.1:${gateway.ports.https}/oauth2/ping`, { dispatcher: agent });
    await response.body.dump();
    return response.statusCode;
  };

  test('every method through every listener is answered, and the gateway lives on', async () => {
    const listeners = [
      { name: 'https', open: tls, path: '/oauth2/login' },
      { name: 'https backend', open: tls, path: '/user/me' },
      { name: 'http', open: () => plain(gateway.ports.http), path: '/oauth2/login' },
      { name: 'internal', open: () => plain(gateway.ports.internal), path: '/onboarding/users/1' },
    ];
    for (const listener of listeners) {
      for (const method of METHODS) {
        const head = `${method} ${method === 'CONNECT' ? 'localhost:443' : listener.path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n`;
        const answer = await rawExchange(listener.open(), head, 2000);
        // CONNECT has no handler: Node closes such a connection without an answer, as it may.
        if (method !== 'CONNECT') assert.match(answer, /^HTTP\/1\.1 \d{3} /, `${method} on ${listener.name} gets an answer`);
        assert.equal(await alive(), 200, `the gateway still answers after ${method} on ${listener.name}`);
      }
    }
  });

  test('HEAD through the router to a backend: headers only, and the next request is served', async () => {
    const head = await request(`https://127.0.0.1:${gateway.ports.https}/oauth2/login`, { method: 'HEAD', dispatcher: agent });
    await head.body.dump();
    assert.equal(head.statusCode, 200);
    assert.equal(upstreams['login-service']!.requests.at(-1)!.method, 'HEAD');
    const internal = await request(`http://127.0.0.1:${gateway.ports.internal}/onboarding/users/1`, { method: 'HEAD', headers: { authorization: 'Bearer x' } });
    await internal.body.dump();
    assert.equal(internal.statusCode, 200);
    assert.equal(await alive(), 200);
  });

  test('Expect: 100-continue: the gateway answers 100 itself and forwards the body without Expect', async () => {
    const body = Buffer.alloc(64 * 1024, 'a');
    const result = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: gateway.ports.internal,
        method: 'POST',
        path: '/onboarding/upload',
        headers: { expect: '100-continue', 'content-length': body.length, authorization: 'Bearer x' },
      });
      let continued = false;
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
      });
      req.on('error', reject);
    });
    assert.equal(result.continued, true, 'the client got 100 Continue');
    assert.equal(result.status, 200);
    const seen = upstreams.onboarding!.requests.at(-1)!;
    assert.equal(seen.body.length, body.length, 'the whole body reached the backend');
    assert.equal(seen.headers.expect, undefined, 'Expect is not forwarded');
  });

  // Dripping headers, on every listener: tests/gateway/client-timeouts.test.ts.
  test('a client dripping its body is cut off', async () => {
    const head = 'POST /onboarding/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\nContent-Length: 100000\r\n\r\n';
    const elapsed = await dripUntilClosed(plain(gateway.ports.internal), head, 'a');
    assert.ok(elapsed > 0, 'the connection was closed by the gateway');
    assert.ok(elapsed < 3500, `closed after ${elapsed} ms (request timeout 800 ms)`);
    assert.equal(await alive(), 200);
  });

  test('HSTS on every HTTPS answer (relayed, local, denied), never on plain HTTP or the internal listener', async () => {
    for (const path of ['/oauth2/ping', '/no-such-route-xyz', '/user/me']) {
      const response = await request(`https://127.0.0.1:${gateway.ports.https}${path}`, { dispatcher: agent });
      await response.body.dump();
      assert.equal(response.headers['strict-transport-security'], HSTS_HEADER.value, `HSTS on ${path} (${response.statusCode})`);
    }
    const redirect = await request(`http://127.0.0.1:${gateway.ports.http}/`);
    await redirect.body.dump();
    assert.equal(redirect.statusCode, 301);
    assert.equal(redirect.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    const internal = await request(`http://127.0.0.1:${gateway.ports.internal}/onboarding/users/1`, { headers: { authorization: 'Bearer x' } });
    await internal.body.dump();
    assert.equal(internal.headers['strict-transport-security'], undefined);
  });
});
