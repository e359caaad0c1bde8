// The seed system's backends on their own, spoken to as the gateway speaks to them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import signature from 'cookie-signature';
import { request } from 'undici';
import { startOrganisationBackend } from '../../src/harness/organisation-backend/index.ts';
import { startUserBackend } from '../../src/harness/user-backend/index.ts';
import { startDashboard } from '../../src/harness/dashboard/index.ts';
import type { RunningService } from '../../src/harness/common/listen.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const payload = (claims: object) => Buffer.from(JSON.stringify(claims)).toString('base64url');
const ada = payload({ sub: 'user-ada', email: 'ada@acme.example', 'cognito:username': 'ada', userType: 'admin' });
const gatewayHeaders = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'localhost:8443' };

describe('feature-organisation-backend', () => {
  let backend: RunningService;
  let failDirectory = false;
  before(async () => {
    backend = await startOrganisationBackend({
      port: 0,
      secrets: ['current-secret-0123456789abcdef01234', 'previous-secret'],
      names: { 'org-acme': 'Acme' },
      directory: {
        async organisationsOf(userId) {
          if (failDirectory) throw new Error('onboarding down');
          return userId === 'user-ada' ? ['org-acme', 'org-globex'] : [];
        },
      },
    });
  });
  after(() => backend.close());

  test('GET / lists the caller’s organisations and what the gateway selected', async () => {
    const response = await request(`${backend.url}/`, { headers: { ...gatewayHeaders, [JWT_PAYLOAD_HEADER]: ada, 'x-currently-selected-organisation': 'org-acme', 'x-supported-features': 'a,b' } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), {
      organisations: [{ id: 'org-acme', name: 'Acme' }, { id: 'org-globex', name: 'org-globex' }],
      selected: 'org-acme',
      features: ['a', 'b'],
    });
  });

  test('without the gateway’s payload header → 401', async () => {
    const response = await request(`${backend.url}/`);
    assert.equal(response.statusCode, 401);
    await response.body.dump();
  });

  test('POST /select sets the cookie exactly as cookie-parser signs it, with the current secret', async () => {
    const response = await request(`${backend.url}/select`, {
      method: 'POST',
      headers: { ...gatewayHeaders, [JWT_PAYLOAD_HEADER]: ada, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ id: 'org-globex' }),
    });
    assert.equal(response.statusCode, 200);
    await response.body.dump();
    const cookie = String(response.headers['set-cookie']);
    const value = decodeURIComponent(/previouslySelectedOrganisation=([^;]+)/.exec(cookie)![1]!);
    assert.equal(signature.unsign(value.slice(2), 'current-secret-0123456789abcdef01234'), 'org-globex');
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
  });

  test('a plain form POST gets a 303 back to the dashboard', async () => {
    const response = await request(`${backend.url}/select`, {
      method: 'POST',
      headers: { ...gatewayHeaders, [JWT_PAYLOAD_HEADER]: ada, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://localhost:8443' },
      body: 'organisation=org-acme',
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/');
    await response.body.dump();
  });

  for (const [name, body, headers, status] of [
    ['not a member', { id: 'org-initech' }, { 'sec-fetch-site': 'same-origin' }, 403],
    ['an id with unsafe characters', { id: 'org\r\nx' }, { 'sec-fetch-site': 'same-origin' }, 400],
    ['a cross-site request', { id: 'org-acme' }, { 'sec-fetch-site': 'cross-site' }, 403],
    ['a foreign Origin', { id: 'org-acme' }, { origin: 'https://evil.example' }, 403],
  ] as const) {
    test(`POST /select refuses ${name} and sets nothing`, async () => {
      const response = await request(`${backend.url}/select`, {
        method: 'POST',
        headers: { ...gatewayHeaders, [JWT_PAYLOAD_HEADER]: ada, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      assert.equal(response.statusCode, status);
      assert.equal(response.headers['set-cookie'], undefined);
      await response.body.dump();
    });
  }

  test('onboarding down → 503 with a clear message, no cookie', async () => {
    failDirectory = true;
    const response = await request(`${backend.url}/select`, {
      method: 'POST',
      headers: { ...gatewayHeaders, [JWT_PAYLOAD_HEADER]: ada, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'org-acme' }),
    });
    failDirectory = false;
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['set-cookie'], undefined);
    assert.match(((await response.body.json()) as { message: string }).message, /unavailable/);
  });
});

describe('feature-user-backend', () => {
  let backend: RunningService;
  before(async () => {
    backend = await startUserBackend({ port: 0 });
  });
  after(() => backend.close());

  test('GET /me reports the verified claims and the injected organisation and features', async () => {
    const response = await request(`${backend.url}/me`, {
      headers: { [JWT_PAYLOAD_HEADER]: ada, 'x-currently-selected-organisation': 'org-acme', 'x-supported-features': 'reports,billing' },
    });
    assert.deepEqual(await response.body.json(), {
      sub: 'user-ada',
      email: 'ada@acme.example',
      username: 'ada',
      userType: 'admin',
      organisation: 'org-acme',
      features: ['reports', 'billing'],
    });
  });

  test('GET /me without the payload header → 401', async () => {
    const response = await request(`${backend.url}/me`, { headers: { [JWT_PAYLOAD_HEADER]: 'not json!' } });
    assert.equal(response.statusCode, 401);
    await response.body.dump();
  });

  test('POST /logout expires the application cookies and re-posts to the login service', async () => {
    const response = await request(`${backend.url}/logout`, { method: 'POST', headers: { ...gatewayHeaders, 'sec-fetch-site': 'same-origin' } });
    assert.equal(response.statusCode, 307);
    assert.equal(response.headers.location, '/oauth2/logout');
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    assert.ok(cookies.some((cookie) => /^previouslySelectedOrganisation=; Path=\/; Expires=Thu, 01 Jan 1970/.test(cookie)), cookies.join('\n'));
    await response.body.dump();
  });

  test('a cross-site logout is refused', async () => {
    const response = await request(`${backend.url}/logout`, { method: 'POST', headers: { ...gatewayHeaders, 'sec-fetch-site': 'cross-site' } });
    assert.equal(response.statusCode, 403);
    assert.equal(response.headers['set-cookie'], undefined);
    await response.body.dump();
  });
});

describe('dashboard', () => {
  let dashboard: RunningService;
  before(async () => {
    dashboard = await startDashboard({ port: 0, names: { 'org-acme': 'Acme' } });
  });
  after(() => dashboard.close());

  test('shows what the gateway injected, escaped, under a strict CSP', async () => {
    const hostile = payload({ sub: 'u', email: '<img src=x onerror=alert(1)>', userType: 'member' });
    const response = await request(`${dashboard.url}/`, {
      headers: { [JWT_PAYLOAD_HEADER]: hostile, 'x-currently-selected-organisation': 'org-acme', 'x-supported-features': 'reports,<b>x</b>' },
    });
    const html = await response.body.text();
    assert.match(String(response.headers['content-security-policy']), /script-src 'self'/);
    assert.ok(!html.includes('<img src=x'), 'user text is escaped');
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /data-testid="user-type">member</);
    assert.match(html, /data-testid="organisation" data-organisation="org-acme">Acme <code>org-acme<\/code>/);
    assert.match(html, /<li data-testid="feature">reports<\/li><li data-testid="feature">&lt;b&gt;x&lt;\/b&gt;<\/li>/);
  });

  test('serves its script and stylesheet', async () => {
    for (const [path, type] of [['/assets/dashboard.js', /javascript/], ['/assets/dashboard.css', /css/]] as const) {
      const response = await request(`${dashboard.url}${path}`);
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), type);
      await response.body.dump();
    }
  });
});
