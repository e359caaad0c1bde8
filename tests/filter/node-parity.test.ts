// Where Node itself decides what cookie-parser accepts: header bytes read as Latin-1 and hashed as
// UTF-8, decodeURIComponent's fallback to the undecoded text, JSON.parse's unbounded nesting, a
// cookie name cookie-parser can never yield, and a secret's lone surrogate keyed as U+FFFD. Every
// verdict is cookie-parser's own, over HTTP, at test time; the filter must agree with it.
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import cookieParser from 'cookie-parser';
import { sign } from 'cookie-signature';
import express from 'express';
import fc from 'fast-check';
import { createHost, PluginConfigError, type Plugin } from '../../src/host/index.ts';

const { path: wasm = '', skip } = filterWasm();

const NAME = 'previouslySelectedOrganisation';
const ORG = 'x-currently-selected-organisation';
const SECRET = 'node-parity-secret-0123456789abcdefghij';
const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const cookie = createRequire(import.meta.url)('cookie') as { parse(text: string): Record<string, string> };

// ---- cookie-parser, the oracle -----------------------------------------------------------------
const servers: Server[] = [];
/** An Express app with cookieParser(secrets): /read?name= answers what it made of that cookie. */
async function backend(secrets: string[]): Promise<string> {
  const app = express();
  app.use(cookieParser(secrets));
  app.get('/read', (req, res) => {
    const name = String(req.query.name ?? NAME);
    const signed = req.signedCookies as Record<string, unknown>;
    res.json({ has: Object.hasOwn(signed, name), signed: Object.hasOwn(signed, name) ? signed[name] : null });
  });
  app.get('/set', (req, res) => {
    res.cookie(String(req.query.name ?? NAME), JSON.parse(String(req.query.json)), { signed: true }).end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let base = '';
const plugins: Plugin[] = [];
before(async () => {
  if (skip) return;
  base = await backend([SECRET]);
});
after(() => {
  for (const server of servers) server.close();
  for (const plugin of plugins) plugin.close();
});

/** The id cookie-parser's value stands for (a string, or an object's string id), if a valid id. */
function idOf(parsed: unknown): string | null {
  let id: unknown = parsed;
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) id = (parsed as { id?: unknown }).id;
  return typeof id === 'string' && ID.test(id) ? id : null;
}

/** What cookie-parser made of `header` (a Latin-1 string: one character per byte on the wire). */
async function oracle(header: string, url = base, name = NAME): Promise<{ has: boolean; id: string | null }> {
  const response = await fetch(`${url}/read?name=${encodeURIComponent(name)}`, { headers: { cookie: header } });
  const { has, signed } = (await response.json()) as { has: boolean; signed: unknown };
  return { has, id: idOf(signed) };
}

async function plugin(env: Record<string, string> = {}): Promise<Plugin> {
  const created = await createHost({ wasm, env: { ORG_COOKIE_SECRETS: SECRET, ...env }, logLevel: 'error' });
  plugins.push(created);
  return created;
}

/** The organisation the filter selects for the header (no fallback configured), or null. */
function selected(filter: Plugin, header: string): string | null {
  const result = filter.request({ headers: [['cookie', header]] });
  assert.equal(filter.failed(), false, 'the filter trapped');
  return result.headers.find(([name]) => name === ORG)?.[1] ?? null;
}

async function agree(filter: Plugin, header: string, expected: string | null, url = base): Promise<void> {
  assert.equal((await oracle(header, url)).id, expected, `cookie-parser on ${JSON.stringify(header)}`);
  assert.equal(selected(filter, header), expected, `the filter on ${JSON.stringify(header)}`);
}

// ---- 9: raw bytes >= 0x80, and decodeURIComponent's fallback -----------------------------------
describe('a cookie value with raw bytes >= 0x80 (Node reads the header as Latin-1)', { skip }, () => {
  test('a j: payload whose other fields carry such bytes verifies, hashed as their UTF-8 form', async () => {
    const filter = await plugin();
    const payload = 'j:' + JSON.stringify({ id: 'org-latin1', name: 'Caf\u00e9 \u00fc\u00df \u00ff\u0080' });
    await agree(filter, `${NAME}=s:${sign(payload, SECRET)}`, 'org-latin1');
    // Percent-encoded ASCII around the raw bytes, as decodeURIComponent reads it.
    const mixed = `${NAME}=s%3A${sign(payload, SECRET).replace('Caf', 'C%61f').replace(' ', '%20')}`;
    await agree(filter, mixed, 'org-latin1');
    // A raw byte next to an escaped UTF-8 sequence: decodeURIComponent decodes the escape alone.
    const both = 'j:' + JSON.stringify({ id: 'org-both', n: '\u00e9\u00e9' });
    await agree(filter, `${NAME}=s:${sign(both, SECRET).replace('\u00e9\u00e9', '\u00e9%C3%A9')}`, 'org-both');
  });

  test('the same cookie with the wrong bytes, or an id outside the id rule, is refused by both', async () => {
    const filter = await plugin();
    const payload = 'j:' + JSON.stringify({ id: 'org-latin1', name: 'Caf\u00e9' });
    const value = sign(payload, SECRET);
    // é as its two UTF-8 bytes is "Ã©" to Node: another text, another HMAC.
    await agree(filter, `${NAME}=s:${value.replace('\u00e9', '\u00c3\u00a9')}`, null);
    await agree(filter, `${NAME}=s:${sign('org-\u00e9', SECRET)}`, null);
    await agree(filter, `${NAME}=s:${sign('j:' + JSON.stringify('org-\u00e9'), SECRET)}`, null);
  });

  test('an escape decodeURIComponent refuses leaves the value undecoded, as the cookie module does', async () => {
    const filter = await plugin();
    for (const [payload, id] of [
      ['j:' + JSON.stringify({ id: 'org-percent', share: '100%' }), 'org-percent'],
      ['j:' + JSON.stringify({ id: 'org-bad-utf8', x: '%C3' }), 'org-bad-utf8'],
      ['j:' + JSON.stringify({ id: 'org-latin1-pct', x: '\u00e9%zz' }), 'org-latin1-pct'],
      ['org-not-an-id%', null],
    ] as const) {
      await agree(filter, `${NAME}=s:${sign(payload, SECRET)}`, id);
    }
  });

  test('random j: payloads with Latin-1 characters and escapes: the filter selects what cookie-parser selects', async () => {
    const filter = await plugin();
    const latin1 = fc.integer({ min: 0x20, max: 0xff }).filter((c) => c < 0x7f || c >= 0x80).map((c) => String.fromCharCode(c));
    const field = fc.string({ unit: latin1, maxLength: 12 });
    const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,16}$/), field);
    const cases = fc.tuple(id, field, fc.constantFrom('raw', 'encode-ascii', 'encode-all', 'lower')).map(([orgId, extra, how]) => {
      const value = `s:${sign('j:' + JSON.stringify({ id: orgId, x: extra }), SECRET)}`.replace(/;/g, '%3B');
      if (how === 'raw') return value;
      if (how === 'encode-all') return encodeURIComponent(value);
      // Escape some ASCII only; Latin-1 characters stay raw bytes.
      const ascii = value.replace(/[:"{} ]/g, (c) => encodeURIComponent(c));
      return how === 'lower' ? ascii.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()) : ascii;
    });
    const samples = fc.sample(cases, { numRuns: 300, seed: 9 });
    for (const value of samples) {
      const header = `${NAME}=${value}`;
      assert.equal(selected(filter, header), inProcess(header), `the filter on ${JSON.stringify(header)}`);
    }
    // And a few of them over HTTP, so the in-process oracle is Node's own reading of the bytes.
    for (const value of samples.slice(0, 25)) {
      const header = `${NAME}=${value}`;
      assert.equal((await oracle(header)).id, selected(filter, header), `cookie-parser vs the filter on ${JSON.stringify(header)}`);
    }
  });
});

/** cookie-parser's code in this process: cookie.parse (decodeURIComponent or the raw text), then
 *  signedCookie and JSONCookie. */
function inProcess(header: string): string | null {
  const raw = cookie.parse(header)[NAME];
  if (raw === undefined || !raw.startsWith('s:')) return null;
  const unsigned = cookieParser.signedCookie(raw, [SECRET]);
  if (typeof unsigned !== 'string') return null;
  return idOf(unsigned.startsWith('j:') ? cookieParser.JSONCookie(unsigned) : unsigned);
}

// ---- 10: j: JSON at any depth ------------------------------------------------------------------
describe('j: JSON nested deeper than 64 levels', { skip }, () => {
  test('is accepted as JSON.parse accepts it, set by Express and sent back as the browser does', async () => {
    const filter = await plugin();
    for (const depth of [65, 100, 1000]) {
      let deep: unknown = 1;
      for (let i = 0; i < depth; i++) deep = i % 2 ? [deep] : { d: deep };
      const response = await fetch(`${base}/set?${new URLSearchParams({ json: JSON.stringify({ id: `org-depth-${depth}`, deep }) })}`);
      const set = response.headers.getSetCookie()[0] ?? '';
      const header = set.slice(0, set.indexOf(';'));
      await agree(filter, header, `org-depth-${depth}`);
    }
  });

  test('a deep payload that JSON.parse refuses is refused too', async () => {
    const filter = await plugin();
    const bad = 'j:{"id":"org-deep-bad","x":' + '['.repeat(200) + '}'.repeat(200) + '}';
    await agree(filter, `${NAME}=${encodeURIComponent(`s:${sign(bad, SECRET)}`)}`, null);
    const unbalanced = 'j:{"id":"org-deep-bad","x":' + '['.repeat(200) + ']'.repeat(199) + '}';
    await agree(filter, `${NAME}=${encodeURIComponent(`s:${sign(unbalanced, SECRET)}`)}`, null);
  });
});

// ---- 11: cookie names cookie-parser never yields -----------------------------------------------
describe('the cookie name __proto__', { skip }, () => {
  test('cookie-parser never yields it, even from an Express-signed cookie', async () => {
    const response = await fetch(`${base}/set?${new URLSearchParams({ name: '__proto__', json: '"org-proto"' })}`);
    const set = response.headers.getSetCookie()[0] ?? '';
    assert.ok(set.startsWith('__proto__=s%3Aorg-proto.'), set);
    assert.deepEqual(await oracle(set.slice(0, set.indexOf(';')), base, '__proto__'), { has: false, id: null });
  });

  for (const [where, options] of [
    ['ORG_COOKIE_NAME', { env: { ORG_COOKIE_NAME: '__proto__' } }],
    ['pluginConfig.cookieName', { pluginConfig: { cookieName: '__proto__' } }],
  ] as const) {
    test(`is rejected as a setting (${where}), with one critical line naming it`, async () => {
      await assert.rejects(createHost({ wasm, env: { ORG_COOKIE_SECRETS: SECRET, ...('env' in options ? options.env : {}) }, ...('pluginConfig' in options ? { pluginConfig: options.pluginConfig } : {}) }), (error: Error) => {
        assert.ok(error instanceof PluginConfigError, `${error.name}: ${error.message}`);
        const critical = error.logs.filter((l) => l.level === 'critical');
        assert.equal(critical.length, 1);
        assert.match(critical[0]!.message, new RegExp(where.replace('.', '\\.')));
        assert.match(critical[0]!.message, /__proto__/);
        return true;
      });
    });
  }

  test('names that only look like it still work, as for cookie-parser', async () => {
    for (const name of ['__proto', 'constructor', 'hasOwnProperty']) {
      const filter = await plugin({ ORG_COOKIE_NAME: name });
      const header = `${name}=${encodeURIComponent(`s:${sign('org-named', SECRET)}`)}`;
      assert.equal((await oracle(header, base, name)).id, 'org-named');
      assert.equal(selected(filter, header), 'org-named', name);
    }
  });
});

// ---- 12: a secret with a lone surrogate --------------------------------------------------------
describe('a JSON secret holding a lone surrogate', { skip }, () => {
  test('is keyed as U+FFFD, as Node keys the HMAC', async () => {
    for (const list of ['["\\ud800x"]', '["\\udfff", "' + SECRET + '"]', '["a\\ud83d\\ude00\\udc00b"]']) {
      const secrets = JSON.parse(list) as string[];
      const url = await backend(secrets);
      const filter = await createHost({ wasm, env: { ORG_COOKIE_SECRETS: list }, logLevel: 'error' });
      plugins.push(filter);
      const header = `${NAME}=${encodeURIComponent(`s:${sign('org-surrogate', secrets[0]!)}`)}`;
      await agree(filter, header, 'org-surrogate', url);
      // The WTF-8 bytes (a lone surrogate as ED A0 80 …) are not Node's key: a cookie signed
      // with them, as the filter used to key it, is refused by both.
      const mac = createHmac('sha256', wtf8(secrets[0]!)).update('org-surrogate').digest('base64').replace(/=+$/, '');
      await agree(filter, `${NAME}=${encodeURIComponent(`s:org-surrogate.${mac}`)}`, null, url);
    }
  });
});

/** UTF-8, except that a lone surrogate is written as its own 3-byte form (WTF-8). */
function wtf8(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const c = char.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(...Buffer.from(char));
  }
  return Buffer.from(bytes);
}
