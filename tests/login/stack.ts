// The parts a login suite runs against: a real oidc-provider, the login service configured for a
// virtual app origin (https://app.test, routed to the service as the gateway would), and a
// browser-like client that keeps cookies.
import { pino } from 'pino';
import { Browser, type BrowserResponse } from '../../fixtures/browser.ts';
import { loadConfig, startLoginService, type LoginService, type SessionStore } from '../../src/login/index.ts';
import { relyingPartyEnv, startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';

export const APP = 'https://app.test';

export interface Stack {
  provider: OidcTestProvider;
  service: LoginService;
  env: Record<string, string>;
  browser(): Browser;
  /** Logs `browser` in through the whole code flow; returns every hop. */
  login(browser: Browser, redirect?: string): Promise<BrowserResponse[]>;
  /** An ext_authz check as Envoy sends it (original path, the browser's cookies). */
  check(browser: Browser, path?: string, headers?: Record<string, string>): Promise<BrowserResponse>;
  logs: string[];
  close(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  idTokenTtlSeconds?: number;
  store?: SessionStore;
  /** Reuse a provider (e.g. two service replicas in front of one provider). */
  provider?: OidcTestProvider;
  /** Wait for provider discovery before returning (default true). */
  waitReady?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const provider = options.provider ?? (await startOidcTestProvider({ appOrigin: APP, idTokenTtlSeconds: options.idTokenTtlSeconds }));
  const env: Record<string, string> = { ...relyingPartyEnv(provider, APP), ...options.env };
  // Logs are captured so tests can assert that no token or secret ever reaches them.
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) });
  const service = await startLoginService(loadConfig(env), { logger, store: options.store });
  if (options.waitReady !== false) await service.ready;
  const stack: Stack = {
    provider,
    service,
    env,
    logs,
    browser: () => new Browser().route(APP, service.url),
    async login(browser, redirect = '/') {
      const hops = await browser.navigate(`${APP}/oauth2/login?redirect=${encodeURIComponent(redirect)}`);
      const callback = hops.find((hop) => hop.url.startsWith(`${APP}/oauth2/callback`));
      if (!callback || callback.status !== 302) {
        throw new Error(`login did not complete: ${hops.map((hop) => `${hop.status} ${new URL(hop.url).pathname}`).join(' → ')} ${hops.at(-1)?.body.slice(0, 300)}`);
      }
      return hops;
    },
    check(browser, path = '/dashboard', headers = {}) {
      return browser.request(`${APP}${path}`, { navigate: false, headers: { accept: 'application/json', ...headers } });
    },
    async close() {
      await service.close();
      if (!options.provider) await provider.close();
    },
  };
  return stack;
}

/** The JSON payload of a JWT (no verification: the service already verified it). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

export function bearer(response: BrowserResponse): string {
  const header = response.headers.get('authorization') ?? '';
  if (!header.startsWith('Bearer ')) throw new Error(`no bearer token (status ${response.status})`);
  return header.slice('Bearer '.length);
}
