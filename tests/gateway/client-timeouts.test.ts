// Client timeouts hold on every listener and every request of a connection: the redirect listener
// once checked its header timeout only every 30 s (Node's default check interval, settable only
// when the server is created), and the connection idle default was 30 s instead of Envoy's 1 h.
// The stream idle timeout must also cover a kept-alive connection's later requests.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { GATEWAY_TIMEOUT_DEFAULTS, startGateway, type RunningGateway } from '../../src/gateway/index.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { closedWithin, dripUntilClosed, memoryLogger, recordingUpstream } from './support.ts';

/** Resolves with the head of the first response once its whole (content-length) body has arrived. */
function readResponse(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (text.length >= end + 4 + length) {
        socket.off('data', onData);
        resolve(text.slice(0, end));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

test('the defaults are Envoy’s edge-proxy values, with a whole-request limit Envoy leaves off', () => {
  assert.deepEqual(GATEWAY_TIMEOUT_DEFAULTS, { requestHeadersMs: 10_000, requestMs: 300_000, streamIdleMs: 300_000, connectionIdleMs: 3_600_000 });
});

describe('client timeouts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-timeouts-'));
  const certs = ensureLocalCertificates(join(dir, 'tls'));
  let gateway: RunningGateway;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;

  before(async () => {
    upstream = await recordingUpstream();
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: { key: certs.key, cert: certs.cert },
      upstreams: { onboarding: upstream.url, 'login-service': upstream.url },
      m2m: { verify: async () => true },
      // No whole-request limit here, so only the stream idle timeout can end a silent request.
      timeouts: { requestHeadersMs: 400, requestMs: 0, streamIdleMs: 400, connectionIdleMs: 600 },
      logger: memoryLogger().logger,
    });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (listener: 'http' | 'https' | 'internal'): Socket =>
    listener === 'https'
      ? tlsConnect({ host: '127.0.0.1', port: gateway.ports.https, ca: certs.ca, servername: 'localhost' })
      : connect({ host: '127.0.0.1', port: gateway.ports[listener] });

  for (const listener of ['http', 'https', 'internal'] as const) {
    test(`a client dripping its headers on the ${listener} listener is cut off`, async () => {
      const elapsed = await dripUntilClosed(open(listener), 'GET /oauth2/ping HTTP/1.1\r\nHost: localhost\r\n', 'x-drip: 1\r\n');
      assert.ok(elapsed > 0, 'the connection was closed by the gateway');
      assert.ok(elapsed < 2500, `closed after ${elapsed} ms (request headers timeout 400 ms)`);
    });
  }

  test('a kept-alive connection whose second request goes silent mid-body is closed (stream idle)', async () => {
    const socket = open('internal');
    const closed = closedWithin(socket);
    socket.write('GET /onboarding/users/1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n\r\n');
    assert.match(await readResponse(socket), /^HTTP\/1\.1 200 /);
    const second = Date.now();
    socket.write('POST /onboarding/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\nContent-Length: 1000\r\n\r\nabc');
    const elapsed = (await closed) < 0 ? -1 : Date.now() - second;
    socket.destroy();
    assert.ok(elapsed > 0 && elapsed < 2500, `closed ${elapsed} ms after the second request went silent (stream idle 400 ms)`);
  });

  test('an idle kept-alive connection is closed after the connection idle timeout', async () => {
    const socket = open('internal');
    const closed = closedWithin(socket);
    socket.write('GET /onboarding/users/1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n\r\n');
    assert.match(await readResponse(socket), /^HTTP\/1\.1 200 /);
    const elapsed = await closed;
    socket.destroy();
    assert.ok(elapsed > 0 && elapsed < 3000, `idle connection closed after ${elapsed} ms (connection idle 600 ms)`);
  });
});
