// The serialized pairs layout and Envoy's limits on reading it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePairs, readPairs } from '../../src/host/index.ts';

test('layout: u32 count, u32 sizes, then NUL-terminated names and values, little-endian', () => {
  const bytes = encodePairs([['ab', 'c'], ['', 'xyz']]);
  assert.deepEqual(
    [...bytes],
    [2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 97, 98, 0, 99, 0, 0, 120, 121, 122, 0],
  );
  assert.deepEqual(readPairs(bytes, 0, bytes.length), [['ab', 'c'], ['', 'xyz']]);
});

test('malformed buffers read as empty: short, missing NUL, trailing bytes, sizes past the end', () => {
  const good = encodePairs([['a', 'b']]);
  assert.deepEqual(readPairs(good, 0, 3), []);
  const noNul = Buffer.from(good);
  noNul[13] = 0x41;
  assert.deepEqual(readPairs(noNul, 0, noNul.length), []);
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  assert.deepEqual(readPairs(trailing, 0, trailing.length), []);
  const tooLong = Buffer.from(good);
  tooLong.writeUInt32LE(200, 4);
  assert.deepEqual(readPairs(tooLong, 0, tooLong.length), []);
  const countTooHigh = Buffer.from(good);
  countTooHigh.writeUInt32LE(0xffffffff, 0);
  assert.deepEqual(readPairs(countTooHigh, 0, countTooHigh.length), []);
});

test('over 1024 pairs or over 1 MiB reads as empty', () => {
  const many = encodePairs(Array.from({ length: 1025 }, (_, i): [string, string] => [`h${i}`, 'v']));
  assert.deepEqual(readPairs(many, 0, many.length), []);
  const limit = encodePairs(Array.from({ length: 1024 }, (_, i): [string, string] => [`h${i}`, 'v']));
  assert.equal(readPairs(limit, 0, limit.length).length, 1024);
  const big = encodePairs([['big', 'x'.repeat(1024 * 1024)]]);
  assert.deepEqual(readPairs(big, 0, big.length), []);
});
