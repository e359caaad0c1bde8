// The whole login/logout flow on one machine: gateway, identity provider (with the enrichment
// Lambda), onboarding, login service, the two backends and the dashboard. Starts each part, wires
// their URLs together, waits until every part answers, and stops them all in reverse order.
//
// Order matters because URLs depend on ports: the gateway listens first (its ports are in the app
// origin, the redirect URIs and the Lambda's onboarding URL), then the identity provider, onboarding,
// the backends and the login service; last, the gateway is given its upstreams and filters.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Agent, request } from 'undici';
import { createHandler, MEMBERSHIP_CLAIM } from '../enrichment/index.ts';
import { EXT_AUTHZ_DEFAULTS, startGateway, ensureLocalCertificates, loadRoutesFile, type RunningGateway } from '../gateway/index.ts';
import type { AccessLogEntry } from '../gateway/access-log.ts';
import { createHost } from '../host/index.ts';
import { initKeys, loadSecrets } from '../keys/index.ts';
import { loadConfig, startLoginService, type LoginService } from '../login/index.ts';
import { GATEWAY_PORTS, serviceByName, type ServiceName } from '../topology/index.ts';
import { startIdentityProvider, type RunningIdentityProvider } from './idp/index.ts';
import { createM2mVerifier, startOnboarding, type RunningOnboarding } from './onboarding/index.ts';
import { APP_CLIENT_ID, M2M_CLIENT_ID, ONBOARDING_SCOPE } from '../topology/waypoint.ts';
import { loadSeed } from './seed/index.ts';
import { demoUsersOf, type DemoUser } from './demo-users.ts';
import { startDashboard } from './dashboard/index.ts';
import { onboardingDirectory, startOrganisationBackend } from './organisation-backend/index.ts';
import { startUserBackend } from './user-backend/index.ts';
import { pluginEnvironment } from './plugin-env.ts';
import { DATA_DIR, REPO_ROOT, tlsDirIn } from '../../scripts/lib/artifacts.ts';
import type { RunningService } from './common/listen.ts';

export const DEFAULT_DATA_DIR = join(REPO_ROOT, DATA_DIR);
/** Onboarding privilege → the `userType` claim the Lambda adds. */
export const USER_TYPES = { ORG_ADMIN: 'admin', ORG_MEMBER: 'member' };
export const ORGANISATION_NAMES: Record<string, string> = { 'org-acme': 'Acme Ltd', 'org-globex': 'Globex Corporation' };

export interface StackOptions {
  /** Keys, certificates, signing keys and logs live here. Default `.data/` in the repository. */
  dataDir?: string;
  /** The built org-context filter. */
  wasm: string | Uint8Array;
  /** `default`: the topology's ports (8443, 9000, …); `ephemeral`: free ports (tests). */
  ports?: 'default' | 'ephemeral';
  /** Sessions in Redis instead of memory. */
  redisUrl?: string;
  /**
   * Turn on the filter's membership check with the claim the enrichment Lambda adds
   * (`custom:organisations`, from onboarding's user record), as the production overlay does.
   */
  membershipCheck?: boolean;
  /** Skip the Node gateway (another gateway, e.g. real Envoy, takes its place on the same ports). */
  gateway?: 'node' | 'external';
  /** With an external gateway: the ports it listens on (default the topology's). */
  gatewayPorts?: { http: number; https: number; internal: number };
  /** Where each step's progress goes (the CLI prints it). */
  onProgress?: (step: string, detail?: string) => void;
  /** Every access-log entry of the gateway (the CLI prints a compact line). */
  onAccess?: (entry: AccessLogEntry) => void;
  /** Log level of the JSON logs in `<dataDir>/logs/stack.log`. Default info. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Routes from a file of HTTPRoutes (e.g. istio/base/generated/httproutes.yaml); default src/topology. */
  routesFile?: string;
  /** Extra or replaced plugin environment entries (null removes one), on top of the WasmPlugin's. */
  pluginEnv?: Record<string, string | null>;
  /** Simulated Envoy worker threads for the plugin. Default 2. */
  workers?: number;
}

export interface RunningStack {
  urls: { app: string; http: string; internal: string; identityProvider: string; login: string };
  /** The CA the gateway's certificate chains to (trust it, or pass it to clients). */
  caPath: string;
  ca: string;
  logFile: string;
  dataDir: string;
  identityProvider: RunningIdentityProvider;
  onboarding: RunningOnboarding;
  login: LoginService;
  gateway: RunningGateway | undefined;
  /** Service name → origin of each workload (what an external gateway routes to). */
  upstreams: Record<string, string>;
  /** The plugin's environment (holds the cookie secrets: never print it). */
  pluginEnv: Record<string, string>;
  /** Who can log in, checked against the seed's password hashes. */
  demoUsers: DemoUser[];
  close(): Promise<void>;
}

function port(name: ServiceName, mode: 'default' | 'ephemeral'): number {
  return mode === 'ephemeral' ? 0 : serviceByName(name).port;
}

/** 32 random bytes kept in the data folder, so Redis-held sessions survive a restart. */
function persistentKey(file: string): string {
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

function keySecrets(dataDir: string): { secrets: string[]; created: boolean } {
  const file = join(dataDir, 'keys.json');
  if (existsSync(file)) return { secrets: loadSecrets(file), created: false };
  initKeys(file);
  return { secrets: loadSecrets(file), created: true };
}

function stackLogger(file: string, level: string, onAccess?: (entry: AccessLogEntry) => void): { logger: Logger; close(): Promise<void> } {
  const out = createWriteStream(file, { flags: 'a', mode: 0o600 });
  const logger = pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    {
      write(line: string) {
        if (!out.writableEnded) out.write(line); // a straggler after close() is dropped, not thrown
        if (onAccess && line.includes('"access":true')) {
          try {
            onAccess(JSON.parse(line) as AccessLogEntry);
          } catch {
            // a malformed line is still in the file; the console just skips it
          }
        }
      },
    },
  );
  return { logger, close: () => new Promise<void>((resolve) => out.end(resolve)) };
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become healthy within ${timeoutMs / 1000} s (see the log file)`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
}

async function answers(url: string, expect: (status: number) => boolean, dispatcher?: Agent): Promise<boolean> {
  const response = await request(url, { ...(dispatcher ? { dispatcher } : {}), headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' }, headersTimeout: 2000 });
  await response.body.dump();
  return expect(response.statusCode);
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const mode = options.ports ?? 'default';
  const progress = options.onProgress ?? (() => {});
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const logFile = join(dataDir, 'logs', 'stack.log');
  const log = stackLogger(logFile, options.logLevel ?? 'info', options.onAccess);
  const root = log.logger;
  const started: { name: string; close: () => Promise<void> | void }[] = [];
  const closeAll = async () => {
    for (const part of started.reverse()) {
      await Promise.resolve(part.close()).catch((error: unknown) => root.error({ part: part.name, err: String(error) }, 'stop failed'));
    }
    started.length = 0;
  };

  try {
    const keys = keySecrets(dataDir);
    progress('signing keys', keys.created ? `created ${join(dataDir, 'keys.json')}` : `${keys.secrets.length} secret(s) from ${join(dataDir, 'keys.json')}`);
    const tls = ensureLocalCertificates(tlsDirIn(dataDir));
    progress('certificates', tls.created.ca ? `created a local CA at ${tls.caPath}` : tls.created.server ? 'reissued the server certificate' : `local CA ${tls.caPath}`);

    const pluginEnv = pluginEnvironment({
      host: { ORG_COOKIE_SECRETS: JSON.stringify(keys.secrets) },
      ...(options.membershipCheck ? { overrides: { ORG_MEMBERSHIP_CLAIM: MEMBERSHIP_CLAIM } } : {}),
    });
    for (const [name, value] of Object.entries(options.pluginEnv ?? {})) {
      if (value === null) delete pluginEnv[name];
      else pluginEnv[name] = value;
    }
    const pluginLog = root.child({ service: 'org-context' });
    const plugin = await createHost({
      wasm: options.wasm,
      env: pluginEnv,
      workers: options.workers ?? 2,
      failStrategy: 'FAIL_CLOSE',
      logLevel: 'info',
      onLog: (log) => pluginLog.info({ level: log.level }, log.message),
    });
    started.push({ name: 'plugin', close: () => plugin.close() });
    progress('org-context plugin', `${plugin.workers} worker VM(s)${options.membershipCheck ? ', membership check on' : ''}`);

    const external = options.gateway === 'external';
    const gateway = external
      ? undefined
      : await startGateway({
          ports: mode === 'ephemeral' ? { http: 0, https: 0, internal: 0 } : GATEWAY_PORTS,
          tls,
          ...(options.routesFile ? { routes: loadRoutesFile(options.routesFile) } : {}),
          upstreams: {},
          logger: root.child({ service: 'gateway' }),
        });
    if (gateway) started.push({ name: 'gateway', close: () => gateway.close() });
    const ports = gateway?.ports ?? options.gatewayPorts ?? GATEWAY_PORTS;
    const appOrigin = `https://localhost:${ports.https}`;
    const internalUrl = `http://127.0.0.1:${ports.internal}`;
    progress('gateway', gateway ? `listening on ${appOrigin} (HTTP ${ports.http} → HTTPS, internal ${ports.internal})` : 'using an external gateway on the same ports');

    const appClientSecret = randomBytes(24).toString('base64url');
    const m2mSecret = randomBytes(24).toString('base64url');
    const seed = loadSeed();
    const idpLog = root.child({ service: 'identity-provider' });
    // The Lambda needs the provider's token URL, known once it listens: built lazily, first use.
    let lambda: ReturnType<typeof createHandler> | undefined;
    let identityProvider: RunningIdentityProvider | undefined;
    const enrichment = async (...args: Parameters<ReturnType<typeof createHandler>>) => {
      lambda ??= createHandler(
        {
          onboardingUrl: `${internalUrl}/onboarding`,
          tokenUrl: identityProvider!.tokenEndpoint,
          clientId: M2M_CLIENT_ID,
          clientSecret: m2mSecret,
          scope: ONBOARDING_SCOPE,
          userTypes: USER_TYPES,
          failurePolicy: 'deny',
          logLevel: 'info',
        },
        { write: (line) => idpLog.info({ lambda: line.trim() }, 'enrichment') },
      );
      return lambda(...args);
    };
    identityProvider = await startIdentityProvider({
      port: port('identity-provider', mode),
      dataDir,
      clients: {
        app: {
          clientId: APP_CLIENT_ID,
          clientSecret: appClientSecret,
          redirectUris: [`${appOrigin}/oauth2/callback`],
          postLogoutRedirectUris: [`${appOrigin}/oauth2/logout/callback`, `${appOrigin}/`],
          name: 'OneConnect',
        },
        m2m: { clientId: M2M_CLIENT_ID, clientSecret: m2mSecret, scopes: [ONBOARDING_SCOPE] },
      },
      enrichment: {
        version: '2',
        // The Lambda itself lists the user's organisations (custom:organisations) from onboarding.
        handler: enrichment,
      },
    });
    const idp = identityProvider;
    started.push({ name: 'identity provider', close: () => idp.close() });
    progress('identity provider', `${idp.issuer} (Cognito stand-in, enrichment Lambda on token issue)`);

    const onboarding = await startOnboarding({
      port: port('onboarding', mode),
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      seed,
      onRequest: (entry) => root.info({ service: 'onboarding', ...entry }, 'onboarding request'),
    });
    started.push({ name: 'onboarding', close: () => onboarding.close() });
    progress('onboarding', `${onboarding.url} (M2M only, behind ${internalUrl}/onboarding)`);

    const backendLog = root.child({ service: 'feature-organisation-backend' });
    const services: Record<string, RunningService> = {};
    services.dashboard = await startDashboard({ port: port('dashboard', mode), names: ORGANISATION_NAMES });
    services['feature-user-backend'] = await startUserBackend({ port: port('feature-user-backend', mode) });
    services['feature-organisation-backend'] = await startOrganisationBackend({
      port: port('feature-organisation-backend', mode),
      secrets: keys.secrets,
      names: ORGANISATION_NAMES,
      directory: onboardingDirectory({
        baseUrl: `${internalUrl}/onboarding`,
        tokenUrl: idp.tokenEndpoint,
        clientId: M2M_CLIENT_ID,
        clientSecret: m2mSecret,
        scope: ONBOARDING_SCOPE,
      }),
      onError: (error) => backendLog.warn({ err: error instanceof Error ? error.message : String(error) }, 'onboarding call failed'),
    });
    for (const [name, service] of Object.entries(services)) started.push({ name, close: () => service.close() });
    progress('backends', Object.entries(services).map(([name, service]) => `${name} ${service.url}`).join(', '));

    const loginPort = port('login-service', mode);
    const loginConfig = loadConfig({
      APP_ORIGIN: appOrigin,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: APP_CLIENT_ID,
      OIDC_CLIENT_SECRET: appClientSecret,
      OIDC_SCOPES: 'openid email profile offline_access',
      // Cognito's /logout, as in production: no token travels in the logout URL.
      LOGOUT_MODE: 'cognito',
      COGNITO_LOGOUT_URL: idp.logoutUrl,
      // The gateway (Node or envoy/) sends checks under this prefix, as the mesh config does.
      CHECK_PATH_PREFIX: EXT_AUTHZ_DEFAULTS.pathPrefix,
      LISTEN: `127.0.0.1:${loginPort}`,
      METRICS_LISTEN: `127.0.0.1:${mode === 'ephemeral' ? 0 : loginPort + 1}`,
      SESSION_STORE: options.redisUrl ? 'redis' : 'memory',
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl, ENCRYPTION_KEY: persistentKey(join(dataDir, 'login-encryption.key')) } : {}),
      LOG_LEVEL: options.logLevel ?? 'info',
    });
    const login = await startLoginService(loginConfig, { logger: root.child({ service: 'login-service' }) });
    started.push({ name: 'login service', close: () => login.close() });
    await login.ready;
    progress('login service', `${login.url} (${options.redisUrl ? 'sessions in Redis' : 'in-memory sessions'})`);

    const m2mVerify = createM2mVerifier({ issuer: idp.issuer, jwksUri: idp.jwksUri, scope: ONBOARDING_SCOPE });
    const upstreams: Record<string, string> = {
      dashboard: services.dashboard.url,
      'feature-user-backend': services['feature-user-backend'].url,
      'feature-organisation-backend': services['feature-organisation-backend'].url,
      'login-service': login.url,
      onboarding: onboarding.url,
    };
    await gateway?.configure({
      upstreams,
      extAuthz: { service: login.url },
      jwtAuthn: { issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [APP_CLIENT_ID] },
      plugin,
      m2m: {
        verify: async (token) => {
          try {
            await m2mVerify(token);
            return true;
          } catch {
            return false;
          }
        },
      },
    });

    // Healthy = each part answers, and a browser's first visit goes through the whole chain to
    // the login redirect (gateway → ext_authz → login service).
    const trust = new Agent({ connect: { ca: tls.ca, servername: 'localhost' } });
    try {
      await waitFor('identity provider', () => answers(`${idp.issuer}/.well-known/openid-configuration`, (status) => status === 200));
      await waitFor('onboarding', () => answers(`${onboarding.url}/healthz`, (status) => status === 200));
      await waitFor('login service', () => answers(`${login.metricsUrl}/healthz`, (status) => status === 200));
      for (const [name, service] of Object.entries(services)) await waitFor(name, () => answers(`${service.url}/healthz`, (status) => status === 200));
      if (gateway) await waitFor('gateway', () => answers(`https://127.0.0.1:${ports.https}/`, (status) => status === 302, trust));
    } finally {
      await trust.close();
    }
    progress('healthy', gateway ? 'every part answers' : 'every part but the gateway answers');

    const demoUsers = await demoUsersOf(seed, (privilege) => (USER_TYPES as Record<string, string>)[privilege]);

    return {
      urls: { app: appOrigin, http: `http://localhost:${ports.http}`, internal: internalUrl, identityProvider: idp.url, login: login.url },
      caPath: tls.caPath,
      ca: tls.ca,
      logFile,
      dataDir,
      identityProvider: idp,
      onboarding,
      login,
      gateway,
      upstreams,
      pluginEnv,
      demoUsers,
      close: async () => {
        await closeAll();
        await log.close();
      },
    };
  } catch (error) {
    await closeAll();
    await log.close();
    throw error;
  }
}
