// The internal listener (M2M only) answers the same through both gateways: the waypoint's rules
// (RequestAuthentication + an ALLOW AuthorizationPolicy) apply to the onboarding service whether
// the Node gateway or the two real Envoys carry the request. Envoy is the reference.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';
import { GATEWAYS, chromiumPath, filterWasm, gatewaySkip, startE2e, type E2e } from './support.ts';

const wasm = filterWasm();
const browserPath = chromiumPath();
const skip = wasm.skip ?? browserPath.skip;

const forgedToken = ['eyJhbGciOiJSUzI1NiIsImtpZCI6ImZvcmdlZCJ9', Buffer.from(JSON.stringify({ sub: 'svc', client_id: 'x' })).toString('base64url'), 'c2lnbmF0dXJl'].join('.');

for (const gateway of GATEWAYS) describe(`the internal M2M path, through the ${gateway} gateway`, { skip: skip ?? gatewaySkip(gateway), timeout: 90_000 }, () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e(wasm.path!, browserPath.path!, gateway, { membershipCheck: false });
  });
  after(async () => e2e?.close());

  const get = async (headers: Record<string, string> = {}) => {
    const response = await request(`${e2e.stack.urls.internal}/onboarding/users/someone`, { headers });
    await response.body.dump();
    return response.statusCode;
  };

  test('no token: refused by the policy (403)', async () => {
    assert.equal(await get(), 403);
  });

  test('a token that does not verify: refused by jwt_authn (401), also with a forged payload header', async () => {
    assert.equal(await get({ authorization: `Bearer ${forgedToken}` }), 401);
    assert.equal(await get({ authorization: `Bearer ${forgedToken}`, [JWT_PAYLOAD_HEADER]: Buffer.from('{"client_id":"oneconnect-local-m2m"}').toString('base64url') }), 401);
  });

  test('a forged payload header without a token: still refused', async () => {
    assert.equal(await get({ [JWT_PAYLOAD_HEADER]: Buffer.from('{"client_id":"oneconnect-local-m2m"}').toString('base64url') }), 403);
  });
});
