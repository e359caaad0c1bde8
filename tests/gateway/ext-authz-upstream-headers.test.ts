// The gateway's ext_authz stage changes the upstream request as Envoy's HTTP ext_authz does on a
// 200: the auth answer's headers named in headersToUpstreamOnAllow are *set* (every client entry
// replaced by one), then the headers named in `x-envoy-auth-headers-to-remove` are removed (any
// number of entries, comma-separated, never pseudo-headers or host); the instruction itself never
// travels on. On a denial neither happens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createExtAuthz, EXT_AUTHZ_DEFAULTS, type ExtAuthz } from '../../src/gateway/filters/ext-authz.ts';
import type { HeaderList } from '../../src/gateway/headers.ts';
import type { FilterRequest } from '../../src/gateway/types.ts';
import { AUTH_HEADERS_TO_REMOVE } from '../../src/topology/ext-authz.ts';
import { listen, type TestServer } from './support.ts';

type Answer = { status: number; headers: string[] };

describe('ext_authz: upstream headers on allow', () => {
  let auth: TestServer;
  let answer: Answer = { status: 200, headers: [] };
  let extAuthz: ExtAuthz;

  before(async () => {
    auth = await listen((req, res) => {
      req.resume();
      // A flat list, so a name may repeat as Envoy may receive it.
      res.writeHead(answer.status, answer.headers);
      res.end();
    });
    extAuthz = createExtAuthz({ service: auth.url, timeoutMs: 1000 });
  });

  after(async () => {
    await extAuthz.close();
    await auth.close();
  });

  function filterRequest(headers: HeaderList): FilterRequest {
    return { method: 'GET', path: '/user/me', authority: 'localhost:8443', scheme: 'https', headers, metadata: {}, responseHeaders: [] };
  }

  async function allowWith(headers: string[], requestHeaders: HeaderList): Promise<HeaderList> {
    answer = { status: 200, headers };
    const request = filterRequest(requestHeaders);
    assert.equal(await extAuthz.check(request), undefined, 'allowed');
    return request.headers;
  }

  const values = (headers: HeaderList, name: string) => headers.filter(([candidate]) => candidate === name).map(([, value]) => value);

  test('the deployed provider forwards the login service’s cookie header', () => {
    assert.ok(EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow.includes('cookie'));
    assert.ok(EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow.includes('authorization'));
  });

  test('an allowed `cookie` replaces every cookie line the client sent', async () => {
    const seen = await allowWith(
      ['authorization', 'Bearer t', 'cookie', 'a=1; previouslySelectedOrganisation=s%3Aorg.sig'],
      [['cookie', 'a=1'], ['x-other', 'kept'], ['cookie', '__Host-oc-session=secret; previouslySelectedOrganisation=s%3Aorg.sig']],
    );
    assert.deepEqual(values(seen, 'cookie'), ['a=1; previouslySelectedOrganisation=s%3Aorg.sig']);
    assert.deepEqual(values(seen, 'authorization'), ['Bearer t']);
    assert.deepEqual(values(seen, 'x-other'), ['kept']);
  });

  test('x-envoy-auth-headers-to-remove removes every entry of each named header', async () => {
    const seen = await allowWith(
      [AUTH_HEADERS_TO_REMOVE, 'cookie', AUTH_HEADERS_TO_REMOVE, ' X-Debug , ,x-trace'],
      [['cookie', 'a=1'], ['cookie', '__Host-oc-session=secret'], ['x-debug', '1'], ['x-trace', '2'], ['x-keep', '3']],
    );
    assert.deepEqual(seen, [['x-keep', '3']]);
  });

  test('removal runs after the allowed headers are set, as in Envoy', async () => {
    const seen = await allowWith(['cookie', 'a=1', AUTH_HEADERS_TO_REMOVE, 'cookie'], [['cookie', '__Host-oc-session=secret']]);
    assert.deepEqual(values(seen, 'cookie'), []);
  });

  test('host and pseudo-headers are never removed; the instruction itself is never forwarded', async () => {
    const seen = await allowWith([AUTH_HEADERS_TO_REMOVE, 'host, :path, :authority'], [['host', 'localhost:8443'], [':path', '/user/me']]);
    assert.deepEqual(values(seen, 'host'), ['localhost:8443']);
    assert.deepEqual(values(seen, ':path'), ['/user/me']);
    assert.deepEqual(values(seen, AUTH_HEADERS_TO_REMOVE), []);

    const listed = createExtAuthz({ service: auth.url, timeoutMs: 1000, headersToUpstreamOnAllow: ['cookie', AUTH_HEADERS_TO_REMOVE] });
    try {
      answer = { status: 200, headers: [AUTH_HEADERS_TO_REMOVE, 'x-debug'] };
      const request = filterRequest([['x-debug', '1']]);
      assert.equal(await listed.check(request), undefined);
      assert.deepEqual(request.headers, []);
    } finally {
      await listed.close();
    }
  });

  test('a denial changes nothing on the request', async () => {
    answer = { status: 401, headers: ['cookie', 'a=1', AUTH_HEADERS_TO_REMOVE, 'cookie', 'content-type', 'application/json'] };
    const request = filterRequest([['cookie', '__Host-oc-session=stale']]);
    const denied = await extAuthz.check(request);
    assert.equal(denied?.status, 401);
    assert.deepEqual(request.headers, [['cookie', '__Host-oc-session=stale']]);
    assert.ok(!denied!.headers.some(([name]) => name === AUTH_HEADERS_TO_REMOVE || name === 'cookie'), 'neither reaches the client');
  });
});
