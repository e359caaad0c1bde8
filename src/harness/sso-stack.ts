// `oc-edge start --sso`: Wonderwall's SSO shape on one machine. An SSO server (the one relying
// party of SSO_DOMAIN) and two apps, each behind an SSO proxy that only reads the server's sessions
// from the shared Redis; and, beside them, a standalone sidecar in front of a third app. All four
// login services run in this process (startLoginService, as src/harness/stack.ts runs its one),
// with the harness's identity provider and its demo users.
//
// Order: Redis and the identity provider first (every login service needs them), then the demo
// apps (the login services proxy to them), then the SSO server, the proxies and the sidecar; ready
// once every part answers its health check. Stopped in reverse order.
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { loadConfig, startLoginService, type LoginService } from '../login/index.ts';
import { APP_CLIENT_ID } from '../topology/waypoint.ts';
import type { RunningService } from './common/listen.ts';
import { freePort } from './common/free-port.ts';
import { startIdentityProvider, type RunningIdentityProvider } from './idp/index.ts';
import { demoUsersOf, type DemoUser } from './demo-users.ts';
import { loadSeed } from './seed/index.ts';
import { DEFAULT_DATA_DIR } from './stack.ts';
import { startDemoApp } from './sso-demo-app.ts';
import { startRedisServer } from '../../fixtures/redis-server.ts';
import { METRICS_PORT_OFFSET, SSO_DOMAIN, SSO_IDP_PORT, SSO_REDIS_PORT, SSO_SESSION_COOKIE, SSO_SITES, siteOrigin, type SsoSite, type SsoSiteName } from './sso-sites.ts';

export interface SsoStackOptions {
  /** Keys and logs live here. Default `.data/` in the repository. */
  dataDir?: string;
  /** `default`: the ports in sso-sites.ts (4300–4303, …); `ephemeral`: free ports. */
  ports?: 'default' | 'ephemeral';
  /** The shared session store; default: a redis-server started here. */
  redisUrl?: string;
  onProgress?: (step: string, detail?: string) => void;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface RunningSsoSite {
  site: SsoSite;
  /** What the browser opens: http://<host>:<port>. */
  url: string;
  login: LoginService;
  /** The demo app behind the login service (none for the SSO server). */
  upstream?: RunningService;
  /** The names of the settings it was started with (never their values: some are secrets). */
  settings: string[];
}

export interface RunningSsoStack {
  sites: Record<SsoSiteName, RunningSsoSite>;
  identityProvider: RunningIdentityProvider;
  /** The shared store (may hold a password when given with --redis: redact before printing). */
  redisUrl: string;
  /** Whether this harness started that Redis itself. */
  redisStarted: boolean;
  ssoDomain: string;
  sessionCookie: string;
  demoUsers: DemoUser[];
  logFile: string;
  close(): Promise<void>;
}

/** The key the SSO server and its proxies share, kept in the data folder (0600) across restarts. */
function sharedKey(file: string): string {
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

async function waitFor(what: string, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    const ok = await request(url, { headersTimeout: 2000 })
      .then(async (response) => {
        await response.body.dump();
        return response.statusCode === 200;
      })
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become healthy within ${timeoutMs / 1000} s (see the log file)`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
}

export async function startSsoStack(options: SsoStackOptions = {}): Promise<RunningSsoStack> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const ephemeral = (options.ports ?? 'default') === 'ephemeral';
  const progress = options.onProgress ?? (() => {});
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const logFile = join(dataDir, 'logs', 'sso-stack.log');
  const out = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const root = pino(
    { level: options.logLevel ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    { write: (line: string) => void (out.writableEnded || out.write(line)) },
  );
  const started: { name: string; close: () => Promise<void> }[] = [];
  const closeAll = async () => {
    for (const part of started.reverse()) {
      await part.close().catch((error: unknown) => root.error({ part: part.name, err: String(error) }, 'stop failed'));
    }
    started.length = 0;
    await new Promise<void>((resolve) => out.end(resolve));
  };

  try {
    // The login services' ports are in their origins (APP_ORIGIN, the server's redirect URIs), so
    // they are chosen before anything starts.
    const ports = new Map<SsoSiteName, number>();
    for (const site of SSO_SITES) ports.set(site.name, ephemeral ? await freePort() : site.port);
    const origin = (name: SsoSiteName) => siteOrigin(SSO_SITES.find((s) => s.name === name)!, ports.get(name)!);
    const server = SSO_SITES.find((s) => s.mode === 'sso-server')!;
    const standalone = SSO_SITES.filter((s) => s.mode === 'standalone');
    const relyingParties = [server, ...standalone];

    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis = await startRedisServer(ephemeral ? {} : { port: SSO_REDIS_PORT });
      started.push({ name: 'redis', close: () => redis.stop() });
      redisUrl = redis.url;
      progress('redis', `${redis.url} (started here, nothing written to disk)`);
    } else {
      progress('redis', 'the --redis URL');
    }

    const clientSecret = randomBytes(24).toString('base64url');
    const idp = await startIdentityProvider({
      port: ephemeral ? 0 : SSO_IDP_PORT,
      dataDir,
      clients: {
        app: {
          clientId: APP_CLIENT_ID,
          clientSecret,
          // The relying parties: the SSO server and the standalone sidecar (the proxies have no client).
          redirectUris: relyingParties.map((site) => `${origin(site.name)}/oauth2/callback`),
          postLogoutRedirectUris: relyingParties.map((site) => `${origin(site.name)}/oauth2/logout/callback`),
          name: 'OneConnect SSO demo',
        },
      },
    });
    started.push({ name: 'identity provider', close: () => idp.close() });
    progress('identity provider', idp.issuer);

    const userinfoUrl = `${idp.issuer}/oauth2/userInfo`;
    const apps = SSO_SITES.filter((site) => site.upstreamPort !== undefined);
    const upstreams = new Map<SsoSiteName, RunningService>();
    for (const site of apps) {
      const app = await startDemoApp({
        title: site.title,
        port: ephemeral ? 0 : site.upstreamPort!,
        userinfoUrl,
        neighbours: apps.filter((other) => other !== site).map((other) => ({ title: other.title, url: origin(other.name) })),
      });
      started.push({ name: `${site.name} demo app`, close: () => app.close() });
      upstreams.set(site.name, app);
    }
    progress('demo apps', apps.map((site) => `${site.name} ${upstreams.get(site.name)!.url}`).join(', '));

    const encryptionKey = sharedKey(join(dataDir, 'sso-encryption.key'));
    const common = (site: SsoSite) => ({
      APP_ORIGIN: origin(site.name),
      LISTEN: `127.0.0.1:${ports.get(site.name)}`,
      METRICS_LISTEN: `127.0.0.1:${ephemeral ? 0 : site.port + METRICS_PORT_OFFSET}`,
      LOG_LEVEL: options.logLevel ?? 'info',
    });
    const relyingParty = {
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: APP_CLIENT_ID,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_SCOPES: 'openid email profile offline_access',
      // Cognito's /logout, as in production and `npm start`: no token travels in the logout URL.
      LOGOUT_MODE: 'cognito',
      COGNITO_LOGOUT_URL: idp.logoutUrl,
    };
    const sharedSessions = { SESSION_STORE: 'redis', REDIS_URL: redisUrl, ENCRYPTION_KEY: encryptionKey, SESSION_COOKIE_NAME: SSO_SESSION_COOKIE };
    // The server itself has no page: a login or logout without a usable target lands on the first SSO app.
    const landing = apps.find((site) => site.mode === 'sso-proxy')!;
    const envFor = (site: SsoSite): Record<string, string> => {
      switch (site.mode) {
        case 'sso-server':
          return {
            LOGIN_MODE: 'sso-server',
            ...common(site),
            ...relyingParty,
            ...sharedSessions,
            SSO_DOMAIN,
            SSO_DEFAULT_REDIRECT_URL: `${origin(landing.name)}/`,
          };
        case 'sso-proxy':
          // No OIDC client, no client secret: it only reads the server's sessions.
          return { LOGIN_MODE: 'sso-proxy', ...common(site), ...sharedSessions, SSO_SERVER_URL: origin(server.name), SSO_DOMAIN, UPSTREAM_URL: upstreams.get(site.name)!.url };
        case 'standalone':
          return { LOGIN_MODE: 'standalone', ...common(site), ...relyingParty, SESSION_STORE: 'memory', UPSTREAM_URL: upstreams.get(site.name)!.url };
      }
    };

    const sites = {} as Record<SsoSiteName, RunningSsoSite>;
    // The server first: the proxies send every login to it.
    for (const site of [server, ...SSO_SITES.filter((s) => s !== server)]) {
      const env = envFor(site);
      const login = await startLoginService(loadConfig(env), { logger: root.child({ service: site.name }) });
      started.push({ name: site.name, close: () => login.close() });
      await login.ready;
      const upstream = upstreams.get(site.name);
      sites[site.name] = { site, url: origin(site.name), login, ...(upstream ? { upstream } : {}), settings: Object.keys(env).sort() };
      progress(site.name, `${origin(site.name)} (${site.mode}${upstream ? ` → ${upstream.url}` : ''})`);
    }

    await waitFor('identity provider', `${idp.issuer}/.well-known/openid-configuration`);
    for (const [name, app] of upstreams) await waitFor(`${name} demo app`, `${app.url}/healthz`);
    for (const part of Object.values(sites)) await waitFor(part.site.name, `${part.login.metricsUrl}/healthz`);
    progress('healthy', 'every part answers');

    return {
      sites,
      identityProvider: idp,
      redisUrl,
      redisStarted: !options.redisUrl,
      ssoDomain: SSO_DOMAIN,
      sessionCookie: SSO_SESSION_COOKIE,
      // No enrichment Lambda here (no onboarding): the ID token has no userType.
      demoUsers: await demoUsersOf(loadSeed(), () => undefined),
      logFile,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
