// The started stack and headless Chromium for the browser suites. One stack per suite on free
// ports with a throw-away data folder; screenshots go to test-output/e2e/ for people to look at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, type RunningStack } from '../../src/harness/stack.ts';
import { requireTool } from '../support/tools.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const SCREENSHOTS = join(ROOT, 'test-output', 'e2e');
export const ADMIN = { email: 'ada.admin@acme.example', password: 'admin-demo-1' };
export const MEMBER = { email: 'max.member@acme.example', password: 'member-demo-1' };
export const ORG_COOKIE = 'previouslySelectedOrganisation';

export { filterWasm } from '../support/filter-wasm.ts';

export function chromiumPath(): { path?: string; skip?: string } {
  return requireTool('/usr/bin/chromium', 'chromium');
}

export interface E2e {
  stack: RunningStack;
  browser: Browser;
  app: string;
  close(): Promise<void>;
}

export async function startE2e(wasm: string, executablePath: string): Promise<E2e> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oc-e2e-'));
  const stack = await startStack({ wasm, ports: 'ephemeral', dataDir, membershipCheck: true, logLevel: 'info' });
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    stack,
    browser,
    app: stack.urls.app,
    async close() {
      await browser.close();
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

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export async function appCookies(context: BrowserContext, e2e: E2e) {
  return context.cookies(e2e.app);
}
