// The organisations claim: the Lambda lists the user's organisation ids (onboarding's user record)
// in the ID token (and the access token for V2/V3), so the filter's membership check has a verified
// list. Bounded in count and size; over the bound, or with an unusable id, the claim is left out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  settingsFromEnv,
  EnrichmentConfigError,
  MEMBERSHIP_CLAIM,
  MAX_ORGANISATIONS,
  MAX_ORGANISATIONS_CLAIM_BYTES,
  organisationsClaim,
  type EnrichmentSettings,
} from '../../src/enrichment/index.ts';
import { ADMIN_ID as ADMIN, context, fakesHandler, loadEvent, MEMBER_ID as MEMBER, useFakes } from './support.ts';

const fakes = useFakes();

function make(settings: Partial<EnrichmentSettings> = {}, logs: string[] = []) {
  return fakesHandler(fakes, { timeoutMs: 800, ...settings }, { write: (line) => logs.push(line) });
}

type Claims = Record<string, string> | undefined;
function v1Claims(answer: unknown): Claims {
  return (answer as { response: { claimsOverrideDetails: { claimsToAddOrOverride?: Record<string, string> } } }).response.claimsOverrideDetails
    .claimsToAddOrOverride;
}
function v2Claims(answer: unknown): { id: Claims; access: Claims } {
  const details = (answer as { response: { claimsAndScopeOverrideDetails: Record<string, { claimsToAddOrOverride?: Record<string, string> }> } })
    .response.claimsAndScopeOverrideDetails;
  return { id: details.idTokenGeneration?.claimsToAddOrOverride, access: details.accessTokenGeneration?.claimsToAddOrOverride };
}

describe('organisations claim', () => {
  it('is on by default, named custom:organisations, in the V1 ID token', async () => {
    assert.equal(MEMBERSHIP_CLAIM, 'custom:organisations');
    fakes.organisations.set(ADMIN, ['org-acme', 'org-globex']);
    const answer = await make()(loadEvent('v1-hosted-auth'), context());
    assert.deepEqual(v1Claims(answer), { userType: 'admin', 'custom:organisations': 'org-acme,org-globex' });
  });

  it('goes into the ID and the access token for V2 and V3', async () => {
    fakes.organisations.set(MEMBER, ['org-acme']);
    fakes.organisations.set(ADMIN, ['org-globex']);
    assert.deepEqual(v2Claims(await make()(loadEvent('v2-authentication'), context())), {
      id: { userType: 'member', 'custom:organisations': 'org-acme' },
      access: { userType: 'member', 'custom:organisations': 'org-acme' },
    });
    assert.deepEqual(v2Claims(await make()(loadEvent('v3-refresh-tokens'), context())), {
      id: { userType: 'admin', 'custom:organisations': 'org-globex' },
      access: { userType: 'admin', 'custom:organisations': 'org-globex' },
    });
  });

  it('is re-read on every token issue: a removed member loses the organisation at the next refresh', async () => {
    const handler = make();
    fakes.organisations.set(ADMIN, ['org-acme', 'org-globex']);
    assert.equal(v2Claims(await handler(loadEvent('v3-refresh-tokens'), context())).id?.[MEMBERSHIP_CLAIM], 'org-acme,org-globex');
    fakes.organisations.set(ADMIN, ['org-acme']);
    assert.equal(v2Claims(await handler(loadEvent('v3-refresh-tokens'), context())).id?.[MEMBERSHIP_CLAIM], 'org-acme');
  });

  it('takes its name from a setting, and can be turned off', async () => {
    fakes.organisations.set(ADMIN, ['org-acme']);
    assert.deepEqual(v1Claims(await make({ organisationsClaim: 'orgs' })(loadEvent('v1-hosted-auth'), context())), { userType: 'admin', orgs: 'org-acme' });
    assert.deepEqual(v1Claims(await make({ organisationsClaim: false })(loadEvent('v1-hosted-auth'), context())), { userType: 'admin' });
  });

  it('is left out when onboarding lists no organisation', async () => {
    assert.deepEqual(v1Claims(await make()(loadEvent('v1-hosted-auth'), context())), { userType: 'admin' });
    fakes.organisations.set(ADMIN, []);
    assert.deepEqual(v1Claims(await make()(loadEvent('v1-hosted-auth'), context())), { userType: 'admin' });
  });

  it('is left out (with a warning), never truncated, over the count or size bound', async () => {
    const logs: string[] = [];
    const handler = make({}, logs);
    const many = Array.from({ length: MAX_ORGANISATIONS + 1 }, (_, i) => `org-${i}`);
    fakes.organisations.set(ADMIN, many);
    assert.deepEqual(v1Claims(await handler(loadEvent('v1-hosted-auth'), context())), { userType: 'admin' });
    fakes.organisations.set(ADMIN, many.slice(0, MAX_ORGANISATIONS));
    assert.equal(v1Claims(await handler(loadEvent('v1-hosted-auth'), context()))?.[MEMBERSHIP_CLAIM], many.slice(0, MAX_ORGANISATIONS).join(','));
    const long = Array.from({ length: 50 }, (_, i) => `org-${String(i).padStart(2, '0')}-${'x'.repeat(80)}`);
    assert.ok(long.join(',').length > MAX_ORGANISATIONS_CLAIM_BYTES);
    fakes.organisations.set(ADMIN, long);
    assert.deepEqual(v1Claims(await handler(loadEvent('v1-hosted-auth'), context())), { userType: 'admin' });
    const warnings = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.level === 'warn');
    assert.deepEqual(warnings.map((entry) => entry.reason), ['too_many', 'too_long']);
  });

  it('is left out when an id would not survive the comma-separated form', async () => {
    for (const bad of ['org,evil', '', ' org-acme', 'org\nx']) {
      fakes.organisations.set(ADMIN, ['org-acme', bad]);
      assert.deepEqual(v1Claims(await make()(loadEvent('v1-hosted-auth'), context())), { userType: 'admin' }, JSON.stringify(bad));
    }
  });

  it('is not added when the privilege failed under omit', async () => {
    fakes.organisations.set(ADMIN, ['org-acme']);
    fakes.privileges.set(ADMIN, 'AUDITOR');
    const answer = await make({ failurePolicy: 'omit' })(loadEvent('v1-hosted-auth'), context());
    assert.equal(v1Claims(answer), undefined);
    fakes.privileges.set(ADMIN, 'ORG_ADMIN');
  });
});

describe('organisationsClaim', () => {
  it('dedupes, bounds at exactly the limits', () => {
    assert.deepEqual(organisationsClaim(['a', 'b', 'a']), { value: 'a,b', count: 2 });
    assert.deepEqual(organisationsClaim(undefined), { omitted: 'none', count: 0 });
    const exact = ['x'.repeat(MAX_ORGANISATIONS_CLAIM_BYTES)];
    assert.equal('value' in organisationsClaim(exact), true);
    assert.deepEqual(organisationsClaim(['x'.repeat(MAX_ORGANISATIONS_CLAIM_BYTES + 1)]), { omitted: 'too_long', count: 1 });
  });
});

describe('ORGANISATIONS_CLAIM', () => {
  const ENV = {
    ONBOARDING_URL: 'http://internal-gateway.local:8081/onboarding',
    OAUTH_TOKEN_URL: 'https://auth.example.test/oauth2/token',
    OAUTH_CLIENT_ID: 'm2m',
    OAUTH_CLIENT_SECRET: 'shh',
    USER_TYPE_MAP: 'ORG_ADMIN=admin',
  };
  it('defaults to custom:organisations; off turns it off; a name is taken as is', () => {
    assert.equal(settingsFromEnv(ENV).organisationsClaim, MEMBERSHIP_CLAIM);
    assert.equal(settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: '' }).organisationsClaim, MEMBERSHIP_CLAIM);
    assert.equal(settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: 'off' }).organisationsClaim, false);
    assert.equal(settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: 'custom:orgs' }).organisationsClaim, 'custom:orgs');
  });
  it('refuses names the filter or Cognito could not use', () => {
    assert.throws(() => settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: 'a b' }), /^EnrichmentConfigError: ORGANISATIONS_CLAIM must be a claim name/);
    assert.throws(() => settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: 'cognito:groups' }), /ORGANISATIONS_CLAIM must not be a cognito: claim/);
    assert.throws(() => make({ organisationsClaim: 'userType' }), (error: Error) => error instanceof EnrichmentConfigError);
  });
  it('refuses a switch word instead of reading it as a claim name, and says how to turn the claim off', () => {
    for (const word of ['false', 'FALSE', ' no ', 'none', '0', 'null', 'disabled']) {
      assert.throws(() => settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: word }), {
        name: 'EnrichmentConfigError',
        message: `ORGANISATIONS_CLAIM=${word.trim()} is not a claim name: set it to off to add no organisations claim`,
      });
    }
    for (const word of ['true', 'yes', 'on', '1', 'enabled']) {
      assert.throws(() => settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: word }), {
        name: 'EnrichmentConfigError',
        message: `ORGANISATIONS_CLAIM=${word} is not a claim name: leave it unset for the default claim ${MEMBERSHIP_CLAIM}`,
      });
    }
    assert.equal(settingsFromEnv({ ...ENV, ORGANISATIONS_CLAIM: 'OFF' }).organisationsClaim, false, 'off in any case');
  });
});
