// The SSO server's redirect rules: absolute http(s) targets on SSO_DOMAIN or a subdomain, relative
// ones on the server, the rest to SSO_DEFAULT_REDIRECT_URL. The shared hostile list plus
// look-alikes of the domain itself, raw and percent-encoded, never yield a host outside it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { domainRedirects, inDomain } from '../../src/login/redirect.ts';
import { ATTACKS, SHAPES, checkEveryForm } from './hostile-redirects.ts';

const DOMAIN = 'sso.localhost';
const SERVER = 'http://sso.localhost';
const FALLBACK = 'http://app-a.sso.localhost/';

const LOOK_ALIKES = [
  'evil-sso.localhost',
  'sso.localhost.evil',
  'sso.localhost.evil.test',
  'xsso.localhost',
  'sso.localhost@evil.test',
  'evil.test@sso.localhost',
  'user:pass@app.sso.localhost',
  'evil.test\\@sso.localhost',
  'evil.test%2Fsso.localhost',
  'sso%2elocalhost',
  'SSO.LOCALHOST.evil',
  'sso.localhost%00.evil',
  'sso.localhost.',
  'xn--sso-localhost',
  'ѕso.localhost',
  'sso。localhost',
  'evil.test#.sso.localhost',
  'evil.test?.sso.localhost',
];
const DOMAIN_ATTACKS = [
  ...ATTACKS,
  ...LOOK_ALIKES.flatMap((host) => [`http://${host}/`, `https://${host}/x`, `//${host}/`, `http:\\\\${host}`, ...SHAPES.map((shape) => shape(host))]),
];

describe('sso-server redirect validator', () => {
  const validator = domainRedirects(SERVER, DOMAIN, FALLBACK);

  it(`never leaves ${DOMAIN} for ${DOMAIN_ATTACKS.length} hostile targets, raw and encoded`, () => {
    assert.ok(DOMAIN_ATTACKS.length >= 100, `${DOMAIN_ATTACKS.length} attack strings`);
    const refused = checkEveryForm(validator, DOMAIN_ATTACKS, (accepted, candidate) => {
      const url = new URL(accepted);
      assert.ok(inDomain(url.hostname, DOMAIN), `${JSON.stringify(candidate)} → ${accepted}`);
      assert.equal(url.username + url.password, '', `${JSON.stringify(candidate)} → ${accepted}`);
      assert.ok(!url.pathname.startsWith('//') && !url.pathname.includes('\\'), `${JSON.stringify(candidate)} → ${accepted}`);
    });
    assert.ok(refused >= DOMAIN_ATTACKS.length * 2, `nearly all are refused outright (${refused})`);
    assert.equal(validator.fallback, FALLBACK);
  });

  it('keeps targets on the domain and its subdomains exactly', () => {
    for (const target of ['http://sso.localhost/', 'https://app-a.sso.localhost/a?b=%2F', 'http://app-b.sso.localhost:8080/x', 'http://A.SSO.localhost/p']) {
      const verdict = validator.check(target);
      assert.ok(verdict.ok, target);
      assert.equal(verdict.url, new URL(target).href, target);
    }
    assert.deepEqual(validator.check('/home?x=1'), { ok: true, url: `${SERVER}/home?x=1` });
    assert.equal(validator.recheck('https://app-b.sso.localhost/ok').ok, true);
    assert.equal(validator.recheck('https://evil-sso.localhost/ok').ok, false);
  });
});
