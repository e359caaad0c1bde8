// Wires the login service together and runs it: store, OIDC client, core, the ext_authz HTTP layer
// on one port, /metrics and /healthz on another. `startLoginService` is the programmatic entry the
// local harness and the tests use; `main.ts` and `oc-edge login` wrap it for the command line.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { ListenAddress, LoginConfig } from './config.ts';
import { LoginCore } from './core.ts';
import { createMetrics, type LoginMetrics } from './metrics.ts';
import { createMode } from './modes/index.ts';
import { OidcClient } from './oidc.ts';
import { domainRedirects, relativeRedirects, type RedirectValidator } from './redirect.ts';
import { createSessionStore } from './store/create.ts';
import type { SessionStore } from './store/types.ts';

export interface LoginService {
  /** Base URL of the /oauth2 endpoints and the check, e.g. http://127.0.0.1:4180 */
  url: string;
  /** Base URL of /metrics and /healthz. */
  metricsUrl: string;
  /** Resolves once the identity provider has been discovered (start retries until it is). */
  ready: Promise<void>;
  core: LoginCore;
  metrics: LoginMetrics;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Use this store instead of the configured one (tests). */
  store?: SessionStore;
  /** Wait this long for Redis at start before serving 503s until it comes up. Default 3 s. */
  storeReadyTimeoutMs?: number;
}

function listen(server: Server, address: ListenAddress): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      resolve(`http://${host}:${port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Each mode's redirect rules: the SSO server's span the domain; the others stay on the app. */
function redirectsFor(config: LoginConfig): RedirectValidator {
  if (config.mode === 'sso-server' && config.sso) return domainRedirects(config.appOrigin, config.sso.domain, config.sso.defaultRedirectUrl);
  return relativeRedirects(config.appOrigin);
}

export async function startLoginService(config: LoginConfig, options: StartOptions = {}): Promise<LoginService> {
  const logger = options.logger ?? pino({ name: 'login', level: config.logLevel });
  if (config.encryptionKeyGenerated) {
    logger.warn('ENCRYPTION_KEY is not set: using a random key, so sessions end when this process does');
  }
  const metrics = createMetrics();
  const store = options.store ?? (await createSessionStore(config.store, { metrics, logger, readyTimeoutMs: options.storeReadyTimeoutMs ?? 3000 }));
  const oidc = new OidcClient(
    config,
    { info: (message) => logger.info(message), warn: (message) => logger.warn(message) },
    (up) => metrics.providerUp.set(up ? 1 : 0),
  );
  const core = new LoginCore(config, { store, oidc, metrics, logger, redirects: redirectsFor(config) });
  oidc.start();

  const mode = createMode({ config, core, metrics, logger });
  // No requestTimeout in standalone: a proxied upload or a long poll may take as long as the app lets it.
  const requestTimeout = config.mode === 'standalone' ? 0 : 30_000;
  const server = createServer({ requestTimeout, headersTimeout: 10_000, maxHeaderSize: 32 * 1024 }, mode.request);
  if (mode.upgrade) server.on('upgrade', mode.upgrade);
  server.keepAliveTimeout = 65_000;
  const metricsServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    } else if (path === '/healthz') {
      const providerReady = oidc.isReady;
      store!.ping().then(
        () => true,
        () => false,
      ).then((storeUp) => {
        const ok = providerReady && storeUp;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', provider: providerReady ? 'ok' : 'unreachable', store: storeUp ? 'ok' : 'unreachable' }));
      });
    } else {
      res.writeHead(404).end();
    }
  });

  let url: string;
  let metricsUrl: string;
  try {
    url = await listen(server, config.listen);
    metricsUrl = await listen(metricsServer, config.metricsListen);
  } catch (error) {
    oidc.close();
    mode.close?.();
    await Promise.all([closeServer(server), closeServer(metricsServer)]);
    if (!options.store) await store.close();
    throw error;
  }
  logger.info({ url, metricsUrl, mode: config.mode, store: store.kind, issuer: config.issuer.href, appOrigin: config.appOrigin }, 'login service listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    metricsUrl,
    ready: oidc.ready,
    core,
    metrics,
    close() {
      closed ??= (async () => {
        oidc.close();
        mode.close?.();
        await Promise.all([closeServer(server), closeServer(metricsServer)]);
        if (!options.store) await store!.close();
      })();
      return closed;
    },
  };
}
