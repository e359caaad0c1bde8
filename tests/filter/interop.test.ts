// Interop: the built org-context .wasm, run in the runtime OC_RUNTIME picks (the Node host, or real
// Envoy from tests/envoy/filter-in-envoy.test.ts), must accept exactly the cookies that
// Express + cookie-parser accept. Every cookie here is produced at test time by the real libraries
// (cookie-signature, Express res.cookie with cookie-parser, @fastify/cookie), and every verdict is
// checked against cookie-parser itself over HTTP, so the filter is compared with the library, not
// with a copy of it.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import cookieParser from 'cookie-parser';
import { sign } from 'cookie-signature';
import express from 'express';
import { sign as fastifySign } from '@fastify/cookie';
import type { Runtime } from '../../scripts/lib/simulate/runtime.ts';
import { RUNTIME, runtimeSkip, runtimes } from '../support/runtime.ts';
import { ensureFilterBuilt, SIZE_BUDGET_BYTES } from '../../scripts/lib/build/filter.ts';
import { FILTER_DEBUG_WASM, FILTER_WASM, HOST_CALLS_WASM, NOOP_WASM } from '../../scripts/lib/artifacts.ts';

const NAME = 'previouslySelectedOrganisation';
const ORG_HEADER = 'x-currently-selected-organisation';
const CURRENT = 'interop-current-secret-0123456789abcdefgh';
const PREVIOUS = 'interop-previous-secret-0123456789abcdefg';

// An Express app per secret list: /set signs like the organisation backend, /read answers what
// cookie-parser made of the request's cookie (the oracle).
const servers: Server[] = [];
async function backend(secrets: string[]): Promise<string> {
  const app = express();
  app.use(cookieParser(secrets));
  app.get('/set', (req, res) => {
    const value: unknown = req.query.json ? JSON.parse(String(req.query.json)) : String(req.query.value);
    res.cookie(NAME, value, { signed: true }).end();
  });
  app.get('/read', (req, res) => {
    res.json({ signed: (req.signedCookies as Record<string, unknown>)[NAME] ?? null });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let currentBackend = '';
let rotatingBackend = '';
let wasm = '';
const started = runtimes();
/** One runtime per secret list, started on first use (an Envoy start is not free). */
const bySecrets = new Map<string, Promise<Runtime>>();

before(async () => {
  wasm = await ensureFilterBuilt();
  currentBackend = await backend([CURRENT]);
  rotatingBackend = await backend([CURRENT, PREVIOUS]);
});
after(() => {
  for (const server of servers) server.close();
  return started.closeAll();
});

/** The cookie value (as the browser sends it back) from Express res.cookie(..., { signed: true }). */
async function expressCookie(base: string, value: string | object): Promise<string> {
  const query: Record<string, string> = typeof value === 'string' ? { value } : { json: JSON.stringify(value) };
  const response = await fetch(`${base}/set?${new URLSearchParams(query)}`);
  const setCookie = response.headers.getSetCookie()[0] ?? '';
  assert.ok(setCookie.startsWith(`${NAME}=`), `Express set ${setCookie}`);
  return setCookie.slice(NAME.length + 1, setCookie.indexOf(';'));
}

/** What cookie-parser (with these secrets' backend) makes of the cookie value: the value or false/null. */
async function cookieParserVerdict(base: string, value: string): Promise<unknown> {
  const response = await fetch(`${base}/read`, { headers: { cookie: `${NAME}=${value}` } });
  return ((await response.json()) as { signed: unknown }).signed;
}

/** The organisation the filter selects for this cookie value (no fallback configured), or null. */
async function filterVerdict(secrets: string[], value: string): Promise<string | null> {
  const key = JSON.stringify(secrets);
  if (!bySecrets.has(key)) bySecrets.set(key, started.start({ wasm, env: { ORG_COOKIE_SECRETS: key }, requestLogs: false }));
  const plugin = await bySecrets.get(key)!;
  const result = await plugin.request({ headers: [['cookie', `theme=dark; ${NAME}=${value}`]] });
  assert.equal(result.localResponse, null, `the filter trapped or refused: ${JSON.stringify(result.localResponse)}`);
  return result.headers.find(([name]) => name === ORG_HEADER)?.[1] ?? null;
}

/** The id cookie-parser's value stands for (a string, or an object's id). */
function idOf(parsed: unknown): string | null {
  if (typeof parsed === 'string') return parsed;
  if (parsed && typeof parsed === 'object' && typeof (parsed as { id?: unknown }).id === 'string') return (parsed as { id: string }).id;
  return null;
}

describe(`cookies the filter must accept (${RUNTIME} runtime)`, { skip: runtimeSkip }, () => {
  test('signed by the real cookie-signature (URL-encoded as a browser sends it)', async () => {
    const value = encodeURIComponent(`s:${sign('org-signature-1', CURRENT)}`);
    assert.equal(idOf(await cookieParserVerdict(currentBackend, value)), 'org-signature-1');
    assert.equal(await filterVerdict([CURRENT], value), 'org-signature-1');
  });

  test('set by Express res.cookie(..., { signed: true }) with a string value', async () => {
    for (const id of ['org-express-1', '6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f', 'a.b_c:d-E9']) {
      const value = await expressCookie(currentBackend, id);
      assert.equal(idOf(await cookieParserVerdict(currentBackend, value)), id);
      assert.equal(await filterVerdict([CURRENT], value), id, `cookie ${value}`);
    }
  });

  test('set by Express with an object value (cookie-parser JSON cookie, j:)', async () => {
    const value = await expressCookie(currentBackend, { id: 'org-json-7', name: 'Acme Ltd — "quoted" ü' });
    assert.ok(decodeURIComponent(value).startsWith('s:j:'));
    assert.equal(idOf(await cookieParserVerdict(currentBackend, value)), 'org-json-7');
    assert.equal(await filterVerdict([CURRENT], value), 'org-json-7');
  });

  test('signed during rotation: the previous secret still verifies, the current one signs', async () => {
    const byPrevious = encodeURIComponent(`s:${sign('org-rotated', PREVIOUS)}`);
    assert.equal(idOf(await cookieParserVerdict(rotatingBackend, byPrevious)), 'org-rotated');
    assert.equal(await filterVerdict([CURRENT, PREVIOUS], byPrevious), 'org-rotated');
    // Express with the secret list signs with the first (current) secret.
    const byList = await expressCookie(rotatingBackend, 'org-list');
    assert.equal(await filterVerdict([CURRENT, PREVIOUS], byList), 'org-list');
    assert.equal(await filterVerdict([CURRENT], byList), 'org-list');
    // Once the previous secret is dropped, its cookies stop verifying.
    assert.equal(await filterVerdict([CURRENT], byPrevious), null);
  });
});

describe(`cookies the filter must reject, and cookie-parser rejects too (${RUNTIME} runtime)`, { skip: runtimeSkip }, () => {
  const signed = () => expressCookie(currentBackend, 'org-victim');

  async function expectRejected(value: string, why: string): Promise<void> {
    const parsed = await cookieParserVerdict(currentBackend, value);
    assert.equal(idOf(parsed), null, `cookie-parser accepted the ${why} cookie: ${JSON.stringify(parsed)}`);
    assert.equal(await filterVerdict([CURRENT], value), null, `the filter accepted the ${why} cookie ${value}`);
  }

  test('tampered payload or signature', async () => {
    const value = await signed();
    await expectRejected(value.replace('org-victim', 'org-victio'), 'tampered payload');
    const last = value.at(-1) === 'A' ? 'B' : 'A';
    await expectRejected(value.slice(0, -1) + last, 'tampered signature');
  });

  test('re-padded signature (= added back)', async () => {
    const value = await signed();
    await expectRejected(`${value}%3D`, 're-padded');
    await expectRejected(`${value}=`, 're-padded (raw =)');
  });

  test('truncated signature', async () => {
    const value = await signed();
    await expectRejected(value.slice(0, -1), 'truncated');
    await expectRejected(value.slice(0, value.lastIndexOf('.')), 'signature-less');
  });

  test('signed with a wrong secret', async () => {
    await expectRejected(encodeURIComponent(`s:${sign('org-victim', 'some-other-secret-0123456789abcdef')}`), 'wrong-secret');
  });

  test('unsigned', async () => {
    await expectRejected('org-victim', 'unsigned');
    await expectRejected(encodeURIComponent('j:{"id":"org-victim"}'), 'unsigned JSON');
  });

  test('signed in the @fastify/cookie format (no s: prefix)', async () => {
    const value = encodeURIComponent(fastifySign('org-victim', CURRENT));
    await expectRejected(value, 'fastify-format');
  });
});

describe('the built modules load in Envoy', () => {
  // What Envoy provides (ENVOY-HOST.md): env.proxy_* and a set of WASI calls; nothing else.
  const WASI = new Set([
    'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'environ_get', 'environ_sizes_get', 'args_get',
    'args_sizes_get', 'clock_time_get', 'random_get', 'proc_exit', 'path_open', 'fd_prestat_get', 'fd_prestat_dir_name',
    'poll_oneoff', 'sched_yield',
  ]);

  for (const { file, absolute: path } of [FILTER_WASM, FILTER_DEBUG_WASM, NOOP_WASM, HOST_CALLS_WASM]) {
    test(`${file}: Envoy-provided imports only, ABI 0.2.1, malloc and _initialize exported`, async () => {
      const { readFile } = await import('node:fs/promises');
      const module = new WebAssembly.Module(await readFile(path));
      for (const entry of WebAssembly.Module.imports(module)) {
        const allowed =
          (entry.module === 'env' && entry.name.startsWith('proxy_')) ||
          (entry.module === 'wasi_snapshot_preview1' && WASI.has(entry.name));
        assert.ok(allowed, `${file} imports ${entry.module}.${entry.name}, which Envoy does not provide`);
      }
      const exports = new Set(WebAssembly.Module.exports(module).map((entry) => entry.name));
      for (const name of ['proxy_abi_version_0_2_1', 'malloc', '_initialize', 'memory', 'proxy_on_context_create', 'proxy_on_configure', 'proxy_on_request_headers', 'proxy_on_delete']) {
        assert.ok(exports.has(name), `${file} does not export ${name}`);
      }
    });
  }

  test(`the release module is within its size budget (${SIZE_BUDGET_BYTES} bytes)`, async () => {
    const { stat } = await import('node:fs/promises');
    const { size } = await stat(FILTER_WASM.absolute);
    assert.ok(size <= SIZE_BUDGET_BYTES, `${FILTER_WASM.path} is ${size} bytes, over the ${SIZE_BUDGET_BYTES}-byte budget`);
  });
});
