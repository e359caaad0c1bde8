// jwt_authn during an identity-provider outage: the last good JWKS keeps verifying after its cache
// time runs out and every refetch fails (it once dropped them: everyone got 401 five minutes in),
// a rotated key is picked up once the provider is back, and junk kids cannot flood the provider.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createJwtAuthn } from '../../src/gateway/filters/jwt-authn.ts';
import type { FilterRequest } from '../../src/gateway/types.ts';

const ISSUER = 'https://idp.test/pool';
const JWKS_URI = 'https://idp.test/pool/jwks';

async function signer(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = () => new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(ISSUER).setAudience('app').setIssuedAt().setExpirationTime('1h').sign(privateKey);
  return { jwk, sign };
}

const requestWith = (token: string): FilterRequest => ({
  method: 'GET',
  path: '/',
  authority: 'localhost',
  scheme: 'https',
  headers: [['authorization', `Bearer ${token}`]],
  metadata: {},
  responseHeaders: [],
});

test('the last good keys outlive the cache time while the provider is down; a rotated key is fetched once it is back', async () => {
  const first = await signer('k1');
  const second = await signer('k2');
  let clock = 0;
  let providerUp = true;
  let served = [first.jwk];
  let fetches = 0;
  const fetch = (async () => {
    fetches += 1;
    if (!providerUp) throw new TypeError('fetch failed: connect ECONNREFUSED');
    return new Response(JSON.stringify({ keys: served }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  const jwt = createJwtAuthn({ issuer: ISSUER, jwksUri: JWKS_URI, audiences: ['app'], jwksCacheMs: 300_000, fetch, now: () => clock });

  const token = await first.sign();
  assert.equal(await jwt.verify(requestWith(token)), undefined, 'verified with the fetched keys');
  assert.equal(fetches, 1);

  providerUp = false;
  for (const minutes of [6, 10, 30, 120]) {
    clock = minutes * 60_000;
    assert.equal(await jwt.verify(requestWith(token)), undefined, `still verified ${minutes} min into the outage`);
  }
  assert.ok(fetches > 1, 'refreshes were tried');
  const triedDuringOutage = fetches;

  // Junk kids while the provider is down: at most one refetch per cooldown (30 s).
  const junk = await (await signer('unknown')).sign();
  for (let i = 0; i < 20; i += 1) assert.equal((await jwt.verify(requestWith(junk)))?.status, 401);
  assert.ok(fetches - triedDuringOutage <= 1, `junk tokens caused ${fetches - triedDuringOutage} fetches`);

  providerUp = true;
  served = [first.jwk, second.jwk];
  clock += 60_000;
  assert.equal(await jwt.verify(requestWith(await second.sign())), undefined, 'a token signed with the rotated key verifies once the provider is back');
  assert.equal(await jwt.verify(requestWith(token)), undefined);
});

test('before any successful fetch an outage means 401, never an open door', async () => {
  const fetch = (async () => {
    throw new TypeError('fetch failed');
  }) as typeof globalThis.fetch;
  const jwt = createJwtAuthn({ issuer: ISSUER, jwksUri: JWKS_URI, audiences: ['app'], fetch, now: () => 0 });
  const token = await (await signer('k1')).sign();
  assert.equal((await jwt.verify(requestWith(token)))?.status, 401);
});
