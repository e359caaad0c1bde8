// End to end through the local gateway: a real login service (ext_authz) in front of a real
// identity provider, real jwt_authn, the real org-context filter and an echo upstream. The backend
// must never see the login service's session cookie, and must still see the org-context cookie
// exactly as the browser sent it — the filter, which runs after ext_authz, verifies its signature
// and selects the organisation from it.
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import signature from 'cookie-signature';
import { request } from 'undici';
import { createHost, type Plugin } from '../../src/host/index.ts';
import { EXT_AUTHZ_DEFAULTS, startGateway, ensureLocalCertificates, type RunningGateway } from '../../src/gateway/index.ts';
import { pluginEnvironment } from '../../src/harness/plugin-env.ts';
import { startStack, type Stack } from '../login/stack.ts';
import { memoryLogger, recordingUpstream, trustingAgent } from './support.ts';

const { path: WASM = '', skip: missing } = filterWasm();

const SECRET = 'session-cookie-test-secret-0123456789abcdef';
const ORG_COOKIE = `previouslySelectedOrganisation=${encodeURIComponent(`s:${signature.sign('org-globex', SECRET)}`)}`;
const SESSION = '__Host-oc-session';

describe('the session cookie stays at the edge', { skip: missing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-session-cookie-'));
  const certs = ensureLocalCertificates(join(dir, 'tls'));
  const agent = trustingAgent(certs.ca);
  let login: Stack;
  let plugin: Plugin;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let gateway: RunningGateway;
  let ticket = '';

  before(async () => {
    // The login service as deployed behind the waypoint: checks arrive under the provider's pathPrefix.
    login = await startStack({ env: { CHECK_PATH_PREFIX: EXT_AUTHZ_DEFAULTS.pathPrefix } });
    const browser = login.browser();
    await login.login(browser);
    ticket = browser.cookie(SESSION)!.value;

    upstream = await recordingUpstream();
    plugin = await createHost({ wasm: WASM, env: pluginEnvironment({ host: { ORG_COOKIE_SECRETS: JSON.stringify([SECRET]) } }), workers: 1, failStrategy: 'FAIL_CLOSE' });
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls: certs,
      upstreams: Object.fromEntries(['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service'].map((name) => [name, upstream.url])),
      extAuthz: { service: login.service.url },
      jwtAuthn: { issuer: login.provider.issuer, jwksUri: `${login.provider.issuer}/jwks`, audiences: [login.provider.client.clientId] },
      plugin,
      logger: memoryLogger().logger,
    });
  });

  after(async () => {
    await gateway?.close();
    plugin?.close();
    await agent.close();
    await upstream?.close();
    await login?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function backendSees(cookieLines: string[]) {
    const response = await request(`https://127.0.0.1:${gateway.ports.https}/user/me`, {
      dispatcher: agent,
      headers: ['accept', 'application/json', ...cookieLines.flatMap((line) => ['cookie', line])],
    });
    await response.body.dump();
    assert.equal(response.statusCode, 200);
    const seen = upstream.requests.at(-1)!;
    const cookies = seen.rawHeaders.filter((_, index) => index % 2 === 0 && seen.rawHeaders[index]!.toLowerCase() === 'cookie').length;
    return { cookie: seen.headers.cookie, cookieLines: cookies, organisation: seen.headers['x-currently-selected-organisation'], authorization: seen.headers.authorization };
  }

  test('the backend gets every other cookie, the org cookie byte for byte, and no session cookie', async () => {
    const seen = await backendSees([`theme=dark; ${SESSION}=${ticket}; ${ORG_COOKIE}; z=1`]);
    assert.equal(seen.cookie, `theme=dark; ${ORG_COOKIE}; z=1`);
    assert.ok(!String(seen.cookie).includes(ticket), 'no session ticket upstream');
    assert.equal(seen.organisation, 'org-globex', 'the filter verified the org cookie after ext_authz');
    assert.match(String(seen.authorization), /^Bearer /);
  });

  test('several Cookie lines arrive as one, without the session cookie', async () => {
    const seen = await backendSees([ORG_COOKIE, `${SESSION}=${ticket}`, 'b=2']);
    assert.equal(seen.cookie, `${ORG_COOKIE}; b=2`);
    assert.equal(seen.cookieLines, 1);
    assert.equal(seen.organisation, 'org-globex');
  });

  test('with only the session cookie, the backend gets no cookie header at all', async () => {
    const seen = await backendSees([`${SESSION}=${ticket}`]);
    assert.equal(seen.cookie, undefined);
    assert.equal(seen.cookieLines, 0);
    assert.equal(seen.organisation, 'org-acme', 'no org cookie → the first bootstrapped organisation');
  });
});
