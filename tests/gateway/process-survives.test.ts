// Nothing a client sends may end the gateway process. A HEAD once did (the router destroyed
// undici's body stream and the UND_ERR_ABORTED it emitted had no listener), and node:test turns
// such an error after a test into a warning, so this suite runs the gateway as its own process
// (gateway-process-fixture.ts) and checks after every client that the process still runs and still
// answers: every method on every listener, clients leaving mid-request, malformed requests.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { trustingAgent } from './support.ts';

const FIXTURE = fileURLToPath(new URL('./gateway-process-fixture.ts', import.meta.url));
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'DELETE', 'PATCH', 'PUT', 'POST', 'FOO'];
/** What a crashing Node process prints; the gateway's own error lines never contain these. */
const CRASH = /uncaught|unhandled|UND_ERR_ABORTED|Node\.js v\d/i;

interface Started {
  ports: { http: number; https: number; internal: number };
  ca: string;
}

function startFixture(): Promise<{ child: ChildProcess; started: Started; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve({ child, started: JSON.parse(line) as Started, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`the gateway process exited (${code}) before it listened:\n${stderr}`)));
  });
}

/** Writes `bytes`, then resolves with what came back once the server closed, `leaveAfter` (we close) or `waitMs` passed. */
function exchange(socket: Socket, bytes: string | Buffer, options: { waitMs?: number; leaveAfter?: (received: string) => boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, options.waitMs ?? 2000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (options.leaveAfter?.(received)) done();
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes);
  });
}

describe('the gateway process survives every client', () => {
  let child: ChildProcess;
  let started: Started;
  let stderr: () => string;
  let agent: ReturnType<typeof trustingAgent>;

  before(async () => {
    ({ child, started, stderr } = await startFixture());
    agent = trustingAgent(started.ca);
  });
  after(async () => {
    child.kill();
    await agent.close();
  });

  const tls = () => tlsConnect({ host: '127.0.0.1', port: started.ports.https, ca: started.ca, servername: 'localhost' });
  const plain = (port: number) => connect({ host: '127.0.0.1', port });
  const listeners = () => [
    { name: 'https /oauth2', open: tls, path: '/oauth2/login' },
    { name: 'https backend (ext_authz allows)', open: tls, path: '/user/me' },
    { name: 'http redirect', open: () => plain(started.ports.http), path: '/oauth2/login' },
    { name: 'internal', open: () => plain(started.ports.internal), path: '/onboarding/users/1' },
  ];

  /** The process still runs, has printed no crash, and answers a plain request. */
  async function assertAlive(after: string): Promise<void> {
    // An error emitted on a later tick ends the process a moment after the client is done.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(child.exitCode, null, `the gateway process ended after ${after}:\n${stderr()}`);
    assert.doesNotMatch(stderr(), CRASH, `a crash was printed after ${after}`);
    const status = await request(`https://127.0.0.1:${started.ports.https}/oauth2/ping`, { dispatcher: agent }).then(
      async (response) => (await response.body.dump(), response.statusCode),
      (error: Error) => `no answer (${error.message})`,
    );
    assert.equal(status, 200, `the gateway answers after ${after}:\n${stderr()}`);
  }

  test('every method through every listener', async () => {
    for (const listener of listeners()) {
      for (const method of METHODS) {
        const target = method === 'CONNECT' ? 'localhost:443' : listener.path;
        const answer = await exchange(listener.open(), `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n`);
        // CONNECT has no handler: Node closes such a connection without an answer, as it may.
        if (method !== 'CONNECT') assert.match(answer, /^HTTP\/1\.1 \d{3} /, `${method} on ${listener.name} is answered`);
        await assertAlive(`${method} on ${listener.name}`);
      }
    }
  });

  test('HEAD on kept-alive connections, again and again', async () => {
    for (const listener of listeners()) {
      const head = `HEAD ${listener.path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n\r\n`;
      const answers = await exchange(listener.open(), head.repeat(5), { waitMs: 1000, leaveAfter: (received) => received.split('HTTP/1.1 ').length > 5 });
      assert.equal(answers.split('HTTP/1.1 ').length - 1, 5, `five HEAD answers on ${listener.name}`);
      await assertAlive(`five HEADs on one connection to ${listener.name}`);
    }
  });

  test('clients that leave mid-request', async () => {
    const cases: { name: string; open: () => Socket; bytes: string | Buffer; leaveAfter?: (received: string) => boolean; waitMs?: number }[] = [];
    for (const [name, open, path] of [
      ['https backend', tls, '/user/upload'],
      ['internal', () => plain(started.ports.internal), '/onboarding/upload'],
    ] as const) {
      const post = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n`;
      cases.push(
        { name: `${name}: half an upload`, open, bytes: `${post}Content-Length: 100000\r\n\r\n${'a'.repeat(50_000)}`, waitMs: 200 },
        { name: `${name}: half a chunked upload`, open, bytes: `${post}Transfer-Encoding: chunked\r\n\r\n400\r\n${'a'.repeat(512)}`, waitMs: 200 },
        { name: `${name}: gone after 100 Continue`, open, bytes: `${post}Content-Length: 10\r\nExpect: 100-continue\r\n\r\n`, leaveAfter: (received) => received.includes('100 Continue') },
      );
    }
    cases.push(
      {
        name: 'half an upload answered locally (no route)',
        open: () => plain(started.ports.internal),
        bytes: `POST /no-route HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(50_000)}`,
        waitMs: 200,
      },
      { name: 'mid-download', open: tls, bytes: 'GET /user/stream HTTP/1.1\r\nHost: localhost\r\n\r\n', leaveAfter: (received) => received.length > 40_000 },
      { name: 'HEAD of a streaming answer, gone at once', open: tls, bytes: 'HEAD /user/stream HTTP/1.1\r\nHost: localhost\r\n\r\n', waitMs: 5 },
      { name: 'while ext_authz is still checking', open: tls, bytes: 'GET /user/slow-authz HTTP/1.1\r\nHost: localhost\r\n\r\n', waitMs: 50 },
      { name: 'mid-TLS-handshake', open: () => plain(started.ports.https), bytes: Buffer.from('16030100', 'hex'), waitMs: 50 },
    );
    for (const client of cases) {
      await exchange(client.open(), client.bytes, { waitMs: client.waitMs ?? 2000, ...(client.leaveAfter ? { leaveAfter: client.leaveAfter } : {}) });
      await assertAlive(client.name);
    }
    // The ext_authz answer and the upstream's stream arrive after their clients left.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await assertAlive('the late answers to clients that had left');
  });

  test('malformed requests get an error answer or a closed connection, nothing worse', async () => {
    const requests: [string, string | Buffer][] = [
      ['garbage', 'NOT HTTP AT ALL\r\n\r\n'],
      ['a space in a header name', 'GET / HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n'],
      ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: localhost\r\nx-a: a\u0000b\r\n\r\n'],
      ['Content-Length and Transfer-Encoding', 'POST /onboarding/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['two different Content-Lengths', 'POST /onboarding/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
      ['an invalid chunk', 'POST /onboarding/x HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n'],
      ['20 KiB of headers', `GET / HTTP/1.1\r\nHost: localhost\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['no Host', 'GET /oauth2/ping HTTP/1.1\r\nConnection: close\r\n\r\n'],
      ['two Hosts', 'GET /oauth2/ping HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'],
      ['an absolute-form target', 'GET http://evil.example/oauth2/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
      ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
      ['raw bytes above 0x7f in the path', Buffer.concat([Buffer.from('GET /oauth2/'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')])],
      ['a WebSocket upgrade', 'GET /user/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'],
      ['an h2c upgrade', 'GET /oauth2/ping HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n'],
      ['an unknown expectation', 'POST /onboarding/x HTTP/1.1\r\nHost: localhost\r\nExpect: the-unexpected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'],
      ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['HTTP/0.9', 'GET /\r\n'],
      ['HTTP/1.0 without Host', 'GET /oauth2/ping HTTP/1.0\r\n\r\n'],
    ];
    for (const listener of listeners()) {
      for (const [name, bytes] of requests) {
        await exchange(listener.open(), bytes, { waitMs: 500 });
        await assertAlive(`${name} on ${listener.name}`);
      }
    }
    await exchange(plain(started.ports.https), 'GET /oauth2/ping HTTP/1.1\r\nHost: localhost\r\n\r\n', { waitMs: 500 });
    await assertAlive('plain HTTP on the TLS port');
  });
});
