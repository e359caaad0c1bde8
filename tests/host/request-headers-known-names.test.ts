// The request codec's common case (src/host/request-codec.ts, writeEntriesFast): names it has validated
// before and printable ASCII values are written with one native copy and checked a word at a time.
// Whatever the headers, a request must come out exactly as the header-by-header path makes it:
// same entries, same bytes for the module, same error (the first invalid header, in order).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHost, type HeaderList, type RequestResult } from '../../src/host/index.ts';
import { watToWasm } from './support.ts';

/** Reads the request pairs and hands them back as its local response's headers. */
const ECHO = watToWasm('echo.wat', `(module
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
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
    (drop (call $local (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.load (i32.const 16)) (i32.load (i32.const 20)) (i32.const -1)))
    (i32.const 1)))`);

function outcome(run: () => RequestResult): unknown {
  try {
    const result = run();
    assert.deepEqual(result.localResponse?.headers, result.headers, 'the module reads the map\'s entries byte for byte');
    return result.headers;
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

test('known names: every character class gives what the first (header-by-header) request gave', async () => {
  const plugin = await createHost({ wasm: ECHO });
  const samples = ['plain value', '', 'x', 'tab\there', 'ctl\u0001', 'del\u007f', 'nul\u0000', 'cr\rlf\n', 'latin \u00e9', 'euro \u20ac', '~}|{ !', 'a'.repeat(301), `${'b'.repeat(45)}\u0080`];
  // Every sample at every position of a three-header request, twice: the first time the names are
  // new (exact path), afterwards they are known (fast path); both must agree.
  let round = 0;
  for (const value of samples) {
    for (let position = 0; position < 3; position++) {
      const prefix = `x-codec-${round++}`;
      const headers: HeaderList = [[`${prefix}-a`, 'first'], [`${prefix}-b`, 'second'], [`${prefix}-c`, 'third']];
      headers[position] = [headers[position][0], value];
      const input = { headers: [...headers, ['Host', 'example.org'] as [string, string]] };
      const first = outcome(() => plugin.request(input));
      const again = outcome(() => plugin.request(input));
      assert.deepEqual(again, first, `${JSON.stringify(value)} at ${position}`);
    }
  }
});

test('known names: the first invalid header in order is the one reported', async () => {
  const plugin = await createHost({ wasm: ECHO });
  plugin.request({ headers: [['x-one', 'a'], ['x-two', 'b']] });
  assert.throws(() => plugin.request({ headers: [['x-one', 'bad\u0001'], ['bad name', 'b']] }), /invalid request header "x-one"/);
  assert.throws(() => plugin.request({ headers: [['x-one', 'a'], ['x-two', 'bad\n'], ['host', 'h\u0002']] }), /invalid request header "x-two"/);
  assert.throws(() => plugin.request({ headers: [['host', 'h\u0002'], ['x-two', 'bad\n']] }), /invalid request header "host"/);
  assert.throws(() => plugin.request({ headers: [['x-one', 5 as unknown as string]] }), /invalid request header "x-one"/);
});

test('known names: Host becomes :authority, pseudo-headers in the list are dropped, upper-case names are lower-cased', async () => {
  const plugin = await createHost({ wasm: ECHO });
  const input = { path: '/p', headers: [['X-Mixed', 'v1'], ['Host', 'h.example'], [':path', '/ignored'], ['host', 'second'], ['x-last', 'v2']] as HeaderList };
  const first = plugin.request(input);
  const again = plugin.request(input);
  assert.deepEqual(again.headers, first.headers);
  assert.deepEqual(again.headers, [[':authority', 'h.example'], [':path', '/p'], [':method', 'GET'], [':scheme', 'http'], ['x-mixed', 'v1'], ['x-last', 'v2']]);
  assert.deepEqual(again.localResponse?.headers, again.headers);
});

test('known names: a value that grows the image area and then needs the exact path (a tab, a wide character)', async () => {
  const learn = await createHost({ wasm: ECHO });
  learn.request({ headers: [['x-grow-a', 'a'], ['x-grow-b', 'b'], ['x-grow-c', 'c']] }); // the names become known
  for (const odd of ['\t', '\u0001', '\u00e9', '\u20ac']) {
    for (const size of [3000, 9000, 40000]) {
      // A new plugin: its image area has never grown.
      const plugin = await createHost({ wasm: ECHO });
      const input = { headers: [['x-grow-a', 'a'], ['x-grow-b', `${'v'.repeat(size)}${odd}`], ['x-grow-c', 'c']] as HeaderList };
      const result = outcome(() => plugin.request(input));
      const again = outcome(() => plugin.request(input));
      assert.deepEqual(again, result, `${JSON.stringify(odd)} after ${size} bytes`);
      if (odd !== '\u0001') assert.equal((result as HeaderList).find(([name]) => name === 'x-grow-c')?.[1], 'c');
    }
  }
});
