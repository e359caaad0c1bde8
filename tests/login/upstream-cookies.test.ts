// The cookies a backend gets: an allowed check answers with the request's `cookie` header minus the
// login service's own cookies (session, login state, logout target), which Envoy sets on the
// upstream request — or, when nothing is left, asks Envoy to remove the header. Everything else
// keeps its order and exact bytes (the org-context filter verifies the org cookie after ext_authz).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { cookiesForUpstream, upstreamCookieHeaders } from '../../src/login/upstream-cookies.ts';
import { AUTH_HEADERS_TO_REMOVE } from '../../src/topology/ext-authz.ts';
import { startStack, type Stack } from './stack.ts';

const SESSION = '__Host-oc-session';
// A value as cookie-parser signs it and the browser sends it back: percent-encoded, with '.'.
const ORG = 'previouslySelectedOrganisation=s%3Aorg-globex.Zm9vYmFyYmF6%2Bqux%2F0%3D';
const ours = (name: string) => name === SESSION || name.startsWith('oc-login-') || name === 'oc-logout';

describe('cookiesForUpstream (unit)', () => {
  it('drops only our cookies, wherever they are, and keeps the rest in order, byte for byte', () => {
    assert.equal(cookiesForUpstream(`${SESSION}=t1; a=1; ${ORG}; b="q v"`, ours), `a=1; ${ORG}; b="q v"`);
    assert.equal(cookiesForUpstream(`a=1; ${SESSION}=t1; ${ORG}`, ours), `a=1; ${ORG}`);
    assert.equal(cookiesForUpstream(`${ORG}; a=1; ${SESSION}=t1`, ours), `${ORG}; a=1`);
    assert.equal(cookiesForUpstream(`${ORG};a=1;${SESSION}=t1;z=%00`, ours), `${ORG};a=1;z=%00`, 'spacing kept as sent');
    assert.equal(cookiesForUpstream(`oc-login-abc=s1; ${ORG}; oc-logout=s2; oc-session-like=keep`, ours), `${ORG}; oc-session-like=keep`);
    assert.equal(cookiesForUpstream(`junk; ${SESSION}=t1; =x; c=3`, ours), 'junk; =x; c=3', 'what is not a pair is not ours');
  });

  it('joins several Cookie lines (HTTP/1.1) as one header', () => {
    assert.equal(cookiesForUpstream(['a=1', `${SESSION}=t1; ${ORG}`, 'b=2'], ours), `a=1; ${ORG}; b=2`);
  });

  it('leaves nothing when only our cookies were sent', () => {
    assert.equal(cookiesForUpstream(`${SESSION}=t1`, ours), undefined);
    assert.equal(cookiesForUpstream(`${SESSION}=t1; oc-login-x=y; `, ours), undefined);
    assert.equal(cookiesForUpstream(undefined, ours), undefined);
    assert.deepEqual(upstreamCookieHeaders(`${SESSION}=t1`, ours), { [AUTH_HEADERS_TO_REMOVE]: 'cookie' });
    assert.deepEqual(upstreamCookieHeaders(`${SESSION}=t1; a=1`, ours), { cookie: 'a=1' });
  });
});

describe('the allowed check’s answer carries the upstream cookie header', () => {
  let stack: Stack;
  let ticket = '';
  before(async () => {
    stack = await startStack();
    const browser = stack.browser();
    await stack.login(browser);
    ticket = browser.cookie(SESSION)!.value;
  });
  after(() => stack?.close());

  async function check(headers: string[]) {
    const response = await request(`${stack.service.url}/organisation/list`, { headers: ['accept', 'application/json', ...headers] });
    await response.body.dump();
    return response;
  }

  it('is the request’s cookie header minus the session and login-state cookies; the org cookie survives exactly', async () => {
    const response = await check(['cookie', `theme=dark; ${SESSION}=${ticket}; ${ORG}; oc-login-0123456789abcdefghijkl=sealed; z=1`]);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers.cookie, `theme=dark; ${ORG}; z=1`);
    assert.equal(response.headers[AUTH_HEADERS_TO_REMOVE], undefined);
    assert.match(String(response.headers.authorization), /^Bearer /);
  });

  it('handles several Cookie request lines', async () => {
    const response = await check(['cookie', 'a=1', 'cookie', `${SESSION}=${ticket}`, 'cookie', `${ORG}; b=2`]);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers.cookie, `a=1; ${ORG}; b=2`);
  });

  it('asks Envoy to remove the header when only the session cookie was sent', async () => {
    const response = await check(['cookie', `${SESSION}=${ticket}`]);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers.cookie, undefined);
    assert.equal(response.headers[AUTH_HEADERS_TO_REMOVE], 'cookie');
  });

  it('denials carry neither (nothing goes upstream)', async () => {
    const response = await check(['cookie', `${SESSION}=junk; ${ORG}`]);
    assert.equal(response.statusCode, 401);
    assert.equal(response.headers.cookie, undefined);
    assert.equal(response.headers[AUTH_HEADERS_TO_REMOVE], undefined);
  });
});
