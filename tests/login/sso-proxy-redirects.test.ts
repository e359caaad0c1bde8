// The SSO proxy's redirect rules (its own entry in server.ts's redirectsFor: relative targets
// only, grafted onto the proxy's APP_ORIGIN; the server is then handed the absolute URL). The
// shared hostile list plus absolute URLs into the SSO domain itself — the server, a sibling app,
// even the proxy's own origin written absolutely — raw and percent-encoded, never yield anything
// but a path on the app. The endpoint suite (sso-proxy-endpoints.test.ts) runs the list through
// the proxy's login too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/login/index.ts';
import { redirectsFor } from '../../src/login/server.ts';
import { ATTACKS, SHAPES, checkEveryForm } from './hostile-redirects.ts';

const APP = 'http://app-a.sso.localhost:8080';
const PROXY_ENV = {
  LOGIN_MODE: 'sso-proxy',
  SSO_SERVER_URL: 'http://sso.localhost:4180',
  SESSION_COOKIE_NAME: 'oc-sso',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  SESSION_STORE: 'redis',
  REDIS_URL: 'redis://127.0.0.1:6379',
  UPSTREAM_URL: 'http://127.0.0.1:3000',
  APP_ORIGIN: APP,
};

/** Places of the SSO domain a proxy must still not send anyone to by an absolute `redirect`. */
const DOMAIN_HOSTS = ['sso.localhost', 'sso.localhost:4180', 'app-b.sso.localhost', 'app-a.sso.localhost:8080', 'app-a.sso.localhost', 'APP-A.sso.localhost:8080'];
const PROXY_ATTACKS = [
  ...ATTACKS,
  ...DOMAIN_HOSTS.flatMap((host) => [`http://${host}/`, `https://${host}/x`, `HTTP://${host}/y?z=1`, ...SHAPES.map((shape) => shape(host))]),
  `${APP}/dashboard`,
  `${APP}`,
];

describe('sso-proxy redirect validator', () => {
  const validator = redirectsFor(loadConfig(PROXY_ENV));

  it(`keeps ${PROXY_ATTACKS.length} hostile targets on the app as paths, raw and encoded`, () => {
    assert.ok(PROXY_ATTACKS.length >= 100, `${PROXY_ATTACKS.length} attack strings`);
    const refused = checkEveryForm(validator, PROXY_ATTACKS, (accepted, candidate) => {
      const url = new URL(accepted);
      assert.equal(url.origin, APP, `${JSON.stringify(candidate)} → ${accepted}`);
      assert.ok(accepted.startsWith(`${APP}/`), `${JSON.stringify(candidate)} → ${accepted}`);
      assert.ok(!url.pathname.startsWith('//') && !url.pathname.includes('\\'), `${JSON.stringify(candidate)} → ${accepted}`);
      assert.ok(candidate.startsWith('/'), `only a relative target is ever accepted, not ${JSON.stringify(candidate)}`);
    });
    assert.ok(refused >= PROXY_ATTACKS.length * 2, `nearly all are refused outright (${refused} of ${PROXY_ATTACKS.length * 3})`);
    assert.equal(validator.fallback, undefined, "a refused target becomes the ingress's context root");
  });

  it('keeps relative targets exactly, absolute on the app', () => {
    for (const target of ['/', '/a/b?c=d&e=%2F', '/caf%C3%A9', '/x?next=//y']) {
      assert.deepEqual(validator.check(target), { ok: true, url: `${APP}${target}` }, target);
    }
    assert.equal(validator.check(`${APP}/absolute`).ok, false, 'absolute, even on the app itself: refused');
  });
});
