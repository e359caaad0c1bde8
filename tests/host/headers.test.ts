// Header map rules, driven through the probe fixture (tests/host/fixtures/probe.wat).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHost, readPairs, Status, type HeaderList, type Plugin } from '../../src/host/index.ts';
import { fixture } from './support.ts';

const plugin: Plugin = await createHost({ wasm: fixture('probe') });

/** Runs one probe op; returns the result and the probe's gauges. */
function probe(op: string, args: { name?: string; value?: string; map?: number } = {}, headers: HeaderList = []) {
  const request: HeaderList = [['x-op', op]];
  if (args.name !== undefined) request.push(['x-name', args.name]);
  if (args.value !== undefined) request.push(['x-value', args.value]);
  if (args.map !== undefined) request.push(['x-map', String(args.map)]);
  const result = plugin.request({ headers: [...request, ...headers] });
  return { result, gauges: plugin.metrics(), regular: result.headers.filter(([n]) => !n.startsWith(':') && n !== 'x-op' && !['x-name', 'x-value', 'x-map'].includes(n)) };
}

test('names are lower-cased on add and lookups are case-insensitive', () => {
  const { regular, gauges } = probe('a', { name: 'X-Added', value: 'One' });
  assert.equal(gauges.status, Status.OK);
  assert.deepEqual(regular.find(([n]) => n === 'x-added'), ['x-added', 'One']);
  const get = probe('g', { name: 'X-OTHER' }, [['x-other', 'found']]);
  assert.deepEqual(get.result.logs, [{ level: 'info', message: 'found' }]);
});

test('get returns the first entry of a repeated name; a missing name is NOT_FOUND', () => {
  const { result, gauges } = probe('g', { name: 'x-multi' }, [['x-multi', 'first'], ['x-multi', 'second']]);
  assert.equal(gauges.status, Status.OK);
  assert.equal(result.logs[0].message, 'first');
  assert.equal(probe('g', { name: 'x-absent' }).gauges.status, Status.NOT_FOUND);
});

test('add on an inline header folds into the first entry (cookie with "; ", others with ",")', () => {
  const cookie = probe('a', { name: 'cookie', value: 'b=2' }, [['cookie', 'a=1']]);
  assert.deepEqual(cookie.regular.filter(([n]) => n === 'cookie'), [['cookie', 'a=1; b=2']]);
  const forwarded = probe('a', { name: 'x-forwarded-for', value: '10.0.0.2' }, [['x-forwarded-for', '10.0.0.1']]);
  assert.deepEqual(forwarded.regular.filter(([n]) => n === 'x-forwarded-for'), [['x-forwarded-for', '10.0.0.1,10.0.0.2']]);
  const path = probe('a', { name: ':path', value: 'more' });
  assert.deepEqual(path.result.headers[1], [':path', '/,more']);
});

test('add on a non-inline header makes a separate entry', () => {
  const { regular } = probe('a', { name: 'x-list', value: 'b' }, [['x-list', 'a']]);
  assert.deepEqual(regular.filter(([n]) => n === 'x-list'), [['x-list', 'a'], ['x-list', 'b']]);
});

test('replace removes every entry, then adds one at the end', () => {
  const { regular } = probe('r', { name: 'x-dup', value: 'new' }, [['x-dup', '1'], ['x-keep', 'k'], ['x-dup', '2']]);
  assert.deepEqual(regular, [['x-keep', 'k'], ['x-dup', 'new']]);
});

test('remove deletes every entry and is OK when the name is absent', () => {
  const { regular, gauges } = probe('d', { name: 'X-Dup' }, [['x-dup', '1'], ['x-keep', 'k'], ['x-dup', '2']]);
  assert.equal(gauges.status, Status.OK);
  assert.deepEqual(regular, [['x-keep', 'k']]);
  assert.equal(probe('d', { name: 'x-never' }).gauges.status, Status.OK);
});

test('pseudo-headers come first and the pairs layout is Envoy\'s', () => {
  const { result, gauges } = probe('p', {}, [['Host', 'example.test'], ['x-a', 'b']]);
  assert.equal(gauges.status, Status.OK);
  const pairs = readPairs(Buffer.from(result.logs[0].message, 'latin1'), 0, Buffer.byteLength(result.logs[0].message, 'latin1'));
  assert.deepEqual(pairs.slice(0, 4), [[':authority', 'example.test'], [':path', '/'], [':method', 'GET'], [':scheme', 'http']]);
  assert.deepEqual(pairs.slice(-1), [['x-a', 'b']]);
  assert.deepEqual(pairs, result.headers);
});

test('set_header_map_pairs replaces the whole map, pseudo-headers included', () => {
  const { result, gauges } = probe('s', {}, [['x-gone', '1']]);
  assert.equal(gauges.status, Status.OK);
  assert.deepEqual(result.headers, [[':path', '/new'], ['x-set', '1']]);
});

test('malformed pairs are read as an empty list, silently', () => {
  const { result, gauges } = probe('m', {}, [['x-gone', '1']]);
  assert.equal(gauges.status, Status.OK);
  assert.deepEqual(result.headers, []);
});

test('get_header_map_size is the sum of name and value lengths', () => {
  const { result, gauges } = probe('z');
  const expected = result.headers.reduce((sum, [n, v]) => sum + n.length + v.length, 0);
  assert.equal(gauges.status, Status.OK);
  assert.equal(gauges.result, expected);
  assert.equal(gauges.count, result.headers.length, 'on_request_headers gets the number of headers');
});

test('request headers are read-only after Continue (on_log: write BAD_ARGUMENT, read OK)', () => {
  const { result, gauges } = probe('g', { name: ':path' });
  assert.equal(gauges.late, Status.BAD_ARGUMENT);
  assert.equal(gauges.logget, Status.OK);
  assert.equal(result.headers.some(([n]) => n === 'x-late'), false);
});

test('maps that do not exist now are BAD_ARGUMENT (response headers during the request)', () => {
  assert.equal(probe('g', { name: ':status', map: 2 }).gauges.status, Status.BAD_ARGUMENT);
  assert.equal(probe('a', { name: 'x', value: 'y', map: 1 }).gauges.status, Status.BAD_ARGUMENT);
});

test('header bytes pass through unchanged (latin1 byte strings, UTF-8 input encoded)', () => {
  const { result } = probe('g', { name: 'x-bytes' }, [['x-bytes', 'caf\u00e9 \u20ac']]);
  assert.equal(result.logs[0].message, 'café €', 'the module saw the UTF-8 bytes');
  assert.deepEqual(result.headers.find(([n]) => n === 'x-bytes'), ['x-bytes', Buffer.from('café €').toString('latin1')]);
});

test('request headers a codec would refuse are rejected before the module sees them', () => {
  assert.throws(() => plugin.request({ headers: [['x-bad', 'a\r\nb']] }), TypeError);
  assert.throws(() => plugin.request({ headers: [['bad name', 'v']] }), TypeError);
});

test('an empty value comes back as pointer 0, length 0, without allocating; a non-empty one is allocated', () => {
  const empty = probe('g', { name: 'x-empty' }, [['x-empty', '']]);
  assert.equal(empty.gauges.status, Status.OK);
  assert.equal(empty.gauges.result, 0);
  const full = probe('g', { name: 'x-full' }, [['x-full', 'v']]);
  assert.ok(full.gauges.result >= 4096, 'allocated by the module\'s malloc');
});

test('a key outside linear memory is INVALID_MEMORY_ACCESS, not a crash', () => {
  const { result, gauges } = probe('X');
  assert.equal(gauges.status, Status.INVALID_MEMORY_ACCESS);
  assert.equal(result.localResponse, null);
  assert.equal(plugin.failed(), false);
});

test('the module\'s bytes are read on every call: strings that differ in any byte are told apart', () => {
  // Same length, same first, middle and last four bytes (what the host's string cache hashes):
  // only a full comparison tells these apart.
  const base = 'abcdefghijklmnopqrst';
  const variants = [base, `${base.slice(0, 5)}X${base.slice(6)}`, `${base.slice(0, 13)}Y${base.slice(14)}`, base];
  for (const value of variants) {
    const { regular } = probe('r', { name: 'x-same', value });
    assert.deepEqual(regular.filter(([n]) => n === 'x-same'), [['x-same', value]]);
  }
  for (const name of ['x-name-aaaa-bbbb-cccc', 'x-name-aZaa-bbbb-cccc', 'x-name-aaaa-bbbb-cZcc']) {
    const { regular } = probe('r', { name, value: 'v' });
    assert.deepEqual(regular.filter(([n]) => n.startsWith('x-name-')), [[name.toLowerCase(), 'v']]);
  }
});

test('remove and replace find a name of any length, short or long, among names of every length', () => {
  const names = Array.from({ length: 45 }, (_, i) => `x${'a'.repeat(i)}`); // lengths 1 to 45
  const request: HeaderList = names.map((name) => [name, String(name.length)]);
  for (const length of [1, 5, 20, 30, 31, 32, 33, 45]) {
    const name = names[length - 1];
    const removed = probe('d', { name }, request).regular.map(([n]) => n);
    assert.equal(removed.includes(name), false, `length ${length} removed`);
    assert.equal(removed.length, names.length - 1, `only length ${length} removed`);
    const replaced = probe('r', { name, value: 'new' }, request).regular;
    assert.deepEqual(replaced.filter(([n]) => n === name), [[name, 'new']]);
    assert.equal(replaced.length, names.length);
  }
  // A long name that no entry has, next to other long names: added, nothing else removed.
  const absent = `y${'b'.repeat(39)}`;
  const replaced = probe('r', { name: absent, value: 'v' }, request).regular;
  assert.equal(replaced.length, names.length + 1);
  assert.deepEqual(replaced.at(-1), [absent, 'v']);
});
