// The deployable artefact: one standalone ES module, zipped as index.mjs, that works on its own
// with only Lambda environment variables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { bundleEnrichment } from '../../scripts/lib/build/enrichment.ts';
import { requireTool } from '../support/tools.ts';
import { CLIENT_ID, CLIENT_SECRET, context, loadEvent, startFakes, type Fakes } from './support.ts';
import { ONBOARDING_SCOPE } from '../../src/topology/waypoint.ts';

let out: string;
let fakes: Fakes;
let result: Awaited<ReturnType<typeof bundleEnrichment>>;
before(async () => {
  out = mkdtempSync(join(tmpdir(), 'oc-enrichment-'));
  fakes = await startFakes();
  result = await bundleEnrichment(out);
});
after(async () => {
  await fakes.close();
  rmSync(out, { recursive: true, force: true });
});

describe('bundleEnrichment', () => {
  it('writes dist/enrichment.mjs with no imports at all', () => {
    assert.equal(result.module, join(out, 'enrichment.mjs'));
    const code = readFileSync(result.module, 'utf8');
    assert.doesNotMatch(code, /^\s*import\s/m, 'the bundle must not import anything');
    assert.doesNotMatch(code, /\brequire\(/);
    assert.match(code, /export\s*\{[^}]*\bhandler\b/);
  });

  it('zips it as index.mjs, byte for byte, deterministically', async () => {
    assert.equal(result.file, join(out, 'enrichment.zip'));
    const zip = readFileSync(result.file);
    assert.equal(result.bytes, zip.length);
    assert.equal(zip.readUInt32LE(0), 0x04034b50);
    const nameLength = zip.readUInt16LE(26);
    assert.equal(zip.subarray(30, 30 + nameLength).toString(), 'index.mjs');
    const compressedSize = zip.readUInt32LE(18);
    const inflated = inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + compressedSize));
    assert.deepEqual(inflated, readFileSync(result.module));
    const again = await bundleEnrichment(join(out, 'again'));
    assert.deepEqual(readFileSync(again.file), zip);
  });

  const unzip = requireTool('unzip');
  it('passes unzip -t', { skip: unzip.skip }, () => {
    const listing = execFileSync(unzip.path!, ['-t', result.file], { encoding: 'utf8' });
    assert.match(listing, /testing: index\.mjs\s+OK/);
  });

  it('runs from the bundle with Lambda environment variables only', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      ONBOARDING_URL: fakes.onboardingUrl,
      OAUTH_TOKEN_URL: fakes.tokenUrl,
      OAUTH_CLIENT_ID: CLIENT_ID,
      OAUTH_CLIENT_SECRET: CLIENT_SECRET,
      OAUTH_SCOPE: ONBOARDING_SCOPE,
      USER_TYPE_MAP: 'ORG_ADMIN=admin,ORG_MEMBER=member',
      LOG_LEVEL: 'silent',
    });
    try {
      const module = (await import(pathToFileURL(result.module).href)) as { handler: (event: unknown, ctx: unknown) => Promise<{ response: unknown }> };
      const answer = await module.handler(loadEvent('v1-hosted-auth'), context());
      assert.deepEqual((answer.response as { claimsOverrideDetails: { claimsToAddOrOverride: unknown } }).claimsOverrideDetails.claimsToAddOrOverride, { userType: 'admin' });
    } finally {
      process.env = saved;
    }
  });

  it('fails at cold start, naming the variable, when the environment is incomplete', async () => {
    const saved = { ...process.env };
    delete process.env.USER_TYPE_MAP;
    Object.assign(process.env, { ONBOARDING_URL: fakes.onboardingUrl, OAUTH_TOKEN_URL: fakes.tokenUrl, OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 'y' });
    try {
      // A query string makes it a fresh module instance: a new cold start.
      await assert.rejects(import(`${pathToFileURL(result.module).href}?cold=2`), /USER_TYPE_MAP is required/);
    } finally {
      process.env = saved;
    }
  });
});
