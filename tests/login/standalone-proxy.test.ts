// The standalone sidecar as a reverse proxy (LOGIN_MODE=standalone) in front of a real app:
// identity to the upstream (Bearer access token, optional ID token header), the service's own
// cookies kept from it, X-Forwarded-* only from a trusted peer, streaming both ways, a WebSocket
// through the sidecar, refresh as requests arrive, and a clear 502 when the app is down.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { request as undiciRequest } from 'undici';
import { APP, jwtPayload, startStack, type Stack } from './stack.ts';
import { encodeFrame, frameReader, startUpstreamApp, wsAccept, type Seen, type UpstreamApp } from './upstream-app.ts';

async function proxied(stack: Stack, app: UpstreamApp, path: string, headers: Record<string, string> = {}, browser = stack.browser()): Promise<Seen> {
  const before = app.seen.length;
  const response = await browser.request(`${APP}${path}`, { navigate: false, headers: { accept: 'application/json', ...headers } });
  assert.equal(response.status, 200, response.body);
  assert.equal(app.seen.length, before + 1, 'the request reached the app once');
  return JSON.parse(response.body) as Seen;
}

describe('standalone sidecar: reverse proxy', () => {
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    app = await startUpstreamApp();
    stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url } });
  });
  after(async () => {
    await stack?.close();
    await app?.close();
  });

  it('passes a request without a session through as it came (no token added, client authorization kept)', async () => {
    const seen = await proxied(stack, app, '/api/items?x=1', { authorization: 'Bearer client-own', cookie: 'theme=dark', 'x-id-token': 'forged' });
    assert.equal(seen.url, '/api/items?x=1');
    assert.equal(seen.headers.authorization, 'Bearer client-own');
    assert.equal(seen.headers.cookie, 'theme=dark');
    assert.equal(seen.headers['x-id-token'], undefined, 'a client copy of the ID token header never reaches the app');
  });

  it('with a session sends the access token as Bearer and keeps the session cookie from the app', async () => {
    const browser = stack.browser();
    await stack.login(browser, '/after-login');
    browser.storeSetCookie('theme=dark; Path=/', new URL(APP));
    const seen = await proxied(stack, app, '/api/me', { authorization: 'Bearer forged' }, browser);
    const token = String(seen.headers.authorization).replace(/^Bearer /, '');
    assert.notEqual(token, 'forged', 'the session replaces a client authorization');
    const claims = jwtPayload(token.includes('.') ? token : 'x.e30.x');
    // oidc-provider issues opaque access tokens; either way it is not the ID token.
    assert.notEqual(claims.aud, stack.provider.client.clientId, 'the ID token is not sent as the Bearer');
    assert.match(token, /^[A-Za-z0-9._~+/=-]{20,}$/);
    const names = String(seen.headers.cookie).split('; ').map((pair) => pair.split('=')[0]);
    assert.ok(browser.cookie('__Host-oc-session'), 'the browser holds a session cookie');
    assert.deepEqual(names.sort(), ['app-cookie', 'theme'], 'session and login-state cookies never reach the app');
    assert.equal(seen.headers['x-id-token'], undefined, 'no ID token header unless configured');
    assert.equal(seen.headers.host, 'app.test', 'the app sees the public host, not the sidecar address');
  });

  it('replaces X-Forwarded-* from an untrusted peer with what the sidecar knows', async () => {
    const seen = await proxied(stack, app, '/xff', { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.test', forwarded: 'for=6.6.6.6' });
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-host'], 'app.test');
    assert.equal(seen.headers.forwarded, undefined);
  });

  it('streams bodies both ways: a 4 MiB upload echoed intact, a slow answer delivered as it is written', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    const response = await undiciRequest(`${stack.service.url}/echo-body`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(response.statusCode, 200);
    const echoed = Buffer.from(await response.body.arrayBuffer());
    assert.equal(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(body).digest('hex'));

    const started = Date.now();
    const slow = await undiciRequest(`${stack.service.url}/slow`);
    const chunks: Array<{ at: number; text: string }> = [];
    for await (const chunk of slow.body) chunks.push({ at: Date.now() - started, text: Buffer.from(chunk as Uint8Array).toString() });
    assert.equal(chunks.map((c) => c.text).join(''), 'first\nlast\n');
    assert.ok(chunks[0]!.text.startsWith('first') && chunks[0]!.at < 450, `the first chunk arrived at ${chunks[0]!.at} ms, before the app finished`);
  });

  it('carries a WebSocket through the sidecar, with the session as Bearer on the upgrade', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const key = randomBytes(16).toString('base64');
    const target = new URL(stack.service.url);
    const { socket, headers, head } = await new Promise<{ socket: Socket; headers: Record<string, unknown>; head: Buffer }>((resolve, reject) => {
      const req = httpRequest({
        host: target.hostname,
        port: target.port,
        path: '/ws',
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13', cookie: browser.cookieHeader(new URL(`${APP}/ws`)) },
      });
      req.on('upgrade', (res, upgraded, first) => resolve({ socket: upgraded as Socket, headers: res.headers, head: first }));
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    try {
      assert.equal(headers['sec-websocket-accept'], wsAccept(key));
      const frames: string[] = [];
      const next = frameReader(socket, head);
      const hello = JSON.parse(await next()) as { authorization: string | null };
      assert.match(hello.authorization ?? '', /^Bearer .{20,}/, 'the upstream saw the session on the upgrade request');
      socket.write(encodeFrame('ping-1', true));
      frames.push(await next());
      socket.write(encodeFrame('ping-2', true));
      frames.push(await next());
      assert.deepEqual(frames, ['echo:ping-1', 'echo:ping-2']);
    } finally {
      socket.destroy();
    }
  });
});

describe('standalone sidecar: options and failures', () => {
  let app: UpstreamApp;
  before(async () => {
    app = await startUpstreamApp();
  });
  after(() => app?.close());

  it('sends the ID token in the configured header when asked, and keeps X-Forwarded-* from a trusted peer', async () => {
    const stack = await startStack({
      env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, UPSTREAM_INCLUDE_ID_TOKEN: 'true', UPSTREAM_ID_TOKEN_HEADER: 'X-Wonderwall-Id-Token', TRUSTED_PROXIES: '127.0.0.0/8' },
    });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const seen = await proxied(stack, app, '/with-id', { 'x-wonderwall-id-token': 'forged', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, browser);
      const idToken = String(seen.headers['x-wonderwall-id-token']);
      assert.equal(jwtPayload(idToken).aud, stack.provider.client.clientId);
      assert.equal(seen.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'the trusted chain is kept and the peer appended');
    } finally {
      await stack.close();
    }
  });

  it('refreshes the tokens as requests arrive and re-issues the cookie on the proxied answer', async () => {
    const stack = await startStack({
      idTokenTtlSeconds: 60,
      env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, REFRESH_BEFORE_EXPIRY: '59s', REFRESH_COOLDOWN: '1s' },
    });
    try {
      const browser = stack.browser();
      await stack.login(browser);
      const first = await proxied(stack, app, '/r1', {}, browser);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      const grants = stack.provider.grants.refresh_token ?? 0;
      const response = await browser.request(`${APP}/r2`, { navigate: false, headers: { accept: 'application/json' } });
      assert.equal(response.status, 200);
      assert.equal(stack.provider.grants.refresh_token ?? 0, grants + 1, 'one refresh grant');
      const second = JSON.parse(response.body) as Seen;
      assert.notEqual(second.headers.authorization, first.headers.authorization, 'the app got the new access token');
      assert.ok(response.setCookies.some((line) => line.startsWith('__Host-oc-session=')), 'session cookie re-issued');
      assert.ok(response.setCookies.some((line) => line.startsWith('app-cookie=')), "the app's own Set-Cookie kept");
    } finally {
      await stack.close();
    }
  });

  it('answers 502 with a clear body when the app is down', async () => {
    const down = await startUpstreamApp();
    await down.close();
    const stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: down.url } });
    try {
      const response = await stack.browser().request(`${APP}/anything`);
      assert.equal(response.status, 502);
      assert.match(response.body, /not reachable/);
      assert.equal((await stack.browser().request(`${APP}/oauth2/ping`)).body, 'pong', 'the sidecar itself still answers');
    } finally {
      await stack.close();
    }
  });
});
