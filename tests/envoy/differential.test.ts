// Differential: every scenario both runtimes can express runs on the Node host and on real Envoy
// (the WasmPlugin's filter, jwt_authn, an echo upstream), and what the upstream receives, any local
// response, and the module's metrics must be identical. Where they differ Envoy is right: a
// verified difference is listed in KNOWN_DIFFERENCES and its
// scenario runs as a TODO until src/host is fixed; fixing it makes the TODO pass.
//
// What Envoy's HTTP connection manager does before any filter runs is not the Wasm host's to
// emulate: it adds `x-forwarded-proto: http` after the client's headers (a plaintext listener), so
// the Node host gets the request with that header, exactly as the filter chain in Envoy sees it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sign } from 'cookie-signature';
import type { HeaderList } from '../../src/host/index.ts';
import { createRuntime, type Runtime, type RuntimeOptions, type RuntimeRequest, type RuntimeResult } from '../../scripts/lib/simulate/runtime.ts';
import { requireEnvoy } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { fixture } from '../host/support.ts';

const { skip: noEnvoy } = requireEnvoy();
const { path: releaseWasm, skip: noWasm } = filterWasm();

const dir = mkdtempSync(join(tmpdir(), 'oc-differential-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixtureFile = (name: string) => {
  const path = join(dir, `${name}.wasm`);
  writeFileSync(path, fixture(name));
  return path;
};

/** Envoy's HCM appends this to every request on a plaintext listener, before the filters. */
const HCM_ADDED: HeaderList = [['x-forwarded-proto', 'http']];

const NAME = 'previouslySelectedOrganisation';
const SECRET = 'differential-secret-0123456789abcdefghij';
const cookie = (id: string, secret = SECRET) => `${NAME}=${encodeURIComponent(`s:${sign(id, secret)}`)}`;

interface Scenario {
  name: string;
  request: RuntimeRequest;
}

interface Group {
  name: string;
  options: () => RuntimeOptions;
  skip?: string;
  scenarios: Scenario[];
}

/**
 * Differences verified against Envoy, by group and scenario name, with what Envoy does; each runs
 * as a TODO until src/host is fixed. None today: the three found (inline header folding, a late
 * add after a local reply, the main thread's VM) are fixed and listed in docs/host.md.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

const orgEnv = { ORG_COOKIE_SECRETS: SECRET, BOOTSTRAPPED_ORGANISATIONS: 'org-boot-1,org-boot-2', SUPPORTED_FEATURES: 'search,export', ORGANISATION_FEATURES: JSON.stringify({ 'org-7': ['billing', 'search'] }) };

const GROUPS: Group[] = [
  {
    name: 'org-context',
    skip: noWasm,
    options: () => ({ wasm: releaseWasm!, env: orgEnv, logLevel: 'debug' }),
    scenarios: [
      { name: 'no cookie', request: {} },
      { name: 'a valid cookie with features', request: { headers: [['cookie', cookie('org-7')]] } },
      { name: 'spoofed output headers in every case', request: { headers: [['x-currently-selected-organisation', 'evil'], ['X-Supported-Features', 'admin'], ['X-CURRENTLY-SELECTED-ORGANISATION', 'evil2'], ['cookie', cookie('org-1')]] } },
      { name: 'several cookie headers, the first occurrence wins', request: { headers: [['cookie', 'a=1; b=2'], ['cookie', cookie('org-2')], ['cookie', cookie('org-3')]] } },
      { name: 'a forged signature', request: { headers: [['cookie', `${NAME}=s%3Aorg-1.AAAA`]] } },
      { name: 'a JSON cookie', request: { headers: [['cookie', `${NAME}=${encodeURIComponent(`s:${sign('j:{"id":"org-json"}', SECRET)}`)}`]] } },
      { name: 'a 4000-byte cookie header', request: { headers: [['cookie', `${NAME}=%E0%A4%A; x=${'y'.repeat(4000)}`]] } },
      { name: 'method, path with query, authority', request: { method: 'DELETE', path: '/a/b?c=d&e', authority: 'app.test:8443', headers: [['accept', 'text/html']] } },
      { name: 'repeated regular and inline headers', request: { headers: [['user-agent', 'a'], ['accept', 'x'], ['user-agent', 'b'], ['accept', 'y'], ['cookie', cookie('org-1')]] } },
      { name: 'an empty header value and latin1 bytes', request: { headers: [['x-empty', ''], ['x-latin1', 'caf\u00e9 \u00ff'], ['cookie', cookie('org-1')]] } },
      { name: 'upper-case header names', request: { headers: [['X-Custom-Thing', 'V'], ['Cookie', cookie('org-5')]] } },
      { name: 'verified claims without the membership check', request: { headers: [['cookie', cookie('org-1')]], jwtPayload: { sub: 'u', organisations: ['org-2'] } } },
    ],
  },
  {
    name: 'org-context, membership from jwt_authn metadata',
    skip: noWasm,
    options: () => ({ wasm: releaseWasm!, env: { ...orgEnv, ORG_MEMBERSHIP_CLAIM: 'organisations' } }),
    scenarios: [
      { name: 'listed (array)', request: { headers: [['cookie', cookie('org-m')]], jwtPayload: { sub: 'u', organisations: ['org-a', 'org-m'] } } },
      { name: 'listed (comma string)', request: { headers: [['cookie', cookie('org-m')]], jwtPayload: { organisations: 'org-a, org-m' } } },
      { name: 'not listed: first bootstrapped member', request: { headers: [['cookie', cookie('org-m')]], jwtPayload: { organisations: ['org-a', 'org-boot-2'] } } },
      { name: 'not listed: first of the list', request: { headers: [['cookie', cookie('org-m')]], jwtPayload: { organisations: ['org-a', 'org-b'] } } },
      { name: 'claim of another type', request: { headers: [['cookie', cookie('org-m')]], jwtPayload: { organisations: 42, nested: { deep: [1, { x: null }] } } } },
      { name: 'no verified claims', request: { headers: [['cookie', cookie('org-m')]] } },
      { name: 'a forged payload header', request: { headers: [['cookie', cookie('org-m')], ['x-envoy-jwt-payload', Buffer.from('{"organisations":["org-m"]}').toString('base64url')]] } },
    ],
  },
  {
    name: 'probe module (host calls)',
    options: () => ({ wasm: fixtureFile('probe'), logLevel: 'trace' }),
    scenarios: [
      { name: 'add a header', request: { headers: [['x-op', 'a'], ['x-name', 'x-added'], ['x-value', 'v1']] } },
      { name: 'replace a header that occurs twice', request: { headers: [['x-op', 'r'], ['x-name', 'x-dup'], ['x-value', 'new'], ['x-dup', '1'], ['x-dup', '2']] } },
      { name: 'replace a header that is absent', request: { headers: [['x-op', 'r'], ['x-name', 'x-absent'], ['x-value', 'new']] } },
      { name: 'remove a header', request: { headers: [['x-op', 'd'], ['x-name', 'x-gone'], ['x-gone', '1'], ['x-keep', '2'], ['x-gone', '3']] } },
      { name: 'get a header', request: { headers: [['x-op', 'g'], ['x-name', 'x-there'], ['x-there', 'value']] } },
      { name: 'map size', request: { headers: [['x-op', 'z'], ['x-a', '1'], ['x-b', '2']] } },
      { name: 'map size with repeated inline headers', request: { headers: [['x-op', 'z'], ['user-agent', 'a'], ['accept', 'x'], ['user-agent', 'b'], ['accept', 'y']] } },
      { name: 'get a repeated inline header', request: { headers: [['x-op', 'g'], ['x-name', 'user-agent'], ['user-agent', 'a'], ['user-agent', 'b']] } },
      { name: 'local response', request: { headers: [['x-op', 'L']] } },
      { name: 'log at each level', request: { headers: [['x-op', 'l'], ['x-name', 'a log line'], ['x-map', '3']] } },
      { name: 'shared data set then get', request: { headers: [['x-op', 'S'], ['x-name', 'k'], ['x-value', 'v']] } },
      { name: 'shared data get', request: { headers: [['x-op', 'G'], ['x-name', 'k']] } },
      { name: 'a trap fails closed', request: { headers: [['x-op', 'T']] } },
      { name: 'after a trap the VM stays failed', request: { headers: [['x-op', 'a'], ['x-name', 'x-added'], ['x-value', 'v']] } },
    ],
  },
  {
    name: 'lifecycle module (callbacks and per-VM globals)',
    options: () => ({ wasm: fixtureFile('lifecycle') }),
    scenarios: [
      { name: 'first request', request: { headers: [['x-a', 'b']] } },
      { name: 'second request', request: { method: 'POST', path: '/x?y=1', headers: [['host', 'app.test'], ['content-length', '0']] } },
    ],
  },
];

/**
 * What is compared: the upstream's view (or the local response) and the metrics right after —
 * not the logs, whose lines Envoy writes apart from the response.
 */
function comparable(result: RuntimeResult, metrics: Record<string, number>) {
  return { ...(result.localResponse ? { localResponse: result.localResponse } : { headers: result.headers, localResponse: null }), metrics };
}

/** The request as Envoy's filter chain sees it, for the Node host (see the file comment). */
const asSeenByFilters = (request: RuntimeRequest): RuntimeRequest => ({ ...request, headers: [...(request.headers ?? []), ...HCM_ADDED] });

describe('differential: the Node host and Envoy agree', { skip: noEnvoy }, () => {
  for (const group of GROUPS) {
    describe(group.name, { skip: group.skip }, () => {
      let node: Runtime;
      let envoy: Runtime;
      test('both runtimes start', { timeout: 60_000 }, async () => {
        [node, envoy] = await Promise.all([createRuntime('node', group.options()), createRuntime('envoy', group.options())]);
      });
      after(async () => {
        await node?.close();
        await envoy?.close();
      });
      for (const scenario of group.scenarios) {
        const known = KNOWN_DIFFERENCES[`${group.name} / ${scenario.name}`];
        test(scenario.name, { todo: known }, async () => {
          const fromEnvoy = comparable(await envoy.request(scenario.request), await envoy.metrics());
          const fromNode = comparable(await node.request(asSeenByFilters(scenario.request)), await node.metrics());
          assert.deepEqual(fromNode, fromEnvoy, `Node (actual) vs Envoy (expected) for ${JSON.stringify(scenario.request)}`);
        });
      }
    });
  }
});
