// oauth2-proxy, the login service users would pick instead, as the login bench's peer: the pinned
// build from `npm run tools:install`, a relying party of the same identity provider, on the same
// Redis (--session-store-type=redis), its session made by a real login through the code flow. Its
// ext_authz-style endpoint is /oauth2/auth, which answers 202 for a valid session.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Browser } from '../../fixtures/browser.ts';
import type { OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { freePort, terminate } from '../../fixtures/redis-server.ts';
import { INSTALL_COMMAND, OAUTH2_PROXY_VERSION, toolsLayout } from '../lib/envoy/tools.ts';

export const OAUTH2_PROXY_COOKIE = '_oauth2_proxy';
/** What /oauth2/auth answers for a valid session. */
export const OAUTH2_PROXY_AUTH_OK = 202;

/** The project's oauth2-proxy, or why there is none. */
export function locateOauth2Proxy(): { path?: string; missing?: string } {
  const path = toolsLayout().oauth2Proxy;
  return existsSync(path) ? { path } : { missing: `oauth2-proxy ${OAUTH2_PROXY_VERSION} not installed at ${path} (run \`${INSTALL_COMMAND}\`)` };
}

/**
 * Its configuration besides addresses and secrets: the defaults otherwise (GOMAXPROCS = every
 * core, no cookie refresh), sessions in Redis, and its three loggers off — our service logs at warn
 * in the bench, and oauth2-proxy's per-request and auth lines would cost it a write per check.
 */
export const OAUTH2_PROXY_BENCH_FLAGS = [
  '--provider=oidc',
  '--code-challenge-method=S256',
  '--skip-provider-button',
  '--email-domain=*',
  '--upstream=static://200',
  '--session-store-type=redis',
  '--request-logging=false',
  '--auth-logging=false',
  '--standard-logging=false',
].join(' ');

export interface Oauth2Proxy {
  url: string;
  /** Logs in through the provider and returns the Cookie header carrying oauth2-proxy's session. */
  login(): Promise<string>;
  stop(): Promise<void>;
}

export interface Oauth2ProxyOptions {
  binary: string;
  provider: OidcTestProvider;
  /** The app origin the provider has the callback of (<appOrigin>/oauth2/callback). */
  appOrigin: string;
  redisUrl: string;
}

export async function startOauth2Proxy(options: Oauth2ProxyOptions): Promise<Oauth2Proxy> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--http-address=127.0.0.1:${port}`,
    `--oidc-issuer-url=${options.provider.issuer}`,
    `--client-id=${options.provider.client.clientId}`,
    // The secret reaches the child's argv only (never a log): the same as a config file on disk.
    `--client-secret=${options.provider.client.clientSecret}`,
    `--redirect-url=${options.appOrigin}/oauth2/callback`,
    `--cookie-secret=${randomBytes(16).toString('hex')}`,
    `--redis-connection-url=${options.redisUrl}`,
    ...OAUTH2_PROXY_BENCH_FLAGS.split(' '),
  ];
  const child: ChildProcess = spawn(options.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = () => terminate(child);
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`oauth2-proxy exited ${child.exitCode}: ${stderr.trim()}`);
      const ping = await fetch(`${url}/ping`).catch(() => undefined);
      if (ping?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`oauth2-proxy did not answer /ping within 15 s: ${stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async login() {
      const browser = new Browser().route(options.appOrigin, url);
      const hops = await browser.navigate(`${options.appOrigin}/oauth2/start?rd=%2F`, {}, 12, false);
      const cookie = browser.cookies.find((c) => c.name === OAUTH2_PROXY_COOKIE);
      if (!cookie) throw new Error(`oauth2-proxy login did not produce a session cookie: ${hops.map((hop) => `${hop.status} ${new URL(hop.url).pathname}`).join(' → ')}`);
      return `${cookie.name}=${cookie.value}`;
    },
    stop,
  };
}
