// `npm start -- --sso` as a person uses it, in real Chromium: the SSO server and the apps behind
// SSO proxies on *.oc.localhost sharing one sign-in through Redis, and the standalone sidecar on
// app-c.localhost handing its app the bearer token. The harness starts its own redis-server and the
// identity provider with the demo users, exactly as the command does.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { startSsoStack, type RunningSsoStack } from '../../src/harness/sso-stack.ts';
import { SSO_DOMAIN, SSO_IDP_PORT, SSO_SESSION_COOKIE, SSO_SITES, type SsoSiteName } from '../../src/harness/sso-sites.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { requireTool } from '../support/tools.ts';

const chromiumTool = requireTool('/usr/bin/chromium', 'chromium');
const redisTool = requireTool('redis-server');
const skip = chromiumTool.skip ?? redisTool.skip;
const ADMIN = { email: 'ada.admin@acme.example', password: 'admin-demo-1' };
const MEMBER = { email: 'max.member@acme.example', password: 'member-demo-1' };

let stack: RunningSsoStack;
let browser: Browser;
let dataDir: string;

const url = (name: SsoSiteName) => stack.sites[name].url;

/** The same login service by address: Node's resolver (unlike Chromium's) knows no *.localhost, and the service ignores Host. */
const direct = (siteUrl: string) => {
  const parsed = new URL(siteUrl);
  parsed.hostname = '127.0.0.1';
  return parsed.origin;
};

async function newContext(): Promise<BrowserContext> {
  return browser.newContext();
}

/** Every page load of the identity provider's sign-in form in this context (password asked). */
function countSignInForms(context: BrowserContext): { count: number } {
  const counter = { count: 0 };
  context.on('request', (req) => {
    if (req.isNavigationRequest() && req.url().startsWith(stack.identityProvider.url) && req.url().includes('/interaction/') && req.method() === 'GET') counter.count++;
  });
  return counter;
}

async function signInAt(page: Page, appUrl: string, user: { email: string; password: string }): Promise<void> {
  await page.goto(`${appUrl}/`);
  assert.equal(await page.getByTestId('status').getAttribute('data-signed-in'), 'false', `${appUrl} starts signed out`);
  await Promise.all([page.waitForURL(`${stack.identityProvider.url}/**`), page.getByTestId('login').click()]);
  await page.locator('input[name="email"]').fill(user.email);
  await page.locator('input[name="password"]').fill(user.password);
  await Promise.all([page.waitForURL(`${appUrl}/**`), page.locator('form [type="submit"]').first().click()]);
}

async function statusOf(page: Page): Promise<{ signedIn: boolean; user: string | null }> {
  const status = page.getByTestId('status');
  await status.waitFor();
  const signedIn = (await status.getAttribute('data-signed-in')) === 'true';
  return { signedIn, user: signedIn ? (await page.getByTestId('user').innerText()).trim() : null };
}

describe('oc-edge start --sso', { skip }, () => {
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'oc-sso-'));
    stack = await startSsoStack({ ports: 'ephemeral', dataDir });
    browser = await chromium.launch({
      executablePath: chromiumTool.path!,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the sites are where sso-sites.ts says, on the SSO domain or (the sidecar) off it', () => {
    for (const [name, running] of Object.entries(stack.sites)) {
      const site = SSO_SITES.find((s) => s.name === name)!;
      assert.equal(new URL(running.url).hostname, site.host);
      assert.equal(site.mode === 'standalone', !site.host.endsWith(`.${SSO_DOMAIN}`), `${name}: only the sidecar is outside ${SSO_DOMAIN}`);
    }
    assert.ok(stack.redisStarted, 'no --redis URL: the harness started redis-server');
    // The proxies are no relying party: no client id, issuer or secret in their environment.
    for (const name of ['app-a', 'app-b'] as const) {
      assert.deepEqual(stack.sites[name].settings.filter((setting) => setting.startsWith('OIDC_')), [], name);
      assert.ok(stack.sites[name].settings.includes('ENCRYPTION_KEY') && stack.sites[name].settings.includes('SSO_SERVER_URL'));
    }
    assert.ok(stack.sites['sso-server'].settings.includes('OIDC_CLIENT_SECRET'));
    assert.equal(statSync(join(dataDir, 'sso-encryption.key')).mode & 0o777, 0o600);
  });

  test('the SSO server signs in once for the whole domain: Domain=oc.localhost, HttpOnly, in Redis', async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      const server = url('sso-server');
      // An absolute target on the SSO domain is allowed (the server's redirect rule).
      await page.goto(`${server}/oauth2/login?redirect=${encodeURIComponent(`${server}/oauth2/session`)}`);
      assert.ok(page.url().startsWith(stack.identityProvider.url), `the sign-in page, got ${page.url()}`);
      await page.locator('input[name="email"]').fill(MEMBER.email);
      await page.locator('input[name="password"]').fill(MEMBER.password);
      await Promise.all([page.waitForURL(`${server}/oauth2/session`), page.locator('form [type="submit"]').first().click()]);
      const session = JSON.parse(await page.locator('body').innerText()) as { session?: { active?: boolean } };
      assert.equal(session.session?.active, true, JSON.stringify(session));
      const cookie = (await context.cookies()).find((c) => c.name === SSO_SESSION_COOKIE);
      assert.ok(cookie, 'the SSO session cookie is set');
      assert.equal(cookie.domain, `.${SSO_DOMAIN}`, 'Chromium kept it for the whole domain');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      // Chromium sends it to every host of the domain, and to none outside it.
      assert.ok((await context.cookies(`http://anything.${SSO_DOMAIN}:1/`)).some((c) => c.name === SSO_SESSION_COOKIE));
      assert.ok(!(await context.cookies(url('app-c'))).some((c) => c.name === SSO_SESSION_COOKIE), 'not sent to app-c.localhost');
      // A target outside the domain is refused: the login lands on the configured default instead.
      const foreign = await request(`${direct(server)}/oauth2/login?redirect=${encodeURIComponent('http://evil.localhost:1/')}`, { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
      await foreign.body.dump();
      assert.equal(foreign.statusCode, 302);
      assert.ok(!String(foreign.headers.location).includes('evil.localhost'), String(foreign.headers.location));
    } finally {
      await context.close();
    }
  });

  test('sign in at app A → app B is signed in without the password; logout at B ends A', async () => {
    const context = await newContext();
    const forms = countSignInForms(context);
    try {
      const page = await context.newPage();
      await signInAt(page, url('app-a'), ADMIN);
      assert.deepEqual(await statusOf(page), { signedIn: true, user: ADMIN.email });
      assert.equal(forms.count, 1);

      await page.goto(`${url('app-b')}/`);
      assert.deepEqual(await statusOf(page), { signedIn: true, user: ADMIN.email }, 'app B knows the user at once');
      assert.equal(forms.count, 1, 'no second password');

      await Promise.all([page.waitForURL((u) => u.origin === url('app-b') || u.origin === url('app-a')), page.getByTestId('logout').click()]);
      await page.goto(`${url('app-a')}/`);
      assert.deepEqual(await statusOf(page), { signedIn: false, user: null }, 'logout at B ended the session at A');
      await page.goto(`${url('app-b')}/`);
      assert.deepEqual(await statusOf(page), { signedIn: false, user: null });
      const session = await page.goto(`${url('sso-server')}/oauth2/session`);
      assert.equal(session?.status(), 401, 'the server has no session either');
    } finally {
      await context.close();
    }
  });

  test('the standalone sidecar hands its app the bearer token the identity provider accepts', async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      await signInAt(page, url('app-c'), MEMBER);
      assert.deepEqual(await statusOf(page), { signedIn: true, user: MEMBER.email });
      // Its session is its own: host-only on app-c.localhost, not the SSO cookie.
      const cookies = await context.cookies(url('app-c'));
      const own = cookies.find((c) => c.name !== SSO_SESSION_COOKIE && c.httpOnly && c.domain === 'app-c.localhost');
      assert.ok(own, JSON.stringify(cookies.map((c) => ({ name: c.name, domain: c.domain }))));
      assert.ok(!(await context.cookies(`http://x.${SSO_DOMAIN}:1/`)).length, 'nothing for the SSO domain');
      // What the app itself was given, through the sidecar.
      const who = await page.evaluate(async () => (await fetch('/whoami')).json() as Promise<Record<string, unknown>>);
      assert.equal(who.bearer, true);
      assert.equal(who.email, MEMBER.email);
      assert.match(String(who.sub), /\S/);

      await Promise.all([page.waitForURL(`${url('app-c')}/**`), page.getByTestId('logout').click()]);
      assert.deepEqual(await statusOf(page), { signedIn: false, user: null });
    } finally {
      await context.close();
    }
  });

  test('without a session, a bearer token a client made up is refused by the app (the provider does not know it)', async () => {
    const response = await request(`${direct(url('app-c'))}/whoami`, { headers: { authorization: 'Bearer made-up-token', accept: 'application/json' } });
    const body = (await response.body.json()) as Record<string, unknown>;
    assert.equal(body.bearer, true);
    assert.equal(body.email, undefined);
    assert.match(String(body.problem), /refused the token \(401\)/);
    assert.ok(!JSON.stringify(body).includes('made-up-token'), 'the token is never echoed');
  });
});

const CLI = [join(REPO_ROOT, 'scripts/oc-edge.ts')];
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('oc-edge start --sso (the command)', { skip }, () => {
  test('options it cannot honour exit 2 with one line', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', ...CLI, 'start', '--sso', '--gateway', 'envoy'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--sso runs no gateway: drop --gateway/);
  });

  test('a default port taken: exit 2 naming it, and what had started is stopped', { timeout: 60_000 }, async () => {
    const server = SSO_SITES.find((s) => s.mode === 'sso-server')!;
    const blocker = createServer();
    await new Promise<void>((resolve, reject) => blocker.once('error', reject).listen(server.port, '127.0.0.1', () => resolve()));
    const idpFreeBefore = !(await listening(SSO_IDP_PORT));
    const dir = mkdtempSync(join(tmpdir(), 'oc-sso-busy-'));
    try {
      const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', ...CLI, 'start', '--sso', '--data-dir', dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('exit', (code) => resolve({ code, output }));
      });
      assert.equal(result.code, 2, result.output);
      assert.match(result.output, new RegExp(`a port is already in use \\(address already in use 127\\.0\\.0\\.1:${server.port}\\)`));
      if (idpFreeBefore) assert.equal(await listening(SSO_IDP_PORT), false, 'the identity provider it had started is stopped');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('prints every URL and the demo users, and stops on Ctrl-C', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-sso-cli-'));
    try {
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', ...CLI, 'start', '--sso', '--ephemeral-ports', '--data-dir', dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        let checked = false;
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`no ready line within 80 s:\n${text}`));
        }, 80_000);
        const onData = (chunk: Buffer) => {
          text += chunk.toString();
          if (!checked && text.includes('Ctrl-C stops everything')) {
            checked = true;
            const appC = /(http:\/\/app-c\.localhost:\d+)/.exec(text)?.[1];
            // The printed URL answers (undici resolves *.localhost as the OS does: connect by address).
            const address = appC ? appC.replace('app-c.localhost', '127.0.0.1') : undefined;
            void (address ? request(`${address}/oauth2/ping`).then(async (r) => `${r.statusCode} ${await r.body.text()}`) : Promise.resolve('no URL')).then(
              (ping) => {
                text += `\n[ping ${ping}]\n`;
                child.kill('SIGINT');
              },
              (error: unknown) => {
                text += `\n[ping failed ${String(error)}]\n`;
                child.kill('SIGINT');
              },
            );
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve(text);
          else reject(new Error(`exit ${code}:\n${text}`));
        });
      });
      assert.match(output, /http:\/\/sso\.oc\.localhost:\d+/);
      assert.match(output, /http:\/\/app-c\.localhost:\d+/);
      assert.match(output, /http:\/\/app-a\.oc\.localhost:\d+/);
      assert.match(output, /http:\/\/app-b\.oc\.localhost:\d+/);
      assert.match(output, /ada\.admin@acme\.example\s+admin-demo-1/);
      assert.match(output, /\[ping 200 pong\]/);
      assert.match(output, /stopped\./);
      assert.doesNotMatch(output, /ENCRYPTION_KEY=|client_secret|OIDC_CLIENT_SECRET=/, 'no secret printed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
