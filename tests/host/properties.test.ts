// proxy_get_property: paths, values and Envoy's encodings, through probe.wat's op P (the plugin
// configuration is the property path, segments separated by NUL).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHost, readPairs, Status, type RequestInput } from '../../src/host/index.ts';
import { fixture } from './support.ts';

async function property(path: string[], input: RequestInput = {}, options: { pluginName?: string; vmId?: string; rootId?: string } = {}) {
  const plugin = await createHost({ wasm: fixture('probe'), pluginConfig: path.join('\0'), ...options });
  const result = plugin.request({ ...input, headers: [['x-op', 'P'], ...(input.headers ?? [])] });
  const gauges = plugin.metrics();
  const value = result.headers.find(([name]) => name === 'x-prop')?.[1] ?? '';
  const bytes = Buffer.from(value, 'latin1');
  return { status: gauges.status, size: gauges.result, text: bytes.toString('utf8'), bytes };
}

test('request attributes come from the request headers', async () => {
  const input: RequestInput = { method: 'PUT', path: '/a/b?x=1&y', authority: 'app.test', scheme: 'https', headers: [['x-request-id', 'rid-1'], ['user-agent', 'ua/1'], ['referer', 'https://r.test/']] };
  const expect = async (path: string, value: string) => {
    const got = await property(['request', path], input);
    assert.equal(got.status, Status.OK, path);
    assert.equal(got.text, value, path);
  };
  await expect('path', '/a/b?x=1&y');
  await expect('url_path', '/a/b');
  await expect('query', 'x=1&y');
  await expect('host', 'app.test');
  await expect('method', 'PUT');
  await expect('scheme', 'https');
  await expect('id', 'rid-1');
  await expect('useragent', 'ua/1');
  await expect('referer', 'https://r.test/');
});

test('request.headers.<name> joins repeated values with ","; missing → NOT_FOUND', async () => {
  const got = await property(['request', 'headers', 'x-r'], { headers: [['x-r', 'a'], ['X-R', 'b']] });
  assert.equal(got.text, 'a,b');
  assert.equal((await property(['request', 'headers', 'x-none'])).status, Status.NOT_FOUND);
});

test('request.headers is the whole map in the pairs layout', async () => {
  const got = await property(['request', 'headers'], { headers: [['x-a', '1']] });
  assert.deepEqual(readPairs(got.bytes, 0, got.bytes.length).slice(-1), [['x-a', '1']]);
});

test('request.time is an 8-byte little-endian timestamp in nanoseconds', async () => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const got = await property(['request', 'time']);
  assert.equal(got.size, 8);
  const nanos = got.bytes.readBigInt64LE(0);
  assert.ok(nanos >= before && nanos <= before + 60_000_000_000n);
});

test('source.address is "ip:port"; source.port an 8-byte integer', async () => {
  assert.equal((await property(['source', 'address'], { sourceAddress: '10.1.2.3:4567' })).text, '10.1.2.3:4567');
  const port = await property(['source', 'port'], { sourceAddress: '10.1.2.3:4567' });
  assert.equal(port.bytes.readBigInt64LE(0), 4567n);
});

test('plugin_name, plugin_root_id and plugin_vm_id come from the plugin options', async () => {
  const options = { pluginName: 'my-plugin', rootId: 'my-root', vmId: 'my-vm' };
  assert.equal((await property(['plugin_name'], {}, options)).text, 'my-plugin');
  assert.equal((await property(['plugin_root_id'], {}, options)).text, 'my-root');
  assert.equal((await property(['plugin_vm_id'], {}, options)).text, 'my-vm');
});

test('metadata.filter_metadata reaches jwt_authn\'s payload with Struct encodings', async () => {
  const jwtPayload = { sub: 'user-1', orgs: ['o1', 'o2'], admin: true, n: 1.5, nothing: null, nested: { k: 'v' } };
  const at = (...keys: string[]) => property(['metadata', 'filter_metadata', 'envoy.filters.http.jwt_authn', 'payload', ...keys], { jwtPayload });
  assert.equal((await at('sub')).text, 'user-1');
  const list = await at('orgs');
  assert.deepEqual(readPairs(list.bytes, 0, list.bytes.length), [['o1', ''], ['o2', '']], 'lists: elements as keys, empty values');
  assert.deepEqual([...(await at('admin')).bytes], [1], 'bools: one byte');
  assert.equal((await at('n')).bytes.readDoubleLE(0), 1.5, 'numbers: 8-byte doubles');
  const nested = await at('nested');
  assert.deepEqual(readPairs(nested.bytes, 0, nested.bytes.length), [['k', 'v']]);
  assert.equal((await at('nothing')).status, Status.SERIALIZATION_FAILURE, 'null → SERIALIZATION_FAILURE');
  assert.equal((await at()).status, Status.SERIALIZATION_FAILURE, 'a null anywhere inside fails the whole value');
  assert.equal((await at('absent')).status, Status.NOT_FOUND);
});

test('other metadata namespaces are reachable and unknown paths are NOT_FOUND', async () => {
  const got = await property(['metadata', 'filter_metadata', 'my.ns', 'k'], { metadata: { 'my.ns': { k: 'v' } } });
  assert.equal(got.text, 'v');
  assert.equal((await property(['no', 'such', 'thing'])).status, Status.NOT_FOUND);
  assert.equal((await property(['request'])).status, Status.NOT_FOUND);
});
