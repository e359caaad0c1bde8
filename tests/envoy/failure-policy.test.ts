// What real Envoy does when the plugin's module traps in proxy_on_request_headers, per the Wasm
// filter's failure_policy (the WasmPlugin's filter otherwise as Istio configures it). The module is
// tests/envoy/fixtures/trap-on-header.wat, compiled with wabt here: it hits `unreachable` when a
// request carries `x-trap`, and continues otherwise.
//   FAIL_CLOSED (Istio's failStrategy FAIL_CLOSE): the trapping request gets Envoy's local 503, and
//   so does every later one, because the VM stays failed; the upstream never sees any of them.
//   FAIL_RELOAD: the trapping request gets the 503 too, then Envoy reloads the VM and a later
//   request reaches the upstream again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { requireEnvoy } from '../support/tools.ts';
import { listen } from '../support/http.ts';
import { watToWasm } from '../host/support.ts';
import { validateWithEnvoy } from '../../scripts/lib/envoy/run.ts';
import { startEnvoy, type RunningEnvoy } from '../../scripts/lib/envoy/process.ts';
import { SMOKE_LISTENER, filterSmokeBootstrap, type WasmFilterOptions } from './filter-fixture.ts';

const { envoy: found, skip: noEnvoy } = requireEnvoy();

const TRAP_WAT = new URL('fixtures/trap-on-header.wat', import.meta.url);

interface Answer {
  status: number;
  body: string;
  /** The upstream saw the request. */
  upstreamSaw: boolean;
}

/** An Envoy running the trapping module with `filter`, in front of an upstream that counts what it sees. */
async function withTrappingEnvoy(filter: WasmFilterOptions, run: (env: { envoy: RunningEnvoy; send: (id: string, trap: boolean) => Promise<Answer>; details: (id: string) => Promise<string> }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-failure-policy-'));
  const seen = new Set<string>();
  const upstream = await listen((req, res) => {
    seen.add(String(req.headers['x-request-tag']));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream ok');
  });
  let envoy: RunningEnvoy | undefined;
  try {
    const wasm = join(dir, 'trap-on-header.wasm');
    writeFileSync(wasm, watToWasm('trap-on-header.wat', readFileSync(TRAP_WAT, 'utf8')));
    const config = join(dir, 'envoy.yaml');
    // The trapping module reads no settings: no inline env, no secret.
    const accessLog = join(dir, 'access.log');
    writeFileSync(config, stringify(filterSmokeBootstrap({ wasm, upstreamPort: upstream.port, filter: { keyValues: {}, ...filter }, accessLog })));
    // The config of record first: Envoy itself accepts the failure policy (and reload_config).
    const validated = validateWithEnvoy(found!.envoy, config, { timeoutMs: 30_000 });
    assert.ok(validated.ok, `envoy --mode validate refused ${JSON.stringify(filter)}:\n${validated.output.slice(-4000)}`);
    envoy = await startEnvoy(found!, { config, adminAddressFile: join(dir, 'admin-address.txt'), env: { FUNC_E_HOME: join(dir, 'func-e') }, extraArgs: ['--concurrency', '1'] });
    const port = await envoy.listenerPort(SMOKE_LISTENER);
    const send = async (id: string, trap: boolean): Promise<Answer> => {
      const response = await fetch(`http://127.0.0.1:${port}/anything`, {
        headers: { 'x-request-tag': id, ...(trap ? { 'x-trap': '1' } : {}) },
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: await response.text(), upstreamSaw: seen.has(id) };
    };
    const running = envoy;
    /** Envoy's %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% for a request, from the access log (written once the stream ends). */
    const details = async (id: string): Promise<string> => {
      const deadline = Date.now() + 12_000;
      for (;;) {
        const text = existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '';
        const line = text.split('\n').find((l) => l.startsWith(`${id} `));
        if (line) return line.slice(id.length + 1);
        if (Date.now() > deadline) assert.fail(`no access log line for ${id} within 12 s (Envoy flushes its access log every few seconds):\n${text}\n${tail(running)}`);
        await sleep(100);
      }
    };
    await run({ envoy, send, details });
  } finally {
    await envoy?.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const tail = (envoy: RunningEnvoy) => envoy.log().slice(-6000);

/** V8's trap, as Envoy logs it at error (it may land just after the 503 has been sent). */
const TRAP_LOGGED = /\[error\]\[wasm\].*proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/;

async function logged(envoy: RunningEnvoy, line: RegExp, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!line.test(envoy.log())) {
    if (Date.now() > deadline) assert.fail(`Envoy never logged ${line} within ${timeoutMs / 1000} s:\n${tail(envoy)}`);
    await sleep(100);
  }
}

test('a module that traps, FAIL_CLOSED: the request gets a local 503 and the failed VM keeps failing closed', { skip: noEnvoy, timeout: 90_000 }, async () => {
  await withTrappingEnvoy({ failurePolicy: 'FAIL_CLOSED' }, async ({ envoy, send, details }) => {
    const before = await send('before-trap', false);
    assert.equal(before.status, 200, `without x-trap the module continues:\n${tail(envoy)}`);
    assert.ok(before.upstreamSaw, `the upstream saw the request before the trap:\n${tail(envoy)}`);

    const trapped = await send('trap', true);
    assert.equal(trapped.status, 503, `the trapping request: ${trapped.status} ${trapped.body}\n${tail(envoy)}`);
    assert.equal(trapped.upstreamSaw, false, `the trapping request never reaches the upstream:\n${tail(envoy)}`);
    assert.equal(trapped.body, '', `Envoy's local reply has no body: ${JSON.stringify(trapped.body)}`);
    assert.equal(await details('trap'), '503 wasm_fail_stream', `Envoy's local reply for a failed Wasm stream:\n${tail(envoy)}`);
    await logged(envoy, TRAP_LOGGED);

    // The VM is failed for good: later requests, even without x-trap, are refused by Envoy too.
    await sleep(1_000);
    const after = await send('after-trap', false);
    assert.equal(after.status, 503, `FAIL_CLOSED keeps refusing after the trap: ${after.status} ${after.body}\n${tail(envoy)}`);
    assert.equal(after.upstreamSaw, false, `the upstream never sees a request once the VM failed:\n${tail(envoy)}`);
    assert.equal(await details('after-trap'), '503 wasm_fail_stream', `the later request is failed by the Wasm filter too:\n${tail(envoy)}`);
  });
});

test('a module that traps, FAIL_RELOAD: the trapping request gets a 503, then Envoy reloads the VM and a later request succeeds', { skip: noEnvoy, timeout: 90_000 }, async () => {
  const filter: WasmFilterOptions = { failurePolicy: 'FAIL_RELOAD', reloadConfig: { backoff: { base_interval: '0.1s', max_interval: '0.5s' } } };
  await withTrappingEnvoy(filter, async ({ envoy, send, details }) => {
    const before = await send('before-trap', false);
    assert.equal(before.status, 200, `without x-trap the module continues:\n${tail(envoy)}`);

    const trapped = await send('trap', true);
    assert.equal(trapped.status, 503, `the trapping request: ${trapped.status} ${trapped.body}\n${tail(envoy)}`);
    assert.equal(trapped.upstreamSaw, false, `the trapping request never reaches the upstream:\n${tail(envoy)}`);
    assert.equal(await details('trap'), '503 wasm_fail_stream', `Envoy's local reply for a failed Wasm stream:\n${tail(envoy)}`);
    await logged(envoy, TRAP_LOGGED);

    // Within the reload backoff a request may still be refused; within 15 s one must get through.
    const deadline = Date.now() + 15_000;
    const answers: string[] = [];
    let reloaded: Answer | undefined;
    for (let i = 0; Date.now() < deadline; i++) {
      const answer = await send(`after-trap-${i}`, false);
      answers.push(`${answer.status}`);
      if (answer.status === 200) {
        reloaded = answer;
        break;
      }
      await sleep(200);
    }
    assert.ok(reloaded, `no request succeeded within 15 s of the trap (answers: ${answers.join(', ')}):\n${tail(envoy)}`);
    assert.ok(reloaded.upstreamSaw, `the reloaded VM lets the request through to the upstream:\n${tail(envoy)}`);

    // The reloaded VM is a new one: it traps again on x-trap, and recovers again.
    const again = await send('trap-again', true);
    assert.equal(again.status, 503, `the reloaded module traps again: ${again.status} ${again.body}\n${tail(envoy)}`);
    assert.equal(await details('trap-again'), '503 wasm_fail_stream', `the reloaded VM fails the stream again:\n${tail(envoy)}`);
    const stats = await (await fetch(`${envoy.adminUrl}/stats`)).text();
    const created = Number(/^wasm\.envoy\.wasm\.runtime\.v8\.created: (\d+)$/m.exec(stats)?.[1] ?? NaN);
    assert.ok(created >= 2, `V8 created a new VM on reload (wasm.envoy.wasm.runtime.v8.created ${created}):\n${stats}`);
  });
});
