// The login bench as a tool (not a timing test: no figure is asserted beyond what holds on any
// machine): one short run with real peers — oidc-provider, redis-server, a Sentinel group,
// oauth2-proxy — yields every case with figures > 0, its ratio to the bare server of the same run,
// the failover's errors and recovery, and the budget line; the soak samples memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchLogin, formatLoginBench } from '../../scripts/bench/login.ts';
import { locateOauth2Proxy } from '../../scripts/bench/login-oauth2-proxy.ts';
import { formatLoginSoak, parseSoakDuration, soakLogin } from '../../scripts/bench/login-soak.ts';
import { requireTool } from '../support/tools.ts';

const redisTool = requireTool('redis-server');
const oauth2Proxy = locateOauth2Proxy();
// Like requireTool: absent is a skip on a laptop, a failure under CI (tools:install puts it there).
if (oauth2Proxy.missing && process.env.CI === 'true') throw new Error(`CI=true but ${oauth2Proxy.missing}`);

test('one short login bench run measures every case, the failover and the budget', { skip: redisTool.skip, timeout: 180_000 }, async () => {
  const progress: string[] = [];
  const result = await benchLogin({ runs: 1, durationMs: 400, connections: 4, failoverMs: 9000, onProgress: (line) => progress.push(line) });
  const expected = ['bare-node-200', 'check-memory', 'check-redis', 'check-redis-3-replicas', ...(oauth2Proxy.path ? ['oauth2-proxy-redis'] : [])];
  assert.deepEqual(result.cases.map((c) => c.name), expected, JSON.stringify(result.skipped));
  for (const c of result.cases) {
    for (const figure of [c.checksPerSecond, c.p50Us, c.p99Us, c.ratioToBaseline]) assert.ok(Number.isFinite(figure) && figure > 0, `${c.name}: ${JSON.stringify(c)}`);
    assert.ok(c.p99Us >= c.p50Us, `${c.name}: p99 below p50`);
    assert.equal(c.errors, 0, `${c.name}: every answer was the success answer`);
  }
  assert.equal(result.cases[0]!.ratioToBaseline, 1, 'the bare server is its own reference');

  const failover = result.failover;
  assert.ok(failover, `the failover case ran: ${JSON.stringify(result.skipped)}`);
  for (const figure of [failover.checksPerSecond, failover.p50Us, failover.p99Us, failover.ratioToBaseline]) assert.ok(figure > 0, JSON.stringify(failover));
  assert.ok(failover.errors > 0, 'the gap was seen: checks failed (503) while no master was there');
  assert.ok(failover.recoveredAfterMs > 0, `recovered within the window: ${JSON.stringify(failover)}`);

  const table = formatLoginBench(result);
  for (const name of [...expected, 'check-sentinel-failover']) assert.match(table, new RegExp(`^${name}\\s+\\d+\\s+\\d+\\.\\d\\d×\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'), table);
  assert.match(table, /^failover: master SIGKILLed under load .* recovered \d+ ms after the kill$/m, table);
  if (oauth2Proxy.path) {
    assert.ok(result.budget && result.budget.ratio > 0, JSON.stringify(result.budget));
    assert.match(table, /^(PASS|FAIL) {2}check-redis checks\/s ≥ oauth2-proxy-redis's: [\d.]+$/m, table);
  }
  assert.ok(progress.some((line) => line.startsWith('login bench: run 1/1 done')), progress.join('\n'));
});

test('the soak samples memory from start to end and counts failed answers', { skip: redisTool.skip, timeout: 60_000 }, async () => {
  const result = await soakLogin({ durationMs: 2500, connections: 4, sampleEveryMs: 500, onProgress: () => {} });
  assert.ok(result.samples.length >= 3, `samples: ${JSON.stringify(result.samples)}`);
  for (const s of result.samples) assert.ok(s.rssMb > 0 && s.heapUsedMb > 0 && s.rssMb >= s.heapUsedMb, JSON.stringify(s));
  assert.ok(result.samples.at(-1)!.atMs >= 2000, 'the last sample is taken at the end of the run');
  assert.ok(result.checksPerSecond > 0 && result.p50Us > 0 && result.p99Us >= result.p50Us, JSON.stringify(result));
  assert.equal(result.errors, 0);
  assert.match(formatLoginSoak(result), /^RSS {3}start [\d.]+ MB, end [\d.]+ MB, peak [\d.]+ MB$/m);
});

test('--soak durations', () => {
  assert.equal(parseSoakDuration('10m'), 600_000);
  assert.equal(parseSoakDuration('90s'), 90_000);
  assert.equal(parseSoakDuration('2'), 2000);
  for (const bad of ['', '10x', '-5m', '0.1s', 'm']) assert.equal(parseSoakDuration(bad), undefined, bad);
});
