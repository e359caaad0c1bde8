// Configuration: defaults, env and pluginConfig (which wins), and every kind of bad setting
// rejected with a message naming it (never containing a secret).
import { ConfigSource, readConfig, ConfigResult } from '../../assembly/filter/config';
import { HmacKey } from '../../assembly/crypto/hmac';
import { hex, text } from './helpers';

function source(env: string[], plugin: string | null = null): ConfigSource {
  const s = new ConfigSource();
  for (let i = 0; i + 1 < env.length; i += 2) s.setEnv(env[i], text(env[i + 1]));
  if (plugin !== null) s.pluginConfig = text(plugin);
  return s;
}

function read(env: string[], plugin: string | null = null): ConfigResult {
  return readConfig(source(env, plugin));
}

function str(bytes: StaticArray<u8>): string {
  return String.UTF8.decodeUnsafe(changetype<usize>(bytes), <usize>bytes.length);
}

/** The error must exist and name the setting. */
function names(error: string, setting: string): void {
  expect(error.includes(setting)).toBe(true, 'expected "' + error + '" to name ' + setting);
}

const SECRET = 'a-secret-that-is-at-least-32-bytes-long';

describe('readConfig', () => {
  it('applies the defaults', () => {
    const result = read(['ORG_COOKIE_SECRETS', SECRET]);
    expect(result.error).toBe('');
    const config = result.config!;
    expect(config.keys.length).toBe(1);
    expect(str(config.cookieName)).toBe('previouslySelectedOrganisation');
    expect(str(config.orgHeader)).toBe('x-currently-selected-organisation');
    expect(str(config.featuresHeader)).toBe('x-supported-features');
    expect(config.cacheSize).toBe(1024);
    expect(config.membershipClaim).toBeNull();
    expect(config.claimsFromHeader).toBe(false);
    expect(result.warnings.length).toBe(0);
  });

  it('reads env lists and a JSON array of secrets', () => {
    const result = read([
      'ORG_COOKIE_SECRETS', '["' + SECRET + '", "old-secret"]',
      'BOOTSTRAPPED_ORGANISATIONS', 'org-1, org-2,org-1',
      'SUPPORTED_FEATURES', 'f1,f2',
      'ORGANISATION_FEATURES', '{"org-2":["f3","f1"]}',
      'ORG_MEMBERSHIP_CLAIM', 'orgs',
      'JWT_CLAIMS_SOURCE', 'header',
      'ORG_COOKIE_CACHE_SIZE', '0',
    ]);
    expect(result.error).toBe('');
    const config = result.config!;
    expect(config.keys.length).toBe(2);
    expect(config.bootstrapped.length).toBe(2); // duplicates dropped
    expect(str(config.globalFeaturesValue)).toBe('f1,f2');
    expect(config.featureOrganisations.length).toBe(1);
    expect(str(config.featureValues[0])).toBe('f1,f2,f3');
    expect(str(config.membershipClaim!)).toBe('orgs');
    expect(config.claimsFromHeader).toBe(true);
    expect(config.cacheSize).toBe(0);
    // The short second secret is accepted with a warning that does not contain it.
    expect(result.warnings.length).toBe(1);
    expect(result.warnings[0].includes('old-secret')).toBe(false);
    expect(result.warnings[0].includes('#2')).toBe(true);
  });

  it('lets pluginConfig win per setting', () => {
    const result = read(
      ['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_NAME', 'fromEnv', 'SUPPORTED_FEATURES', 'env-feature'],
      '{"cookieName":"fromPlugin","bootstrappedOrganisations":["b1","b2"],"orgHeader":"x-org","cookieCacheSize":16}',
    );
    expect(result.error).toBe('');
    const config = result.config!;
    expect(str(config.cookieName)).toBe('fromPlugin');
    expect(str(config.orgHeader)).toBe('x-org');
    expect(str(config.globalFeaturesValue)).toBe('env-feature');
    expect(config.bootstrapped.length).toBe(2);
    expect(config.cacheSize).toBe(16);
  });

  it('rejects a missing or empty secret', () => {
    names(read([]).error, 'ORG_COOKIE_SECRETS');
    names(read(['ORG_COOKIE_SECRETS', '']).error, 'ORG_COOKIE_SECRETS');
    names(read(['ORG_COOKIE_SECRETS', '[]']).error, 'ORG_COOKIE_SECRETS');
    names(read(['ORG_COOKIE_SECRETS', '["ok", ""]']).error, 'ORG_COOKIE_SECRETS');
    names(read(['ORG_COOKIE_SECRETS', '["unterminated']).error, 'ORG_COOKIE_SECRETS');
    names(read(['ORG_COOKIE_SECRETS', '[1]']).error, 'ORG_COOKIE_SECRETS');
  });

  it('never puts a secret into an error', () => {
    const error = read(['ORG_COOKIE_SECRETS', '["super-secret-value", 7]']).error;
    expect(error.length).toBeGreaterThan(0);
    expect(error.includes('super-secret-value')).toBe(false);
  });

  it('rejects bad settings by name', () => {
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"cookieSecrets":"x"}').error, 'unknown key');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"nope":1}').error, 'pluginConfig');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '[1]').error, 'pluginConfig');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"cookieName":').error, 'pluginConfig');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'BOOTSTRAPPED_ORGANISATIONS', 'ok,bad id']).error, 'BOOTSTRAPPED_ORGANISATIONS');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'BOOTSTRAPPED_ORGANISATIONS', 'a,,b']).error, 'BOOTSTRAPPED_ORGANISATIONS');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"bootstrappedOrganisations":[1]}').error, 'pluginConfig.bootstrappedOrganisations');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'SUPPORTED_FEATURES', 'a,b\r\nx']).error, 'SUPPORTED_FEATURES');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORGANISATION_FEATURES', '{bad']).error, 'ORGANISATION_FEATURES');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORGANISATION_FEATURES', '["a"]']).error, 'ORGANISATION_FEATURES');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORGANISATION_FEATURES', '{"bad id":["a"]}']).error, 'ORGANISATION_FEATURES');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORGANISATION_FEATURES', '{"o":"a"}']).error, 'ORGANISATION_FEATURES');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORGANISATION_FEATURES', '{"o":["a;b"]}']).error, 'ORGANISATION_FEATURES');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'JWT_CLAIMS_SOURCE', 'cookie']).error, 'JWT_CLAIMS_SOURCE');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_HEADER', 'X-Upper']).error, 'ORG_HEADER');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_HEADER', ':path']).error, 'ORG_HEADER');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'FEATURES_HEADER', 'x-currently-selected-organisation']).error, 'FEATURES_HEADER');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_NAME', 'a;b']).error, 'ORG_COOKIE_NAME');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_CACHE_SIZE', '-1']).error, 'ORG_COOKIE_CACHE_SIZE');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_CACHE_SIZE', '12x']).error, 'ORG_COOKIE_CACHE_SIZE');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_CACHE_SIZE', '99999999']).error, 'ORG_COOKIE_CACHE_SIZE');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"cookieCacheSize":1.5}').error, 'pluginConfig.cookieCacheSize');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"cookieCacheSize":"10"}').error, 'pluginConfig.cookieCacheSize');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"membershipClaim":5}').error, 'pluginConfig.membershipClaim');
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_MEMBERSHIP_CLAIM', 'a\nb']).error, 'ORG_MEMBERSHIP_CLAIM');
  });

  it('rejects the cookie name __proto__, which cookie-parser never yields', () => {
    names(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_NAME', '__proto__']).error, 'ORG_COOKIE_NAME');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"cookieName":"__proto__"}').error, 'pluginConfig.cookieName');
    names(read(['ORG_COOKIE_SECRETS', SECRET], '{"cookieName":"\\u005f_proto__"}').error, 'pluginConfig.cookieName');
    // Names that only look alike are ordinary own properties for the `cookie` module.
    expect(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_NAME', '__proto']).error).toBe('');
    expect(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_NAME', 'constructor']).error).toBe('');
    expect(read(['ORG_COOKIE_SECRETS', SECRET, 'ORG_COOKIE_NAME', '__PROTO__']).error).toBe('');
  });

  it('keys a lone surrogate in a JSON secret as U+FFFD, as Node does', () => {
    const result = read(['ORG_COOKIE_SECRETS', '["\\ud800x", "a\\udfffb\\ud83d\\ude00"]']);
    expect(result.error).toBe('');
    const keys = result.config!.keys;
    const fffdX: StaticArray<u8> = [0xef, 0xbf, 0xbd, 0x78];
    expect(hex(keys[0].states)).toBe(hex(HmacKey.fromBytes(fffdX).states));
    // A pair stays the pair's code point (U+1F600); only the lone one is replaced.
    const second: StaticArray<u8> = [0x61, 0xef, 0xbf, 0xbd, 0x62, 0xf0, 0x9f, 0x98, 0x80];
    expect(hex(keys[1].states)).toBe(hex(HmacKey.fromBytes(second).states));
  });

  it('rejects secret bytes that are not UTF-8 (Node would read other characters), by name', () => {
    const bad: StaticArray<u8>[] = [[0x61, 0xff, 0x62], [0xed, 0xa0, 0x80], [0x5b, 0x22, 0xc3, 0x22, 0x5d]];
    for (let i = 0; i < bad.length; i++) {
      const s = new ConfigSource();
      s.setEnv('ORG_COOKIE_SECRETS', bad[i]);
      const result = readConfig(s);
      names(result.error, 'ORG_COOKIE_SECRETS');
      expect(result.config).toBeNull();
    }
  });
});
