// The gateway against real servers: listeners and TLS, routes, ext_authz, jwt_authn, the plugin
// stage (with a stand-in plugin; the real filter runs in tests/gateway/plugin.test.ts), the router
// and the access log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { EXT_AUTHZ_DEFAULTS, startGateway, type RunningGateway } from '../../src/gateway/index.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import type { WasmPlugin } from '../../src/gateway/filters/wasm.ts';
import { jwksIssuer, listen, memoryLogger, rawHttps, recordingUpstream, trustingAgent, type Recorded } from './support.ts';
import { JWT_METADATA_NAMESPACE, JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

type AuthDecision = { status: number; headers?: Record<string, string | string[]>; body?: string } | 'hang';

describe('gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-test-'));
  const certs = ensureLocalCertificates(join(dir, 'tls'));
  const agent = trustingAgent(certs.ca);
  const log = memoryLogger();
  let gateway: RunningGateway;
  let upstreams: Record<string, Awaited<ReturnType<typeof recordingUpstream>>>;
  let issuer: Awaited<ReturnType<typeof jwksIssuer>>;
  let auth: Awaited<ReturnType<typeof listen>>;
  const authChecks: Recorded[] = [];
  let decide: (check: Recorded) => AuthDecision = () => ({ status: 200 });
  const pluginCalls: { metadata?: Record<string, unknown>; skipHeaders?: boolean }[] = [];
  let pluginReply: { status: number; details: string; body?: string } | null = null;

  // A stand-in with the host's shape: records what it is given, adds a header like the filter does.
  const plugin: WasmPlugin = {
    request(input) {
      pluginCalls.push({ metadata: input.metadata, skipHeaders: input.skipHeaders });
      const headers = (input.headers ?? []).filter(([name]) => name !== 'x-currently-selected-organisation');
      headers.push(['x-currently-selected-organisation', 'org-from-plugin']);
      return { headers: [[':path', input.path ?? '/'], ...headers], localResponse: pluginReply };
    },
    close() {},
  };

  const https = (path: string, options: Parameters<typeof request>[1] = {}) =>
    request(`https://127.0.0.1:${gateway.ports.https}${path}`, { dispatcher: agent, ...options });
  const lastAt = (service: string) => upstreams[service]!.requests.at(-1)!;

  before(async () => {
    upstreams = {};
    for (const service of ['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service', 'onboarding', 'identity-provider']) {
      upstreams[service] = await recordingUpstream();
    }
    issuer = await jwksIssuer();
    auth = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const check = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
        authChecks.push(check);
        const decision = decide(check);
        if (decision === 'hang') return;
        res.writeHead(decision.status, decision.headers ?? {});
        res.end(decision.body ?? '');
      });
    });
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: certs,
      upstreams: Object.fromEntries(Object.entries(upstreams).map(([name, server]) => [name, server.url])),
      extAuthz: { service: auth.url, timeoutMs: 500 },
      jwtAuthn: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: ['app-client'] },
      plugin,
      m2m: { verify: async (token) => token === 'good-m2m-token' },
      routeTimeoutMs: 1000,
      logger: log.logger,
    });
  });

  after(async () => {
    await gateway.close();
    await agent.close();
    await Promise.all([...Object.values(upstreams).map((server) => server.close()), issuer.close(), auth.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('listeners and TLS', () => {
    test('the HTTPS certificate chains to the local CA and names localhost', async () => {
      const response = await https('/');
      assert.equal(response.statusCode, 200);
      await response.body.text();
      // A client that does not trust the CA refuses the connection.
      await assert.rejects(request(`https://127.0.0.1:${gateway.ports.https}/`), /certificate|self.signed|unable to verify/i);
    });

    test('plain HTTP redirects to HTTPS on our host, whatever Host the client sent', async () => {
      const response = await request(`http://127.0.0.1:${gateway.ports.http}/user/me?x=1`, { headers: { host: 'evil.example' } });
      assert.equal(response.statusCode, 301);
      assert.equal(response.headers.location, `https://localhost:${gateway.ports.https}/user/me?x=1`);
      await response.body.dump();
    });

    test('a malformed Host header is refused', async () => {
      const head = await rawHttps(gateway.ports.https, certs.ca, 'GET / HTTP/1.1\r\nhost: evil"><script>\r\nconnection: close\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 400 /);
    });
  });

  describe('routes', () => {
    test('path prefix match with the prefix stripped', async () => {
      const user = await https('/user/me?a=1');
      assert.equal(user.statusCode, 200);
      await user.body.dump();
      assert.equal(lastAt('feature-user-backend').url, '/me?a=1');
      assert.equal(lastAt('feature-user-backend').headers['x-envoy-original-path'], '/user/me?a=1');

      const organisation = await https('/organisation');
      await organisation.body.dump();
      assert.equal(lastAt('feature-organisation-backend').url, '/');

      // Whole segments only: /users is not /user, so it falls to the dashboard's `/`.
      const users = await https('/users/x');
      await users.body.dump();
      assert.equal(lastAt('dashboard').url, '/users/x');
    });

    test('dot segments are resolved before matching', async () => {
      const response = await https('/user/../organisation/%2e%2e/organisation/list');
      await response.body.dump();
      assert.equal(lastAt('feature-organisation-backend').url, '/list');
    });

    test('no matching route → 404 (internal listener has no catch-all)', async () => {
      const response = await request(`http://127.0.0.1:${gateway.ports.internal}/user/me`);
      assert.equal(response.statusCode, 404);
      assert.match(await response.body.text(), /no route/);
    });

    test('hop-by-hop headers named in Connection are dropped', async () => {
      await rawHttps(gateway.ports.https, certs.ca, 'GET /user/me HTTP/1.1\r\nhost: localhost\r\nconnection: close, x-drop\r\nx-drop: 1\r\nx-keep: 1\r\n\r\n');
      const seen = lastAt('feature-user-backend').headers;
      assert.equal(seen['x-keep'], '1');
      assert.equal(seen['x-drop'], undefined);
    });

    test('forwarding headers are the gateway’s, not the client’s; Host is kept', async () => {
      const response = await https('/user/me', {
        headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http', 'x-request-id': 'mine', 'x-envoy-original-path': '/x' },
      });
      await response.body.dump();
      const seen = lastAt('feature-user-backend').headers;
      assert.equal(seen['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen['x-forwarded-proto'], 'https');
      assert.equal(seen.host, `127.0.0.1:${gateway.ports.https}`);
      assert.match(String(seen['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(seen['x-request-id'], response.headers['x-request-id']);
      assert.equal(seen['x-envoy-original-path'], '/user/me');
    });
  });

  describe('ext_authz', () => {
    test('the check carries the original method and path, allowed headers only, no body', async () => {
      decide = () => ({ status: 200 });
      const response = await https('/organisation/select?next=1', {
        method: 'POST',
        headers: { cookie: 'a=1', accept: 'application/json', 'sec-fetch-mode': 'cors', 'x-private': 'no', 'content-type': 'application/json' },
        body: '{"id":"org-1"}',
      });
      await response.body.dump();
      const check = authChecks.at(-1)!;
      assert.equal(check.method, 'POST');
      assert.equal(check.url, `${EXT_AUTHZ_DEFAULTS.pathPrefix}/organisation/select?next=1`);
      assert.equal(check.headers.cookie, 'a=1');
      assert.equal(check.headers['sec-fetch-mode'], 'cors');
      assert.equal(check.headers['x-private'], undefined);
      assert.equal(check.body.length, 0);
      // …while the backend still gets the body.
      assert.equal(lastAt('feature-organisation-backend').body.toString(), '{"id":"org-1"}');
    });

    test('200 sets headersToUpstreamOnAllow on the request, replacing the client’s copy', async () => {
      const token = await issuer.sign({ sub: 'user-1' });
      decide = () => ({ status: 200, headers: { authorization: `Bearer ${token}`, 'set-cookie': 'session=refreshed; Path=/' } });
      const response = await https('/user/me', { headers: { authorization: 'Bearer forged.forged.forged' } });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.headers['set-cookie'], 'session=refreshed; Path=/');
      await response.body.dump();
      assert.equal(lastAt('feature-user-backend').headers.authorization, `Bearer ${token}`);
    });

    test('a 302 from the auth service reaches the browser as is', async () => {
      decide = () => ({ status: 302, headers: { location: '/oauth2/login?redirect=%2F', 'set-cookie': 'state=x; HttpOnly' }, body: '' });
      const before = upstreams.dashboard!.requests.length;
      const response = await https('/', { headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' } });
      assert.equal(response.statusCode, 302);
      assert.equal(response.headers.location, '/oauth2/login?redirect=%2F');
      assert.equal(response.headers['set-cookie'], 'state=x; HttpOnly');
      await response.body.dump();
      assert.equal(upstreams.dashboard!.requests.length, before, 'the backend never sees a denied request');
    });

    test('a 401 with a JSON body goes back with its body', async () => {
      decide = () => ({ status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":"unauthenticated"}' });
      const response = await https('/user/me');
      assert.equal(response.statusCode, 401);
      assert.deepEqual(await response.body.json(), { error: 'unauthenticated' });
    });

    test('5xx, timeout or an unreachable auth service → statusOnError 503 (as the mesh config), never through', async () => {
      const before = upstreams['feature-user-backend']!.requests.length;
      decide = () => ({ status: 503, body: 'store down', headers: { 'set-cookie': 'x=1' } });
      let response = await https('/user/me');
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['set-cookie'], undefined);
      assert.doesNotMatch(await response.body.text(), /store down/);
      decide = () => 'hang';
      response = await https('/user/me');
      assert.equal(response.statusCode, 503);
      await response.body.dump();
      assert.equal(upstreams['feature-user-backend']!.requests.length, before);
      decide = () => ({ status: 200 });
    });

    test('the /oauth2 routes skip the check', async () => {
      const checks = authChecks.length;
      const response = await https('/oauth2/callback?code=secret-code&state=s');
      await response.body.dump();
      assert.equal(authChecks.length, checks);
      assert.equal(lastAt('login-service').url, '/oauth2/callback?code=secret-code&state=s');
    });
  });

  describe('jwt_authn', () => {
    test('a valid token is forwarded with the payload header and metadata', async () => {
      const token = await issuer.sign({ sub: 'user-1', email: 'a@example.com' });
      decide = () => ({ status: 200, headers: { authorization: `Bearer ${token}` } });
      pluginCalls.length = 0;
      const response = await https('/user/me', { headers: { [JWT_PAYLOAD_HEADER]: 'forged' } });
      assert.equal(response.statusCode, 200);
      await response.body.dump();
      const seen = lastAt('feature-user-backend');
      assert.equal(seen.headers.authorization, `Bearer ${token}`);
      assert.equal(seen.headers[JWT_PAYLOAD_HEADER], token.split('.')[1]);
      const claims = JSON.parse(Buffer.from(String(seen.headers[JWT_PAYLOAD_HEADER]), 'base64url').toString()) as { sub: string };
      assert.equal(claims.sub, 'user-1');
      const metadata = pluginCalls.at(-1)!.metadata as Record<string, { payload: { sub: string } }>;
      assert.equal(metadata[JWT_METADATA_NAMESPACE]!.payload.sub, 'user-1');
    });

    test('no token passes without a payload header; client copies are removed', async () => {
      decide = () => ({ status: 200 });
      const response = await https('/user/me', { headers: { [JWT_PAYLOAD_HEADER]: 'eyJzdWIiOiJhZG1pbiJ9' } });
      assert.equal(response.statusCode, 200);
      await response.body.dump();
      assert.equal(lastAt('feature-user-backend').headers[JWT_PAYLOAD_HEADER], undefined);
    });

    for (const [name, make] of [
      ['a foreign signature', () => issuer.sign({ sub: 'u' }, { key: 'other' })],
      ['another audience', () => issuer.sign({ sub: 'u' }, { audience: 'someone-else' })],
      ['an expired token', () => issuer.sign({ sub: 'u' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 })],
      ['another issuer', () => issuer.sign({ sub: 'u' }, { iss: 'https://evil.example/pool' })],
      ['garbage', async () => 'not-a-jwt'],
    ] as const) {
      test(`401 for ${name}`, async () => {
        const token = await make();
        decide = () => ({ status: 200, headers: { authorization: `Bearer ${token}` } });
        const before = upstreams['feature-user-backend']!.requests.length;
        const response = await https('/user/me');
        assert.equal(response.statusCode, 401);
        assert.equal(await response.body.text(), 'Jwt verification fails');
        assert.match(String(response.headers['www-authenticate']), /invalid_token/);
        assert.equal(upstreams['feature-user-backend']!.requests.length, before);
        decide = () => ({ status: 200 });
      });
    }

    test('the JWKS is fetched once and cached', async () => {
      const fetches = issuer.fetches();
      for (let index = 0; index < 3; index += 1) {
        const token = await issuer.sign({ sub: `user-${index}` });
        decide = () => ({ status: 200, headers: { authorization: `Bearer ${token}` } });
        const response = await https('/user/me');
        assert.equal(response.statusCode, 200);
        await response.body.dump();
      }
      assert.ok(issuer.fetches() <= Math.max(fetches, 1), `JWKS fetched ${issuer.fetches()} times`);
      decide = () => ({ status: 200 });
    });
  });

  describe('plugin stage', () => {
    test('the plugin’s headers reach the upstream; a client copy does not', async () => {
      const response = await https('/user/me', { headers: { 'x-currently-selected-organisation': 'evil' } });
      await response.body.dump();
      assert.equal(lastAt('feature-user-backend').headers['x-currently-selected-organisation'], 'org-from-plugin');
    });

    test('a local reply from the plugin is sent; a denied request still reaches it as skipped', async () => {
      pluginReply = { status: 503, details: 'wasm_fail_stream' };
      const response = await https('/user/me');
      assert.equal(response.statusCode, 503);
      assert.match(await response.body.text(), /wasm_fail_stream/);
      pluginReply = null;

      decide = () => ({ status: 401, body: '{}' });
      pluginCalls.length = 0;
      const denied = await https('/user/me');
      await denied.body.dump();
      assert.equal(pluginCalls.at(-1)?.skipHeaders, true);
      decide = () => ({ status: 200 });
    });
  });

  describe('router', () => {
    test('streams a large body both ways', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024, 'a');
      const response = await https('/user/upload', { method: 'PUT', body: big });
      assert.equal(response.statusCode, 200);
      assert.equal((await response.body.json() as { bodyLength: number }).bodyLength, big.length);
    });

    test('streams the response: the first chunk arrives before the upstream has finished', async () => {
      let finish: () => void = () => {};
      const slowStream = await listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk\n');
        finish = () => res.end('last chunk\n');
      });
      const streaming = await startGatewayWithUpstream(slowStream.url);
      try {
        const response = await streaming.fetch('/user/events');
        const reader = response.body[Symbol.asyncIterator]();
        const first = await reader.next();
        assert.equal(String(first.value), 'first chunk\n', 'got the first chunk while the upstream is still open');
        finish();
        let rest = '';
        for (let next = await reader.next(); !next.done; next = await reader.next()) rest += String(next.value);
        assert.equal(rest, 'last chunk\n');
      } finally {
        await streaming.close();
        await slowStream.close();
      }
    });

    test('keeps connections to upstreams alive', async () => {
      const ports = new Set<string>();
      for (let index = 0; index < 3; index += 1) {
        const response = await https('/user/me');
        await response.body.dump();
      }
      for (const recorded of upstreams['feature-user-backend']!.requests.slice(-3)) ports.add(String(recorded.headers.connection));
      assert.ok(![...ports].includes('close'));
    });

    test('upstream down → 503, slow → 504, broken → 502, each with a clear body', async () => {
      const down = await startGatewayWithUpstream('http://127.0.0.1:1');
      let response = await down.fetch('/user/me');
      assert.equal(response.statusCode, 503);
      assert.match(await response.body.text(), /upstream connect error: feature-user-backend/);
      await down.close();

      const slow = await listen(() => {});
      const slowGateway = await startGatewayWithUpstream(slow.url);
      response = await slowGateway.fetch('/user/me');
      assert.equal(response.statusCode, 504);
      assert.match(await response.body.text(), /timeout/);
      await slowGateway.close();
      await slow.close();

      const broken = await listen((req) => req.socket.end('HTTP/1.1 banana\r\n\r\n'));
      const brokenGateway = await startGatewayWithUpstream(broken.url);
      response = await brokenGateway.fetch('/user/me');
      assert.equal(response.statusCode, 502);
      assert.match(await response.body.text(), /bad gateway/);
      await brokenGateway.close();
      await broken.close();
    });
  });

  describe('internal listener', () => {
    test('needs a valid M2M token, then forwards with the prefix stripped and no ext_authz', async () => {
      const url = `http://127.0.0.1:${gateway.ports.internal}/onboarding/users/u1`;
      let response = await request(url);
      assert.equal(response.statusCode, 403, 'no token: the policy denies, as on the waypoint');
      await response.body.dump();
      response = await request(url, { headers: { authorization: 'Bearer wrong' } });
      assert.equal(response.statusCode, 401);
      await response.body.dump();
      const checks = authChecks.length;
      response = await request(url, { headers: { authorization: 'Bearer good-m2m-token' } });
      assert.equal(response.statusCode, 200);
      await response.body.dump();
      assert.equal(lastAt('onboarding').url, '/users/u1');
      assert.equal(authChecks.length, checks);
    });

    test('a client-sent JWT payload header never reaches an internal service (no jwt_authn there writes it)', async () => {
      const forged = Buffer.from(JSON.stringify({ sub: 'admin', client_id: 'someone-else' })).toString('base64url');
      const response = await request(`http://127.0.0.1:${gateway.ports.internal}/onboarding/users/u1`, {
        headers: { authorization: 'Bearer good-m2m-token', [JWT_PAYLOAD_HEADER]: forged },
      });
      assert.equal(response.statusCode, 200);
      await response.body.dump();
      assert.equal(lastAt('onboarding').headers[JWT_PAYLOAD_HEADER], undefined);
    });

    test('M2M settings without a verify function refuse every token, even one the issuer signed', async () => {
      // An ID token from the same issuer is not a client-credentials token: issuer and signature
      // alone must never open the internal listener.
      const idToken = await issuer.sign({ sub: 'user-1', token_use: 'id' });
      const config = {
        ports: { http: 0, https: 0, internal: 0 },
        tls: certs,
        upstreams: { onboarding: upstreams.onboarding!.url },
        m2m: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
        logger: memoryLogger().logger,
      };
      const guarded = await startGateway(config as unknown as Parameters<typeof startGateway>[0]);
      try {
        const response = await request(`http://127.0.0.1:${guarded.ports.internal}/onboarding/users/u1`, { headers: { authorization: `Bearer ${idToken}` } });
        assert.equal(response.statusCode, 401);
        await response.body.dump();
      } finally {
        await guarded.close();
      }
    });
  });

  test('before configure() gives it upstreams the gateway answers 503; after, it routes', async () => {
    const late = await startGateway({ ports: { http: 0, https: 0, internal: 0 }, tls: certs, upstreams: {}, logger: memoryLogger().logger });
    try {
      const url = `https://127.0.0.1:${late.ports.https}/user/me`;
      let response = await request(url, { dispatcher: agent });
      assert.equal(response.statusCode, 503);
      assert.match(await response.body.text(), /no healthy upstream/);
      await late.configure({ upstreams: { 'feature-user-backend': upstreams['feature-user-backend']!.url } });
      response = await request(url, { dispatcher: agent });
      assert.equal(response.statusCode, 200);
      await response.body.dump();
    } finally {
      await late.close();
    }
  });

  test('one access-log line per request, without the query string', async () => {
    const response = await https('/oauth2/callback?code=very-secret');
    await response.body.dump();
    await new Promise((resolve) => setImmediate(resolve));
    const line = log.lines.filter((entry) => entry.access).find((entry) => entry.requestId === response.headers['x-request-id']);
    assert.ok(line, 'access line written');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/oauth2/callback');
    assert.equal(line.status, 200);
    assert.equal(line.route, 'oauth2');
    assert.match(String(line.upstream), /^login-service http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(!JSON.stringify(log.lines).includes('very-secret'));
  });

  async function startGatewayWithUpstream(userBackend: string) {
    const names = ['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service', 'onboarding'];
    const running = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: certs,
      upstreams: Object.fromEntries(names.map((name) => [name, name === 'feature-user-backend' ? userBackend : upstreams[name]!.url])),
      routeTimeoutMs: 300,
      logger: memoryLogger().logger,
    });
    return {
      fetch: (path: string) => request(`https://127.0.0.1:${running.ports.https}${path}`, { dispatcher: agent }),
      close: () => running.close(),
    };
  }
});
