// Per-stream behaviour: callback order, local responses, traps and fail strategies, logs, WASI,
// metrics and shared data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHost, Status, type HeaderList } from '../../src/host/index.ts';
import { fixture } from './support.ts';

const messages = (logs: { message: string }[]) => logs.map((l) => l.message);

test("Envoy's callback order: create → headers → log → done → delete; ids start at 1 and are never reused", async () => {
  const plugin = await createHost({ wasm: fixture('lifecycle') });
  assert.deepEqual(messages(plugin.request().logs), ['create 2 1', 'headers 2 1', 'log 2', 'done 2', 'delete 2']);
  assert.deepEqual(messages(plugin.request().logs), ['create 3 1', 'headers 3 1', 'log 3', 'done 3', 'delete 3']);
});

test('when an earlier filter answered, only create, log, done and delete run', async () => {
  const plugin = await createHost({ wasm: fixture('lifecycle') });
  assert.deepEqual(messages(plugin.request({ skipHeaders: true }).logs), ['create 2 1', 'log 2', 'done 2', 'delete 2']);
});

test('response headers run between request headers and log when given', async () => {
  const plugin = await createHost({ wasm: fixture('lifecycle') });
  const result = plugin.request({ responseHeaders: [[':status', '200']] });
  assert.deepEqual(messages(result.logs), ['create 2 1', 'headers 2 1', 'response 2', 'log 2', 'done 2', 'delete 2']);
  assert.deepEqual(result.responseHeaders, [[':status', '200']]);
});

const probeRequest = (op: string, extra: HeaderList = []): HeaderList => [['x-op', op], ...extra];

test('Pause from on_request_headers is reported as action "pause"', async () => {
  const plugin = await createHost({ wasm: fixture('probe') });
  assert.equal(plugin.request({ headers: probeRequest('H') }).action, 'pause');
  assert.equal(plugin.request({ headers: probeRequest('g') }).action, 'continue');
});

test('send_local_response yields the local response with status, details, body and headers', async () => {
  const plugin = await createHost({ wasm: fixture('probe') });
  const result = plugin.request({ headers: probeRequest('L') });
  assert.equal(plugin.metrics().status, Status.OK);
  assert.deepEqual(result.localResponse, { status: 403, details: 'denied', body: 'blocked', headers: [['x-why', 'test']] });
  assert.equal(result.action, 'pause');
});

test('a trap fails the VM: fail closed answers 503 wasm_fail_stream now and on later requests, skipping callbacks', async () => {
  const plugin = await createHost({ wasm: fixture('probe'), workers: 2 });
  const trapped = plugin.request({ headers: probeRequest('T'), worker: 0 });
  assert.deepEqual(trapped.localResponse, { status: 503, details: 'wasm_fail_stream', body: '', headers: [] });
  assert.match(messages(trapped.logs).join(), /Function: proxy_on_request_headers failed: unreachable/);
  assert.equal(plugin.failed(0), true);
  const later = plugin.request({ headers: probeRequest('a', [['x-name', 'x-added'], ['x-value', '1']]), worker: 0 });
  assert.equal(later.localResponse?.status, 503);
  assert.equal(later.headers.some(([n]) => n === 'x-added'), false, 'the failed VM runs nothing');
  // the other worker's VM is unaffected
  const other = plugin.request({ headers: probeRequest('a', [['x-name', 'x-added'], ['x-value', '1']]), worker: 1 });
  assert.equal(other.localResponse, null);
  assert.equal(other.headers.some(([n]) => n === 'x-added'), true);
});

test('fail open: after a trap, requests bypass the filter', async () => {
  const plugin = await createHost({ wasm: fixture('probe'), failStrategy: 'FAIL_OPEN' });
  const trapped = plugin.request({ headers: probeRequest('T') });
  assert.equal(trapped.localResponse, null);
  assert.equal(trapped.action, 'continue');
  const later = plugin.request({ headers: probeRequest('a', [['x-name', 'x-added'], ['x-value', '1']]) });
  assert.equal(later.localResponse, null);
  assert.equal(later.headers.some(([n]) => n === 'x-added'), false);
});

test('proxy_log: levels 0–5 map to trace…critical, 6+ is BAD_ARGUMENT, lower than the logger level is dropped', async () => {
  const plugin = await createHost({ wasm: fixture('probe'), logLevel: 'trace' });
  const levels = [];
  for (let level = 0; level <= 5; level++) {
    const result = plugin.request({ headers: probeRequest('l', [['x-name', `m${level}`], ['x-map', String(level)]]) });
    levels.push(result.logs[0]);
  }
  assert.deepEqual(levels.map((l) => l.level), ['trace', 'debug', 'info', 'warn', 'error', 'critical']);
  assert.deepEqual(levels.map((l) => l.message), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  const bad = plugin.request({ headers: probeRequest('l', [['x-name', 'm6'], ['x-map', '6']]) });
  assert.equal(plugin.metrics().status, Status.BAD_ARGUMENT);
  assert.deepEqual(bad.logs, []);
  const quiet = await createHost({ wasm: fixture('probe'), logLevel: 'warn' });
  assert.deepEqual(quiet.request({ headers: probeRequest('l', [['x-name', 'info'], ['x-map', '2']]) }).logs, []);
  assert.equal(quiet.request({ headers: probeRequest('l', [['x-name', 'warn'], ['x-map', '3']]) }).logs.length, 1);
});

test('WASI: environment from env and hostEnvKeys, stdout/stderr as logs, clocks, random, log level', async () => {
  process.env.OC_HOST_TEST_KEY = 'from-host';
  const plugin = await createHost({ wasm: fixture('wasi'), env: { A: '1', B: 'two words' }, hostEnvKeys: ['OC_HOST_TEST_KEY', 'OC_HOST_MISSING'], logLevel: 'warn' });
  const startup = plugin.startupLogs;
  assert.ok(startup.some((l) => l.message === 'to stderr' && l.level === 'error'), 'fd 2 → error');
  assert.ok(!startup.some((l) => l.message === 'to stdout'), 'fd 1 → info, below warn');
  const gauges = plugin.metrics();
  assert.equal(gauges.fd3, 8, 'other descriptors → EBADF');
  assert.equal(gauges.clock0, 0);
  assert.ok(Math.abs(gauges.clockns - Date.now() / 1000) < 60, 'realtime clock in nanoseconds');
  assert.equal(gauges.clock1, 0);
  assert.equal(gauges.clock9, 28, 'unknown clock → EINVAL');
  assert.equal(gauges.random, 0);
  assert.equal(gauges.random_big, 28, 'over 64 KiB → EINVAL');
  assert.equal(gauges.level6, Status.BAD_ARGUMENT);
  assert.equal(gauges.loglevel, 3, 'proxy_get_log_level reports the logger level');
  assert.equal(gauges.after_exit, 1, 'proc_exit returns');
  assert.ok(startup.some((l) => l.level === 'error' && /proc_exit\(3\)/.test(l.message)), 'proc_exit is logged');

  const verbose = await createHost({ wasm: fixture('wasi'), env: { A: '1', B: 'two words' }, hostEnvKeys: ['OC_HOST_TEST_KEY', 'OC_HOST_MISSING'] });
  const environ = verbose.startupLogs[0].message.split('\0').filter(Boolean).sort();
  assert.deepEqual(environ, ['A=1', 'B=two words', 'OC_HOST_TEST_KEY=from-host']);
  assert.ok(verbose.startupLogs.some((l) => l.message === 'to stdout' && l.level === 'info'));
});

test('metrics: counters only go up, gauges set and move, histograms record; ids are checked', async () => {
  const plugin = await createHost({ wasm: fixture('metrics'), workers: 2 });
  const before = plugin.metrics();
  assert.equal(before.s_inc_zero, Status.BAD_ARGUMENT);
  assert.equal(before.s_inc_negative, Status.BAD_ARGUMENT);
  assert.equal(before.s_inc_histogram, Status.BAD_ARGUMENT);
  assert.equal(before.s_bad_type, Status.BAD_ARGUMENT);
  assert.equal(before.s_get_histogram, Status.BAD_ARGUMENT);
  assert.equal(before.s_unknown_id, Status.NOT_FOUND);
  assert.equal(before.s_get_counter, Status.OK);
  plugin.request();
  plugin.request();
  const after = plugin.metrics();
  assert.equal(after.requests, 6, 'both workers add to the same stat: 2 × (1 + 2)');
  assert.equal(after.level, 3);
  assert.equal(after.latency, 42);
});

test('shared data: NOT_FOUND when missing, cas 0 always writes, a stale cas is CAS_MISMATCH, shared across workers', async () => {
  const plugin = await createHost({ wasm: fixture('probe'), workers: 2 });
  const get = (worker: number) => {
    const result = plugin.request({ headers: probeRequest('G', [['x-name', 'k']]), worker });
    const g = plugin.metrics();
    return { status: g.status, cas: g.result, value: result.logs[0]?.message };
  };
  const set = (worker: number, value: string, cas: number) => {
    plugin.request({ headers: probeRequest('S', [['x-name', 'k'], ['x-value', value], ['x-cas', String(cas)]]), worker });
    return plugin.metrics().status;
  };
  assert.equal(get(0).status, Status.NOT_FOUND);
  assert.equal(set(0, 'one', 0), Status.OK);
  const first = get(1);
  assert.equal(first.value, 'one');
  assert.equal(set(1, 'two', first.cas), Status.OK);
  assert.equal(set(0, 'three', first.cas), Status.CAS_MISMATCH);
  assert.equal(get(0).value, 'two');
  assert.equal(set(0, 'four', 0), Status.OK);
  assert.equal(get(1).value, 'four');
});

test('memoryBytes reports a worker VM\'s linear memory', async () => {
  const plugin = await createHost({ wasm: fixture('noop') });
  assert.equal(plugin.memoryBytes(), 65536);
  assert.throws(() => plugin.memoryBytes(3), RangeError);
});

test('a request body is delivered to on_request_body (headers see end_of_stream false) and can be changed', async () => {
  const plugin = await createHost({ wasm: fixture('body') });
  const result = plugin.request({ method: 'POST', body: 'hello' });
  const gauges = plugin.metrics();
  assert.equal(gauges.eos, 0);
  assert.equal(gauges.size, 5);
  assert.equal(gauges.body_eos, 1);
  assert.deepEqual(messages(result.logs), ['hello']);
  assert.equal(result.body?.toString(), 'pre-hello-post');
  assert.equal(gauges.mid, Status.BAD_ARGUMENT, 'Envoy only prepends, replaces from 0, or appends');
  plugin.request({ method: 'GET' });
  assert.equal(plugin.metrics().eos, 1, 'no body: end_of_stream on headers');
});

test('onLog sees every line as it is written, startup included; dropped levels are not passed on', async () => {
  const seen: string[] = [];
  const plugin = await createHost({ wasm: fixture('lifecycle'), onLog: (log) => seen.push(`${log.level}:${log.message}`) });
  assert.deepEqual(seen.slice(0, 3), ['info:create 1 0', 'info:vm_start 1', 'info:configure 1']);
  seen.length = 0;
  const result = plugin.request();
  assert.deepEqual(seen, result.logs.map((l) => `${l.level}:${l.message}`));
  const quiet: string[] = [];
  await createHost({ wasm: fixture('lifecycle'), logLevel: 'warn', onLog: (log) => quiet.push(log.message) });
  assert.deepEqual(quiet, []);
});
