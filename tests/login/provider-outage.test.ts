// An identity provider that goes down after the service discovered it — refusing connections, or
// accepting them and never answering. A new login must end on the service's own error page (a
// "Try again" link, a correlation id that is in the log with the cause), never on the browser's
// connection error at the provider; nothing secret in the page, the log or a URL; and sessions
// that already exist go on, even when their tokens are due for a refresh.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { Browser, BrowserResponse } from '../../fixtures/browser.ts';
import { APP, startStack, type Stack } from './stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SESSION = '__Host-oc-session';

/** Plays a provider that accepts connections and never answers, on the provider's own port. */
async function blackhole(stack: Stack): Promise<{ close(): Promise<void> }> {
  await stack.provider.pause();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(Number(new URL(stack.provider.issuer).port), '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Starts a login and walks the provider (while it is up), stopping before the callback reaches the service. */
async function toCallback(stack: Stack, browser: Browser, target: string): Promise<string> {
  const start = await browser.request(`${APP}/oauth2/login?redirect=${encodeURIComponent(target)}`);
  let current = new URL(start.headers.get('location')!).href;
  for (let hop = 0; hop < 10; hop++) {
    if (current.startsWith(`${APP}/oauth2/callback`)) return current;
    const response = await browser.request(current, { from: APP });
    const location = response.headers.get('location');
    if (!location) throw new Error(`provider stopped at ${response.status}: ${response.body.slice(0, 200)}`);
    current = new URL(location, current).href;
  }
  throw new Error('no callback');
}

/** The service's error page for an unreachable provider, with its retry link; returns the correlation id. */
function assertOutagePage(stack: Stack, response: BrowserResponse, retry: string, cause: RegExp): string {
  assert.equal(response.status, 503, response.body.slice(0, 300));
  assert.equal(response.headers.get('location'), null, 'the browser is not sent to the provider');
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(response.headers.get('retry-after'), '5');
  assert.match(response.body, /identity provider cannot be reached/);
  assert.ok(response.body.includes(`<a href="${retry.replace(/&/g, '&amp;')}" data-action="retry">Try again</a>`), `retry link to ${retry} in ${response.body}`);
  const correlationId = /Correlation id: <code>([A-Za-z0-9_-]{12})<\/code>/.exec(response.body)?.[1];
  assert.ok(correlationId, 'a correlation id on the page');
  const line = stack.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.correlationId === correlationId);
  assert.ok(line, 'the correlation id is in the log');
  assert.equal(line.code, 'provider_unavailable');
  assert.match(String(line.reason), cause);
  assert.ok(!response.setCookies.some((cookie) => cookie.startsWith(`${SESSION}=`) && !/Max-Age=0/.test(cookie)), 'no session issued');
  return correlationId;
}

function assertNoSecrets(stack: Stack, texts: string[], secrets: string[]): void {
  for (const secret of [stack.provider.client.clientSecret, ...secrets]) {
    for (const text of [...texts, ...stack.logs]) assert.ok(!text.includes(secret), 'no secret in a page, a URL or the log');
  }
}

describe('identity provider down after discovery', () => {
  let stack: Stack;
  let existing: Browser;
  before(async () => {
    stack = await startStack();
    existing = stack.browser();
    await stack.login(existing);
  });
  after(() => stack?.close());

  it('a new login gets the error page with a retry link, existing sessions go on, and the retry works once it is back', async () => {
    await stack.provider.pause();
    try {
      const browser = stack.browser();
      const login = await browser.request(`${APP}/oauth2/login?redirect=${encodeURIComponent('/reports?page=2')}`);
      const retry = `${APP}/oauth2/login?redirect=%2Freports%3Fpage%3D2`;
      assertOutagePage(stack, login, retry, /identity provider unreachable at http:\/\/127\.0\.0\.1:\d+\/auth \(fetch failed.*\)/);
      assert.ok(!login.setCookies.some((cookie) => cookie.startsWith('oc-login-')), 'no login state for a login that cannot start');

      assert.equal((await stack.check(existing)).status, 200, 'an existing session is still allowed');
      assert.equal((await existing.request(`${APP}/oauth2/session`, { navigate: false })).status, 200);
      assertNoSecrets(stack, [login.body, login.headers.get('location') ?? ''], [existing.cookie(SESSION)!.value]);

      await stack.provider.resume();
      const hops = await browser.navigate(retry);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`));
      assert.equal(callback?.status, 302, 'the retry link logs in once the provider is back');
      assert.equal(callback.headers.get('location'), `${APP}/reports?page=2`);
    } finally {
      await stack.provider.resume().catch(() => undefined);
    }
  });

  it('a callback whose token endpoint cannot be reached gets the error page with a retry to the same target', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser, '/x');
    await stack.provider.pause();
    try {
      const response = await browser.request(callback, { from: stack.provider.issuer });
      assertOutagePage(stack, response, `${APP}/oauth2/login?redirect=%2Fx`, /identity provider failed during login: fetch failed/);
      const code = new URL(callback).searchParams.get('code')!;
      assertNoSecrets(stack, [response.body], [code]);
      assert.equal((await stack.check(existing)).status, 200, 'an existing session is still allowed');
    } finally {
      await stack.provider.resume();
    }
  });
});

describe('identity provider that accepts connections and never answers', () => {
  let stack: Stack;
  before(async () => {
    // Tokens always due for a refresh once the 1 s cooldown has passed; the provider gets 1.5 s (enough for a login on a loaded CI machine; 400 ms was not).
    stack = await startStack({ env: { PROVIDER_TIMEOUT: '1500ms', REFRESH_BEFORE_EXPIRY: '1h', REFRESH_COOLDOWN: '1s' } });
  });
  after(() => stack?.close());

  it('a login and a callback time out onto the error page (503, not a validation failure)', async () => {
    const browser = stack.browser();
    const callback = await toCallback(stack, browser, '/y');
    const hole = await blackhole(stack);
    try {
      const response = await browser.request(callback, { from: stack.provider.issuer });
      assertOutagePage(stack, response, `${APP}/oauth2/login?redirect=%2Fy`, /identity provider failed during login: operation timed out/);
      const login = await stack.browser().request(`${APP}/oauth2/login`);
      assertOutagePage(stack, login, `${APP}/oauth2/login`, /identity provider unreachable at http:\/\/127\.0\.0\.1:\d+\/auth \(.*(timed out|aborted).*\)/i);
    } finally {
      await hole.close();
      await stack.provider.resume();
    }
  });

  it('keeps an existing session whose refresh times out, on its current tokens', async () => {
    const browser = stack.browser();
    await stack.login(browser);
    await sleep(1100);
    const hole = await blackhole(stack);
    try {
      const during = await stack.check(browser);
      assert.equal(during.status, 200, 'a refresh that timed out does not end the session');
      assert.ok(!during.setCookies.some((cookie) => /Max-Age=0/.test(cookie)), 'the session cookie is not cleared');
    } finally {
      await hole.close();
      await stack.provider.resume();
    }
    assert.equal((await stack.check(browser)).status, 200, 'and it goes on after the outage');
  });
});
