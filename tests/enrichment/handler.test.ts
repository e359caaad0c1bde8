// The Pre Token Generation handler against Cognito event samples for V1, V2 and V3 and every
// trigger source, with a real token endpoint and onboarding on 127.0.0.1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TRIGGER_SOURCES, type EnrichmentSettings, type PreTokenGenerationEvent } from '../../src/enrichment/index.ts';
import { ADMIN_ID, CLIENT_SECRET, closedPortUrl, context, fakesHandler, loadEvent, MEMBER_ID, useFakes } from './support.ts';
import { ONBOARDING_SCOPE } from '../../src/topology/waypoint.ts';

const USER_SOURCES = TRIGGER_SOURCES.filter((source) => source !== 'TokenGeneration_ClientCredentials');

const fakes = useFakes();

function make(settings: Partial<EnrichmentSettings> = {}, logs: string[] = []) {
  return fakesHandler(fakes, { scope: ONBOARDING_SCOPE, timeoutMs: 800, ...settings }, { write: (line) => logs.push(line) });
}

function withSource(event: PreTokenGenerationEvent, triggerSource: string): PreTokenGenerationEvent {
  return { ...structuredClone(event), triggerSource } as PreTokenGenerationEvent;
}

describe('V1 events (ID token only)', () => {
  for (const source of USER_SOURCES) {
    it(`${source}: answers claimsOverrideDetails with userType and the groups copied back`, async () => {
      const handler = make();
      const event = withSource(loadEvent('v1-hosted-auth'), source);
      const answer = await handler(structuredClone(event), context());
      // Everything but the response is returned untouched.
      assert.deepEqual({ ...answer, response: undefined }, { ...event, response: undefined });
      assert.deepEqual(answer.response, {
        claimsOverrideDetails: {
          claimsToAddOrOverride: { userType: 'admin' },
          groupOverrideDetails: {
            groupsToOverride: ['admins'],
            iamRolesToOverride: ['arn:aws:iam::123456789012:role/oc-admins'],
            preferredRole: null,
          },
        },
      });
    });
  }
});

describe('V2 events (ID and access token)', () => {
  for (const source of USER_SOURCES) {
    it(`${source}: answers claimsAndScopeOverrideDetails for both tokens`, async () => {
      const handler = make();
      const event = withSource(loadEvent('v2-authentication'), source);
      const answer = await handler(structuredClone(event), context());
      assert.deepEqual(answer.request, event.request);
      assert.deepEqual(answer.response, {
        claimsAndScopeOverrideDetails: {
          idTokenGeneration: { claimsToAddOrOverride: { userType: 'member' } },
          accessTokenGeneration: { claimsToAddOrOverride: { userType: 'member' } },
          groupOverrideDetails: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
        },
      });
    });
  }
});

describe('V3 events', () => {
  for (const source of USER_SOURCES) {
    it(`${source}: same shape as V2, preferred role kept`, async () => {
      const handler = make();
      const event = withSource(loadEvent('v3-refresh-tokens'), source);
      const answer = await handler(structuredClone(event), context());
      assert.deepEqual(answer.response, {
        claimsAndScopeOverrideDetails: {
          idTokenGeneration: { claimsToAddOrOverride: { userType: 'admin' } },
          accessTokenGeneration: { claimsToAddOrOverride: { userType: 'admin' } },
          groupOverrideDetails: {
            groupsToOverride: ['admins'],
            iamRolesToOverride: [],
            preferredRole: 'arn:aws:iam::123456789012:role/oc-admins',
          },
        },
      });
    });
  }

  it('TokenGeneration_ClientCredentials: passes through without calling anyone', async () => {
    const handler = make();
    const event = loadEvent('v3-client-credentials');
    const answer = await handler(structuredClone(event), context());
    assert.deepEqual(answer, event);
    assert.equal(fakes.tokenRequests.length, 0);
    assert.equal(fakes.onboardingRequests.length, 0);
  });
});

describe('failure policy', () => {
  it('deny (default): an unknown privilege throws a clear error and issues nothing', async () => {
    const handler = make();
    fakes.privileges.set(MEMBER_ID, 'AUDITOR');
    try {
      await assert.rejects(handler(loadEvent('v2-authentication'), context()), {
        name: 'EnrichmentDenied',
        message: 'cannot set userType: unknown privilege "AUDITOR" for user 9c4d7e21-5b3a-4f68-8e1c-2a7b9d0e4f02',
      });
    } finally {
      fakes.privileges.set(MEMBER_ID, 'ORG_MEMBER');
    }
  });

  it('omit: an unknown privilege gives tokens without userType, groups still copied', async () => {
    const handler = make({ failurePolicy: 'omit' });
    fakes.privileges.set(ADMIN_ID, 'AUDITOR');
    try {
      const v1 = await handler(loadEvent('v1-hosted-auth'), context());
      assert.deepEqual(v1.response, {
        claimsOverrideDetails: {
          groupOverrideDetails: { groupsToOverride: ['admins'], iamRolesToOverride: ['arn:aws:iam::123456789012:role/oc-admins'], preferredRole: null },
        },
      });
      const v3 = await handler(loadEvent('v3-refresh-tokens'), context());
      assert.deepEqual(v3.response, {
        claimsAndScopeOverrideDetails: {
          groupOverrideDetails: { groupsToOverride: ['admins'], iamRolesToOverride: [], preferredRole: 'arn:aws:iam::123456789012:role/oc-admins' },
        },
      });
    } finally {
      fakes.privileges.set(ADMIN_ID, 'ORG_ADMIN');
    }
  });

  it('a privilege named like an Object prototype key is still unknown', async () => {
    const handler = make();
    fakes.privileges.set(MEMBER_ID, 'constructor');
    try {
      await assert.rejects(handler(loadEvent('v2-authentication'), context()), /unknown privilege "constructor"/);
    } finally {
      fakes.privileges.set(MEMBER_ID, 'ORG_MEMBER');
    }
  });

  it('a user onboarding does not know is denied by name', async () => {
    const handler = make();
    const event = loadEvent('v2-authentication');
    event.request.userAttributes.sub = 'no-such-user';
    await assert.rejects(handler(event, context()), { message: 'cannot set userType: onboarding has no user no-such-user' });
  });

  it('onboarding down: deny throws "cannot reach onboarding", omit issues without the claim', async () => {
    const down = await closedPortUrl();
    await assert.rejects(make({ onboardingUrl: down })(loadEvent('v2-authentication'), context()), {
      message: 'cannot set userType: cannot reach onboarding (ECONNREFUSED, after one retry)',
    });
    const answer = await make({ onboardingUrl: down, failurePolicy: 'omit' })(loadEvent('v2-authentication'), context());
    assert.deepEqual(answer.response, {
      claimsAndScopeOverrideDetails: { groupOverrideDetails: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null } },
    });
  });

  it('onboarding hangs: gives up within the configured timeout', async () => {
    fakes.mode = 'hang';
    const started = Date.now();
    await assert.rejects(make({ timeoutMs: 300 })(loadEvent('v1-hosted-auth'), context()), {
      message: 'cannot set userType: onboarding did not answer within 300 ms',
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it('never waits longer than Lambda has left', async () => {
    fakes.mode = 'hang';
    const started = Date.now();
    await assert.rejects(
      make({ timeoutMs: 4000 })(loadEvent('v1-hosted-auth'), { awsRequestId: 'r', getRemainingTimeInMillis: () => 500 }),
      /did not answer within 300 ms/,
    );
    assert.ok(Date.now() - started < 1500);
  });

  it('an HTTP 500 or a non-JSON answer from onboarding is a failure, not a guess', async () => {
    fakes.mode = '500';
    await assert.rejects(make()(loadEvent('v1-hosted-auth'), context()), { message: 'cannot set userType: onboarding answered HTTP 500' });
    fakes.mode = 'garbage';
    await assert.rejects(make()(loadEvent('v1-hosted-auth'), context()), /onboarding answered HTTP 200 without a JSON body/);
  });

  it('a token endpoint refusal is reported with its OAuth error code', async () => {
    fakes.tokenStatus = 401;
    await assert.rejects(make()(loadEvent('v1-hosted-auth'), context()), {
      message: 'cannot set userType: token endpoint answered HTTP 401: invalid_client (client authentication failed)',
    });
  });

  it('an event without a user id follows the policy', async () => {
    const event = loadEvent('v1-hosted-auth');
    delete (event.request.userAttributes as Record<string, string>).sub;
    await assert.rejects(make()(structuredClone(event), context()), /the event has no user id/);
    const answer = await make({ failurePolicy: 'omit' })(structuredClone(event), context());
    assert.equal((answer.response as { claimsOverrideDetails: { claimsToAddOrOverride?: unknown } }).claimsOverrideDetails.claimsToAddOrOverride, undefined);
  });

  it('an unsupported event version is refused whatever the policy', async () => {
    const event = { ...loadEvent('v1-hosted-auth'), version: '4' } as unknown as PreTokenGenerationEvent;
    await assert.rejects(make({ failurePolicy: 'omit' })(event, context()), { message: 'unsupported Pre Token Generation event version "4"' });
  });
});

describe('logs', () => {
  it('are JSON lines with the Cognito request id and never a token or the secret', async () => {
    const logs: string[] = [];
    const handler = make({}, logs);
    await handler(loadEvent('v1-hosted-auth'), context('req-42'));
    fakes.mode = '401-always';
    await assert.rejects(handler(loadEvent('v1-hosted-auth'), context('req-43')));
    assert.ok(logs.length >= 2);
    const entries = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(entries[0]!.requestId, 'req-42');
    assert.equal(entries[0]!.msg, 'enriched');
    assert.equal(entries[0]!.userType, 'admin');
    assert.equal(entries.at(-1)!.requestId, 'req-43');
    assert.equal(entries.at(-1)!.failure, 'unauthorized');
    const all = logs.join('\n');
    assert.ok(fakes.issued.length > 0);
    for (const token of fakes.issued) assert.ok(!all.includes(token), 'a token leaked into the logs');
    assert.ok(!all.includes(CLIENT_SECRET));
  });
});
