// Wires the login service together and runs it: store, OIDC client, core, the mode's HTTP layer
// on one port, /metrics and /healthz on another. sso-proxy has no OIDC client and no core: only the
// sessions it reads from the shared store. `startLoginService` is the programmatic entry the
// local harness and the tests use; `main.ts` and `oc-edge login` wrap it for the command line.
import { createServer, type Server } from 'node:http';
import { createAdminServer, type Health } from './admin.ts';
import { closeServer, listen } from './listen.ts';
import { pino, type Logger } from 'pino';
import type { LoginConfig } from './config.ts';
import { LoginCore } from './core.ts';
import { createMetrics, type LoginMetrics } from './metrics.ts';
import { createMode, ssoProxyMode } from './modes/index.ts';
import type { ModeHandlers } from './modes/types.ts';
import { OidcClient } from './oidc.ts';
import { domainRedirects, relativeRedirects, type RedirectValidator } from './redirect.ts';
import { Sessions } from './session.ts';
import { createSessionStore } from './store/create.ts';
import type { SessionStore } from './store/types.ts';

export interface LoginService {
  /** Base URL of the /oauth2 endpoints and the check, e.g. http://127.0.0.1:4180 */
  url: string;
  /** Base URL of /metrics and /healthz; undefined when started with `admin: false`. */
  metricsUrl?: string;
  /** Resolves once the identity provider has been discovered (start retries until it is); at once in sso-proxy. */
  ready: Promise<void>;
  /** The relying party; undefined in sso-proxy mode, which has none. */
  core?: LoginCore;
  metrics: LoginMetrics;
  /** What /healthz answers from. */
  health(): Promise<Health>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Use this store instead of the configured one (tests). */
  store?: SessionStore;
  /** Wait this long for Redis at start before serving 503s until it comes up. Default 3 s. */
  storeReadyTimeoutMs?: number;
  /** false: no /metrics, /healthz port and no start log (a cluster worker: its primary has both). */
  admin?: boolean;
}

/**
 * Each mode's redirect rules: the SSO server's span the domain; the others stay on the app — the
 * SSO proxy's too (relative paths only, grafted onto its ingress: the server gets them absolute).
 */
export function redirectsFor(config: LoginConfig): RedirectValidator {
  switch (config.mode) {
    case 'sso-server':
      if (!config.sso) throw new Error('sso-server mode needs SSO_DOMAIN');
      return domainRedirects(config.appOrigin, config.sso.domain, config.sso.defaultRedirectUrl);
    case 'sso-proxy':
    case 'standalone':
    case 'ext-authz':
      return relativeRedirects(config.appOrigin);
  }
}

/** What runs on the main port, and what /healthz and the start log need to know of it. */
interface Running {
  mode: ModeHandlers;
  ready: Promise<void>;
  core?: LoginCore;
  /** undefined: this mode talks to no provider (sso-proxy). */
  providerReady(): boolean | undefined;
  /** Where sessions come from, for the start log. */
  source: Record<string, string>;
}

function relyingParty(config: LoginConfig, store: SessionStore, metrics: LoginMetrics, logger: Logger, opened: Opened): Running {
  const oidc = new OidcClient(
    config,
    { info: (message) => logger.info(message), warn: (message) => logger.warn(message) },
    (up) => metrics.providerUp.set(up ? 1 : 0),
  );
  const core = new LoginCore(config, { store, oidc, metrics, logger, redirects: redirectsFor(config) });
  oidc.start();
  // Discovery retries on a timer from here: a mode that fails to build must not leave it running.
  opened.add(() => oidc.close());
  opened.add(() => core.close());
  return {
    mode: createMode({ config, core, metrics, logger }),
    ready: oidc.ready,
    core,
    providerReady: () => oidc.isReady,
    source: { issuer: config.issuer.href },
  };
}

function ssoProxy(config: LoginConfig, store: SessionStore, metrics: LoginMetrics, logger: Logger): Running {
  const sessions = new Sessions(store, config.encryptionKey, config.cookieName, { maxAgeMs: config.sessionMaxAgeMs, inactivityTimeoutMs: config.inactivityTimeoutMs });
  return {
    mode: ssoProxyMode({ config, sessions, redirects: redirectsFor(config), metrics, logger }),
    ready: Promise.resolve(),
    providerReady: () => undefined,
    source: { ssoServer: config.ssoServerUrl?.href ?? '' },
  };
}

/** What a start has opened, closed once, newest first; a closer that fails is logged, not rethrown. */
class Opened {
  readonly #closers: Array<() => unknown> = [];
  readonly #logger: Logger;
  #closed: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(close: () => unknown): void {
    this.#closers.push(close);
  }

  closeAll(): Promise<void> {
    this.#closed ??= (async () => {
      for (const close of this.#closers.reverse()) {
        try {
          await close();
        } catch (error) {
          this.#logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'closing the login service: a step failed');
        }
      }
    })();
    return this.#closed;
  }
}

/** What /healthz reports: the provider discovered (where there is one) and the store answering. */
async function healthOf(running: Running, store: SessionStore): Promise<Health> {
  const providerReady = running.providerReady();
  const storeUp = await store.ping().then(
    () => true,
    () => false,
  );
  return { ...(providerReady === undefined ? {} : { provider: providerReady ? 'ok' : 'unreachable' }), store: storeUp ? 'ok' : 'unreachable' };
}

interface Started {
  running: Running;
  url: string;
  /** undefined without the admin server (a cluster worker: the primary has it). */
  metricsUrl?: string;
}

/** The mode on the main port and /metrics, /healthz on the other, each registered in `opened` as it is made. */
async function serve(config: LoginConfig, store: SessionStore, metrics: LoginMetrics, logger: Logger, opened: Opened, withAdmin: boolean): Promise<Started> {
  const running = config.mode === 'sso-proxy' ? ssoProxy(config, store, metrics, logger) : relyingParty(config, store, metrics, logger, opened);
  const { mode } = running;
  const servers: Server[] = [];
  // The mode first (its upstream connections, a spliced WebSocket's among them), then the servers.
  opened.add(async () => {
    mode.close?.();
    await Promise.all(servers.map(closeServer));
  });
  // No requestTimeout in the sidecars: a proxied upload or a long poll may take as long as the app lets it.
  const requestTimeout = config.mode === 'standalone' || config.mode === 'sso-proxy' ? 0 : 30_000;
  const server = createServer({ requestTimeout, headersTimeout: 10_000, maxHeaderSize: 32 * 1024 }, mode.request);
  if (mode.upgrade) server.on('upgrade', mode.upgrade);
  server.keepAliveTimeout = 65_000;
  servers.push(server);
  const url = await listen(server, config.listen);
  if (!withAdmin) return { running, url };
  const admin = createAdminServer({
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    health: () => healthOf(running, store),
  });
  servers.push(admin);
  return { running, url, metricsUrl: await listen(admin, config.metricsListen) };
}

export async function startLoginService(config: LoginConfig, options: StartOptions = {}): Promise<LoginService> {
  const logger = options.logger ?? pino({ name: 'login', level: config.logLevel });
  if (config.encryptionKeyGenerated) {
    logger.warn('ENCRYPTION_KEY is not set: using a random key, so sessions end when this process does');
  }
  const metrics = createMetrics();
  const store = options.store ?? (await createSessionStore(config.store, { metrics, logger, readyTimeoutMs: options.storeReadyTimeoutMs ?? 3000 }));
  // From here on every step that opens something registers how to close it, so that a start
  // failing half-way closes what it opened (above all the Redis connection, which would keep the
  // process alive) and close() tears down the same things in reverse order.
  const opened = new Opened(logger);
  if (!options.store) opened.add(() => store.close());
  let started: Started;
  try {
    started = await serve(config, store, metrics, logger, opened, options.admin !== false);
  } catch (error) {
    await opened.closeAll();
    throw error;
  }
  const { running, url, metricsUrl } = started;
  if (options.admin !== false) logger.info({ url, metricsUrl, mode: config.mode, store: store.kind, ...running.source, appOrigin: config.appOrigin }, 'login service listening');

  return {
    url,
    metricsUrl,
    ready: running.ready,
    core: running.core,
    metrics,
    health: () => healthOf(running, store),
    close: () => opened.closeAll(),
  };
}
