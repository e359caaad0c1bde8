// Settings from the Lambda environment: validated at cold start, errors name the variable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { settingsFromEnv, parseUserTypes, EnrichmentConfigError } from '../../src/enrichment/index.ts';
import { ONBOARDING_SCOPE } from '../../src/topology/waypoint.ts';

const ENV = {
  ONBOARDING_URL: 'http://internal-gateway.local:8081/onboarding/',
  OAUTH_TOKEN_URL: 'https://auth.example.test/oauth2/token',
  OAUTH_CLIENT_ID: 'm2m',
  OAUTH_CLIENT_SECRET: 'shh',
  OAUTH_SCOPE: ONBOARDING_SCOPE,
  USER_TYPE_MAP: '{"ORG_ADMIN":"admin","ORG_MEMBER":"member"}',
};

describe('settingsFromEnv', () => {
  it('reads a complete environment with defaults for the rest', () => {
    const settings = settingsFromEnv(ENV);
    assert.equal(settings.onboardingUrl, 'http://internal-gateway.local:8081/onboarding');
    assert.equal(settings.failurePolicy, 'deny');
    assert.equal(settings.timeoutMs, 3000);
    assert.equal(settings.scope, ONBOARDING_SCOPE);
    assert.deepEqual({ ...settings.userTypes }, { ORG_ADMIN: 'admin', ORG_MEMBER: 'member' });
    assert.ok(Object.isFrozen(settings));
  });

  it('names the missing variable', () => {
    for (const name of ['ONBOARDING_URL', 'OAUTH_TOKEN_URL', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET', 'USER_TYPE_MAP']) {
      const env: Record<string, string | undefined> = { ...ENV, [name]: undefined };
      assert.throws(() => settingsFromEnv(env), (error: Error) => error instanceof EnrichmentConfigError && error.message.startsWith(name));
    }
  });

  it('rejects bad values with the setting named', () => {
    assert.throws(() => settingsFromEnv({ ...ENV, FAILURE_POLICY: 'allow' }), /FAILURE_POLICY must be deny or omit/);
    assert.throws(() => settingsFromEnv({ ...ENV, TIMEOUT_MS: '5000' }), /TIMEOUT_MS must be an integer from 100 to 4500/);
    assert.throws(() => settingsFromEnv({ ...ENV, TIMEOUT_MS: '2s' }), /TIMEOUT_MS must be a whole number/);
    assert.throws(() => settingsFromEnv({ ...ENV, ONBOARDING_URL: 'ftp://x' }), /ONBOARDING_URL must be an http\(s\) URL/);
    assert.throws(() => settingsFromEnv({ ...ENV, OAUTH_TOKEN_URL: 'https://id:secret@auth.example.test/t' }), /OAUTH_TOKEN_URL must not contain credentials/);
    assert.throws(() => settingsFromEnv({ ...ENV, LOG_LEVEL: 'loud' }), /LOG_LEVEL must be/);
  });

  it('accepts omit and a timeout well under 5 s', () => {
    const settings = settingsFromEnv({ ...ENV, FAILURE_POLICY: 'omit', TIMEOUT_MS: '1500' });
    assert.equal(settings.failurePolicy, 'omit');
    assert.equal(settings.timeoutMs, 1500);
  });
});

describe('USER_TYPE_MAP', () => {
  it('takes JSON or PRIVILEGE=userType pairs', () => {
    assert.deepEqual({ ...parseUserTypes('ORG_ADMIN=admin, ORG_MEMBER = member') }, { ORG_ADMIN: 'admin', ORG_MEMBER: 'member' });
    assert.deepEqual({ ...parseUserTypes('{"A":"a"}') }, { A: 'a' });
  });

  it('refuses empty or malformed maps', () => {
    assert.throws(() => parseUserTypes('{}'), /must map at least one privilege/);
    assert.throws(() => parseUserTypes('{"A":1}'), /userType for A must be a non-empty string/);
    assert.throws(() => parseUserTypes('ADMIN'), /"ADMIN" is not PRIVILEGE=userType/);
    assert.throws(() => parseUserTypes('{oops'), /USER_TYPE_MAP is not valid JSON/);
  });
});
