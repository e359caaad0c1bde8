// The real org-context filter (dist/org-context.wasm) in the gateway's chain, configured exactly
// as the WasmPlugin, with a real jwt_authn in front: what the upstream sees for cookies signed by
// cookie-parser, forged headers, other users' cookies and CORS preflights.
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import signature from 'cookie-signature';
import { request } from 'undici';
import { createHost, type Plugin } from '../../src/host/index.ts';
import { startGateway, ensureLocalCertificates, type RunningGateway } from '../../src/gateway/index.ts';
import { pluginEnvironment } from '../../src/harness/plugin-env.ts';
import { jwksIssuer, listen, memoryLogger, recordingUpstream, trustingAgent } from './support.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const { path: WASM = '', skip: missing } = filterWasm();

const SECRET = 'plugin-test-secret-0123456789abcdefghij';
const signed = (id: string, secret = SECRET) => `previouslySelectedOrganisation=${encodeURIComponent(`s:${signature.sign(id, secret)}`)}`;

describe('org-context plugin in the gateway', { skip: missing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-plugin-'));
  const certs = ensureLocalCertificates(join(dir, 'tls'));
  const agent = trustingAgent(certs.ca);
  let gateway: RunningGateway;
  let plugin: Plugin;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let issuer: Awaited<ReturnType<typeof jwksIssuer>>;
  let auth: Awaited<ReturnType<typeof listen>>;
  let token = '';

  before(async () => {
    upstream = await recordingUpstream();
    issuer = await jwksIssuer();
    // The login service's part: allow, with the current user's ID token.
    auth = await listen((_req, res) => {
      res.writeHead(200, token ? { authorization: `Bearer ${token}` } : {});
      res.end();
    });
    plugin = await createHost({
      wasm: WASM,
      env: pluginEnvironment({ host: { ORG_COOKIE_SECRETS: JSON.stringify([SECRET]) }, overrides: { ORG_MEMBERSHIP_CLAIM: 'custom:organisations' } }),
      workers: 2,
      failStrategy: 'FAIL_CLOSE',
    });
    const upstreams = Object.fromEntries(['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service'].map((name) => [name, upstream.url]));
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: certs,
      upstreams,
      extAuthz: { service: auth.url },
      jwtAuthn: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: ['app-client'] },
      plugin,
      logger: memoryLogger().logger,
    });
  });

  after(async () => {
    await gateway.close();
    plugin.close();
    await agent.close();
    await Promise.all([upstream.close(), issuer.close(), auth.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function seen(headers: Record<string, string>, user: { sub: string; organisations?: string } | undefined, method = 'GET') {
    token = user ? await issuer.sign({ sub: user.sub, ...(user.organisations ? { 'custom:organisations': user.organisations } : {}) }) : '';
    const response = await request(`https://127.0.0.1:${gateway.ports.https}/user/me`, { dispatcher: agent, method: method as 'GET', headers });
    await response.body.dump();
    assert.equal(response.statusCode, 200);
    const last = upstream.requests.at(-1)!.headers;
    return { organisation: last['x-currently-selected-organisation'], features: last['x-supported-features'] };
  }

  const ada = { sub: 'ada', organisations: 'org-acme,org-globex' };
  const max = { sub: 'max', organisations: 'org-acme' };

  test('a cookie signed as cookie-parser signs (cookie-signature) selects the organisation and its features', async () => {
    assert.deepEqual(await seen({ cookie: signed('org-globex') }, ada), { organisation: 'org-globex', features: 'dashboard,organisation-switcher,reports,billing' });
  });

  test('no cookie → the first bootstrapped organisation', async () => {
    assert.deepEqual(await seen({}, ada), { organisation: 'org-acme', features: 'dashboard,organisation-switcher,billing' });
  });

  test('client copies of the headers never reach the upstream', async () => {
    const forged = { 'x-currently-selected-organisation': 'org-globex', 'x-supported-features': 'everything' };
    assert.deepEqual(await seen(forged, max), { organisation: 'org-acme', features: 'dashboard,organisation-switcher,billing' });
    assert.deepEqual(await seen({ ...forged, cookie: 'a=b' }, undefined), { organisation: 'org-acme', features: 'dashboard,organisation-switcher,billing' });
  });

  test('another user’s validly signed cookie selects nothing that user is not a member of', async () => {
    assert.equal((await seen({ cookie: signed('org-globex') }, max)).organisation, 'org-acme');
  });

  test('a cookie signed with another secret, or tampered, falls back', async () => {
    assert.equal((await seen({ cookie: signed('org-globex', 'some-other-secret-0123456789abcdefghij') }, ada)).organisation, 'org-acme');
    const tampered = signed('org-globex').replace('org-globex', 'org-globey');
    assert.equal((await seen({ cookie: tampered }, ada)).organisation, 'org-acme');
  });

  test('a forged payload header cannot grant membership, not even on a CORS preflight', async () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'max', 'custom:organisations': 'org-acme,org-globex' })).toString('base64url');
    assert.equal((await seen({ cookie: signed('org-globex'), [JWT_PAYLOAD_HEADER]: payload }, max)).organisation, 'org-acme');
    const preflight = { cookie: signed('org-globex'), [JWT_PAYLOAD_HEADER]: payload, origin: 'https://evil.example', 'access-control-request-method': 'POST' };
    assert.notEqual((await seen(preflight, undefined, 'OPTIONS')).organisation, 'org-globex');
  });
});
