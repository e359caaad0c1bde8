// Real Envoy refuses the org-context plugin on each configuration error of the filter: with the
// WasmPlugin's filter (failure_policy FAIL_CLOSED, as Istio configures it) and one bad setting,
// `envoy --mode validate` fails and a real start (through func-e, as startEnvoy runs it) exits
// non-zero without ever becoming ready; in both, Envoy's log carries the filter's critical line
// naming the setting, and Envoy's own "Unable to create Wasm plugin". The good configuration next
// to them passes validate, so each case fails for its one setting only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { requireEnvoy } from '../support/tools.ts';
import { filterWasm } from '../support/filter-wasm.ts';
import { inlinePluginEnv } from '../../scripts/lib/envoy/bootstrap.ts';
import { validateWithEnvoy } from '../../scripts/lib/envoy/run.ts';
import { runEnvoyUntilExit } from '../../scripts/lib/envoy/process.ts';
import { filterSmokeBootstrap, type WasmFilterOptions } from './filter-fixture.ts';

const { envoy: found, skip: noEnvoy } = requireEnvoy();
const { path: wasm, skip: noWasm } = filterWasm();

const goodSecret = randomBytes(32).toString('base64url');
const goodSecrets = JSON.stringify([goodSecret]);

interface BadConfig {
  name: string;
  /** ORG_COOKIE_SECRETS in Envoy's environment (host_env_keys); undefined: not set at all. */
  secrets: string | undefined;
  /** Inline settings changed from inlinePluginEnv('local'). */
  inline?: Record<string, string>;
  pluginConfig?: Record<string, unknown>;
  /** The setting the filter's critical line must name, right after "invalid configuration: ". */
  setting: string;
  /** What it must say about it. */
  says: RegExp;
}

const CASES: BadConfig[] = [
  { name: 'missing ORG_COOKIE_SECRETS', secrets: undefined, setting: 'ORG_COOKIE_SECRETS', says: /is required/ },
  { name: 'an empty secret in ORG_COOKIE_SECRETS', secrets: JSON.stringify([goodSecret, '']), setting: 'ORG_COOKIE_SECRETS', says: /secret #2 is empty/ },
  { name: 'malformed ORGANISATION_FEATURES JSON', secrets: goodSecrets, inline: { ORGANISATION_FEATURES: '{"org-acme": ["beta"' }, setting: 'ORGANISATION_FEATURES', says: /is not valid JSON/ },
  { name: 'an invalid id in BOOTSTRAPPED_ORGANISATIONS', secrets: goodSecrets, inline: { BOOTSTRAPPED_ORGANISATIONS: 'org-acme,Not An Id!' }, setting: 'BOOTSTRAPPED_ORGANISATIONS', says: /"Not An Id!"/ },
  { name: 'ORG_COOKIE_NAME=__proto__', secrets: goodSecrets, inline: { ORG_COOKIE_NAME: '__proto__' }, setting: 'ORG_COOKIE_NAME', says: /__proto__/ },
  { name: 'an unknown pluginConfig key', secrets: goodSecrets, pluginConfig: { cookieNme: 'org' }, setting: 'pluginConfig', says: /"cookieNme"/ },
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The filter's own line, logged at critical through proxy_log by on_configure. */
const criticalLine = (setting: string) => new RegExp(`^.*\\[critical\\]\\[wasm\\].*org-context: invalid configuration: ${escape(setting)}: .*$`, 'm');
const REFUSED = /Unable to create Wasm plugin oneconnect\.org-context/;

function writeBootstrap(dir: string, name: string, filter: WasmFilterOptions): string {
  const file = join(dir, `${name}.yaml`);
  // Upstream port 9 (discard): nothing is ever sent, Envoy must refuse the filter before listening.
  writeFileSync(file, stringify(filterSmokeBootstrap({ wasm: wasm!, upstreamPort: 9, filter })));
  return file;
}

/** Envoy's environment for a case: ORG_COOKIE_SECRETS only when the case sets it. */
function envoyEnv(secrets: string | undefined, dir: string): Record<string, string> {
  const env: Record<string, string> = { FUNC_E_HOME: join(dir, 'func-e') };
  if (secrets !== undefined) env.ORG_COOKIE_SECRETS = secrets;
  return env;
}

test('Envoy refuses the org-context plugin on each configuration error of the filter', { skip: noEnvoy ?? noWasm, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-config-errors-'));
  // Both runs hand Envoy process.env: a secret in the test's own environment must not leak in.
  const saved = process.env.ORG_COOKIE_SECRETS;
  delete process.env.ORG_COOKIE_SECRETS;
  t.after(() => {
    if (saved !== undefined) process.env.ORG_COOKIE_SECRETS = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  await t.test('the good configuration passes envoy --mode validate (the control)', () => {
    const config = writeBootstrap(dir, 'good', {});
    const result = validateWithEnvoy(found!.envoy, config, { env: envoyEnv(goodSecrets, dir), timeoutMs: 30_000 });
    assert.ok(result.ok, `envoy --mode validate refused the good configuration:\n${result.output.slice(-4000)}`);
  });

  for (const [index, bad] of CASES.entries()) {
    await t.test(bad.name, async (st) => {
      const inline = { ...inlinePluginEnv('local'), ...bad.inline };
      const config = writeBootstrap(dir, `case-${index}`, { keyValues: inline, ...(bad.pluginConfig ? { pluginConfig: bad.pluginConfig } : {}) });
      const line = criticalLine(bad.setting);

      const validated = validateWithEnvoy(found!.envoy, config, { env: envoyEnv(bad.secrets, dir), timeoutMs: 30_000 });
      const validateTail = validated.output.slice(-4000);
      assert.equal(validated.ok, false, `envoy --mode validate accepted ${bad.name}:\n${validateTail}`);
      assert.match(validated.output, line, `validate: no critical line naming ${bad.setting}:\n${validateTail}`);
      assert.match(validated.output.match(line)![0], bad.says, `validate: the critical line does not say ${bad.says}:\n${validateTail}`);
      assert.match(validated.output, REFUSED, `validate: Envoy did not refuse the plugin:\n${validateTail}`);

      const exit = await runEnvoyUntilExit(found!, { config, adminAddressFile: join(dir, `case-${index}-admin.txt`), env: envoyEnv(bad.secrets, dir), timeoutMs: 30_000 });
      const startTail = exit.log.slice(-6000);
      assert.equal(exit.timedOut, false, `Envoy started with ${bad.name} and was still running after 30 s:\n${startTail}`);
      assert.ok(exit.code !== null && exit.code !== 0, `Envoy exited ${exit.code ?? exit.signal} with ${bad.name}, expected a non-zero exit code:\n${startTail}`);
      assert.match(exit.log, line, `start: no critical line naming ${bad.setting}:\n${startTail}`);
      assert.match(exit.log.match(line)![0], bad.says, `start: the critical line does not say ${bad.says}:\n${startTail}`);
      assert.match(exit.log, REFUSED, `start: Envoy did not refuse the plugin:\n${startTail}`);
      st.diagnostic(`exit ${exit.code}; ${exit.log.match(line)![0].replace(/^.*\] wasm log /, '')}`);
    });
  }
});
