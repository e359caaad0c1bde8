// `oc-edge start` (`npm start`): the whole login/logout flow on this machine. Builds the filter when
// dist/ lacks it, creates keys and certificates on first run, starts every part (src/harness/stack),
// shows progress, prints the URL and the demo users, and stops everything on Ctrl-C.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import { FILTER_WASM } from '../lib/artifacts.ts';

const WASM = FILTER_WASM.absolute;

interface StartOptions {
  redis?: string | boolean;
  gateway: string;
  dataDir: string;
  membershipCheck: boolean;
  ephemeralPorts: boolean;
  routes?: string;
  rebuild: boolean;
  quiet: boolean;
  logLevel: string;
  sso: boolean;
}

const HELP_AFTER = `
What it starts (ports on 127.0.0.1; see docs/local-stack.md):
  gateway            https://localhost:8443 (HTTP 8080 redirects to it; internal M2M listener 8081)
  identity provider  http://127.0.0.1:9000 (Cognito stand-in; runs the enrichment Lambda on every token issue)
  login service      4180 (ext_authz check and /oauth2/*; sessions in memory, or Redis with --redis)
  backends           dashboard 3001, feature-user-backend 3002, feature-organisation-backend 3003, onboarding 3004

First run creates .data/keys.json (cookie signing keys), .data/tls/ (a local CA and the gateway's
certificate) and .data/idp-signing-keys.json (the provider's key). Logs: .data/logs/stack.log.

Examples:
  npm start
  npm start -- --redis redis://127.0.0.1:6379
  npm start -- --membership-check
  npm start -- --sso      (SSO server, two apps behind SSO proxies, a standalone sidecar: *.localhost URLs)
  npm run tools:install && npm start -- --gateway envoy`;

/** Redis URLs may carry a password: show only scheme, host, port and database. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.username || parsed.password ? '***@' : ''}${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

async function ensureFilter(rebuild: boolean, say: (line: string) => void): Promise<void> {
  if (existsSync(WASM) && !rebuild) return;
  say(`building the org-context filter (${existsSync(WASM) ? '--rebuild' : `${FILTER_WASM.path} is missing`}) …`);
  const { buildFilter } = await import('../lib/build/filter.ts');
  const built = await buildFilter();
  if (!existsSync(WASM)) throw new Error(`the build finished but ${WASM} is not there`);
  say(`built ${built.map((module) => `${module.name} (${module.bytes} bytes)`).join(', ')}`);
}

/** Real Envoy, found as every Envoy use finds it (scripts/lib/envoy/locate.ts); exit 2 naming the install command without one. */
async function findEnvoy(): Promise<import('../lib/envoy/locate.ts').LocatedEnvoy> {
  const { probeEnvoy } = await import('../lib/envoy/locate.ts');
  const { found, reason } = probeEnvoy();
  if (!found) {
    throw new UsageError(`--gateway envoy needs Envoy and none was found: ${reason}. Without one, run \`npm start\` for the built-in gateway (same routes and filters).`);
  }
  return found;
}

export function register(program: Command): void {
  program
    .command('start')
    .description('run the whole login/logout flow on this machine: gateway, login service, identity provider, onboarding, backends, dashboard')
    .option('--redis [url]', 'keep sessions in Redis instead of memory (default URL: $REDIS_URL or redis://127.0.0.1:6379)')
    .option('--gateway <kind>', 'node: the built-in gateway; envoy: two real Envoys through func-e (gateway, then waypoint; ENVOY_PATH, else the one `npm run tools:install` put in .tools/), translated from the rendered local overlay', 'node')
    .option('--data-dir <dir>', 'keys, certificates, provider key and logs', '.data')
    .option('--membership-check', "turn on the filter's membership check (on in production): a cookie can select only the organisations the ID token's custom:organisations claim lists", false)
    .option('--ephemeral-ports', 'use free ports instead of the defaults (8443, 8080, 8081, 9000, 4180, 3001–3004); not with --gateway envoy', false)
    .option('--routes <file>', 'routes from a file of Gateway API HTTPRoutes (e.g. istio/base/generated/httproutes.yaml); default: src/topology')
    .option('--rebuild', `build the org-context filter even when ${FILTER_WASM.path} exists`, false)
    .option('--quiet', 'do not print one access-log line per request', false)
    .option('--log-level <level>', 'level of .data/logs/stack.log: debug, info, warn or error', 'info')
    .option('--sso', 'instead: an SSO server and two apps behind SSO proxies on *.oc.localhost (sessions in Redis: --redis URL, else a redis-server started here) and a standalone sidecar in front of a demo app on app-c.localhost; default ports 4300–4303', false)
    .addHelpText('after', HELP_AFTER)
    .action(async (options: StartOptions) => {
      await start(options);
    });
}

async function start(options: StartOptions): Promise<void> {
  if (!['node', 'envoy'].includes(options.gateway)) throw new UsageError(`--gateway must be node or envoy, got ${options.gateway}`);
  if (!['debug', 'info', 'warn', 'error'].includes(options.logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, got ${options.logLevel}`);
  if (options.gateway === 'envoy' && options.ephemeralPorts) throw new UsageError('--gateway envoy runs on the default ports; drop --ephemeral-ports');
  if (options.routes && !existsSync(options.routes)) throw new UsageError(`--routes: no file ${options.routes}`);
  const redisUrl = options.redis === undefined || options.redis === false ? undefined : options.redis === true ? process.env.REDIS_URL || 'redis://127.0.0.1:6379' : options.redis;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new UsageError(`--redis must be a redis:// or rediss:// URL, got ${redactUrl(redisUrl)}`);
  const dataDir = isAbsolute(options.dataDir) ? options.dataDir : resolve(process.cwd(), options.dataDir);
  const out = (line: string) => process.stdout.write(`${line}\n`);

  const envoy = options.gateway === 'envoy' && !options.sso ? await findEnvoy() : undefined;

  // oidc-provider prints development notices with console.warn/info; they belong in the log file,
  // not between the progress lines. Everything else still reaches the console.
  const quietPrefixes = ['oidc-provider '];
  for (const method of ['warn', 'info'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && quietPrefixes.some((prefix) => (args[0] as string).startsWith(prefix)) && options.logLevel !== 'debug') return;
      original(...args);
    };
  }
  if (options.sso) return startSso(options, dataDir, redisUrl, out);

  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  out('oc-edge start: the OneConnect login/logout flow on this machine');
  await ensureFilter(options.rebuild, (line) => out(`  … ${line}`));

  const { startStack } = await import('../../src/harness/stack.ts');
  // The readiness probe's own request is not interesting: access lines start once ready.
  let ready = false;
  const stack = await startStack({
    wasm: WASM,
    dataDir,
    ports: options.ephemeralPorts ? 'ephemeral' : 'default',
    ...(redisUrl ? { redisUrl } : {}),
    membershipCheck: options.membershipCheck,
    ...(options.routes ? { routesFile: resolve(process.cwd(), options.routes) } : {}),
    gateway: envoy ? 'external' : 'node',
    logLevel: options.logLevel as 'info',
    onProgress: (step, detail) => out(`  ✓ ${step.padEnd(20)} ${detail ?? ''}`),
    ...(options.quiet
      ? {}
      : {
          onAccess: (entry) =>
            ready &&
            out(`  ${entry.method} ${entry.path} ${entry.status}${entry.upstream && entry.upstream !== '-' ? ` → ${entry.upstream.split(' ')[0]}` : ''} ${entry.durationMs} ms${entry.flag && entry.flag !== '-' ? ` [${entry.flag}]` : ''}`),
        }),
  }).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === 'RouteFileError') throw new UsageError(`--routes: ${message}`);
    if (/EADDRINUSE/.test(message)) {
      throw new UsageError(`a port is already in use (${message.replace(/^.*EADDRINUSE:?\s*/, '')}): is another stack running? Stop it, or use --ephemeral-ports`);
    }
    throw error;
  });

  let envoys: import('../lib/envoy/bootstrap.ts').RunningLocalEnvoys | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    out('\nstopping …');
    await envoys?.stop();
    await stack.close();
    out('stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait
    void stop(0);
  });
  process.on('SIGTERM', () => void stop(0));

  if (envoy) {
    const running = await startEnvoys(envoy, stack, dataDir, out).catch(async (error: unknown) => {
      await stack.close();
      throw error;
    });
    envoys = running;
    void running.exited.then(({ role, code, signal }) => {
      if (!stopping) {
        out(`the ${role} Envoy exited (${code ?? signal}); stopping the stack\n${(role === 'gateway' ? running.gateway : running.waypoint).log().slice(-4000)}`);
        void stop(1);
      }
    });
  }

  out(`  ✓ ${'ready'.padEnd(20)} in ${seconds()}`);
  ready = true;
  out('');
  out(`  Open ${stack.urls.app}`);
  out(`  (plain ${stack.urls.http} redirects there)`);
  out(`  The certificate comes from a local CA: ${stack.caPath}`);
  out('  Trust it once (docs/local-stack.md), or accept the browser warning.');
  out('');
  out('  Demo users:');
  for (const user of stack.demoUsers) {
    out(`    ${user.email.padEnd(26)} ${(user.password ?? '(see docs/idp.md)').padEnd(16)} ${user.userType ?? user.privilege}, ${user.organisations.join(', ')}`);
  }
  out('');
  out(`  Sessions: ${redisUrl ? `Redis ${redactUrl(redisUrl)}` : 'in memory'}; gateway: ${envoy ? 'Envoy' : 'built-in'}; membership check ${options.membershipCheck ? 'on' : 'off'}`);
  out(`  Logs: ${stack.logFile}`);
  out('  Ctrl-C stops everything.');
  out('');
}

/** `--sso`: src/harness/sso-stack.ts (no gateway, no filter: the login services are the edge). */
async function startSso(options: StartOptions, dataDir: string, redisUrl: string | undefined, out: (line: string) => void): Promise<void> {
  if (options.gateway !== 'node' || options.membershipCheck || options.routes) throw new UsageError('--sso runs no gateway: drop --gateway, --membership-check and --routes');
  const started = Date.now();
  out('oc-edge start --sso: single sign-on across apps, and a standalone sidecar, on this machine');
  const { startSsoStack } = await import('../../src/harness/sso-stack.ts');
  const { ssoSummary } = await import('../../src/harness/sso-summary.ts');
  const stack = await startSsoStack({
    dataDir,
    ports: options.ephemeralPorts ? 'ephemeral' : 'default',
    ...(redisUrl ? { redisUrl } : {}),
    logLevel: options.logLevel as 'info',
    onProgress: (step, detail) => out(`  ✓ ${step.padEnd(20)} ${detail ?? ''}`),
  }).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (/EADDRINUSE/.test(message)) throw new UsageError(`a port is already in use (${message.replace(/^.*EADDRINUSE:?\s*/, '')}): is another --sso stack running? Stop it, or use --ephemeral-ports`);
    throw error;
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    out('\nstopping …');
    await stack.close();
    out('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => {
    if (stopping) process.exit(130);
    void stop();
  });
  process.on('SIGTERM', () => void stop());
  out(`  ✓ ${'ready'.padEnd(20)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  out('');
  for (const line of ssoSummary(stack, redactUrl(stack.redisUrl))) out(line);
  out('');
}

/**
 * The two hops of the cluster on this machine: the gateway Envoy (the Gateways and HTTPRoutes) and
 * the waypoint Envoy (per Service: ext_authz, jwt_authn, the plugin), both translated from the
 * rendered local overlay for this stack's addresses (scripts/lib/envoy/bootstrap.ts). Ready when a
 * browser's first visit crosses both to the login redirect.
 */
async function startEnvoys(
  envoy: import('../lib/envoy/locate.ts').LocatedEnvoy,
  stack: Awaited<ReturnType<typeof import('../../src/harness/stack.ts').startStack>>,
  dataDir: string,
  out: (line: string) => void,
): Promise<import('../lib/envoy/bootstrap.ts').RunningLocalEnvoys> {
  const { harnessEnvoys, startLocalEnvoys } = await import('../lib/envoy/bootstrap.ts');
  const { GATEWAY_PORTS } = await import('../../src/topology/index.ts');
  const { configs, env } = harnessEnvoys(stack, { wasmFile: WASM, gatewayPorts: GATEWAY_PORTS });
  out(`  … starting Envoy ${envoy.version ?? envoy.envoy}${envoy.funcE ? ' through func-e' : ''}: gateway → waypoint (configs in ${dataDir})`);
  // The cookie secrets reach the Wasm VM through Envoy's own environment (valueFrom: HOST).
  const running = await startLocalEnvoys(envoy, { configs, dir: dataDir, env });
  const { Agent, request } = await import('undici');
  const trust = new Agent({ connect: { ca: stack.ca, servername: 'localhost' } });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await request(`https://127.0.0.1:${GATEWAY_PORTS.https}/`, { dispatcher: trust, headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } })
        .then(async (response) => {
          await response.body.dump();
          return response.statusCode === 302;
        })
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the Envoys did not answer the login redirect on the HTTPS port within 30 s:\n${running.gateway.log().slice(-2000)}\n${running.waypoint.log().slice(-2000)}`);
      await new Promise((done) => setTimeout(done, 250));
    }
  } catch (error) {
    await running.stop();
    throw error;
  } finally {
    await trust.close();
  }
  out(`  ✓ ${'envoy'.padEnd(20)} gateway https://localhost:${GATEWAY_PORTS.https} (admin ${running.gateway.adminUrl}) → waypoint (admin ${running.waypoint.adminUrl})`);
  return running;
}
