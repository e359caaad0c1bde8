// What the SSO proxy suites run against: a real redis-server, a real oidc-provider, the SSO server
// (in this process) on http://sso.localhost:<port>, and SSO proxies — each its own process, started
// with only the proxy's settings in its environment (no OIDC client id, secret or issuer) — in front
// of an echo app each, on http://app-<name>.sso.localhost:<port>. Chromium resolves *.localhost to
// loopback; the session cookie carries Domain=sso.localhost (a bare `localhost` is a public suffix
// to Chromium, so the domain is one level below it).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { relyingPartyEnv, startOidcTestProvider, type OidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { freePort, startRedisServer, type RedisServer } from '../../fixtures/redis-server.ts';
import { loadConfig, startLoginService, type LoginService } from '../../src/login/index.ts';
import { startUpstreamApp, type UpstreamApp } from './upstream-app.ts';

export const SSO_DOMAIN = 'sso.localhost';
export const SSO_COOKIE = 'oc-sso';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ProxiedApp {
  /** The browser-facing origin, e.g. http://app-a.sso.localhost:41234 */
  origin: string;
  /** Where the proxy listens (the same port on 127.0.0.1), for clients that do not resolve *.localhost. */
  url: string;
  upstream: UpstreamApp;
  /** Exactly the environment the proxy process was started with (plus PATH). */
  env: Record<string, string>;
  /** Its stdout and stderr so far (JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

export interface SsoStack {
  redis: RedisServer;
  provider: OidcTestProvider;
  server: LoginService;
  serverOrigin: string;
  serverLogs: string[];
  apps: Record<string, ProxiedApp>;
  /** The settings every proxy of this stack shares (server URL, cookie, key, Redis). */
  proxyEnv: Record<string, string>;
  startProxy(name: string, extra?: Record<string, string>, upstream?: UpstreamApp): Promise<ProxiedApp>;
  close(): Promise<void>;
}

export interface SsoStackOptions {
  redisBinary: string;
  /** Proxies to start: name → extra settings (e.g. AUTO_LOGIN). */
  proxies: Record<string, Record<string, string>>;
  accessTokenTtlSeconds?: number;
  /** More settings for the SSO server. */
  serverEnv?: Record<string, string>;
}

/** Resolves with the proxy's listening line, or rejects with its output when it exits first. */
function waitListening(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start within 20 s:\n${output()}`)), 20_000);
    const onData = () => {
      if (output().includes('login service listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the proxy exited with ${code}:\n${output()}`));
    });
  });
}

export async function startSsoStack(options: SsoStackOptions): Promise<SsoStack> {
  const redis = await startRedisServer({ binary: options.redisBinary });
  const serverPort = await freePort();
  const serverOrigin = `http://${SSO_DOMAIN}:${serverPort}`;
  const provider = await startOidcTestProvider({ appOrigin: serverOrigin, accessTokenTtlSeconds: options.accessTokenTtlSeconds, idTokenTtlSeconds: options.accessTokenTtlSeconds });
  const encryptionKey = randomBytes(32).toString('base64');
  const shared = { SESSION_COOKIE_NAME: SSO_COOKIE, ENCRYPTION_KEY: encryptionKey, SESSION_STORE: 'redis', REDIS_URL: redis.url };
  const serverLogs: string[] = [];
  const server = await startLoginService(
    loadConfig({ ...relyingPartyEnv(provider, serverOrigin), ...shared, LOGIN_MODE: 'sso-server', SSO_DOMAIN, LISTEN: `127.0.0.1:${serverPort}`, ...options.serverEnv }),
    { logger: pino({ level: 'debug' }, { write: (line: string) => serverLogs.push(line) }) },
  );
  await server.ready;
  const proxyEnv = { LOGIN_MODE: 'sso-proxy', SSO_SERVER_URL: serverOrigin, ...shared };
  const apps: Record<string, ProxiedApp> = {};
  const upstreams: UpstreamApp[] = [];

  async function startProxy(name: string, extra: Record<string, string> = {}, given?: UpstreamApp): Promise<ProxiedApp> {
    const upstream = given ?? (await startUpstreamApp());
    if (!given) upstreams.push(upstream);
    const port = await freePort();
    const origin = `http://app-${name}.${SSO_DOMAIN}:${port}`;
    const env: Record<string, string> = { ...proxyEnv, UPSTREAM_URL: upstream.url, APP_ORIGIN: origin, LISTEN: `127.0.0.1:${port}`, METRICS_LISTEN: '127.0.0.1:0', ...extra };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/login/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitListening(child, () => output);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const app: ProxiedApp = {
      origin,
      url: `http://127.0.0.1:${port}`,
      upstream,
      env,
      output: () => output,
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
    apps[name] = app;
    return app;
  }

  const stack: SsoStack = {
    redis,
    provider,
    server,
    serverOrigin,
    serverLogs,
    apps,
    proxyEnv,
    startProxy,
    async close() {
      await Promise.all(Object.values(apps).map((app) => app.stop()));
      await Promise.all(upstreams.map((upstream) => upstream.close()));
      await server.close();
      await provider.close();
      await redis.stop();
    },
  };
  try {
    for (const [name, extra] of Object.entries(options.proxies)) await startProxy(name, extra);
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}
