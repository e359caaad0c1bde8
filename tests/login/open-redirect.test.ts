// Open redirects: a corpus of attack strings, each sent raw and percent-encoded as `redirect` at
// login (through the whole code flow) and at logout (through the provider and back, and local).
// Wherever the browser finally lands, it is on the app's origin. Legitimate targets survive intact
// (the positive control: a validator that always answered "/" would fail here).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRedirect, safeRedirect } from '../../src/login/redirect.ts';
import { APP, startStack, type Stack } from './stack.ts';

const EVIL = 'evil.com';
export const ATTACKS: readonly string[] = [
  // slashes and backslashes
  `//${EVIL}`, `///${EVIL}`, `////${EVIL}`, `/\\${EVIL}`, `\\/${EVIL}`, `\\\\${EVIL}`, `/\\/${EVIL}`, `/\\\\${EVIL}`,
  `\\/\\/${EVIL}`, `//${EVIL}/%2f..`, `https://${EVIL}`, `http://${EVIL}`, `https:${EVIL}`, `https:/${EVIL}`, `https:\\\\${EVIL}`,
  // whitespace and control characters
  ` //${EVIL}`, `\t//${EVIL}`, `/\t/${EVIL}`, `/\n/${EVIL}`, `/\r\n/${EVIL}`, `/%09/${EVIL}`, `/%0a/${EVIL}`, `/%0d/${EVIL}`,
  `/%00/${EVIL}`, `\u0000//${EVIL}`, `/ /${EVIL}`, `/\u3000/${EVIL}`, `/\u00a0/${EVIL}`, `\u200b//${EVIL}`, `/\u2028/${EVIL}`,
  // dot segments
  `/..//${EVIL}`, `/./..//${EVIL}`, `/x/../..//${EVIL}`, `/.//${EVIL}`, `/%2e%2e//${EVIL}`, `/%2e//${EVIL}`, `/.%2e//${EVIL}`, `/x/..\\/${EVIL}`,
  // single and double encoding
  `/%2f${EVIL}`, `/%2F${EVIL}`, `%2f%2f${EVIL}`, `/%5c${EVIL}`, `/%5C${EVIL}`, `/%252f${EVIL}`, `/%25252f${EVIL}`, `%252f%252f${EVIL}`,
  `/%2f%2f${EVIL}`, `%5c%5c${EVIL}`, `/%2F/${EVIL}`, `//%65vil.com`, `%2e%2e%2f%2f${EVIL}`,
  // userinfo
  `//user@${EVIL}`, `//app.test@${EVIL}`, `https://app.test@${EVIL}`, `https://app.test:443@${EVIL}/`, `//${EVIL}%40app.test`, `/\\app.test@${EVIL}`,
  // schemes
  'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', 'java\tscript:alert(1)',
  `ftp://${EVIL}`, '//javascript:alert(1)', `\u0001javascript:alert(1)`,
  // unicode look-alikes
  `/\u2215\u2215${EVIL}`, `/\uff0f\uff0f${EVIL}`, `\uff0f\uff0f${EVIL}`, `/\u2044${EVIL}`, `/\ufe68${EVIL}`, `/\uff3c${EVIL}`, `//evil\u3002com`,
  '//\uff45\uff56\uff49\uff4c.com', `/\u3031${EVIL}`,
  // suffix and prefix tricks
  'https://app.test.evil.com', `https://${EVIL}/app.test`, `https://${EVIL}?app.test`, `https://${EVIL}#app.test`, '//app.test.evil.com',
  'https://app.testevil.com', `//${EVIL}\\.app.test`, `https://${EVIL}\\@app.test`, `${EVIL}`, `../${EVIL}`, `?//${EVIL}`, `#//${EVIL}`,
];

/** Targets that must be kept as they are (paths on the app). */
const LEGITIMATE: ReadonlyArray<[string, string]> = [
  ['/dashboard', '/dashboard'],
  ['/organisation/list?page=2&sort=name', '/organisation/list?page=2&sort=name'],
  ['/search?q=%2F%2Fnot-a-host', '/search?q=%2F%2Fnot-a-host'],
  ['/@user', '/@user'],
  ['/x%20y', '/x%20y'],
  ['/über', '/%C3%BCber'],
];

/** The query as a browser would send it unencoded: only what cannot travel in a URL is escaped. */
function rawQuery(value: string): string {
  return value.replace(/[\u0000-\u0020\u007f-\uffff#]/g, (c) => encodeURIComponent(c));
}

const variants = (attack: string): Array<[string, string]> => [
  ['raw', rawQuery(attack)],
  ['encoded', encodeURIComponent(attack)],
];

function assertOnApp(location: string | null, context: string): void {
  assert.ok(location, `${context}: no location`);
  const url = new URL(location!, APP);
  assert.equal(url.origin, APP, `${context}: landed on ${location}`);
  assert.ok(!url.pathname.startsWith('//') && !location!.includes('\\'), `${context}: ambiguous path ${location}`);
  assert.ok(location!.startsWith(`${APP}/`), `${context}: location must be absolute on the app origin, got ${location}`);
}

describe('redirect validation (unit)', () => {
  it('has a corpus of at least 60 attack strings', () => {
    assert.ok(ATTACKS.length >= 60, `only ${ATTACKS.length}`);
  });

  it('never resolves an attack to another origin', () => {
    for (const attack of ATTACKS) {
      const verdict = checkRedirect(attack, APP);
      if (verdict.ok) assertOnApp(verdict.url, JSON.stringify(attack));
      assertOnApp(safeRedirect(attack, APP), JSON.stringify(attack));
    }
  });

  it('rejects outright the forms that point off-site or hide separators', () => {
    for (const attack of [`//${EVIL}`, `/\\${EVIL}`, `/..//${EVIL}`, `/.//${EVIL}`, `/%2f${EVIL}`, `/%252f${EVIL}`, `/\t/${EVIL}`, `https://${EVIL}`, 'javascript:alert(1)', `/\u3000/${EVIL}`]) {
      assert.equal(checkRedirect(attack, APP).ok, false, JSON.stringify(attack));
    }
  });

  it('keeps legitimate paths', () => {
    for (const [target, expected] of LEGITIMATE) assert.equal(safeRedirect(target, APP), `${APP}${expected}`);
  });
});

describe('open redirects through the login service', () => {
  let oidcStack: Stack;
  before(async () => {
    oidcStack = await startStack({ env: { LOGOUT_MODE: 'oidc' } });
  });
  after(() => oidcStack?.close());

  it('lands every login on the app origin (attacks fall back to /, legitimate targets kept)', async () => {
    const browser = oidcStack.browser();
    let fellBack = 0;
    for (const attack of ATTACKS) {
      for (const [kind, query] of variants(attack)) {
        const hops = await browser.navigate(`${APP}/oauth2/login?redirect=${query}`);
        assert.equal(new URL(hops[0]!.headers.get('location')!).origin, oidcStack.provider.issuer, 'login always goes to the provider first');
        const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`));
        assert.ok(callback, `${kind} ${JSON.stringify(attack)}: login did not complete`);
        const location = callback!.headers.get('location');
        assertOnApp(location, `login ${kind} ${JSON.stringify(attack)}`);
        if (location === `${APP}/`) fellBack++;
      }
    }
    assert.ok(fellBack >= ATTACKS.length, 'most attacks fell back to /');
    for (const [target, expected] of LEGITIMATE) {
      const hops = await browser.navigate(`${APP}/oauth2/login?redirect=${encodeURIComponent(target)}`);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`))!;
      assert.equal(callback.headers.get('location'), `${APP}${expected}`);
    }
  });

  it('lands every logout on the app origin, through the provider and back', async () => {
    const browser = oidcStack.browser();
    for (const attack of ATTACKS) {
      for (const [kind, query] of variants(attack)) {
        const context = `logout ${kind} ${JSON.stringify(attack)}`;
        // No session: GET needs no CSRF token, and the provider's logout still runs.
        const start = await browser.request(`${APP}/oauth2/logout?redirect=${query}`);
        assert.equal(start.status, 302, context);
        assert.equal(new URL(start.headers.get('location')!).origin, oidcStack.provider.issuer, context);
        const confirm = await browser.request(start.headers.get('location')!, { from: APP });
        // Stop at the logout callback's answer (following it would log the browser in again).
        const back = await browser.submitForm(confirm, {}, 2);
        const callback = back.find((hop) => hop.url.startsWith(`${APP}/oauth2/logout/callback`));
        assert.ok(callback, `${context}: provider did not return`);
        assertOnApp(callback!.headers.get('location'), context);

        const local = await browser.request(`${APP}/oauth2/logout/local?redirect=${query}`);
        assertOnApp(local.headers.get('location'), `local ${context}`);
      }
    }
    const posted = await browser.request(`${APP}/oauth2/logout/local`, { method: 'POST', form: { redirect: '/organisation/list?page=2' }, from: `${APP}/` });
    assert.equal(posted.headers.get('location'), `${APP}/organisation/list?page=2`);
  });

  it('only ever puts a checked path into the login redirect of a denied check', async () => {
    const browser = oidcStack.browser();
    for (const path of [`//${EVIL}/x`, `/..//${EVIL}`, `/%2f${EVIL}`, '/ok/path?x=1']) {
      const response = await browser.request(`${APP}${path}`, { navigate: true });
      assert.equal(response.status, 302, path);
      const login = new URL(response.headers.get('location')!);
      assert.equal(login.origin, APP);
      const redirect = login.searchParams.get('redirect');
      if (redirect !== null) assertOnApp(safeRedirect(redirect, APP), path);
    }
  });
});
