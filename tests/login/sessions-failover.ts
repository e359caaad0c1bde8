// The failover scenario the Sentinel and Cluster suites share: sessions made before a Redis master
// dies, a logged-out session and a cookie-less client, checked without pause while the master is
// killed and a replica promoted. What must hold: a live session gets 200 or 503 (the gap), never a
// 401/302 (that would mean the session was lost); a dead session never gets 200; checks recover by
// themselves after the promotion; every session made before the kill works afterwards.
import assert from 'node:assert/strict';
import type { Browser } from '../../fixtures/browser.ts';
import { APP, type Stack } from './stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A failover suite's bound: topology start (≤ ~25 s of waits), logins, the kill, the promotion
 * (≤ 20 s) and the recovery (≤ 20 s) each have their own timeout; under CPU contention (CI's two
 * cores shared with other suites) they add up past a minute, so the suite gets them all plus slack.
 */
export const SUITE_TIMEOUT_MS = 150_000;

export interface FailoverReport {
  checks: number;
  /** Status counts of the live sessions' checks during the whole run. */
  live: Record<number, number>;
  dead: Record<number, number>;
  /** From the kill to the moment every live session answered 200 again. */
  recoveredAfterMs: number;
}

export interface FailoverPlan {
  stack: Stack;
  sessions: number;
  /** Kills the master (SIGKILL) of the sessions' data; resolves once it is dead. */
  kill(browsers: Browser[]): Promise<void>;
  /** Resolves once the topology has promoted a replica (the service is not told). */
  promoted(): Promise<void>;
  recoveryTimeoutMs?: number;
}

function count(into: Record<number, number>, status: number): void {
  into[status] = (into[status] ?? 0) + 1;
}

export async function checkThroughFailover(plan: FailoverPlan): Promise<FailoverReport> {
  const { stack } = plan;
  const live: Browser[] = [];
  for (let i = 0; i < plan.sessions; i++) {
    const browser = stack.browser();
    await stack.login(browser);
    live.push(browser);
  }
  const dead = stack.browser();
  await stack.login(dead);
  const ticket = dead.cookie('__Host-oc-session')!.value;
  assert.equal((await dead.request(`${APP}/oauth2/logout/local`, { method: 'POST', form: {}, from: `${APP}/` })).status, 302);
  // Each denial expires the cookie in the browser: put the stale ticket back before every check.
  const replay = () => dead.storeSetCookie(`__Host-oc-session=${ticket}; Path=/; Secure`, new URL(APP));
  replay();
  const anonymous = stack.browser();
  for (const browser of live) assert.equal((await stack.check(browser)).status, 200);
  assert.equal((await stack.check(dead)).status, 401);

  const report: FailoverReport = { checks: 0, live: {}, dead: {}, recoveredAfterMs: -1 };
  const lastLive = new Map<Browser, number>();
  let running = true;
  const problems: string[] = [];
  const worker = async (index: number) => {
    for (let round = index; running; round++) {
      const browser = live[round % live.length]!;
      replay();
      const [a, d, n] = await Promise.all([stack.check(browser), stack.check(dead), stack.check(anonymous)]);
      report.checks += 3;
      count(report.live, a.status);
      count(report.dead, d.status);
      lastLive.set(browser, a.status);
      if (a.status !== 200 && a.status !== 503) problems.push(`live session got ${a.status} ${a.body.slice(0, 120)}`);
      if (d.status === 200) problems.push('a logged-out session got 200');
      if (n.status !== 401) problems.push(`no cookie got ${n.status}`);
    }
  };
  const workers = Array.from({ length: 4 }, (_, i) => worker(i));
  // Real conditions, not sleeps (a loaded machine stretches any fixed pause): the load is running
  // before the kill (every worker has answered), and runs on a while after the recovery.
  const checksReach = async (target: number, what: string) => {
    const deadline = Date.now() + 30_000;
    while (report.checks < target) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${report.checks} of ${target} checks)`);
      await sleep(20);
    }
  };
  await checksReach(4 * 3 * 2, 'the load to run before the kill');
  const killedAt = Date.now();
  await plan.kill(live);
  await plan.promoted();
  const deadline = Date.now() + (plan.recoveryTimeoutMs ?? 20_000);
  // Recovered: every live session's latest check was 200, after the promotion.
  lastLive.clear();
  while (Date.now() < deadline && !(lastLive.size === live.length && [...lastLive.values()].every((status) => status === 200))) await sleep(50);
  report.recoveredAfterMs = Date.now() - killedAt;
  await checksReach(report.checks + 4 * 3 * 2, 'checks after the recovery');
  running = false;
  await Promise.all(workers);

  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} bad answers`);
  // Should recovery fail, the service's own last warnings say why (the store's error, which node).
  const warnings = () => stack.logs.filter((line) => /"level":[4-6]\d/.test(line)).slice(-4).map((line) => line.slice(0, 300)).join('\n');
  assert.ok(lastLive.size === live.length && [...lastLive.values()].every((status) => status === 200), `recovered within the timeout (last statuses ${JSON.stringify([...lastLive.values()])}); last warnings:\n${warnings()}`);
  for (const browser of live) assert.equal((await stack.check(browser)).status, 200, 'every session made before the kill works after the failover');
  replay();
  assert.equal((await stack.check(dead)).status, 401, 'the logout survived the failover');
  return report;
}
