// Loading rules: what Envoy refuses, start restrictions, allocator choice, canary configure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createHost, ModuleRejectedError, PluginConfigError, PluginStartError } from '../../src/host/index.ts';
import { fixture, watToWasm } from './support.ts';

const noopSource = readFileSync(new URL('fixtures/noop.wat', import.meta.url), 'utf8');
/** The no-op fixture with extra module fields spliced in before its closing parenthesis. */
const noopWith = (fields: string, replace: [string, string] = ['', '']) =>
  watToWasm('variant.wat', noopSource.replace(replace[0], replace[1]).replace(/\)\s*$/, `${fields})\n`));
const importFirst = (line: string) => watToWasm('variant.wat', noopSource.replace('(module', `(module\n${line}`));

test('the no-op fixture loads and passes a request through unchanged', async () => {
  const plugin = await createHost({ wasm: fixture('noop') });
  const result = plugin.request({ method: 'POST', path: '/a?b', headers: [['X-Thing', 'v']] });
  assert.deepEqual(result.headers, [[':authority', 'localhost'], [':path', '/a?b'], [':method', 'POST'], [':scheme', 'http'], ['x-thing', 'v']]);
  assert.equal(result.localResponse, null);
  assert.equal(result.action, 'continue');
});

test('bytes that are not WebAssembly are refused', async () => {
  await assert.rejects(createHost({ wasm: new Uint8Array([0, 1, 2, 3]) }), ModuleRejectedError);
});

test('a module without the ABI 0.2.1 marker is refused, naming the marker', async () => {
  const wasm = watToWasm('no-abi.wat', noopSource.replace('(func (export "proxy_abi_version_0_2_1"))', ''));
  await assert.rejects(createHost({ wasm }), (error: Error) => error instanceof ModuleRejectedError && error.message.includes('proxy_abi_version_0_2_1'));
});

test('a module of another ABI version is refused, naming its version', async () => {
  const wasm = watToWasm('abi-010.wat', noopSource.replace('proxy_abi_version_0_2_1', 'proxy_abi_version_0_1_0'));
  await assert.rejects(createHost({ wasm }), /proxy_abi_version_0_1_0/);
});

for (const name of ['abort', 'trace', 'seed']) {
  test(`AssemblyScript's default env.${name} import is refused by name`, async () => {
    const wasm = importFirst(`(import "env" "${name}" (func (param i32 i32 i32 i32)))`);
    await assert.rejects(createHost({ wasm }), (error: Error) => error instanceof ModuleRejectedError && error.message.includes(`env.${name}`));
  });
}

test('imports from an unknown module, non-function imports and unknown WASI calls are refused', async () => {
  await assert.rejects(createHost({ wasm: importFirst('(import "host" "now" (func (result i32)))') }), /host\.now/);
  await assert.rejects(createHost({ wasm: importFirst('(import "env" "table" (table 1 funcref))') }), /table env\.table/);
  await assert.rejects(createHost({ wasm: importFirst('(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))') }), /sock_accept/);
});

test('every ABI 0.2.1 host function and Envoy WASI function is accepted, under both WASI names', async () => {
  const lines = [
    '(import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))',
    '(import "env" "proxy_get_log_level" (func (param i32) (result i32)))',
    '(import "env" "proxy_continue_stream" (func (param i32) (result i32)))',
    '(import "env" "proxy_close_stream" (func (param i32) (result i32)))',
    '(import "env" "proxy_increment_metric" (func (param i32 i64) (result i32)))',
    '(import "env" "proxy_call_foreign_function" (func (param i32 i32 i32 i32 i32 i32) (result i32)))',
    '(import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
    '(import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))',
    '(import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))',
    '(import "wasi_snapshot_preview1" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))',
  ];
  const plugin = await createHost({ wasm: importFirst(lines.join('\n')) });
  assert.equal(plugin.request().action, 'continue');
});

test('an import with a signature other than Envoy\'s is refused', async () => {
  const wasm = importFirst('(import "env" "proxy_log" (func (param i32 i32) (result i32)))');
  await assert.rejects(createHost({ wasm }), /env\.proxy_log with signature \(i32,i32->i32\)/);
  const v1only = importFirst('(import "env" "proxy_continue_request" (func (result i32)))');
  await assert.rejects(createHost({ wasm: v1only }), /proxy_continue_request/);
});

test('a module without malloc or proxy_on_memory_allocate is refused', async () => {
  const wasm = watToWasm('no-malloc.wat', noopSource.replace('(export "malloc")', ''));
  await assert.rejects(createHost({ wasm }), /allocator/);
});

test('without malloc the host allocates through proxy_on_memory_allocate', async () => {
  const plugin = await createHost({ wasm: fixture('alloc-fallback') });
  const result = plugin.request({ path: '/copied' });
  assert.deepEqual(result.headers.find(([name]) => name === 'x-copy'), ['x-copy', '/copied']);
});

test('calling a proxy_* function other than logging while starting fails the load', async () => {
  await assert.rejects(
    createHost({ wasm: fixture('restricted-start') }),
    (error: Error) => error instanceof PluginStartError && /proxy_get_property is not allowed while the module starts/.test(error.message),
  );
});

test('a host call from inside the allocator fails the VM (fail closed → 503)', async () => {
  const plugin = await createHost({ wasm: fixture('restricted-malloc') });
  const result = plugin.request();
  assert.equal(result.localResponse?.status, 503);
  assert.equal(result.localResponse?.details, 'wasm_fail_stream');
  assert.match(result.logs.map((l) => l.message).join('\n'), /proxy_get_property is not allowed while the module allocates/);
  assert.equal(plugin.failed(), true);
});

test('on_configure returning false rejects the plugin on the canary, with the plugin\'s own message and logs', async () => {
  await assert.rejects(createHost({ wasm: fixture('configure'), pluginConfig: '"no"' }), (error: Error) => {
    assert.ok(error instanceof PluginConfigError);
    assert.equal(error.message, "setting 'mode' must be yes");
    assert.deepEqual(error.logs, [{ level: 'critical', message: "setting 'mode' must be yes" }]);
    return true;
  });
  const plugin = await createHost({ wasm: fixture('configure'), pluginConfig: '"yes"' });
  assert.equal(plugin.request().action, 'continue');
});

test('the canary, the main thread and every worker run start, vm_start and configure; globals are per worker', async () => {
  const plugin = await createHost({ wasm: fixture('lifecycle'), workers: 3 });
  // one on_configure for the canary, one for the main thread's VM, one per worker (as Envoy)
  assert.equal(plugin.metrics().configured, 5);
  const starts = plugin.startupLogs.map((l) => l.message);
  assert.deepEqual(starts.slice(0, 3), ['create 1 0', 'vm_start 1', 'configure 1']);
  assert.equal(starts.filter((m) => m === 'configure 1').length, 5);
  for (let i = 0; i < 3; i++) plugin.request({ worker: 1 });
  plugin.request({ worker: 2 });
  // `seen` is the last value a worker recorded from its own global counter
  assert.equal(plugin.metrics().seen, 1);
  plugin.request({ worker: 1 });
  assert.equal(plugin.metrics().seen, 4);
});
