// HeaderMap directly: the bookkeeping that lets remove skip its scan (the set of name lengths) must
// never hide an entry, whichever way the map was built or changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderMap, lengthBit } from '../../src/host/header-map.ts';

test('a map built without its length set still finds every name', () => {
  const map = HeaderMap.fromEntries(['a', 'bb', 'x'.repeat(40)], ['1', '2', '3']);
  map.remove('x'.repeat(40));
  map.remove('bb');
  assert.deepEqual(map.toList(), [['a', '1']]);
});

test('names added after a clear, by add or replace, are found again', () => {
  const names = ['host-a', 'x-one'];
  const map = HeaderMap.fromEntries(names, ['1', '2'], -1, 1 | lengthBit(6) | lengthBit(5));
  map.clear();
  map.add('x-added-later', 'v');
  map.replace('y'.repeat(33), 'w');
  map.add('z'.repeat(50), 'u');
  assert.equal(map.size, 3);
  map.remove('x-added-later');
  map.remove('z'.repeat(50));
  assert.deepEqual(map.toList(), [['y'.repeat(33), 'w']]);
  map.replace('y'.repeat(33), 'again');
  assert.deepEqual(map.toList(), [['y'.repeat(33), 'again']]);
});

test('removing an absent name changes nothing, and a name of a removed length can come back', () => {
  const map = HeaderMap.fromEntries(['cookie', 'accept'], ['a=1', '*/*'], -1, 1 | lengthBit(6));
  map.remove('absent-name');
  map.remove('cookie');
  assert.deepEqual(map.toList(), [['accept', '*/*']]);
  map.add('origin', 'o');
  map.remove('accept');
  assert.deepEqual(map.toList(), [['origin', 'o']]);
});
