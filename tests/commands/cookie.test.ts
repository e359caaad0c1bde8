// `oc-edge cookie sign|verify` run as the user runs them (a child process), checked against the
// real Express + cookie-parser and against the built filter's verdicts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import cookieParser from 'cookie-parser';
import { sign } from 'cookie-signature';
import express from 'express';
import { ensureFilterBuilt } from '../../scripts/lib/build/filter.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';

const root = REPO_ROOT;
const run = promisify(execFile);
const NAME = 'previouslySelectedOrganisation';
const SECRET = 'toolchain-cookie-secret-0123456789abcdef';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function ocEdge(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/oc-edge.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let base = '';
let server: Server | undefined;
before(async () => {
  await ensureFilterBuilt();
  const app = express();
  app.use(cookieParser(SECRET));
  app.get('/set', (req, res) => {
    const value: unknown = req.query.json ? JSON.parse(String(req.query.json)) : String(req.query.value);
    res.cookie(NAME, value, { signed: true }).end();
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server?.close());

async function expressCookie(query: Record<string, string>): Promise<string> {
  const setCookie = (await fetch(`${base}/set?${new URLSearchParams(query)}`)).headers.getSetCookie()[0] ?? '';
  return setCookie.slice(NAME.length + 1, setCookie.indexOf(';'));
}

describe('oc-edge cookie sign', () => {
  test('prints exactly what Express sets for a string value', async () => {
    const result = await ocEdge('cookie', 'sign', '--secret', SECRET, '--value', 'org-cli-1');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), await expressCookie({ value: 'org-cli-1' }));
  });

  test('prints exactly what Express sets for an object value (--json)', async () => {
    const json = JSON.stringify({ id: 'org-42', name: 'Acme Ltd' });
    const result = await ocEdge('cookie', 'sign', '--secret', SECRET, '--value', json, '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), await expressCookie({ json }));
  });

  test('matches the worked vector of ORG-CONTEXT.md', async () => {
    const result = await ocEdge('cookie', 'sign', '--secret', 'keyboard cat', '--value', 'org-123');
    assert.equal(result.stdout.trim(), 's%3Aorg-123.O%2F%2B0W%2B3Q4dE2hQI6PFSCOlDkO42jmpMygXnb5GTWbFk');
  });

  test('rejects bad input with exit code 2', async () => {
    const missing = await ocEdge('cookie', 'sign', '--value', 'x');
    assert.equal(missing.code, 2);
    const badJson = await ocEdge('cookie', 'sign', '--secret', SECRET, '--value', '{nope', '--json');
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /--value is not valid JSON/);
    assert.doesNotMatch(badJson.stderr, new RegExp(SECRET));
  });
});

describe('oc-edge cookie verify', () => {
  test('prints the organisation and exits 0 for a valid cookie (Express-signed, string and JSON)', async () => {
    const plain = await ocEdge('cookie', 'verify', '--secret', SECRET, await expressCookie({ value: 'org-verify-1' }));
    assert.deepEqual([plain.code, plain.stdout.trim()], [0, 'org-verify-1']);
    const json = await ocEdge('cookie', 'verify', '--secret', SECRET, await expressCookie({ json: '{"id":"org-verify-2"}' }));
    assert.deepEqual([json.code, json.stdout.trim()], [0, 'org-verify-2']);
  });

  test('accepts a pasted name=value pair', async () => {
    const value = await expressCookie({ value: 'org-pasted' });
    const result = await ocEdge('cookie', 'verify', '--secret', SECRET, `${NAME}=${value}`);
    assert.deepEqual([result.code, result.stdout.trim()], [0, 'org-pasted']);
  });

  test('tries every --secret in order (rotation)', async () => {
    const value = encodeURIComponent(`s:${sign('org-old', 'previous-secret-0123456789abcdef-xyz')}`);
    const result = await ocEdge('cookie', 'verify', '--secret', SECRET, '--secret', 'previous-secret-0123456789abcdef-xyz', value);
    assert.deepEqual([result.code, result.stdout.trim()], [0, 'org-old']);
    const without = await ocEdge('cookie', 'verify', '--secret', SECRET, value);
    assert.equal(without.code, 1);
  });

  test('says why a cookie is invalid and exits 1', async () => {
    const valid = await expressCookie({ value: 'org-x' });
    const cases: [string, RegExp][] = [
      [valid.slice(0, -1), /malformed signature/],
      [`${valid}%3D`, /malformed signature/],
      [valid.replace('org-x', 'org-y'), /invalid signature/],
      ['org-x', /not signed/],
      ['s%3Aorg%ZZ', /malformed encoding/],
      [encodeURIComponent(`s:${sign('bad id!', SECRET)}`), /not an id/],
    ];
    for (const [value, reason] of cases) {
      const result = await ocEdge('cookie', 'verify', '--secret', SECRET, value);
      assert.equal(result.code, 1, `${value}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, reason, value);
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(SECRET));
    }
  });

  test('usage errors exit 2', async () => {
    const noSecret = await ocEdge('cookie', 'verify', 'org-1');
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /--secret/);
    const control = await ocEdge('cookie', 'verify', '--secret', SECRET, 'a\nb');
    assert.equal(control.code, 2);
  });
});
