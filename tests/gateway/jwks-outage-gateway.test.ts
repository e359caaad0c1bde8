// The identity-provider outage end to end: a real JWKS endpoint, the real fetch, the HTTPS listener.
// Once the key cache time has run out, a provider answering 500 and then one refusing connections
// must not turn valid tokens into 401s (the keys used to be dropped on the failed refetch). The key
// cache's clock is injected and jumps past its refetch cooldown; the short cache time also runs
// out for real, so a cache on the wall clock is tested as well.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../../src/gateway/index.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { listen, memoryLogger, recordingUpstream, trustingAgent, type TestServer } from './support.ts';

const CACHE_MS = 200;
const dir = mkdtempSync(join(tmpdir(), 'gateway-jwks-outage-'));
const certs = ensureLocalCertificates(join(dir, 'tls'));
const agent = trustingAgent(certs.ca);
let provider: TestServer;
let providerAnswers: 'keys' | 'error' = 'keys';
let fetches = 0;
let upstream: TestServer;
let gateway: RunningGateway;
let token: string;
let clock = Date.now();

before(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  provider = await listen((_req, res) => {
    fetches += 1;
    if (providerAnswers === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('down for maintenance');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const issuer = `${provider.url}/pool`;
  token = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience('app').setIssuedAt().setExpirationTime('1h').sign(privateKey);
  upstream = await recordingUpstream();
  gateway = await startGateway({
    ports: { http: 0, https: 0, internal: 0 },
    tls: { key: certs.key, cert: certs.cert },
    upstreams: { 'feature-user-backend': upstream.url },
    jwtAuthn: { issuer, jwksUri: `${provider.url}/jwks`, audiences: ['app'], jwksCacheMs: CACHE_MS, now: () => clock },
    logger: memoryLogger().logger,
  });
});
after(async () => {
  await gateway.close();
  await agent.close();
  await Promise.all([upstream.close(), provider.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function statusWithToken(): Promise<number> {
  const response = await request(`https://127.0.0.1:${gateway.ports.https}/user/me`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
  await response.body.dump();
  return response.statusCode;
}

async function pastTheCacheTime(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, CACHE_MS * 2));
  clock += 10 * 60_000;
}

/** The refresh runs in the background: wait until the provider has seen it. */
async function refreshTriedSince(count: number): Promise<boolean> {
  for (let waited = 0; waited < 2000 && fetches === count; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return fetches > count;
}

test('valid tokens keep passing while the provider answers 500 and then refuses connections', async () => {
  assert.equal(await statusWithToken(), 200, 'verified with the fetched keys');

  providerAnswers = 'error';
  await pastTheCacheTime();
  const beforeOutage = fetches;
  assert.equal(await statusWithToken(), 200, 'still verified while the provider answers 500');
  assert.equal(await statusWithToken(), 200);
  assert.ok(await refreshTriedSince(beforeOutage), 'a refresh was tried');
  assert.equal(await statusWithToken(), 200, 'still verified after the refresh failed');

  await provider.close();
  await pastTheCacheTime();
  assert.equal(await statusWithToken(), 200, 'still verified while the provider refuses connections');
});
