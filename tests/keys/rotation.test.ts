// Key rotation end to end: cookies signed by the real `cookie-signature` (what Express +
// cookie-parser use) with each key, verified by the built org-context filter running in the
// Proxy-Wasm host, configured from the Secret `oc-edge keys render` writes. A cookie signed with a
// key still kept must keep selecting its organisation after every rotation; one signed with a
// dropped key must fall back.
import { filterWasm } from '../support/filter-wasm.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'cookie-signature';
import { createHost } from '../../src/host/index.ts';
import { initKeys, loadSecrets, rotateKeys } from '../../src/keys/index.ts';
import { secretManifest, SECRETS_ARRAY_KEY } from '../../src/keys/secret-manifest.ts';
import { pluginEnvironment } from '../../src/harness/plugin-env.ts';

const { path: wasmPath = '', skip: missing } = filterWasm();

const ORG_HEADER = 'x-currently-selected-organisation';
const SELECTED = 'org-globex';

/** The cookie as the browser sends it back after `res.cookie(name, value, { signed: true })`. */
function signedCookie(secret: string, value = SELECTED): string {
  return `previouslySelectedOrganisation=${encodeURIComponent(`s:${sign(value, secret)}`)}`;
}

/** ORG_COOKIE_SECRETS exactly as the waypoint receives it: from the rendered Secret's data. */
function secretsFromRenderedSecret(file: string): string {
  const secret = secretManifest(loadSecrets(file), { namespace: 'oneconnect' }) as { data: Record<string, string> };
  return Buffer.from(secret.data[SECRETS_ARRAY_KEY]!, 'base64').toString('utf8');
}

async function selectedBy(file: string, cookies: string[]): Promise<(string | undefined)[]> {
  const env = pluginEnvironment({ host: { ORG_COOKIE_SECRETS: secretsFromRenderedSecret(file) } });
  const plugin = await createHost({ wasm: wasmPath, env });
  try {
    return cookies.map((cookie) => {
      const result = plugin.request({ path: '/', headers: [['cookie', cookie]] });
      assert.equal(result.localResponse, null, `the filter answered: ${JSON.stringify(result.localResponse)}`);
      return result.headers.find(([name]) => name === ORG_HEADER)?.[1];
    });
  } finally {
    plugin.close();
  }
}

test('rotation keeps cookies signed with kept keys valid, and only those', { skip: missing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-rotation-'));
  try {
    const file = join(dir, 'keys.json');
    const fallback = pluginEnvironment({ host: { ORG_COOKIE_SECRETS: '[]' } }).BOOTSTRAPPED_ORGANISATIONS!.split(',')[0];
    assert.ok(fallback && fallback !== SELECTED, 'the test needs a fallback organisation other than the selected one');

    const [a] = initKeys(file).secrets as [string];
    assert.deepEqual(await selectedBy(file, [signedCookie(a), signedCookie('not-a-key-of-ours')]), [SELECTED, fallback]);

    const [b] = rotateKeys(file, { keep: 1 }).secrets as [string];
    // B signs now; A is kept: both select.
    assert.deepEqual(await selectedBy(file, [signedCookie(b), signedCookie(a)]), [SELECTED, SELECTED]);

    const [c] = rotateKeys(file, { keep: 1 }).secrets as [string];
    // A is dropped (keep 1): its cookie falls back; B and C still select.
    assert.deepEqual(await selectedBy(file, [signedCookie(c), signedCookie(b), signedCookie(a)]), [SELECTED, SELECTED, fallback]);

    rotateKeys(file, { keep: 0 });
    assert.deepEqual(await selectedBy(file, [signedCookie(c), signedCookie(b)]), [fallback, fallback]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
