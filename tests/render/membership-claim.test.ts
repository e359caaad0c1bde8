// The membership check is on in production: the WasmPlugin's ORG_MEMBERSHIP_CLAIM names the claim
// the enrichment Lambda writes, it is a setting of the overlay (settings.yaml → the settings
// component), and the verified ID token's payload reaches the filter (jwt_authn metadata/header).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { kustomize, overlayDir } from '../../scripts/lib/render/render.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { pluginEnvironment } from '../../src/harness/plugin-env.ts';
import { MEMBERSHIP_CLAIM } from '../../src/enrichment/index.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

type Obj = { kind: string; metadata: { name: string }; spec: any };
const objects = async (overlay: string) => parseAllDocuments(await kustomize(overlayDir(overlay))).map((d) => d.toJS() as Obj);
const pluginEnv = (objs: Obj[]) => objs.find((o) => o.kind === 'WasmPlugin')!.spec.vmConfig.env as { name: string; value?: string }[];

test('production turns the membership check on with the Lambda\'s claim, through its settings', async () => {
  const settings = parse(readFileSync(join(REPO_ROOT, 'istio/overlays/production/settings.yaml'), 'utf8')).data;
  assert.equal(settings.membershipClaim, MEMBERSHIP_CLAIM);
  const env = pluginEnv(await objects('production'));
  assert.equal(env.find((e) => e.name === 'ORG_MEMBERSHIP_CLAIM')?.value, MEMBERSHIP_CLAIM);
  assert.equal(pluginEnvironment({ host: { ORG_COOKIE_SECRETS: '[]' }, overlay: 'production' }).ORG_MEMBERSHIP_CLAIM, MEMBERSHIP_CLAIM);
});

test('the local overlay keeps it a setting (off unless --membership-check)', async () => {
  assert.equal(pluginEnv(await objects('local')).find((e) => e.name === 'ORG_MEMBERSHIP_CLAIM')?.value, '');
});

test('the ID token payload reaches the filter: jwt_authn header and metadata, claims source metadata', async () => {
  const objs = await objects('production');
  const rule = objs.find((o) => o.kind === 'RequestAuthentication' && o.metadata.name === 'id-token')!.spec.jwtRules[0];
  assert.equal(rule.outputPayloadToHeader, JWT_PAYLOAD_HEADER);
  assert.equal(rule.outputClaimToHeaders, undefined, 'no claim filtering: the whole payload goes on');
  assert.equal(pluginEnv(objs).find((e) => e.name === 'JWT_CLAIMS_SOURCE')?.value, 'metadata');
  const envoy = readFileSync(join(REPO_ROOT, 'envoy/waypoint.yaml'), 'utf8');
  assert.match(envoy, new RegExp(`forward_payload_header: ${JWT_PAYLOAD_HEADER}`));
  assert.match(envoy, /payload_in_metadata: payload/);
});
