// Soak: 1,000,000 requests of mixed kinds through one worker VM. The filter must never trap, count
// every request, and its linear memory after the million must equal its size after warm-up:
// memory does not grow with the number of requests (ORG-CONTEXT.md, Operations).
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sign } from 'cookie-signature';
import { createHost, type HeaderList, type RequestInput } from '../../src/host/index.ts';

const { path: wasm = '', skip } = filterWasm();
const TOTAL = Number(process.env.OC_SOAK_REQUESTS ?? 1_000_000);
const WARM_UP = 50_000;

const NAME = 'previouslySelectedOrganisation';
const SECRET = 'soak-test-secret-0123456789abcdef0123456';
const cookieFor = (id: string, secret = SECRET) => `${NAME}=${encodeURIComponent(`s:${sign(id, secret)}`)}`;

/** A mix of every kind of request, with more distinct valid cookies than the cache holds. */
function mixedRequests(): RequestInput[] {
  const inputs: RequestInput[] = [];
  const spoof: HeaderList = [['x-currently-selected-organisation', 'evil'], ['x-supported-features', 'admin']];
  for (let i = 0; i < 3000; i++) {
    const org = `org-${i}`;
    const valid = cookieFor(org);
    switch (i % 10) {
      case 0:
        inputs.push({ headers: [['accept', 'text/html']] });
        break;
      case 1:
        inputs.push({ headers: [['cookie', cookieFor(org, 'another-secret-entirely-0123456789abcd')]] });
        break;
      case 2:
        inputs.push({ headers: [['cookie', `${valid.slice(0, -2)}xx`]] });
        break;
      case 3:
        inputs.push({ headers: [...spoof, ['cookie', `a=1; ${valid}`]] });
        break;
      case 4:
        inputs.push({ headers: [['cookie', 'theme=dark'], ['cookie', valid]], jwtPayload: { organisations: [org, 'org-x'] } });
        break;
      case 5:
        inputs.push({ headers: [['cookie', `${NAME}=%E0%A4%A; x=${'y'.repeat(4000)}`]] });
        break;
      case 6:
        inputs.push({ skipHeaders: true, headers: [['cookie', valid]] });
        break;
      case 7:
        inputs.push({ headers: [['cookie', `${NAME}=${encodeURIComponent(`s:${sign(`j:${JSON.stringify({ id: org })}`, SECRET)}`)}`]] });
        break;
      default:
        // the hot path: one of few organisations, usually cached
        inputs.push({ headers: [['cookie', cookieFor(`org-${i % 7}`)]], jwtPayload: { organisations: [`org-${i % 7}`] } });
    }
  }
  return inputs;
}

test(`soak: ${TOTAL} mixed requests, memory flat after warm-up`, { skip, timeout: 600_000 }, async () => {
  const plugin = await createHost({
    wasm,
    env: { ORG_COOKIE_SECRETS: SECRET, BOOTSTRAPPED_ORGANISATIONS: 'org-1,org-2', SUPPORTED_FEATURES: 'a,b', ORG_MEMBERSHIP_CLAIM: 'organisations' },
    logLevel: 'critical',
  });
  const inputs = mixedRequests();
  for (let i = 0; i < WARM_UP; i++) plugin.request(inputs[i % inputs.length]);
  const afterWarmUp = plugin.memoryBytes();
  const started = process.hrtime.bigint();
  for (let i = 0; i < TOTAL; i++) plugin.request(inputs[i % inputs.length]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(plugin.failed(), false);
  assert.equal(plugin.memoryBytes(), afterWarmUp, `memory grew from ${afterWarmUp} to ${plugin.memoryBytes()} bytes`);
  const handled = inputs.filter((input) => !input.skipHeaders).length / inputs.length;
  assert.equal(plugin.metrics()['org_context.requests'], Math.round((WARM_UP + TOTAL) * handled));
  // a spot check that the VM still decides correctly after the million
  const check = plugin.request({ headers: [['cookie', cookieFor('org-1')]], jwtPayload: { organisations: ['org-1'] } });
  assert.deepEqual(check.headers.filter(([n]) => n === 'x-currently-selected-organisation'), [['x-currently-selected-organisation', 'org-1']]);
  process.stderr.write(`soak: ${TOTAL} requests in ${seconds.toFixed(1)} s (${Math.round((seconds * 1e9) / TOTAL)} ns/request), memory ${afterWarmUp} bytes\n`);
  plugin.close();
});
