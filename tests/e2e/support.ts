// The started stack and headless Chromium for the browser suites. One stack per suite on free
// ports with a throw-away data folder, behind either gateway: the Node one, or the two real Envoys
// (gateway → waypoint) translated from the rendered local overlay, as `npm start -- --gateway envoy`
// runs them. Screenshots go to test-output/e2e/<gateway>/ for people to look at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, type RunningStack } from '../../src/harness/stack.ts';
import { Agent, request } from 'undici';
import { harnessEnvoys, startLocalEnvoys, type RunningLocalEnvoys } from '../../scripts/lib/envoy/bootstrap.ts';
import { requireEnvoy, requireTool } from '../support/tools.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { freePort } from '../../src/harness/common/free-port.ts';

const ROOT = REPO_ROOT;
export type GatewayKind = 'node' | 'envoy';
export const GATEWAYS: readonly GatewayKind[] = ['node', 'envoy'];
export const SCREENSHOTS = join(ROOT, 'test-output', 'e2e');
export const screenshotsFor = (gateway: GatewayKind): string => join(SCREENSHOTS, gateway);
export const ADMIN = { email: 'ada.admin@acme.example', password: 'admin-demo-1' };
export const MEMBER = { email: 'max.member@acme.example', password: 'member-demo-1' };
export const ORG_COOKIE = 'previouslySelectedOrganisation';

export { filterWasm } from '../support/filter-wasm.ts';

export function chromiumPath(): { path?: string; skip?: string } {
  return requireTool('/usr/bin/chromium', 'chromium');
}

/** Why a gateway's suite cannot run here (Envoy, or kubectl for rendering the overlay, missing); throws under CI=true. */
export function gatewaySkip(gateway: GatewayKind): string | undefined {
  if (gateway === 'node') return undefined;
  return requireEnvoy().skip ?? requireTool(process.env.KUBECTL || 'kubectl').skip;
}

/** The two Envoys in front of a started stack, ready when a first visit crosses both to the login redirect. */
async function startEnvoyGateway(stack: RunningStack, wasmFile: string, gatewayPorts: { http: number; https: number; internal: number }): Promise<RunningLocalEnvoys> {
  const waypointPorts = Object.fromEntries(await Promise.all(Object.keys(stack.upstreams).map(async (name) => [name, await freePort()] as const)));
  const { configs, env } = harnessEnvoys(stack, { wasmFile, gatewayPorts, waypointPorts });
  const envoys = await startLocalEnvoys(requireEnvoy().envoy!, { configs, dir: join(stack.dataDir, 'envoy'), env, timeoutMs: 60_000 });
  const trust = new Agent({ connect: { ca: stack.ca, servername: 'localhost' } });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await request(`https://127.0.0.1:${gatewayPorts.https}/`, { dispatcher: trust, headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } })
        .then(async (response) => {
          await response.body.dump();
          return response.statusCode;
        })
        .catch(() => 0);
      if (status === 302) return envoys;
      if (Date.now() > deadline) throw new Error(`the Envoys did not answer the login redirect within 30 s (last ${status}):\n${envoys.gateway.log().slice(-2000)}\n${envoys.waypoint.log().slice(-2000)}`);
      await new Promise((done) => setTimeout(done, 200));
    }
  } catch (error) {
    await envoys.stop();
    throw error;
  } finally {
    await trust.close();
  }
}

export interface E2e {
  gateway: GatewayKind;
  stack: RunningStack;
  browser: Browser;
  app: string;
  close(): Promise<void>;
}

/** `stack`: what differs from the browser suites' default stack (membership check on, sessions in memory). */
export async function startE2e(wasm: string, executablePath: string, gateway: GatewayKind = 'node', stackOptions: { redisUrl?: string; membershipCheck?: boolean } = {}): Promise<E2e> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oc-e2e-'));
  const gatewayPorts = gateway === 'envoy' ? { http: await freePort(), https: await freePort(), internal: await freePort() } : undefined;
  const stack = await startStack({ wasm, ports: 'ephemeral', dataDir, membershipCheck: true, logLevel: 'info', ...stackOptions, ...(gatewayPorts ? { gateway: 'external' as const, gatewayPorts } : {}) });
  let envoys: RunningLocalEnvoys | undefined;
  try {
    if (gatewayPorts) envoys = await startEnvoyGateway(stack, wasm, gatewayPorts);
  } catch (error) {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(screenshotsFor(gateway), { recursive: true });
  return {
    gateway,
    stack,
    browser,
    app: stack.urls.app,
    async close() {
      await browser.close();
      await envoys?.stop();
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh browser profile. The gateway's CA is local, so certificate errors are ignored here; the
 * gateway suite checks the chain itself. */
export function newContext(e2e: E2e, extraHTTPHeaders?: Record<string, string>): Promise<BrowserContext> {
  return e2e.browser.newContext({ ignoreHTTPSErrors: true, ...(extraHTTPHeaders ? { extraHTTPHeaders } : {}) });
}

export function isLoginPage(page: Page, e2e: E2e): boolean {
  return page.url().startsWith(e2e.stack.urls.identityProvider);
}

/** Opens the home page, which sends a browser without a session to the provider's login page, and logs in. */
export async function logIn(page: Page, e2e: E2e, user: { email: string; password: string }): Promise<void> {
  await page.goto(`${e2e.app}/`);
  await submitLogin(page, e2e, user);
}

export async function submitLogin(page: Page, e2e: E2e, user: { email: string; password: string }): Promise<void> {
  if (!isLoginPage(page, e2e)) throw new Error(`expected the login page, got ${page.url()}`);
  await page.locator('input[name="email"]').fill(user.email);
  await page.locator('input[name="password"]').fill(user.password);
  await Promise.all([page.waitForURL(`${e2e.app}/**`), page.locator('form [type="submit"]').first().click()]);
  await page.locator('[data-testid="user"]').waitFor();
}

export interface DashboardView {
  user: string;
  userType: string;
  organisation: string;
  features: string[];
}

/** What the user sees on the dashboard. */
export async function readDashboard(page: Page): Promise<DashboardView> {
  await page.locator('[data-testid="user"]').waitFor();
  return {
    user: (await page.locator('[data-testid="user"]').innerText()).trim(),
    userType: (await page.locator('[data-testid="user-type"]').innerText()).trim(),
    organisation: (await page.locator('[data-testid="organisation"]').getAttribute('data-organisation')) ?? '',
    features: (await page.locator('[data-testid="feature"]').allInnerTexts()).map((text) => text.trim()),
  };
}

/** What feature-user-backend was told for a request from this page (cookies included). */
export async function backendView(page: Page): Promise<{ status: number; body: Record<string, unknown> }> {
  return page.evaluate(async () => {
    const response = await fetch('/user/me', { headers: { accept: 'application/json' } });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  });
}

export async function switchOrganisation(page: Page, id: string): Promise<void> {
  await page.waitForLoadState('load');
  await page.locator('#switcher[data-ready="true"]').waitFor();
  await page.locator('[data-testid="organisation-select"]').selectOption(id);
  // The script posts the choice, then reloads: wait for that new document, not the old one's load.
  const reloaded = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
  const answered = page.waitForResponse((response) => response.url().endsWith('/organisation/select'));
  await page.locator('[data-testid="switch"]').click();
  const response = await answered;
  if (!response.ok()) throw new Error(`switching to ${id}: HTTP ${response.status()} ${await response.text()}`);
  await reloaded;
  await page.waitForLoadState('load');
  await page.locator('[data-testid="user"]').waitFor();
}

export async function screenshot(page: Page, e2e: E2e, name: string): Promise<void> {
  await capture(page, join(screenshotsFor(e2e.gateway), `${name}.png`));
}

/**
 * A screenshot for the record, taken once the page has loaded. Chromium refuses a capture while a
 * navigation is still settling ("Unable to capture screenshot", seen on a loaded CI machine), so a
 * refused capture waits for the load and tries once more; a second refusal is an error.
 */
export async function capture(page: Page, path: string): Promise<void> {
  await page.waitForLoadState('load').catch(() => undefined);
  try {
    await page.screenshot({ path, fullPage: true });
  } catch {
    await page.waitForLoadState('load').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await page.screenshot({ path, fullPage: true });
  }
}

export async function appCookies(context: BrowserContext, e2e: E2e) {
  return context.cookies(e2e.app);
}
