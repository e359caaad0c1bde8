// The standalone mode's redirect rules (relative targets only, grafted onto APP_ORIGIN): more
// than 100 hostile strings, raw and percent-encoded, never yield another origin or a
// protocol-relative path; a few go through the whole login to show the endpoint uses the rules.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { relativeRedirects } from '../../src/login/redirect.ts';
import { APP, startStack, type Stack } from './stack.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

const HOSTS = ['evil.test', 'evil.test:443', 'app.test.evil.test', 'app.test@evil.test', '127.0.0.1', '[::1]', '%65vil.test', 'evil。test'];
const SHAPES = [
  (h: string) => `//${h}`,
  (h: string) => `///${h}`,
  (h: string) => `/\\${h}`,
  (h: string) => `\\\\${h}`,
  (h: string) => `https://${h}`,
  (h: string) => `http:${h}`,
  (h: string) => `/%2F${h}`,
  (h: string) => `/%5C${h}`,
  (h: string) => `/..//${h}`,
  (h: string) => `/./\\/${h}`,
  (h: string) => ` //${h}`,
  (h: string) => `/\t/${h}`,
  (h: string) => `/\n/${h}`,
  (h: string) => `/%09/${h}`,
  (h: string) => `/%252F%252F${h}`,
];
const FIXED = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  '/\u2028//evil.test',
  '/\u00a0//evil.test',
  '/\ufeff//evil.test',
  '\u0000//evil.test',
  '/%00//evil.test',
  '/%E2%80%A8//evil.test',
  'https:/\\evil.test',
  '//evil.test/%2e%2e',
  '/%2e%2e/%2e%2e//evil.test',
  '%2F%2Fevil.test',
  'x'.repeat(5000),
  '',
  '?',
  '#//evil.test',
];
const ATTACKS = [...HOSTS.flatMap((host) => SHAPES.map((shape) => shape(host))), ...FIXED];

describe('standalone redirect validator', () => {
  const validator = relativeRedirects(APP);

  it(`never leaves the app for ${ATTACKS.length} hostile targets, raw and encoded`, () => {
    assert.ok(ATTACKS.length >= 100, `${ATTACKS.length} attack strings`);
    let refused = 0;
    for (const attack of ATTACKS) {
      for (const candidate of [attack, encodeURIComponent(attack), encodeURIComponent(encodeURIComponent(attack))]) {
        const verdict = validator.check(candidate);
        if (!verdict.ok) {
          refused++;
          continue;
        }
        const url = new URL(verdict.url);
        assert.equal(url.origin, APP, `${JSON.stringify(candidate)} → ${verdict.url}`);
        assert.ok(!url.pathname.startsWith('//') && !url.pathname.includes('\\'), `${JSON.stringify(candidate)} → ${verdict.url}`);
        assert.ok(verdict.url.startsWith(`${APP}/`));
      }
    }
    assert.ok(refused >= ATTACKS.length, `most are refused outright (${refused})`);
  });

  it('keeps legitimate targets exactly, and re-checks stored ones by origin', () => {
    for (const target of ['/', '/a/b?c=d&e=%2F', '/caf%C3%A9', '/x?next=//y']) assert.equal(validator.check(target).ok && (validator.check(target) as { url: string }).url, `${APP}${target}`);
    assert.equal(validator.recheck(`${APP}/ok?x=1`).ok, true);
    assert.equal(validator.recheck('https://evil.test/ok').ok, false);
    assert.equal(validator.recheck('not a url').ok, false);
  });
});

describe('standalone redirects through the endpoints', () => {
  let app: UpstreamApp;
  let stack: Stack;
  before(async () => {
    app = await startUpstreamApp();
    stack = await startStack({ env: { LOGIN_MODE: 'standalone', UPSTREAM_URL: app.url, AUTO_LOGIN: 'true' } });
  });
  after(async () => {
    await stack?.close();
    await app?.close();
  });

  it('lands a login with a hostile target on the ingress home', async () => {
    for (const attack of ['//evil.test/x', '/%2F%2Fevil.test', 'https://evil.test/', '/\\evil.test', encodeURIComponent('//evil.test')]) {
      const browser = stack.browser();
      const hops = await stack.login(browser, attack);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!;
      assert.equal(callback.headers.get('location'), `${APP}/`, attack);
    }
  });

  it('builds the autologin return URL from a hostile request path without leaving the app', async () => {
    for (const path of ['//evil.test/x', '/%2F%2Fevil.test/', '/..//evil.test']) {
      const response = await stack.browser().request(`${APP}${path}`, { navigate: true });
      assert.equal(response.status, 302, path);
      const location = new URL(response.headers.get('location')!);
      assert.equal(location.origin, APP);
      const redirect = location.searchParams.get('redirect');
      if (redirect !== null) assert.equal(new URL(redirect, `${APP}/`).origin, APP, `${path} → ${redirect}`);
      assert.ok(redirect === null || !redirect.startsWith('//'), `${path} → ${redirect}`);
    }
  });

  it('sends a logout with a hostile target home after the provider', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    const hops = await browser.navigate(`${APP}/oauth2/logout?redirect=${encodeURIComponent('//evil.test')}`, { from: `${APP}/` });
    const back = await browser.submitForm(hops.at(-1)!, {}, 2);
    const logoutCallback = back.find((hop) => hop.url.startsWith(`${APP}/oauth2/logout/callback`))!;
    assert.equal(logoutCallback.headers.get('location'), `${APP}/`);
  });
});
