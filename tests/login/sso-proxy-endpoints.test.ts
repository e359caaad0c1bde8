// The SSO proxy's endpoints against a real SSO server, oidc-provider and Redis: login and logout
// are redirects to the server (level/locale/prompt/domain_hint carried, the return URL absolute on
// the app and only ever built from a relative redirect), the session endpoints go through to the
// server (and only the session cookie with them), ping is answered here, autologin points to the
// proxy's own login, the app gets the shared session's access token, and an expired access token
// counts as no session until the server refreshes it. Proxies run as their own processes with no
// OIDC client settings at all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { request } from 'undici';
import { Browser } from '../../fixtures/browser.ts';
import { freePort } from '../../fixtures/redis-server.ts';
import { requireTool } from '../support/tools.ts';
import { ATTACKS } from './hostile-redirects.ts';
import { SSO_COOKIE, SSO_DOMAIN, startSsoStack, type ProxiedApp, type SsoStack } from './sso-proxy-stack.ts';
import { encodeFrame, frameReader, startUpstreamApp, wsAccept, type Seen } from './upstream-app.ts';

const redisTool = requireTool('redis-server');

/** A browser that reaches the server and the proxies on 127.0.0.1 and keeps the domain cookie. */
function ssoBrowser(stack: SsoStack): Browser {
  const browser = new Browser().route(stack.serverOrigin, stack.server.url);
  for (const app of Object.values(stack.apps)) browser.route(app.origin, app.url);
  browser.acceptDomainCookies = true;
  return browser;
}

/** Signs in through app `app`'s proxy (proxy → server → provider → server → app) and returns the hops. */
async function signIn(stack: SsoStack, browser: Browser, app: ProxiedApp, redirect = '/after-login') {
  const hops = await browser.navigate(`${app.origin}/oauth2/login?redirect=${encodeURIComponent(redirect)}`);
  const last = hops.at(-1)!;
  assert.equal(last.url, `${app.origin}${redirect}`, hops.map((hop) => `${hop.status} ${hop.url}`).join('\n'));
  assert.equal(last.status, 200);
  return hops;
}

function seen(body: string): Seen {
  return JSON.parse(body) as Seen;
}

describe('sso-proxy endpoints', { skip: redisTool.skip, timeout: 120_000 }, () => {
  let stack: SsoStack;
  let a: ProxiedApp;
  let b: ProxiedApp;
  before(async () => {
    stack = await startSsoStack({
      redisBinary: redisTool.path!,
      proxies: { a: { AUTO_LOGIN: 'true', UPSTREAM_INCLUDE_ID_TOKEN: 'true' }, b: {} },
      // A forced refresh must reach the provider at once (no cooldown after the login).
      serverEnv: { REFRESH_COOLDOWN: '0' },
    });
    a = stack.apps.a!;
    b = stack.apps.b!;
  });
  after(async () => {
    await stack?.close();
  });

  it('runs with no OIDC client id, secret or issuer in the environment, and says so in its health', async () => {
    for (const app of [a, b]) {
      assert.deepEqual(Object.keys(app.env).filter((name) => /OIDC|ISSUER|CLIENT|WONDERWALL/.test(name)), []);
      const line = JSON.parse(app.output().split('\n').find((l) => l.includes('login service listening'))!) as { metricsUrl: string; ssoServer: string; issuer?: string };
      assert.equal(line.ssoServer, `${stack.serverOrigin}/`);
      assert.equal(line.issuer, undefined);
      const health = await request(`${line.metricsUrl}/healthz`);
      assert.equal(health.statusCode, 200);
      assert.deepEqual(await health.body.json(), { status: 'ok', store: 'ok' });
    }
  });

  it('sends login to the server with level, locale, prompt, domain_hint and an absolute return URL', async () => {
    const browser = ssoBrowser(stack);
    const response = await browser.request(`${a.origin}/oauth2/login?level=Level4&locale=nb&prompt=login&domain_hint=example.com&redirect=${encodeURIComponent('/p/q?x=1&y=%2F')}`);
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, `${stack.serverOrigin}/oauth2/login`);
    assert.equal(location.searchParams.get('level'), 'Level4');
    assert.equal(location.searchParams.get('locale'), 'nb');
    assert.equal(location.searchParams.get('prompt'), 'login');
    assert.equal(location.searchParams.get('domain_hint'), 'example.com');
    assert.equal(location.searchParams.get('redirect'), `${a.origin}/p/q?x=1&y=%2F`);
    assert.deepEqual([...location.searchParams.keys()].sort(), ['domain_hint', 'level', 'locale', 'prompt', 'redirect']);
    const bare = new URL((await browser.request(`${a.origin}/oauth2/login`)).headers.get('location')!);
    assert.equal(bare.searchParams.get('redirect'), `${a.origin}/`, 'no redirect: the context root');
  });

  it('refuses a repeated or malformed login parameter, and a login that is not a page load', async () => {
    const browser = ssoBrowser(stack);
    for (const query of ['level=a&level=b', `locale=${encodeURIComponent('nb en')}`, `prompt=${encodeURIComponent('login\r\nx')}`, `domain_hint=${'x'.repeat(300)}`]) {
      const response = await browser.request(`${a.origin}/oauth2/login?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal((JSON.parse(response.body) as { error: string }).error, 'invalid_parameter');
    }
    const script = await browser.request(`${a.origin}/oauth2/login`, { navigate: false, headers: { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } });
    assert.equal(script.status, 401);
    assert.equal((JSON.parse(script.body) as { error: string }).error, 'navigation_required');
  });

  it('builds every return URL from a relative redirect only: hostile ones land on the context root', async () => {
    const browser = ssoBrowser(stack);
    let accepted = 0;
    for (const attack of ATTACKS) {
      for (const candidate of [attack, encodeURIComponent(attack)]) {
        const response = await browser.request(`${a.origin}/oauth2/login?redirect=${encodeURIComponent(candidate)}`);
        assert.equal(response.status, 302, candidate);
        const location = new URL(response.headers.get('location')!);
        assert.equal(location.origin, stack.serverOrigin, candidate);
        const target = new URL(location.searchParams.get('redirect')!);
        assert.equal(target.origin, a.origin, `${JSON.stringify(candidate)} → ${target.href}`);
        assert.ok(!target.pathname.startsWith('//') && !target.pathname.includes('\\'), `${JSON.stringify(candidate)} → ${target.href}`);
        if (target.href !== `${a.origin}/`) accepted++;
      }
    }
    assert.ok(accepted <= 10, `nearly every hostile target becomes the context root (${accepted} kept a path on the app)`);
    for (const absolute of [`${a.origin}/x`, `${stack.serverOrigin}/`, `http://app-b.${SSO_DOMAIN}/`]) {
      const response = await browser.request(`${a.origin}/oauth2/logout?redirect=${encodeURIComponent(absolute)}`);
      assert.equal(new URL(response.headers.get('location')!).searchParams.get('redirect'), `${a.origin}/`, `absolute ${absolute} is refused`);
    }
  });

  it('sends logout to the server (redirect only when given, csrf carried); a POST must be same-origin', async () => {
    const browser = ssoBrowser(stack);
    const plain = await browser.request(`${a.origin}/oauth2/logout`);
    assert.equal(plain.status, 302);
    assert.equal(plain.headers.get('location'), `${stack.serverOrigin}/oauth2/logout`);
    const targeted = new URL((await browser.request(`${a.origin}/oauth2/logout?redirect=/bye&csrf=abc`)).headers.get('location')!);
    assert.equal(targeted.searchParams.get('redirect'), `${a.origin}/bye`);
    assert.equal(targeted.searchParams.get('csrf'), 'abc');
    const posted = await browser.request(`${a.origin}/oauth2/logout`, { form: { redirect: '/posted' }, from: `${a.origin}/page` });
    assert.equal(posted.status, 303, 'the POST becomes the GET the server logs out with');
    assert.equal(new URL(posted.headers.get('location')!).searchParams.get('redirect'), `${a.origin}/posted`);
    const forged = await browser.request(`${a.origin}/oauth2/logout`, { form: { redirect: '/x' }, from: 'https://evil.test/' });
    assert.equal(forged.status, 403);
    const script = await browser.request(`${a.origin}/oauth2/logout`, { navigate: false });
    assert.equal(script.status, 401);
  });

  it('sends a stray callback to the proxy login and a stray logout callback to the server', async () => {
    const browser = ssoBrowser(stack);
    assert.equal((await browser.request(`${a.origin}/oauth2/callback?code=x&state=y`)).headers.get('location'), `${a.origin}/oauth2/login`);
    assert.equal((await browser.request(`${a.origin}/oauth2/logout/callback`)).headers.get('location'), `${stack.serverOrigin}/oauth2/logout`);
    const unknown = await browser.request(`${a.origin}/oauth2/nothing`);
    assert.equal(unknown.status, 404);
  });

  it('points autologin at its own login: page loads 302, scripts 401 with Location', async () => {
    const browser = ssoBrowser(stack);
    const page = await browser.request(`${a.origin}/reports?tab=1`);
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), `${a.origin}/oauth2/login?redirect=${encodeURIComponent('/reports?tab=1')}`);
    const api = await browser.request(`${a.origin}/api/data`, { navigate: false, headers: { accept: 'application/json' } });
    assert.equal(api.status, 401);
    assert.equal(api.headers.get('location'), `${a.origin}/oauth2/login?redirect=%2Fapi%2Fdata`);
    const hostile = await browser.request(`${a.origin}//evil.test/x`);
    assert.equal(hostile.headers.get('location'), `${a.origin}/oauth2/login`, 'a hostile path gets no return URL');
    const off = await browser.request(`${b.origin}/reports`);
    assert.equal(off.status, 200, 'without autologin the request passes as it came');
    assert.equal(seen(off.body).headers.authorization, undefined);
  });

  it('signs in once through app A: app B gets the same session, the apps the access token and never the cookie', async () => {
    const browser = ssoBrowser(stack);
    const before = stack.provider.interactions;
    await signIn(stack, browser, a);
    assert.equal(stack.provider.interactions, before + 1);
    const cookie = browser.cookie(SSO_COOKIE);
    assert.equal(cookie?.domain, SSO_DOMAIN, 'the server set the cookie for the whole domain');
    browser.storeSetCookie('theme=dark; Path=/', new URL(b.origin));
    const atA = seen((await browser.request(`${a.origin}/me`)).body);
    const atB = seen((await browser.request(`${b.origin}/me`, { headers: { authorization: 'Bearer forged', 'x-id-token': 'forged' } })).body);
    assert.match(String(atA.headers.authorization), /^Bearer [A-Za-z0-9._~+/=-]{20,}$/);
    assert.equal(atB.headers.authorization, atA.headers.authorization, 'one session, one access token, at every app');
    assert.equal(String(atA.headers['x-id-token']).split('.').length, 3, 'app A asked for the ID token too');
    assert.equal(atB.headers['x-id-token'], undefined, 'a client copy never reaches the app');
    assert.equal(atB.headers.cookie, 'theme=dark', 'the session cookie never reaches the app');
    assert.equal(stack.provider.interactions, before + 1, 'no password asked at app B');
  });

  it('proxies session, session/refresh and logout/local to the server; a cross-site POST stops at the proxy', async () => {
    const browser = ssoBrowser(stack);
    await signIn(stack, browser, a);
    const session = await browser.request(`${b.origin}/oauth2/session`, { navigate: false, from: `${b.origin}/` });
    assert.equal(session.status, 200);
    const view = JSON.parse(session.body) as { session: { active: boolean }; logout_csrf: string };
    assert.equal(view.session.active, true);
    assert.ok(view.logout_csrf, "the server's own answer");

    const tokenBefore = seen((await browser.request(`${b.origin}/x`)).body).headers.authorization;
    const refreshes = stack.provider.grants.refresh_token ?? 0;
    const forged = await browser.request(`${b.origin}/oauth2/session/refresh`, { method: 'POST', navigate: false, from: 'https://evil.test/' });
    assert.equal(forged.status, 403);
    assert.equal(stack.provider.grants.refresh_token ?? 0, refreshes, 'a forged refresh never reached the server');
    const refreshed = await browser.request(`${b.origin}/oauth2/session/refresh`, { method: 'POST', navigate: false, from: `${b.origin}/page` });
    assert.equal(refreshed.status, 200, refreshed.body);
    assert.equal(stack.provider.grants.refresh_token, refreshes + 1, 'the server refreshed at the provider (the proxy cannot)');
    const tokenAfter = seen((await browser.request(`${a.origin}/x`)).body).headers.authorization;
    assert.notEqual(tokenAfter, tokenBefore, 'every app now sends the refreshed token');
    const crossSiteGet = await browser.request(`${b.origin}/oauth2/session/refresh`, { navigate: false, from: 'https://evil.test/' });
    assert.equal(crossSiteGet.status, 403, 'the server judges a GET by its Sec-Fetch-Site, passed on');

    const ticket = browser.cookie(SSO_COOKIE)!.value;
    const local = await browser.request(`${a.origin}/oauth2/logout/local`, { method: 'POST', navigate: false, from: `${a.origin}/page` });
    assert.equal(local.status, 204);
    assert.ok(local.setCookies.some((line) => line.startsWith(`${SSO_COOKIE}=;`) && /domain=sso\.localhost/i.test(line)), local.setCookies.join('\n'));
    assert.equal(browser.cookie(SSO_COOKIE), undefined);
    const replay = await request(`${b.url}/x`, { headers: { cookie: `${SSO_COOKIE}=${ticket}` } });
    assert.equal(seen(await replay.body.text()).headers.authorization, undefined, 'the session is gone for every app');
    const gone = await request(`${b.url}/oauth2/session`, { headers: { cookie: `${SSO_COOKIE}=${ticket}` } });
    await gone.body.dump();
    assert.equal(gone.statusCode, 401);
  });

  it('passes the server only what its endpoints read: the session cookie, method, query; no forwarding headers', async () => {
    const recorder = await startUpstreamApp();
    try {
      const c = await stack.startProxy('c', { SSO_SERVER_URL: `${recorder.url.replace('127.0.0.1', 'rec.localhost')}/sso/` });
      const headers = { cookie: `theme=dark; ${SSO_COOKIE}=ticket; other=1`, 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6', 'sec-fetch-site': 'same-origin', authorization: 'Bearer x' };
      const got = await request(`${c.url}/oauth2/session?x=1`, { headers });
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.headers['set-cookie'], 'app-cookie=1; Path=/', "the server's answer comes back whole");
      const received = seen(await got.body.text());
      assert.equal(received.url, '/sso/oauth2/session?x=1');
      assert.equal(received.headers.cookie, `${SSO_COOKIE}=ticket`);
      assert.equal(received.headers.host, new URL(recorder.url.replace('127.0.0.1', 'rec.localhost')).host);
      assert.equal(received.headers['sec-fetch-site'], 'same-origin');
      for (const name of ['x-forwarded-for', 'forwarded', 'authorization']) assert.equal(received.headers[name], undefined, name);

      const posted = await request(`${c.url}/oauth2/logout/local`, { method: 'POST', headers: { ...headers, origin: c.origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'redirect=%2F' });
      const post = seen(await posted.body.text());
      assert.equal(post.method, 'POST');
      assert.equal(post.headers.origin, undefined, 'judged at the proxy, then sent as a server-to-server call');
      assert.equal(post.headers['sec-fetch-site'], undefined);
      assert.equal(post.headers['content-length'], '12', 'the body as it came');
      const front = seen(await (await request(`${c.url}/oauth2/logout/frontchannel?sid=s-1&iss=x`)).body.text());
      assert.equal(front.url, '/sso/oauth2/logout/frontchannel?sid=s-1&iss=x');
      const wrongMethod = await request(`${c.url}/oauth2/session`, { method: 'DELETE' });
      await wrongMethod.body.dump();
      assert.equal(wrongMethod.statusCode, 405);
      assert.equal(wrongMethod.headers.allow, 'GET');
    } finally {
      await stack.apps.c?.stop();
      await recorder.close();
    }
  });

  it('carries a WebSocket to the app with the shared session as Bearer; autologin refuses one without', async () => {
    const browser = ssoBrowser(stack);
    await signIn(stack, browser, a);
    const upgrade = (app: ProxiedApp, cookie: string) =>
      new Promise<{ socket?: Socket; status: number; headers: Record<string, unknown>; head: Buffer }>((resolve, reject) => {
        const key = randomBytes(16).toString('base64');
        const target = new URL(app.url);
        const req = httpRequest({ host: target.hostname, port: target.port, path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13', cookie } });
        req.on('upgrade', (res, socket, head) => {
          assert.equal(res.headers['sec-websocket-accept'], wsAccept(key));
          resolve({ socket: socket as Socket, status: 101, headers: res.headers, head });
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, head: Buffer.alloc(0) });
        });
        req.on('error', reject);
        req.end();
      });
    const opened = await upgrade(b, browser.cookieHeader(new URL(`${b.origin}/ws`)));
    assert.equal(opened.status, 101);
    const socket = opened.socket!;
    try {
      const next = frameReader(socket, opened.head);
      const hello = JSON.parse(await next()) as { authorization: string | null };
      assert.match(hello.authorization ?? '', /^Bearer .{20,}/, 'the app saw the session on the upgrade');
      socket.write(encodeFrame('ping-1', true));
      assert.equal(await next(), 'echo:ping-1');
    } finally {
      socket.destroy();
    }
    const refused = await upgrade(a, '');
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.location, `${a.origin}/oauth2/login?redirect=%2Fws`);
  });

  it('answers ping itself, and a clear 502 for the session endpoints when the server is down', async () => {
    const dead = await freePort();
    const d = await stack.startProxy('d', { SSO_SERVER_URL: `http://sso.localhost:${dead}` });
    try {
      const ping = await request(`${d.url}/oauth2/ping`);
      assert.equal(ping.statusCode, 200);
      assert.equal(await ping.body.text(), 'pong');
      const session = await request(`${d.url}/oauth2/session`, { headers: { cookie: `${SSO_COOKIE}=x` } });
      assert.equal(session.statusCode, 502);
      assert.equal(((await session.body.json()) as { error: string }).error, 'sso_server_unreachable');
      const login = await request(`${d.url}/oauth2/login`, { headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
      await login.body.dump();
      assert.equal(login.statusCode, 302, 'login needs no call to the server');
    } finally {
      await d.stop();
    }
  });
});

describe('sso-proxy and an expired access token', { skip: redisTool.skip, timeout: 60_000 }, () => {
  let stack: SsoStack;
  before(async () => {
    stack = await startSsoStack({ redisBinary: redisTool.path!, proxies: { a: {} }, accessTokenTtlSeconds: 2 });
  });
  after(async () => {
    await stack?.close();
  });

  it('counts the session as none (never refreshes it itself) until the server refreshes it', async () => {
    const a = stack.apps.a!;
    const browser = ssoBrowser(stack);
    await signIn(stack, browser, a);
    assert.match(String(seen((await browser.request(`${a.origin}/x`)).body).headers.authorization), /^Bearer /);
    await new Promise((resolve) => setTimeout(resolve, 2300));
    const grants = stack.provider.grants.refresh_token ?? 0;
    const expired = seen((await browser.request(`${a.origin}/x`)).body);
    assert.equal(expired.headers.authorization, undefined, 'an expired access token is not sent');
    assert.equal(stack.provider.grants.refresh_token ?? 0, grants, 'the proxy did not refresh');
    assert.ok(browser.cookie(SSO_COOKIE), 'nor touch the cookie');
    const refreshed = await browser.request(`${a.origin}/oauth2/session/refresh`, { method: 'POST', navigate: false, from: `${a.origin}/` });
    assert.equal(refreshed.status, 200, refreshed.body);
    assert.equal(stack.provider.grants.refresh_token, grants + 1);
    assert.match(String(seen((await browser.request(`${a.origin}/x`)).body).headers.authorization), /^Bearer /, 'the session kept in the store is good again');
  });
});
