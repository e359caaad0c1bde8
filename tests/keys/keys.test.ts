// The signing-key file and `oc-edge keys`: strong secrets, rotation that keeps what it should,
// a file only its owner can read, and a Secret in the shapes the waypoint and the backend read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { initKeys, loadSecrets, rotateKeys, readKeyFile, KeyFileError, fingerprint } from '../../src/keys/index.ts';
import { secretManifest, COOKIE_SECRET_NAME, SECRETS_ARRAY_KEY } from '../../src/keys/secret-manifest.ts';
import { waypointEnv } from '../../scripts/lib/render/check.ts';
import { parseObjects } from '../../scripts/lib/render/schema.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';

const run = promisify(execFile);
const root = REPO_ROOT;
const cli = join(root, 'bin/oc-edge.js');

function withDir(fn: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-keys-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('init writes one strong secret, mode 0600, and refuses to overwrite', withDir((dir) => {
  const file = join(dir, 'nested', 'keys.json');
  const created = initKeys(file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(created.secrets.length, 1);
  assert.match(created.secrets[0]!, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(created.secrets[0]!, 'base64url').length, 32);
  assert.deepEqual(loadSecrets(file), created.secrets);
  assert.throws(() => initKeys(file), /exists/);
  const replaced = initKeys(file, { force: true });
  assert.notEqual(replaced.secrets[0], created.secrets[0]);
}));

test('rotate puts the new secret first and keeps --keep previous ones', withDir((dir) => {
  const file = join(dir, 'keys.json');
  const history = [initKeys(file).secrets[0]!];
  for (let i = 0; i < 4; i++) history.unshift(rotateKeys(file, { keep: 2 }).secrets[0]!);
  assert.deepEqual(loadSecrets(file), history.slice(0, 3));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(readKeyFile(file).rotatedAt);
  assert.deepEqual(rotateKeys(file, { keep: 0 }).secrets.length, 1);
  assert.throws(() => rotateKeys(file, { keep: -1 }), /--keep/);
  assert.equal(new Set(history).size, history.length, 'a secret repeated');
}));

test('a broken key file is rejected with a message that names the file and no secret', withDir((dir) => {
  const file = join(dir, 'keys.json');
  const cases: [string, RegExp][] = [
    ['not json', /not valid JSON/],
    [JSON.stringify({ version: 1, secrets: [], createdAt: 'x' }), /non-empty array/],
    [JSON.stringify({ version: 1, secrets: ['sekrit-a', 'sekrit-a'], createdAt: 'x' }), /distinct/],
    [JSON.stringify({ version: 1, secrets: ['sekrit-a', 7], createdAt: 'x' }), /secrets\[1\]/],
    [JSON.stringify({ version: 2, secrets: ['sekrit-a'], createdAt: 'x' }), /unsupported version/],
  ];
  for (const [text, expected] of cases) {
    writeFileSync(file, text);
    assert.throws(() => loadSecrets(file), (error: Error) => {
      assert.ok(error instanceof KeyFileError);
      assert.match(error.message, expected);
      assert.ok(error.message.includes(file));
      assert.ok(!error.message.includes('sekrit'));
      return true;
    });
  }
  assert.throws(() => loadSecrets(join(dir, 'missing.json')), /oc-edge keys init/);
}));

test('the rendered Secret has the shapes both readers expect and the name the waypoint references', () => {
  const secrets = ['current-secret', 'previous-secret'];
  const secret = secretManifest(secrets, { namespace: 'oneconnect' }) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
  const decoded = (key: string) => Buffer.from(secret.data[key]!, 'base64').toString('utf8');
  assert.deepEqual(JSON.parse(decoded('ORG_COOKIE_SECRETS')), secrets);
  assert.equal(decoded('ORG_COOKIE_SECRET'), 'current-secret');
  assert.equal(secret.metadata.namespace, 'oneconnect');
  // The waypoint's parametersRef ConfigMap must read exactly this Secret and key.
  const waypoint = parseObjects(readFileSync(join(root, 'istio/base/waypoint.yaml'), 'utf8'));
  const env = waypointEnv(waypoint.find((o) => o.kind === 'ConfigMap') as never);
  const ref = env.find((e) => e.name === SECRETS_ARRAY_KEY)?.valueFrom?.secretKeyRef;
  assert.deepEqual(ref, { name: COOKIE_SECRET_NAME, key: SECRETS_ARRAY_KEY });
  assert.equal(secret.metadata.name, COOKIE_SECRET_NAME);
  assert.throws(() => secretManifest([], { namespace: 'x' }), /no secrets/);
});

test('oc-edge keys: init, rotate, show (no secret printed), render (0600)', withDir(async (dir) => {
  const file = join(dir, 'keys.json');
  const env = { ...process.env, OC_KEYS_FILE: file };
  await run(process.execPath, [cli, 'keys', 'init'], { env });
  await run(process.execPath, [cli, 'keys', 'rotate', '--keep', '1'], { env });
  await run(process.execPath, [cli, 'keys', 'rotate', '--keep', '1'], { env });
  const secrets = loadSecrets(file);
  assert.equal(secrets.length, 2);
  const shown = await run(process.execPath, [cli, 'keys', 'show', '--json'], { env });
  for (const secret of secrets) assert.ok(!shown.stdout.includes(secret) && !shown.stderr.includes(secret), 'show printed a secret');
  assert.deepEqual(JSON.parse(shown.stdout).secrets.map((s: { fingerprint: string }) => s.fingerprint), secrets.map(fingerprint));
  const out = join(dir, 'secret.yaml');
  await run(process.execPath, [cli, 'keys', 'render', '--out', out], { env });
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const rendered = parse(readFileSync(out, 'utf8'));
  assert.deepEqual(JSON.parse(Buffer.from(rendered.data.ORG_COOKIE_SECRETS, 'base64').toString()), secrets);
  await assert.rejects(run(process.execPath, [cli, 'keys', 'rotate', '--keep', 'x'], { env }), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /--keep/);
    return true;
  });
  await assert.rejects(run(process.execPath, [cli, 'keys', 'init'], { env }), (error: { code: number }) => error.code === 2);
}));
