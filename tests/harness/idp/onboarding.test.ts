// Onboarding's door: only an RS256 access token from the configured issuer, with token_use
// access and the onboarding scope, gets through; everything else is a 401 that never reaches a
// handler. Tokens here are signed by a key served from a local JWKS endpoint.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listen, type TestServer } from '../../support/http.ts';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { startOnboarding, bearerToken, type RunningOnboarding } from '../../../src/harness/onboarding/index.ts';
import { seed, ADMIN } from './support.ts';

let jwksServer: TestServer;
let issuer: string;
let key: CryptoKey;
let otherKey: CryptoKey;
let onboarding: RunningOnboarding;
const seen: { path: string; status: number }[] = [];

before(async () => {
  ({ privateKey: otherKey } = await generateKeyPair('RS256'));
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  issuer = `${jwksServer.url}/eu-west-1_Test`;
  onboarding = await startOnboarding({ issuer, jwksUri: `${issuer}/.well-known/jwks.json`, seed, onRequest: (entry) => seen.push(entry) });
});
after(async () => {
  await onboarding.close();
  await jwksServer.close();
});

function token(claims: JWTPayload = {}, options: { signer?: CryptoKey; alg?: string; expiresIn?: string | number } = {}) {
  return new SignJWT({ token_use: 'access', client_id: 'm2m', scope: 'onboarding/read', ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: 'k1' })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
    .setSubject('m2m')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.signer ?? key);
}

async function getUser(id: string, authorization?: string) {
  const response = await fetch(`${onboarding.url}/users/${encodeURIComponent(id)}`, authorization ? { headers: { authorization } } : {});
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, challenge: response.headers.get('www-authenticate') };
}

describe('onboarding', () => {
  it('answers GET /users/{id} for a valid M2M token', async () => {
    const { status, body } = await getUser(ADMIN.id, `Bearer ${await token()}`);
    assert.equal(status, 200);
    assert.deepEqual(body, { id: ADMIN.id, email: ADMIN.email, privilege: 'ORG_ADMIN', organisations: ['org-acme', 'org-globex'] });
  });

  it('404 for an unknown user', async () => {
    const { status } = await getUser('nobody', `Bearer ${await token()}`);
    assert.equal(status, 404);
  });

  it('setPrivilege changes what the next call sees', async () => {
    onboarding.setPrivilege(ADMIN.id, 'ORG_MEMBER');
    try {
      assert.equal((await getUser(ADMIN.id, `Bearer ${await token()}`)).body.privilege, 'ORG_MEMBER');
    } finally {
      onboarding.setPrivilege(ADMIN.id, 'ORG_ADMIN');
    }
    assert.throws(() => onboarding.setPrivilege('nobody', 'X'), /no user nobody/);
  });

  const refusals: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no Authorization header', async () => undefined, /no bearer token/],
    ['a Basic header', async () => 'Basic bTJtOnNlY3JldA==', /no bearer token/],
    ['a token signed by another key', async () => `Bearer ${await token({}, { signer: otherKey })}`, /bad signature|ERR_JWKS_NO_MATCHING_KEY/],
    ['an expired token', async () => `Bearer ${await token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`, /token expired/],
    ['an ID token (token_use id)', async () => `Bearer ${await token({ token_use: 'id' })}`, /not an access token/],
    ['a token without the onboarding scope', async () => `Bearer ${await token({ scope: 'other/read' })}`, /scope onboarding\/read required/],
    ['a token from another issuer', async () => `Bearer ${await token({ iss: 'https://evil.example' })}`, /claim iss invalid/],
    ['garbage', async () => 'Bearer not.a.jwt', /ERR_JWS_INVALID|token not verifiable/],
  ];
  for (const [name, header, reason] of refusals) {
    it(`401 for ${name}, before any route runs`, async () => {
      const before = seen.length;
      const { status, body, challenge } = await getUser(ADMIN.id, await header());
      assert.equal(status, 401);
      assert.match(String(body.error_description), reason);
      assert.match(challenge ?? '', /^Bearer error="(invalid_token|insufficient_scope)"/);
      assert.equal(body.id, undefined);
      assert.equal(seen.length, before + 1);
    });
  }

  it('bearerToken reads RFC 6750 headers only', () => {
    assert.equal(bearerToken('Bearer abc.def-_~+/='), 'abc.def-_~+/=');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
