// The login bench as a tool (not a timing test: no figure is asserted beyond what holds on any
// machine): one short run with real peers — oidc-provider, redis-server, a Sentinel group,
// oauth2-proxy, every server its own process, wrk as the load — yields every case with figures > 0,
// its ratio to the bare server of the same run, the failover's errors and recovery, and the budget
// line; the soak reads the child's memory and judges it flat.
//
// The run happens in a process of its own whose stdout must be the JSON report and nothing else,
// as `oc-edge bench --only login --json` prints it: anything in that process — oidc-provider's
// NOTICE lines, a child service's logs — that reached stdout would break the parse.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { formatLoginBench, type LoginBenchResult } from '../../scripts/bench/login.ts';
import { locateOauth2Proxy } from '../../scripts/bench/login-oauth2-proxy.ts';
import { HEAP_GROWTH_LIMIT_MB, RSS_GROWTH_LIMIT_MB, formatLoginSoak, judgeFlat, parseSoakDuration, soakLogin } from '../../scripts/bench/login-soak.ts';
import { requireTool } from '../support/tools.ts';
import { usableCpus } from '../../src/login/cluster/cpus.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';

const redisTool = requireTool('redis-server');
const wrkTool = requireTool('wrk');
const skip = redisTool.skip ?? wrkTool.skip;
const oauth2Proxy = locateOauth2Proxy();
// Like requireTool: absent is a skip on a laptop, a failure under CI (tools:install puts it there).
if (oauth2Proxy.missing && process.env.CI === 'true') throw new Error(`CI=true but ${oauth2Proxy.missing}`);

// What `bench --json` does around benchLogin: progress on stderr, the report alone on stdout.
const TINY_BENCH = `
const { benchLogin } = await import('./scripts/bench/login.ts');
const login = await benchLogin({ runs: 1, durationMs: 1000, warmupMs: 0, connections: 4, failoverMs: 9000, onProgress: (line) => process.stderr.write(line + '\\n') });
process.stdout.write(JSON.stringify({ login }, null, 2) + '\\n');
`;

function runTinyBench(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', TINY_BENCH], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`the tiny bench exited ${code}:\n${stderr.slice(-3000)}`))));
  });
}

test('one short login bench run measures every case, the failover and the budget', { skip, timeout: 180_000 }, async () => {
  const { stdout, stderr } = await runTinyBench();
  const progress = stderr.split('\n');
  let report: { login: LoginBenchResult };
  assert.doesNotThrow(() => (report = JSON.parse(stdout)), `stdout is only the JSON report:\n${stdout.slice(0, 2000)}`);
  const result = report!.login;
  const expected = ['bare-node-200', 'check-memory', 'check-redis', 'check-redis-workers', 'check-redis-3-replicas', ...(oauth2Proxy.path ? ['oauth2-proxy-redis'] : [])];
  assert.deepEqual(result.cases.map((c) => c.name), expected, JSON.stringify(result.skipped));
  for (const c of result.cases) {
    for (const figure of [c.checksPerSecond, c.p50Us, c.p99Us, c.ratioToBaseline]) assert.ok(Number.isFinite(figure) && figure > 0, `${c.name}: ${JSON.stringify(c)}`);
    assert.ok(c.p99Us >= c.p50Us, `${c.name}: p99 below p50`);
    assert.equal(c.errors, 0, `${c.name}: every answer was the success answer`);
  }
  assert.equal(result.cases.find((c) => c.name === 'check-redis-3-replicas')!.connections, 6, 'the connections are split evenly, two per replica');
  assert.equal(result.cases[0]!.ratioToBaseline, 1, 'the bare server is its own reference');
  assert.deepEqual(
    result.cases.map((c) => c.processes),
    expected.map((name) => (name === 'check-redis-workers' ? usableCpus() : name === 'check-redis-3-replicas' ? 3 : 1)),
    'WORKERS=auto runs a worker per usable CPU',
  );

  const failover = result.failover;
  assert.ok(failover, `the failover case ran: ${JSON.stringify(result.skipped)}`);
  for (const figure of [failover.checksPerSecond, failover.p50Us, failover.p99Us, failover.ratioToBaseline]) assert.ok(figure > 0, JSON.stringify(failover));
  assert.ok(failover.errors > 0, 'the gap was seen: checks failed (503) while no master was there');
  assert.ok(failover.recoveredAfterMs > 0, `recovered within the window: ${JSON.stringify(failover)}`);

  const table = formatLoginBench(result);
  for (const name of [...expected, 'check-sentinel-failover']) assert.match(table, new RegExp(`^${name}\\s+\\d+\\s+\\d+\\.\\d\\d×\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'), table);
  assert.match(table, /^failover: master SIGKILLed under load .* recovered \d+ ms after the kill$/m, table);
  if (oauth2Proxy.path) {
    assert.ok(result.budget && result.budget.ratio > 0, JSON.stringify(result.budget));
    assert.ok(result.budget.oneWorkerRatio > 0, JSON.stringify(result.budget));
    assert.match(table, /^(PASS|FAIL) {2}check-redis-workers checks\/s ≥ oauth2-proxy-redis's: [\d.]+ \(the budget: .*\)$/m, table);
  } else {
    assert.match(table, /^budget: not measured/m, table);
  }
  assert.match(table, /load average [\d.]+ → [\d.]+/, table);
  assert.ok(progress.some((line) => line.startsWith('login bench: run 1/1 done')), progress.join('\n'));
});

test('the soak reads the child\'s memory from start to end, after GC too, and counts failed answers', { skip, timeout: 60_000 }, async () => {
  const result = await soakLogin({ durationMs: 3000, connections: 4, sampleEveryMs: 500, onProgress: () => {} });
  assert.ok(result.samples.length >= 3, `samples: ${JSON.stringify(result.samples)}`);
  for (const s of result.samples) assert.ok(s.rssMb > 0 && s.heapUsedMb > 0 && s.rssMb >= s.heapUsedMb, JSON.stringify(s));
  assert.ok(result.samples.at(-1)!.atMs >= 2000, 'the last sample is taken at the end of the run');
  assert.ok(result.checksPerSecond > 0 && result.p50Us > 0 && result.p99Us >= result.p50Us, JSON.stringify(result));
  assert.equal(result.errors, 0);
  const { start, end } = result.steady;
  for (const m of [start, end]) assert.ok(m.heapUsedMb > 0 && m.rssMb > m.heapUsedMb, JSON.stringify(result.steady));
  assert.ok(result.steady.startAtMs < result.steady.endAtMs, JSON.stringify(result.steady));
  assert.deepEqual(result.flat, judgeFlat(start, end));
  const text = formatLoginSoak(result);
  assert.match(text, /^RSS {3}start [\d.]+ MB, end [\d.]+ MB, peak [\d.]+ MB \(\/proc, \d+ samples\)$/m, text);
  assert.match(text, /^(PASS|FAIL) {2}memory flat: heap after GC [+-][\d.]+ MB \(limit \+2\), RSS [+-][\d.]+ MB \(limit \+20\)$/m, text);
});

test('memory is flat only while both after-GC readings stay within their limits', () => {
  const start = { heapUsedMb: 14, rssMb: 140 };
  assert.equal(judgeFlat(start, { heapUsedMb: 14 + HEAP_GROWTH_LIMIT_MB, rssMb: 140 + RSS_GROWTH_LIMIT_MB }).pass, true);
  assert.equal(judgeFlat(start, { heapUsedMb: 13, rssMb: 120 }).pass, true);
  const leak = judgeFlat(start, { heapUsedMb: 14 + HEAP_GROWTH_LIMIT_MB + 0.5, rssMb: 141 });
  assert.deepEqual(leak, { heapGrowthMb: HEAP_GROWTH_LIMIT_MB + 0.5, rssGrowthMb: 1, pass: false });
  assert.equal(judgeFlat(start, { heapUsedMb: 14, rssMb: 140 + RSS_GROWTH_LIMIT_MB + 1 }).pass, false);
});

test('--soak durations', () => {
  assert.equal(parseSoakDuration('10m'), 600_000);
  assert.equal(parseSoakDuration('90s'), 90_000);
  assert.equal(parseSoakDuration('2'), 2000);
  for (const bad of ['', '10x', '-5m', '0.1s', 'm']) assert.equal(parseSoakDuration(bad), undefined, bad);
});
