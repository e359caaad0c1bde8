// The enrichment Lambda's own organisations claim, end to end: logins through the Cognito stand-in
// (the real handler, the harness onboarding, no wrapper) give ID tokens that list the user's
// organisations, and the built org-context filter configured as the production overlay configures
// it (membership check on) lets a signed cookie select only one of those. Another user's cookie is
// no longer a bearer token, and a token without the claim never selects from the cookie.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sign } from 'cookie-signature';
import { MEMBERSHIP_CLAIM } from '../../../src/enrichment/index.ts';
import { createHost } from '../../../src/host/index.ts';
import { pluginEnvironment } from '../../../src/harness/plugin-env.ts';
import { filterWasm } from '../../support/filter-wasm.ts';
import { ADMIN, Browser, login, MEMBER, startStack, type Stack } from './support.ts';

const { path: wasmPath = '', skip: noFilter } = filterWasm();
const SECRET = randomBytes(32).toString('base64url');
const ORG_HEADER = 'x-currently-selected-organisation';

async function idClaims(stack: Stack, user: typeof ADMIN): Promise<Record<string, unknown>> {
  const result = await login(stack, new Browser(), user);
  assert.ok(result.claims, `login failed: ${JSON.stringify(result)}`);
  return result.claims as Record<string, unknown>;
}

/** The organisation the filter, with the production overlay's settings, selects for a cookie and a verified payload. */
async function selected(payload: Record<string, unknown>, organisation: string): Promise<string | undefined> {
  const env = pluginEnvironment({ host: { ORG_COOKIE_SECRETS: JSON.stringify([SECRET]) }, overlay: 'production' });
  assert.equal(env.ORG_MEMBERSHIP_CLAIM, MEMBERSHIP_CLAIM, 'production checks membership with the Lambda\'s claim');
  const plugin = await createHost({ wasm: wasmPath, env });
  try {
    const cookie = `previouslySelectedOrganisation=${encodeURIComponent(`s:${sign(organisation, SECRET)}`)}`;
    const result = plugin.request({ path: '/', headers: [['cookie', cookie]], jwtPayload: payload });
    assert.equal(result.localResponse, null);
    return result.headers.find(([name]) => name === ORG_HEADER)?.[1];
  } finally {
    plugin.close();
  }
}

describe('the Lambda\'s organisations claim through the stand-in (V2 trigger)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  it('each ID token lists the user\'s organisations from onboarding', async () => {
    assert.ok(ADMIN.organisations.includes('org-globex') && !MEMBER.organisations.includes('org-globex'), 'the seed this test needs');
    assert.equal((await idClaims(stack, ADMIN))[MEMBERSHIP_CLAIM], ADMIN.organisations.join(','));
    assert.equal((await idClaims(stack, MEMBER))[MEMBERSHIP_CLAIM], MEMBER.organisations.join(','));
  });

  it('with production\'s settings a cookie selects only an organisation of the token\'s user', { skip: noFilter }, async () => {
    assert.equal(await selected(await idClaims(stack, ADMIN), 'org-globex'), 'org-globex');
    // The member holds a validly signed cookie for an organisation that is not theirs (copied from
    // another user's browser, or kept after removal): the filter refuses it and falls back to the
    // member's own organisation.
    assert.equal(await selected(await idClaims(stack, MEMBER), 'org-globex'), MEMBER.organisations[0]);
  });
});

describe('V1 trigger', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ version: '1' });
  });
  after(async () => {
    await stack.close();
  });

  it('the ID token carries the claim as a string, as V1 answers must', async () => {
    assert.equal((await idClaims(stack, MEMBER))[MEMBERSHIP_CLAIM], MEMBER.organisations.join(','));
  });
});

describe('ORGANISATIONS_CLAIM off', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ settings: { organisationsClaim: false } });
  });
  after(async () => {
    await stack.close();
  });

  it('no claim: the cookie selects nothing, the bootstrapped fallback applies, nothing is granted', { skip: noFilter }, async () => {
    const claims = await idClaims(stack, ADMIN);
    assert.equal(claims[MEMBERSHIP_CLAIM], undefined);
    const fallback = pluginEnvironment({ host: { ORG_COOKIE_SECRETS: '[]' }, overlay: 'production' }).BOOTSTRAPPED_ORGANISATIONS!.split(',')[0];
    assert.ok(fallback && fallback !== 'org-globex');
    assert.equal(await selected(claims, 'org-globex'), fallback);
  });
});
