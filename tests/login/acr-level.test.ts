// A session below the configured level (OIDC_ACR_VALUES, Wonderwall's openid.acr-values) counts as
// none: the real oidc-provider authenticates at a chosen acr; logins ask for the configured level
// unless `level` names one; a callback whose acr is below what the login asked for is refused; a
// session made at a lower `level` is kept but gets no token upstream, and a step-up login replaces
// it. "Below" is Wonderwall's: ID-porten's ordered levels (and their legacy names), anything else
// exact.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalLevel, idTokenAcr, meetsLevel } from '../../src/login/acr.ts';
import { loadConfig } from '../../src/login/index.ts';
import { startOidcTestProvider, relyingPartyEnv, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

const SUBSTANTIAL = 'idporten-loa-substantial';
const HIGH = 'idporten-loa-high';

describe('acr levels', () => {
  it('orders ID-porten levels, translates legacy names, matches anything else exactly', () => {
    const table: Array<[string, string | undefined, boolean]> = [
      [SUBSTANTIAL, SUBSTANTIAL, true],
      [SUBSTANTIAL, HIGH, true],
      [HIGH, HIGH, true],
      [HIGH, SUBSTANTIAL, false],
      ['Level3', SUBSTANTIAL, true],
      ['Level3', HIGH, true],
      ['Level4', SUBSTANTIAL, false],
      ['Level4', HIGH, true],
      [HIGH, 'Level4', false],
      ['urn:acr:gold', 'urn:acr:gold', true],
      ['urn:acr:silver', 'urn:acr:gold', false],
      ['urn:acr:gold', undefined, false],
      [HIGH, undefined, false],
      [HIGH, '', false],
    ];
    for (const [required, actual, expected] of table) assert.equal(meetsLevel(required, actual), expected, `${required} met by ${String(actual)}`);
    assert.equal(canonicalLevel('Level4'), HIGH);
    assert.equal(canonicalLevel('constructor'), 'constructor', 'no prototype lookups');
    const token = (payload: unknown) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
    assert.equal(idTokenAcr(token({ acr: HIGH })), HIGH);
    assert.equal(idTokenAcr(token({ acr: 7 })), undefined);
    assert.equal(idTokenAcr(token({ acr: 'a b' })), undefined);
    assert.equal(idTokenAcr('junk'), undefined);
  });

  it('reads OIDC_ACR_VALUES and its Wonderwall alias', () => {
    const base = { APP_ORIGIN: APP, OIDC_ISSUER: 'http://127.0.0.1:1', OIDC_CLIENT_ID: 'c' };
    assert.equal(loadConfig(base).acrValues, undefined);
    assert.equal(loadConfig({ ...base, OIDC_ACR_VALUES: HIGH }).acrValues, HIGH);
    assert.equal(loadConfig({ ...base, WONDERWALL_OPENID_ACR_VALUES: SUBSTANTIAL, UPSTREAM_URL: 'http://127.0.0.1:2' }).acrValues, SUBSTANTIAL);
    assert.throws(() => loadConfig({ ...base, OIDC_ACR_VALUES: 'a "b' }), /^ConfigError: OIDC_ACR_VALUES: /);
  });
});

describe('sessions below OIDC_ACR_VALUES (standalone, real provider acr)', () => {
  let provider: OidcTestProvider;
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    provider = await startOidcTestProvider({ appOrigin: APP, acrValues: [SUBSTANTIAL, HIGH] });
    app = await startUpstreamApp();
    stack = await startStack({ provider, env: { ...relyingPartyEnv(provider, APP), LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, AUTO_LOGIN: 'true', OIDC_ACR_VALUES: HIGH } });
  });
  after(async () => {
    await stack?.close();
    await app?.close();
    await provider?.close();
  });

  it('asks for the configured level and refuses a callback below it (after the retries)', async () => {
    provider.login.acr = SUBSTANTIAL;
    const browser = stack.browser();
    const hops = await browser.navigate(`${APP}/oauth2/login?redirect=/kept`, {}, 80, true);
    const authorize = new URL(hops[0]!.headers.get('location')!);
    assert.equal(authorize.searchParams.get('acr_values'), HIGH, 'the login asks for OIDC_ACR_VALUES');
    const callbacks = hops.filter((hop) => hop.url.startsWith(`${APP}/oauth2/callback`));
    assert.equal(callbacks.length, 4, 'the first callback and three automatic retries');
    const last = hops.at(-1)!;
    assert.equal(last.status, 400);
    assert.match(last.body, /below the &quot;idporten-loa-high&quot; asked for/);
    assert.match(last.body, /Correlation id: <code>[A-Za-z0-9_-]+<\/code>/);
    assert.equal(browser.cookie('__Host-oc-session'), undefined, 'no session below the level asked for');
    assert.ok(stack.logs.some((line) => line.includes('"code":"acr_insufficient"')));
  });

  it('keeps a session made at a lower level out of the app, until a step-up replaces it', async () => {
    provider.login.acr = SUBSTANTIAL;
    const browser = stack.browser();
    // The login names the lower level itself: that login succeeds…
    const lower = await browser.navigate(`${APP}/oauth2/login?level=${SUBSTANTIAL}&redirect=/page`, {}, 40, true);
    assert.equal(new URL(lower[0]!.headers.get('location')!).searchParams.get('acr_values'), SUBSTANTIAL);
    assert.equal(lower.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))?.status, 302);
    assert.ok(browser.cookie('__Host-oc-session'), 'a session at the lower level exists');
    assert.equal((await browser.request(`${APP}/oauth2/session`, { navigate: false })).status, 200, 'and is reported');
    // …but it counts as none for the app: a page load goes to login, a script gets 401.
    const seen = app.seen.length;
    const page = await browser.request(`${APP}/page`, { navigate: true });
    assert.equal(page.status, 302);
    assert.equal(new URL(page.headers.get('location')!).pathname, '/oauth2/login');
    assert.equal((await browser.request(`${APP}/api`, { navigate: false, headers: { accept: 'application/json' } })).status, 401);
    assert.equal(app.seen.length, seen, 'nothing reached the app');
    // Step up: the provider authenticates at the high level, the new session replaces the old.
    provider.login.acr = HIGH;
    const upper = await browser.navigate(`${APP}/oauth2/login?prompt=login&redirect=/page`, {}, 40, true);
    assert.equal(upper.at(-1)!.status, 200, upper.map((hop) => `${hop.status} ${hop.url}`).join(' → '));
    const last = app.seen.at(-1)!;
    assert.equal(last.url, '/page');
    assert.match(String(last.headers.authorization), /^Bearer [A-Za-z0-9._-]{20,}$/, 'the app gets the access token now');
  });
});
