// proxy_increment_metric runs in a small wasm module (src/host/metric-cells.ts) so its i64 offset
// never becomes a BigInt; these check that every rule of the JS import still holds on that path:
// restricted phases, unknown ids (inside and outside its id table), counters vs gauges, metrics
// shared between workers, ids past the table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginStartError } from '../../src/host/errors.ts';
import { createHost } from '../../src/host/index.ts';
import { watToWasm } from './support.ts';

const HEADER = `
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $record (param i32 i64) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "count")
  (data (i32.const 32) "gauge")
  (data (i32.const 48) "status")
  (func (export "proxy_abi_version_0_2_1"))
  (func $report (param $status i32)
    (drop (call $define (i32.const 1) (i32.const 48) (i32.const 6) (i32.const 412)))
    (drop (call $record (i32.load (i32.const 412)) (i64.extend_i32_u (local.get $status)))))`;

test('increment from the allocator fails the VM, as every host call there does', async () => {
  const wasm = watToWasm('m.wat', `(module ${HEADER}
  (data (i32.const 64) ":path")
  (func (export "malloc") (param $size i32) (result i32)
    (drop (call $increment (i32.load (i32.const 400)) (i64.const 1)))
    (i32.const 4096))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $define (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 400)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $increment (i32.load (i32.const 400)) (i64.const 1)))
    (drop (call $get (i32.const 0) (i32.const 64) (i32.const 5) (i32.const 300) (i32.const 304)))
    (i32.const 0)))`);
  const plugin = await createHost({ wasm });
  const result = plugin.request();
  assert.equal(result.localResponse?.status, 503);
  assert.match(result.logs.map((l) => l.message).join('\n'), /proxy_increment_metric is not allowed while the module allocates/);
  assert.equal(plugin.failed(), true);
  assert.equal(plugin.metrics().count, 1, 'the increment before the allocator counted, the one inside did not');
});

test('increment while the module starts fails the load', async () => {
  const wasm = watToWasm('m.wat', `(module ${HEADER}
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "_initialize") (drop (call $increment (i32.const 1) (i64.const 1)))))`);
  await assert.rejects(createHost({ wasm }), (error: Error) => error instanceof PluginStartError && /proxy_increment_metric is not allowed while the module starts/.test(error.message));
});

const NAMED = `
  (data (i32.const 64) "s0")
  (data (i32.const 80) "s7")
  (data (i32.const 96) "sneg")
  (data (i32.const 128) "late")
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func $named (param $name i32) (param $len i32) (param $status i32)
    (drop (call $define (i32.const 1) (local.get $name) (local.get $len) (i32.const 420)))
    (drop (call $record (i32.load (i32.const 420)) (i64.extend_i32_u (local.get $status)))))`;

test('increment: unknown ids inside and outside the id table, counters only up, gauges both ways, workers share', async () => {
  const wasm = watToWasm('m.wat', `(module ${HEADER} ${NAMED}
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $define (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 400)))
    (drop (call $define (i32.const 1) (i32.const 32) (i32.const 5) (i32.const 404)))
    (call $named (i32.const 64) (i32.const 2) (call $increment (i32.const 0) (i64.const 1)))
    (call $named (i32.const 80) (i32.const 2) (call $increment (i32.const 4000) (i64.const 1)))
    (call $named (i32.const 96) (i32.const 4) (call $increment (i32.load (i32.const 400)) (i64.const -5)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $increment (i32.load (i32.const 400)) (i64.const 3)))
    (drop (call $increment (i32.load (i32.const 404)) (i64.const -2)))
    (i32.const 0)))`);
  const plugin = await createHost({ wasm, workers: 2 });
  const before = plugin.metrics();
  assert.equal(before.s0, 1, 'id 0: NOT_FOUND');
  assert.equal(before.s7, 1, 'an id inside the table but never defined: NOT_FOUND');
  assert.equal(before.sneg, 2, 'a counter does not go down: BAD_ARGUMENT');
  plugin.request();
  plugin.request();
  const after = plugin.metrics();
  assert.equal(after.count, 6, 'both workers add to the same counter');
  assert.equal(after.gauge, -4);
});

test('increment: ids past the id table, 64-bit offsets rounded as Number(BigInt) rounds them', async () => {
  const wasm = watToWasm('m.wat', `(module ${HEADER} ${NAMED}
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (local $i i32)
    ;; 5000 ids for the same counter: the last ones lie past the wasm id table
    (block $done (loop $more
      (br_if $done (i32.ge_u (local.get $i) (i32.const 5000)))
      (drop (call $define (i32.const 0) (i32.const 128) (i32.const 4) (i32.const 408)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $more)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $increment (i32.const 3) (i64.const 9007199254740993)))
    (drop (call $increment (i32.load (i32.const 408)) (i64.const 9007199254740993)))
    (i32.const 0)))`);
  const plugin = await createHost({ wasm });
  plugin.request();
  assert.equal(plugin.metrics().late, 2 * Number(9007199254740993n));
});
