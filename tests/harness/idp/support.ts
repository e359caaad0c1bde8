// Drives the identity provider stand-in like a browser + relying party: the shared test browser
// (fixtures/browser.ts: cookie jar, manual redirects), the real login form, and openid-client v6
// for the protocol (PKCE, state, nonce).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { Browser } from '../../../fixtures/browser.ts';
import { startIdentityProvider, type RunningIdentityProvider } from '../../../src/harness/idp/index.ts';
import { startOnboarding, type RunningOnboarding } from '../../../src/harness/onboarding/index.ts';
import { loadSeed } from '../../../src/harness/seed/index.ts';
import { createHandler, type EnrichmentHandler, type EnrichmentSettings } from '../../../src/enrichment/index.ts';
import { ONBOARDING_SCOPE } from '../../../src/topology/waypoint.ts';

export const seed = loadSeed();
export const ADMIN = { ...seed[0]!, password: 'admin-demo-1' };
export const MEMBER = { ...seed[1]!, password: 'member-demo-1' };
export const USER_TYPES = { ORG_ADMIN: 'admin', ORG_MEMBER: 'member' };
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const LOGOUT_URI = 'http://127.0.0.1:9/signed-out';
export const APP = { clientId: 'oc-app', clientSecret: 'app-secret-for-tests' };
export const M2M = { clientId: 'oc-enrichment', clientSecret: 'm2m-secret-for-tests' };

export interface Stack {
  idp: RunningIdentityProvider;
  onboarding: RunningOnboarding;
  /** The real src/enrichment handler the idp invokes (its token cache is observable). */
  handler: EnrichmentHandler;
  config: oidc.Configuration;
  logs: string[];
  dataDir: string;
  close(): Promise<void>;
}

/**
 * idp → onboarding (needs the issuer) → handler (needs onboarding's URL). With ephemeral ports the
 * idp cannot know the handler when it starts, so it gets a forwarder to the handler built last.
 */
export async function startStack(
  options: {
    version?: '1' | '2' | '3';
    settings?: Partial<EnrichmentSettings>;
    m2mTtl?: number;
  } = {},
): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oc-idp-'));
  const logs: string[] = [];
  let handler: EnrichmentHandler | undefined;
  const idp = await startIdentityProvider({
    dataDir,
    clients: {
      app: { ...APP, redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [LOGOUT_URI], name: 'OneConnect' },
      m2m: M2M,
    },
    ...(options.m2mTtl ? { ttl: { m2mAccessToken: options.m2mTtl } } : {}),
    enrichment: {
      version: options.version ?? '2',
      handler: (event, context) => handler!(event, context),
    },
  });
  const onboarding = await startOnboarding({ issuer: idp.issuer, seed });
  handler = createHandler(
    {
      onboardingUrl: onboarding.url,
      tokenUrl: idp.tokenEndpoint,
      clientId: M2M.clientId,
      clientSecret: M2M.clientSecret,
      scope: ONBOARDING_SCOPE,
      userTypes: USER_TYPES,
      timeoutMs: 1500,
      ...options.settings,
    },
    { write: (line) => logs.push(line) },
  );
  const config = await oidc.discovery(new URL(idp.issuer), APP.clientId, APP.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  return {
    idp,
    onboarding,
    handler,
    config,
    logs,
    dataDir,
    async close() {
      await Promise.allSettled([idp.close(), onboarding.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { Browser };

export interface LoginStart {
  authorizationUrl: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export async function startLogin(config: oidc.Configuration, scope = 'openid email'): Promise<LoginStart> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { authorizationUrl, codeVerifier, state, nonce };
}

/** Opens the login page, submits the form; returns the callback URL or the page shown. */
export async function submitLogin(browser: Browser, start: LoginStart, email: string, password: string) {
  const page = await browser.follow(start.authorizationUrl.href, REDIRECT_URI);
  if (!page.response) return { callback: new URL(page.url) };
  const html = page.response.body;
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no login form at ${page.url}: ${html.slice(0, 200)}`);
  const result = await browser.follow(new URL(action.replace(/&amp;/g, '&'), page.url).href, REDIRECT_URI, {
    method: 'POST',
    form: { email, password },
    from: page.url,
    navigate: true,
  });
  if (result.response) return { status: result.response.status, html: result.response.body };
  return { callback: new URL(result.url) };
}

/** A full login to tokens. */
export async function login(stack: Stack, browser: Browser, user: { email: string; password: string }) {
  const start = await startLogin(stack.config);
  const result = await submitLogin(browser, start, user.email, user.password);
  if (!result.callback) throw new Error(`login did not reach the callback: HTTP ${result.status}`);
  const callbackError = result.callback.searchParams.get('error');
  if (callbackError) {
    return {
      error: callbackError,
      errorDescription: result.callback.searchParams.get('error_description') ?? '',
      stateMatches: result.callback.searchParams.get('state') === start.state,
      iss: result.callback.searchParams.get('iss'),
    };
  }
  const tokens = await oidc.authorizationCodeGrant(stack.config, result.callback, {
    pkceCodeVerifier: start.codeVerifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
    idTokenExpected: true,
  });
  return { tokens, claims: tokens.claims()! };
}

export function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
