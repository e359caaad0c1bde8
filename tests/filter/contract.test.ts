// The org-context filter's contract (ORG-CONTEXT.md), rule by rule, on the release .wasm running
// in the runtime OC_RUNTIME picks: the Envoy-faithful Node host (default) or real Envoy
// (tests/envoy/filter-in-envoy.test.ts runs this file so). Signed cookies come from the real
// Express res.cookie at test time.
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import cookieParser from 'cookie-parser';
import express from 'express';
import { sign } from 'cookie-signature';
import { createHost, PluginConfigError, type HeaderList } from '../../src/host/index.ts';
import type { Runtime, RuntimeOptions, RuntimeRequest, RuntimeResult } from '../../scripts/lib/simulate/runtime.ts';
import { RUNTIME, nodeOnlyTest, runtimeSkip, runtimes } from '../support/runtime.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const { path: wasm = '', skip: noWasm } = filterWasm();
const skip = noWasm ?? runtimeSkip;

const NAME = 'previouslySelectedOrganisation';
const ORG = 'x-currently-selected-organisation';
const FEATURES = 'x-supported-features';
const SECRET = 'contract-test-secret-0123456789abcdef-A';
const OLD_SECRET = 'contract-test-secret-previous-0123456789';

// ---- real Express signing ----------------------------------------------------------------------
let base = '';
let close = () => {};
before(async () => {
  if (skip) return;
  const app = express();
  app.use(cookieParser());
  app.get('/set', (req, res) => {
    // res.cookie signs with req.secret, which cookieParser(secret) would set; the test picks it per call.
    (req as unknown as { secret: string }).secret = String(req.query.secret);
    const value = req.query.json ? JSON.parse(String(req.query.json)) : String(req.query.value);
    res.cookie(String(req.query.name ?? NAME), value, { signed: true }).end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
after(() => close());

/** `name=value` exactly as the browser echoes what Express set. */
async function expressCookie(value: string | object, secret = SECRET, name = NAME): Promise<string> {
  const query = new URLSearchParams({ secret, name, ...(typeof value === 'string' ? { value } : { json: JSON.stringify(value) }) });
  const response = await fetch(`${base}/set?${query}`);
  const setCookie = response.headers.getSetCookie()[0];
  return setCookie.slice(0, setCookie.indexOf(';'));
}

// ---- helpers -----------------------------------------------------------------------------------
const started = runtimes();
async function filter(env: Record<string, string> = {}, options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  return started.start({ wasm, env: { ORG_COOKIE_SECRETS: SECRET, ...env }, logLevel: 'debug', ...options });
}
after(() => started.closeAll());

const values = (result: RuntimeResult, name: string) => result.headers.filter(([n]) => n === name).map(([, v]) => v);
const orgOf = (result: RuntimeResult) => {
  const found = values(result, ORG);
  assert.ok(found.length <= 1, `one ${ORG} at most, got ${found.length}`);
  return found[0];
};
const featuresOf = (result: RuntimeResult) => values(result, FEATURES)[0];
const withCookies = (...cookies: string[]): RuntimeRequest => ({ headers: cookies.map((c): [string, string] => ['cookie', c]) });
const BOOT = { BOOTSTRAPPED_ORGANISATIONS: 'org-boot-1,org-boot-2' };

describe(`org-context contract (${RUNTIME} runtime)`, { skip }, () => {
  test('a valid cookie selects its organisation; features are global then its own, deduplicated, in order', async () => {
    const plugin = await filter({ ...BOOT, SUPPORTED_FEATURES: 'search,export', ORGANISATION_FEATURES: JSON.stringify({ 'org-7': ['billing', 'search', 'audit', 'billing'] }) });
    const result = await plugin.request(withCookies(await expressCookie('org-7')));
    assert.equal(orgOf(result), 'org-7');
    assert.equal(featuresOf(result), 'search,export,billing,audit');
    assert.equal(result.localResponse, null, 'the request continues to the upstream');
  });

  test('no cookie → the first bootstrapped organisation with its features', async () => {
    const plugin = await filter({ ...BOOT, SUPPORTED_FEATURES: 'a', ORGANISATION_FEATURES: JSON.stringify({ 'org-boot-1': ['b'] }) });
    const result = await plugin.request();
    assert.equal(orgOf(result), 'org-boot-1');
    assert.equal(featuresOf(result), 'a,b');
  });

  test('the features header is present and empty when no feature is on', async () => {
    const plugin = await filter(BOOT);
    assert.deepEqual(values(await plugin.request(), FEATURES), ['']);
  });

  test('no valid cookie and no fallback → no organisation header, spoofed copies still removed', async () => {
    const plugin = await filter();
    const result = await plugin.request({ headers: [[ORG, 'evil'], [ORG.toUpperCase(), 'evil2'], ['cookie', `${NAME}=s%3Anot-signed`]] });
    assert.equal(orgOf(result), undefined);
  });

  test('every client copy of both output headers is removed, whatever the decision', async () => {
    const plugin = await filter({ ...BOOT, SUPPORTED_FEATURES: 'real' });
    const spoofs: HeaderList = [[ORG, 'evil-1'], [FEATURES, 'admin'], ['X-Currently-Selected-Organisation', 'evil-2'], [FEATURES, 'superuser']];
    for (const cookie of [undefined, await expressCookie('org-ok'), `${NAME}=garbage`]) {
      const result = await plugin.request({ headers: [...spoofs, ...(cookie ? [['cookie', cookie] as [string, string]] : [])] });
      assert.deepEqual(values(result, ORG).length, 1);
      assert.notEqual(orgOf(result), 'evil-1');
      assert.notEqual(orgOf(result), 'evil-2');
      assert.deepEqual(values(result, FEATURES), ['real']);
    }
    assert.ok((await plugin.metrics())['org_context.spoofed_header_removed'] >= 3);
  });

  test('configured header names are the ones written and sanitised', async () => {
    const plugin = await filter({ ...BOOT, ORG_HEADER: 'x-org', FEATURES_HEADER: 'x-feat' });
    const result = await plugin.request({ headers: [['x-org', 'evil'], ['x-feat', 'evil'], [ORG, 'left-alone']] });
    assert.deepEqual(values(result, 'x-org'), ['org-boot-1']);
    assert.deepEqual(values(result, 'x-feat'), ['']);
  });

  test('several cookie headers (HTTP/1.1) are all searched; the first occurrence of the name wins', async () => {
    const plugin = await filter(BOOT);
    const valid = await expressCookie('org-second-header');
    assert.equal(orgOf(await plugin.request(withCookies('a=1; b=2', valid))), 'org-second-header');
    const other = await expressCookie('org-other');
    assert.equal(orgOf(await plugin.request(withCookies(valid, other))), 'org-second-header');
    // an earlier, invalid occurrence hides a later valid one, as in cookie-parser
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=s%3Aforged.AAAA`, valid))), 'org-boot-1');
  });

  test('cookies joined with "; " (HTTP/2), surrounding spaces trimmed, quoted values unwrapped', async () => {
    const plugin = await filter(BOOT);
    const valid = await expressCookie('org-joined');
    assert.equal(orgOf(await plugin.request(withCookies(`theme=dark;   ${valid}  ; x=y`))), 'org-joined');
    const [name, value] = [valid.slice(0, valid.indexOf('=')), valid.slice(valid.indexOf('=') + 1)];
    assert.equal(orgOf(await plugin.request(withCookies(`a=b; ${name}="${value}"`))), 'org-joined');
    assert.equal(orgOf(await plugin.request(withCookies(`${name}=${value};`))), 'org-joined');
  });

  test('a custom cookie name is honoured and the default name is then ignored', async () => {
    const plugin = await filter({ ...BOOT, ORG_COOKIE_NAME: 'orgSel' });
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('org-custom', SECRET, 'orgSel')))), 'org-custom');
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('org-default')))), 'org-boot-1');
  });

  test('percent-decoding: unencoded "s:" works, "+" stays "+", a malformed escape is untrusted', async () => {
    const plugin = await filter(BOOT);
    const raw = `s:${sign('org-raw', SECRET)}`;
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=${raw}`))), 'org-raw');
    // a signature containing "+" must keep it: find an id whose signature has one
    let id = 'org-plus-0';
    for (let i = 0; !sign(id, SECRET).includes('+'); i++) id = `org-plus-${i}`;
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=${`s:${sign(id, SECRET)}`}`))), id);
    const malformed = `${NAME}=s%3A${encodeURIComponent(sign('org-bad', SECRET)).replace(/\.$/, '')}%G1`;
    assert.equal(orgOf(await plugin.request(withCookies(malformed))), 'org-boot-1');
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=%${sign('x', SECRET)}`))), 'org-boot-1');
  });

  test('an unsigned value, or a signature with padding, wrong length or another alphabet, is invalid', async () => {
    const plugin = await filter(BOOT);
    const signature = sign('org-sig', SECRET).slice('org-sig.'.length);
    const cases = [
      'org-sig', // no s: prefix
      `org-sig.${signature}`,
      `s:org-sig.${signature}=`,
      `s:org-sig.${signature.slice(0, 42)}`,
      `s:org-sig.${signature}A`,
      `s:org-sig.${signature.replace(/\+/g, '-').replace(/\//g, '_').replace(/^./, '-')}`,
      `s:org-sig`,
      `s:.${signature}`,
    ];
    for (const value of cases) {
      assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=${encodeURIComponent(value)}`))), 'org-boot-1', value);
    }
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=${encodeURIComponent(`s:org-sig.${signature}`)}`))), 'org-sig');
  });

  test('the payload is split at the last "."; dots inside the id are kept', async () => {
    const plugin = await filter(BOOT);
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('org.with.dots')))), 'org.with.dots');
  });

  test('key rotation: every configured secret verifies, in order; a removed key stops verifying', async () => {
    const rotated = await filter({ ...BOOT, ORG_COOKIE_SECRETS: JSON.stringify([SECRET, OLD_SECRET]) });
    assert.equal(orgOf(await rotated.request(withCookies(await expressCookie('org-old', OLD_SECRET)))), 'org-old');
    assert.equal(orgOf(await rotated.request(withCookies(await expressCookie('org-new', SECRET)))), 'org-new');
    const retired = await filter({ ...BOOT, ORG_COOKIE_SECRETS: JSON.stringify([SECRET]) });
    assert.equal(orgOf(await retired.request(withCookies(await expressCookie('org-old', OLD_SECRET)))), 'org-boot-1');
    assert.equal(orgOf(await rotated.request(withCookies(await expressCookie('org-x', 'some other secret entirely!!!!!!!!')))), 'org-boot-1');
  });

  test('JSON cookies (j:): a string or an object\'s string id; anything else is invalid', async () => {
    const plugin = await filter(BOOT);
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie({ id: 'org-42', name: 'Acme Ltd' })))), 'org-42');
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=${encodeURIComponent(`s:${sign('j:"org-str"', SECRET)}`)}`))), 'org-str');
    for (const json of [{ id: 42 }, { name: 'no id' }, ['org-1'], { id: null }, { id: 'bad id!' }]) {
      assert.equal(orgOf(await plugin.request(withCookies(await expressCookie(json)))), 'org-boot-1', JSON.stringify(json));
    }
    assert.equal(orgOf(await plugin.request(withCookies(`${NAME}=${encodeURIComponent(`s:${sign('j:{broken', SECRET)}`)}`))), 'org-boot-1');
  });

  test('ids must be 1–128 of A-Z a-z 0-9 . _ : - even when validly signed', async () => {
    const plugin = await filter(BOOT);
    const longest = 'o'.repeat(128);
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie(longest)))), longest);
    for (const id of ['o'.repeat(129), 'org 1', 'org<script>', 'org\u00e9', 'org,2', 'a;b']) {
      assert.equal(orgOf(await plugin.request(withCookies(await expressCookie(id)))), 'org-boot-1', id);
    }
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('Org_1.a:b-c')))), 'Org_1.a:b-c');
  });

  describe('membership check', () => {
    const env = { ...BOOT, ORG_MEMBERSHIP_CLAIM: 'organisations' };

    test('off by default: claims are not consulted', async () => {
      const plugin = await filter(BOOT);
      const result = await plugin.request({ ...withCookies(await expressCookie('org-m')), jwtPayload: { organisations: ['org-other'] } });
      assert.equal(orgOf(result), 'org-m');
    });

    test('on: the cookie\'s organisation is accepted only if the verified claim lists it (array or comma string)', async () => {
      const plugin = await filter(env);
      const cookie = withCookies(await expressCookie('org-m'));
      assert.equal(orgOf(await plugin.request({ ...cookie, jwtPayload: { organisations: ['org-a', 'org-m'] } })), 'org-m');
      assert.equal(orgOf(await plugin.request({ ...cookie, jwtPayload: { organisations: 'org-a,org-m' } })), 'org-m');
      const before = (await plugin.metrics())['org_context.membership_rejected'];
      assert.equal(orgOf(await plugin.request({ ...cookie, jwtPayload: { organisations: ['org-a', 'org-boot-2'] } })), 'org-boot-2', 'fallback: first bootstrapped org the user belongs to');
      assert.equal((await plugin.metrics())['org_context.membership_rejected'], before + 1);
      assert.equal(orgOf(await plugin.request({ ...cookie, jwtPayload: { organisations: ['org-a', 'org-b'] } })), 'org-a', 'fallback: else the first org in the user\'s list');
    });

    test('on, without verified claims: the cookie is not trusted and the first bootstrapped org is used', async () => {
      const plugin = await filter(env);
      assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('org-m')))), 'org-boot-1');
    });

    test('claims come from jwt_authn metadata by default; a client-sent payload header is ignored', async () => {
      const plugin = await filter(env);
      const forged = Buffer.from(JSON.stringify({ organisations: ['org-m'] })).toString('base64url');
      const result = await plugin.request({ headers: [['cookie', await expressCookie('org-m')], [JWT_PAYLOAD_HEADER, forged]] });
      assert.equal(orgOf(result), 'org-boot-1');
    });

    test('JWT_CLAIMS_SOURCE=header reads x-envoy-jwt-payload, but never on a CORS preflight', async () => {
      const plugin = await filter({ ...env, JWT_CLAIMS_SOURCE: 'header' });
      const payload = Buffer.from(JSON.stringify({ organisations: ['org-m'] })).toString('base64url');
      const headers: HeaderList = [['cookie', await expressCookie('org-m')], [JWT_PAYLOAD_HEADER, payload]];
      assert.equal(orgOf(await plugin.request({ headers })), 'org-m');
      const preflight = await plugin.request({ method: 'OPTIONS', headers: [...headers, ['origin', 'https://app.test'], ['access-control-request-method', 'POST']] });
      assert.equal(orgOf(preflight), 'org-boot-1');
      // OPTIONS without the preflight headers is an ordinary request
      assert.equal(orgOf(await plugin.request({ method: 'OPTIONS', headers })), 'org-m');
    });
  });

  test('pluginConfig wins over the environment per setting', async () => {
    const plugin = await filter({ ...BOOT, SUPPORTED_FEATURES: 'env-feature' }, { pluginConfig: { bootstrappedOrganisations: ['org-pc'], cookieName: 'pcCookie' } });
    const result = await plugin.request();
    assert.equal(orgOf(result), 'org-pc');
    assert.equal(featuresOf(result), 'env-feature');
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('org-c', SECRET, 'pcCookie')))), 'org-c');
  });

  describe('configuration errors: on_configure fails with one critical line naming the setting', () => {
    const cases: [string, Record<string, string>, object | undefined, RegExp][] = [
      ['missing secret', { ORG_COOKIE_SECRETS: '' }, undefined, /ORG_COOKIE_SECRETS/],
      ['secret list not JSON', { ORG_COOKIE_SECRETS: '["a",' }, undefined, /ORG_COOKIE_SECRETS/],
      ['empty secret in list', { ORG_COOKIE_SECRETS: '["a-long-enough-secret-0123456789abcdef", ""]' }, undefined, /ORG_COOKIE_SECRETS/],
      ['empty secret list', { ORG_COOKIE_SECRETS: '[]' }, undefined, /ORG_COOKIE_SECRETS/],
      ['secret list with a non-string', { ORG_COOKIE_SECRETS: '["a-long-enough-secret-0123456789abcdef", 5]' }, undefined, /ORG_COOKIE_SECRETS/],
      ['organisation header not a header name', { ORG_HEADER: 'bad header' }, undefined, /ORG_HEADER/],
      ['features header equal to the organisation header', { FEATURES_HEADER: ORG }, undefined, /FEATURES_HEADER/],
      ['invalid bootstrapped id', { BOOTSTRAPPED_ORGANISATIONS: 'org-1,bad id' }, undefined, /BOOTSTRAPPED_ORGANISATIONS/],
      ['organisation features not JSON', { ORGANISATION_FEATURES: '{oops' }, undefined, /ORGANISATION_FEATURES/],
      ['organisation features not an object of arrays', { ORGANISATION_FEATURES: '{"org-1":"a"}' }, undefined, /ORGANISATION_FEATURES/],
      ['feature key unsafe in a header', { SUPPORTED_FEATURES: 'ok,bad\u0001key' }, undefined, /SUPPORTED_FEATURES/],
      ['feature key with a comma inside an org list', { ORGANISATION_FEATURES: '{"org-1":["a,b"]}' }, undefined, /ORGANISATION_FEATURES/],
      ['claims source', { JWT_CLAIMS_SOURCE: 'cookie' }, undefined, /JWT_CLAIMS_SOURCE/],
      ['cache size', { ORG_COOKIE_CACHE_SIZE: 'lots' }, undefined, /ORG_COOKIE_CACHE_SIZE/],
      ['unknown pluginConfig key', {}, { cookieNmae: 'x' }, /cookieNmae/],
      ['pluginConfig not an object', {}, ['x'], /pluginConfig/],
      ['pluginConfig secrets are env-only', {}, { secrets: ['x'] }, /secrets/],
      ['invalid id in pluginConfig', {}, { bootstrappedOrganisations: ['ok', 'not ok'] }, /bootstrappedOrganisations/],
    ];
    for (const [name, env, pluginConfig, setting] of cases) {
      test(name, async () => {
        await assert.rejects(filter(env, pluginConfig ? { pluginConfig } : {}), (error: Error) => {
          assert.ok(error instanceof PluginConfigError, `${error.name}: ${error.message}`);
          assert.match(error.message, setting);
          const critical = error.logs.filter((l) => l.level === 'critical');
          assert.equal(critical.length, 1);
          assert.doesNotMatch(JSON.stringify(error.logs), /a-long-enough-secret|contract-test-secret/);
          return true;
        });
      });
    }

    test('pluginConfig that is not JSON', async () => {
      await assert.rejects(filter({}, { pluginConfig: '{not json' }), PluginConfigError);
    });
  });

  test('a secret shorter than 32 bytes is accepted with a warning that does not show it', async () => {
    const plugin = await filter({ ...BOOT, ORG_COOKIE_SECRETS: 'short-secret' });
    const warnings = plugin.startupLogs.filter((l) => l.level === 'warn');
    assert.ok(warnings.some((l) => /ORG_COOKIE_SECRETS/.test(l.message) && /32/.test(l.message)));
    assert.doesNotMatch(JSON.stringify(plugin.startupLogs), /short-secret/);
    assert.equal(orgOf(await plugin.request(withCookies(await expressCookie('org-s', 'short-secret')))), 'org-s');
  });

  test('metrics count requests and cookie outcomes', async () => {
    const plugin = await filter(BOOT);
    await plugin.request();
    await plugin.request(withCookies(await expressCookie('org-1')));
    await plugin.request(withCookies(`${NAME}=s%3Aorg-1.AAAA`));
    await plugin.request({ headers: [[ORG, 'spoof']] });
    const m = (await plugin.metrics());
    assert.equal(m['org_context.requests'], 4);
    assert.equal(m['org_context.cookie_valid'], 1);
    assert.equal(m['org_context.cookie_invalid'], 1);
    assert.equal(m['org_context.cookie_absent'], 2);
    assert.equal(m['org_context.fallback_used'], 3);
    assert.equal(m['org_context.spoofed_header_removed'], 1);
  });

  test('an invalid signature is logged at most once per second, never with the cookie or a secret', async () => {
    const plugin = await filter(BOOT);
    const forged = `${NAME}=${encodeURIComponent(`s:org-forged.${sign('org-forged', 'wrong-secret').split('.')[1]}`)}`;
    const logs: { level: string; message: string }[] = [];
    for (let i = 0; i < 3; i++) logs.push(...(await plugin.request(withCookies(forged))).logs);
    assert.equal(logs.filter((l) => l.level === 'warn').length, 1, `one line within the second: ${JSON.stringify(logs)}`);
    assert.doesNotMatch(JSON.stringify(logs), /org-forged|wrong-secret|contract-test-secret/);
  });

  nodeOnlyTest('…once per second per worker: each worker VM has its own limit', async () => {
    const plugin = await createHost({ wasm, env: { ORG_COOKIE_SECRETS: SECRET, ...BOOT }, logLevel: 'debug', workers: 2 });
    try {
      const forged = `${NAME}=${encodeURIComponent(`s:org-forged.${sign('org-forged', 'wrong-secret').split('.')[1]}`)}`;
      const logs = [0, 1, 0, 1, 0].flatMap((worker) => plugin.request({ ...withCookies(forged), worker }).logs);
      assert.equal(logs.filter((l) => l.level === 'warn').length, 2, 'one line per worker within the second');
      assert.doesNotMatch(JSON.stringify(logs), /org-forged|wrong-secret|contract-test-secret/);
    } finally {
      plugin.close();
    }
  });

  nodeOnlyTest('requests an earlier filter answered pass through the plugin without trouble', async () => {
    const plugin = await createHost({ wasm, env: { ORG_COOKIE_SECRETS: SECRET, ...BOOT } });
    try {
      const result = plugin.request({ skipHeaders: true, headers: [[ORG, 'evil']] });
      assert.equal(result.localResponse, null);
      assert.equal(plugin.failed(), false);
    } finally {
      plugin.close();
    }
  });
});
