// The M2M side: token cache, refetch on 401 and after expiry, one retry on a connection error,
// client authentication exactly as RFC 6749 asks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refreshMargin, type EnrichmentSettings } from '../../src/enrichment/index.ts';
import { CLIENT_ID, CLIENT_SECRET, context, fakesHandler, loadEvent, useFakes } from './support.ts';
import { ONBOARDING_SCOPE } from '../../src/topology/waypoint.ts';

const fakes = useFakes();

function make(settings: Partial<EnrichmentSettings> = {}, now?: () => number) {
  return fakesHandler(fakes, { scope: ONBOARDING_SCOPE, timeoutMs: 1000, logLevel: 'silent', ...settings }, now ? { now } : {});
}

describe('client-credentials token', () => {
  it('is requested with HTTP Basic (form-encoded id and secret), grant type and scope', async () => {
    await make()(loadEvent('v1-hosted-auth'), context());
    assert.equal(fakes.tokenRequests.length, 1);
    const { authorization, body } = fakes.tokenRequests[0]!;
    const expected = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    assert.equal(authorization, `Basic ${expected}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), { grant_type: 'client_credentials', scope: ONBOARDING_SCOPE });
    assert.equal(fakes.onboardingRequests[0]!.authorization, `Bearer ${fakes.issued[0]}`);
  });

  it('is cached: many invocations, one token request', async () => {
    const handler = make();
    for (let i = 0; i < 5; i++) await handler(loadEvent('v2-authentication'), context());
    assert.equal(fakes.tokenRequests.length, 1);
    assert.equal(fakes.onboardingRequests.length, 5);
    assert.equal(handler.tokens.requests, 1);
  });

  it('concurrent invocations share one token request', async () => {
    const handler = make();
    await Promise.all(Array.from({ length: 4 }, () => handler(loadEvent('v2-authentication'), context())));
    assert.equal(fakes.tokenRequests.length, 1);
  });

  it('is refetched shortly before it expires', async () => {
    let clock = 1_000_000;
    fakes.expiresIn = 300;
    const handler = make({}, () => clock);
    await handler(loadEvent('v1-hosted-auth'), context());
    clock += 300_000 - refreshMargin(300_000) - 1;
    await handler(loadEvent('v1-hosted-auth'), context());
    assert.equal(fakes.tokenRequests.length, 1, 'still valid just before the margin');
    clock += 2;
    await handler(loadEvent('v1-hosted-auth'), context());
    assert.equal(fakes.tokenRequests.length, 2, 'refetched inside the margin');
  });

  it('the margin is 30 s for long tokens and a tenth of short ones', () => {
    assert.equal(refreshMargin(3_600_000), 30_000);
    assert.equal(refreshMargin(2_000), 200);
  });

  it('is refetched once when onboarding answers 401, and the call succeeds', async () => {
    const handler = make();
    await handler(loadEvent('v1-hosted-auth'), context());
    fakes.mode = '401-first';
    const answer = await handler(loadEvent('v1-hosted-auth'), context());
    assert.equal((answer.response as { claimsOverrideDetails: { claimsToAddOrOverride: Record<string, string> } }).claimsOverrideDetails.claimsToAddOrOverride.userType, 'admin');
    assert.equal(fakes.tokenRequests.length, 2);
    assert.notEqual(fakes.onboardingRequests.at(-1)!.authorization, fakes.onboardingRequests.at(-2)!.authorization);
  });

  it('a second 401 is a failure, not a loop', async () => {
    fakes.mode = '401-always';
    await assert.rejects(make()(loadEvent('v1-hosted-auth'), context()), {
      message: 'cannot set userType: onboarding rejected the M2M token (HTTP 401), also after fetching a new one',
    });
    assert.equal(fakes.tokenRequests.length, 2);
    assert.equal(fakes.onboardingRequests.length, 2);
  });
});

describe('onboarding call', () => {
  it('retries once after a connection reset', async () => {
    fakes.mode = 'reset-first';
    const answer = await make()(loadEvent('v2-authentication'), context());
    assert.equal(fakes.onboardingRequests.length, 2);
    assert.deepEqual(
      (answer.response as { claimsAndScopeOverrideDetails: { idTokenGeneration: unknown } }).claimsAndScopeOverrideDetails.idTokenGeneration,
      { claimsToAddOrOverride: { userType: 'member' } },
    );
  });

  it('encodes the user id into the path', async () => {
    const event = loadEvent('v2-authentication');
    event.request.userAttributes.sub = 'a/b?c';
    await assert.rejects(make()(event, context()), /onboarding has no user a\/b\?c/);
    assert.equal(fakes.onboardingRequests[0]!.path, '/onboarding/users/a%2Fb%3Fc');
  });
});
