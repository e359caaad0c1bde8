// Cognito's side of the trigger, with hand-written handlers: the event it builds, how the answer
// changes the ID token (added, suppressed, groups, protected claims), failures and timeouts; and
// the provider's own shape (keys kept across restarts, discovery, no dev interactions).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startIdentityProvider, buildEvent, type EventVersion } from '../../../src/harness/idp/index.ts';
import type { PreTokenGenerationEvent, PreTokenGenerationHandler } from '../../../src/enrichment/index.ts';
import { ADMIN, APP, Browser, login, LOGOUT_URI, M2M, MEMBER, REDIRECT_URI, seed, type Stack } from './support.ts';
import { startOnboarding } from '../../../src/harness/onboarding/index.ts';
import { closedPortUrl } from '../../enrichment/support.ts';
import { ONBOARDING_SCOPE, USER_POOL_ID } from '../../../src/topology/waypoint.ts';

type Claims = Record<string, unknown>;

async function withProvider(
  handler: PreTokenGenerationHandler | undefined,
  run: (stack: Stack, events: PreTokenGenerationEvent[]) => Promise<void>,
  options: { version?: EventVersion; timeoutMs?: number; dataDir?: string } = {},
) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'oc-idp-'));
  const events: PreTokenGenerationEvent[] = [];
  const idp = await startIdentityProvider({
    dataDir,
    users: seed,
    clients: { app: { ...APP, redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [LOGOUT_URI] } },
    ...(handler
      ? {
          enrichment: {
            version: options.version ?? '2',
            ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
            handler: async (event, context) => {
              events.push(structuredClone(event));
              return handler(event, context);
            },
          },
        }
      : {}),
  });
  try {
    const config = await oidc.discovery(new URL(idp.issuer), APP.clientId, APP.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    await run({ idp, config } as unknown as Stack, events);
  } finally {
    await idp.close();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('the Pre Token Generation event', () => {
  it('V2 hosted login: the exact event Cognito sends', async () => {
    await withProvider(async (event) => event, async (stack, events) => {
      await login(stack, new Browser(), ADMIN);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0], {
        version: '2',
        triggerSource: 'TokenGeneration_HostedAuth',
        region: 'eu-west-1',
        userPoolId: USER_POOL_ID,
        userName: ADMIN.username,
        callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: APP.clientId },
        request: {
          userAttributes: { sub: ADMIN.id, 'cognito:user_status': 'CONFIRMED', email_verified: 'true', email: ADMIN.email },
          groupConfiguration: { groupsToOverride: ['admins'], iamRolesToOverride: [], preferredRole: null },
          scopes: ['openid', 'email'],
        },
        response: { claimsAndScopeOverrideDetails: null },
      });
    });
  });

  it('V1 carries no scopes and answers in claimsOverrideDetails', () => {
    const event = buildEvent({ version: '1', triggerSource: 'TokenGeneration_RefreshTokens', userPoolId: 'us-east-1_Abc', clientId: 'c', scopes: ['openid'], user: MEMBER });
    assert.deepEqual(event.request, {
      userAttributes: { sub: MEMBER.id, 'cognito:user_status': 'CONFIRMED', email_verified: 'true', email: MEMBER.email },
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
    });
    assert.deepEqual(event.response, { claimsOverrideDetails: null });
    assert.equal(event.region, 'us-east-1');
  });

  it('V3 client credentials: no user attributes, no groups', () => {
    const event = buildEvent({ version: '3', triggerSource: 'TokenGeneration_ClientCredentials', userPoolId: 'eu-west-1_X', clientId: 'm2m', scopes: [ONBOARDING_SCOPE] });
    assert.equal(event.userName, 'ClientCredentials');
    assert.deepEqual(event.request, { userAttributes: {}, groupConfiguration: null, scopes: [ONBOARDING_SCOPE] });
  });
});

describe('applying the answer', () => {
  it('adds, suppresses and overrides groups; protected claims stay as they are', async () => {
    const handler: PreTokenGenerationHandler = async (event) => ({
      ...event,
      response: {
        claimsAndScopeOverrideDetails: {
          idTokenGeneration: {
            claimsToAddOrOverride: { userType: 'admin', tier: 'gold', sub: 'hijacked', aud: 'other', 'cognito:username': 'x' },
            claimsToSuppress: ['email', 'token_use'],
          },
          groupOverrideDetails: { groupsToOverride: ['auditors', 'staff'], iamRolesToOverride: [], preferredRole: null },
        },
      },
    }) as unknown as PreTokenGenerationEvent;
    await withProvider(handler, async (stack) => {
      const { claims } = await login(stack, new Browser(), ADMIN);
      const c = claims as Claims;
      assert.equal(c.userType, 'admin');
      assert.equal(c.tier, 'gold');
      assert.equal(c.email, undefined, 'suppressed');
      assert.equal(c.email_verified, true);
      assert.equal(c.token_use, 'id', 'token_use cannot be suppressed');
      assert.equal(c.sub, ADMIN.id, 'sub cannot be overridden');
      assert.equal(c.aud, APP.clientId, 'aud cannot be overridden');
      assert.equal(c['cognito:username'], ADMIN.username);
      assert.deepEqual(c['cognito:groups'], ['auditors', 'staff']);
    });
  });

  it('an answer without groupOverrideDetails keeps the groups; an empty list removes them', async () => {
    let groups: string[] | undefined;
    const handler: PreTokenGenerationHandler = async (event) => ({
      ...event,
      response: {
        claimsOverrideDetails: {
          claimsToAddOrOverride: { userType: 'x' },
          ...(groups ? { groupOverrideDetails: { groupsToOverride: groups } } : {}),
        },
      },
    }) as unknown as PreTokenGenerationEvent;
    await withProvider(handler, async (stack) => {
      assert.deepEqual(((await login(stack, new Browser(), ADMIN)).claims as Claims)['cognito:groups'], ['admins']);
      groups = [];
      assert.equal(((await login(stack, new Browser(), ADMIN)).claims as Claims)['cognito:groups'], undefined);
    }, { version: '1' });
  });

  it('V1 refuses non-string claim values, as Cognito does', async () => {
    const handler: PreTokenGenerationHandler = async (event) => ({ ...event, response: { claimsOverrideDetails: { claimsToAddOrOverride: { n: 1 } } } }) as unknown as PreTokenGenerationEvent;
    await withProvider(handler, async (stack) => {
      const result = await login(stack, new Browser(), MEMBER);
      assert.equal(result.error, 'invalid_request');
      assert.match(result.errorDescription!, /claimsToAddOrOverride\.n must be a string/);
    }, { version: '1' });
  });

  it('a throwing handler sends the error to the callback, with the state', async () => {
    await withProvider(async () => {
      throw new Error('onboarding says no');
    }, async (stack) => {
      const result = await login(stack, new Browser(), MEMBER);
      assert.equal(result.error, 'invalid_request');
      assert.equal(result.errorDescription, 'PreTokenGeneration failed with error onboarding says no.');
      assert.equal(result.stateMatches, true);
      assert.equal(result.iss, stack.idp.issuer, 'RFC 9207 iss on the error too');
    });
  });

  it("a handler slower than the trigger's limit fails the login", async () => {
    await withProvider(() => new Promise(() => {}), async (stack) => {
      const started = Date.now();
      const result = await login(stack, new Browser(), MEMBER);
      assert.equal(result.error, 'invalid_request');
      assert.equal(result.errorDescription, 'PreTokenGeneration invocation failed due to error TimeoutException.');
      assert.ok(Date.now() - started < 3000);
    }, { timeoutMs: 300 });
  });

  it('without a trigger, tokens are issued as they are', async () => {
    await withProvider(undefined, async (stack) => {
      const { claims } = await login(stack, new Browser(), MEMBER);
      assert.equal((claims as Claims).sub, MEMBER.id);
      assert.equal((claims as Claims).userType, undefined);
    });
  });
});

describe('enrichment built from settings', () => {
  it('fills in its own token endpoint and M2M client, and enriches logins', async () => {
    // The idp's port is chosen first so onboarding can trust its issuer before it starts.
    const idpUrl = await closedPortUrl();
    const dataDir = mkdtempSync(join(tmpdir(), 'oc-idp-'));
    const onboarding = await startOnboarding({ issuer: `${idpUrl}/${USER_POOL_ID}`, seed });
    const logs: string[] = [];
    const idp = await startIdentityProvider({
      port: Number(new URL(idpUrl).port),
      dataDir,
      users: seed,
      clients: { app: { ...APP, redirectUris: [REDIRECT_URI] }, m2m: M2M },
      enrichment: { settings: { onboardingUrl: onboarding.url, userTypes: { ORG_ADMIN: 'admin', ORG_MEMBER: 'member' } }, write: (line) => logs.push(line) },
    });
    try {
      assert.equal(idp.issuer, `${idpUrl}/${USER_POOL_ID}`);
      const config = await oidc.discovery(new URL(idp.issuer), APP.clientId, APP.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
      const { claims } = await login({ idp, config } as unknown as Stack, new Browser(), ADMIN);
      assert.equal((claims as Claims).userType, 'admin');
      assert.equal(idp.enrichment?.tokens.requests, 1);
      assert.equal(idp.enrichment?.settings.tokenUrl, idp.tokenEndpoint);
      assert.equal(idp.enrichment?.settings.failurePolicy, 'deny');
      assert.ok(logs.some((line) => line.includes('"msg":"enriched"')));
    } finally {
      await Promise.allSettled([idp.close(), onboarding.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses invalid settings at start, naming the setting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oc-idp-'));
    try {
      await assert.rejects(
        startIdentityProvider({
          dataDir,
          users: seed,
          clients: { app: { ...APP, redirectUris: [REDIRECT_URI] }, m2m: M2M },
          enrichment: { settings: { onboardingUrl: 'not a url', userTypes: { A: 'a' } } },
        }),
        /ONBOARDING_URL must be an absolute http\(s\) URL/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the provider', () => {
  it('keeps its signing key in the data folder across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oc-idp-keys-'));
    try {
      const kids: string[] = [];
      for (let i = 0; i < 2; i++) {
        await withProvider(undefined, async (stack) => {
          const jwks = (await (await fetch(stack.idp.jwksUri)).json()) as { keys: { kid: string; kty: string; alg: string; d?: string }[] };
          assert.equal(jwks.keys.length, 1);
          assert.equal(jwks.keys[0]!.alg, 'RS256');
          assert.equal(jwks.keys[0]!.d, undefined, 'no private part published');
          kids.push(jwks.keys[0]!.kid);
        }, { dataDir });
      }
      assert.equal(kids[0], kids[1]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('publishes Cognito-like discovery: issuer with the pool id, PKCE S256, end session, revocation', async () => {
    await withProvider(undefined, async (stack) => {
      const metadata = stack.config.serverMetadata();
      assert.equal(metadata.issuer, stack.idp.issuer);
      assert.equal(metadata.jwks_uri, `${stack.idp.issuer}/.well-known/jwks.json`);
      assert.equal(metadata.token_endpoint, stack.idp.tokenEndpoint);
      assert.ok(metadata.end_session_endpoint);
      assert.ok(metadata.revocation_endpoint);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    });
  });

  it('requires PKCE and has no development login pages', async () => {
    await withProvider(undefined, async (stack) => {
      const noPkce = new URL(stack.config.serverMetadata().authorization_endpoint!);
      noPkce.search = new URLSearchParams({ client_id: APP.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid' }).toString();
      const response = await fetch(noPkce, { redirect: 'manual' });
      const location = new URL(response.headers.get('location')!);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(location.searchParams.get('error_description')!, /requires PKCE/);
      const page = await new Browser().follow(
        oidc.buildAuthorizationUrl(stack.config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).href,
        REDIRECT_URI,
      );
      const html = page.response!.body;
      assert.match(page.url, /\/interaction\/[^/]+$/);
      assert.match(html, /<form method="post" action="\/interaction\/[^"]+\/login"/);
      assert.match(html, /name="password" type="password"/);
      assert.doesNotMatch(html, /any login/i);
    });
  });
});
