// get_header_map_pairs on request maps: the codec keeps each header's bytes as it checks them and
// the map serves the pairs from that copy (see src/host/header-map.ts). Whatever the names, values,
// pseudo-headers and changes, the bytes a module reads must be exactly Envoy's layout of the map's
// entries. A module hands the pairs it read back as its local response's headers, which the host
// parses with readPairs, so every byte goes through the round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHost, type HeaderList, type RequestInput } from '../../src/host/index.ts';
import { watToWasm } from './support.ts';

/** A module that reads the request pairs (and with `replace`, writes x-new and reads them again). */
function echoModule(replace: boolean): Uint8Array {
  const again = replace
    ? `(drop (call $replace (i32.const 0) (i32.const 64) (i32.const 5) (i32.const 80) (i32.const 3)))
       (drop (call $pairs (i32.const 0) (i32.const 16) (i32.const 20)))`
    : '';
  return watToWasm('echo.wat', `(module
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "x-new")
  (data (i32.const 80) "new")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32) (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (global.set $heap (i32.const 4096))
    (drop (call $pairs (i32.const 0) (i32.const 16) (i32.const 20)))
    ${again}
    (drop (call $local (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.load (i32.const 16)) (i32.load (i32.const 20)) (i32.const -1)))
    (i32.const 1)))`);
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

const TOKEN = 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomRequest(next: (n: number) => number): RequestInput {
  const headers: HeaderList = [];
  const count = next(14);
  for (let i = 0; i < count; i++) {
    let name = '';
    const nameLength = 1 + next(40);
    for (let k = 0; k < nameLength; k++) name += TOKEN[next(TOKEN.length)];
    if (next(6) === 0) name = ['host', 'Host', 'cookie', 'user-agent', 'x', 'te'][next(6)];
    let value = '';
    const valueLength = next(next(4) === 0 ? 400 : 60);
    for (let k = 0; k < valueLength; k++) {
      const r = next(100);
      value += r < 2 ? '\u00e9' : r < 3 ? '\u20ac' : r < 4 ? '\t' : String.fromCharCode(0x20 + next(95));
    }
    headers.push([name, value]);
  }
  const input: RequestInput = { headers };
  if (next(3) === 0) input.path = '/' + 'p'.repeat(next(300)) + (next(4) === 0 ? '\u20ac' : '');
  if (next(3) === 0) input.authority = 'a'.repeat(next(800)) + (next(5) === 0 ? '\u00e9' : '');
  if (next(4) === 0) input.method = 'POST';
  return input;
}

test('the pairs a module reads are the map\'s entries, byte for byte (names, values, pseudo-headers)', async () => {
  const plugin = await createHost({ wasm: echoModule(false) });
  const next = random(20261122);
  for (let i = 0; i < 1500; i++) {
    const input = randomRequest(next);
    const result = plugin.request(input);
    assert.deepEqual(result.localResponse?.headers, result.headers, `request ${i}: ${JSON.stringify(input).slice(0, 200)}`);
  }
});

test('after a change the pairs show it (the kept copy is dropped)', async () => {
  const plugin = await createHost({ wasm: echoModule(true) });
  const next = random(7);
  for (let i = 0; i < 500; i++) {
    const input = randomRequest(next);
    const result = plugin.request(input);
    assert.equal(result.headers.at(-1)?.[0], 'x-new');
    assert.deepEqual(result.localResponse?.headers, result.headers, `request ${i}: ${JSON.stringify(input).slice(0, 200)}`);
  }
});

test('two plugins in turn keep their own request copies apart', async () => {
  const a = await createHost({ wasm: echoModule(false) });
  const b = await createHost({ wasm: echoModule(false) });
  const next = random(99);
  for (let i = 0; i < 200; i++) {
    const first = a.request(randomRequest(next));
    const second = b.request(randomRequest(next));
    assert.deepEqual(first.localResponse?.headers, first.headers);
    assert.deepEqual(second.localResponse?.headers, second.headers);
  }
});
