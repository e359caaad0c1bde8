// Cross-reference checks for the login service running as a workload (the login-sidecar and sso
// components, or any Deployment whose container sets LOGIN_MODE): what a schema cannot see.
// - every variable is a login service setting, secrets (environment-only settings) come from a
//   Secret ref, and the login service's own loadConfig accepts the result (the Secret values
//   stood in for);
// - the sidecar shape: the app is the upstream over loopback, and every Service that selects the
//   Pod targets the login container, never the app around it;
// - an SSO proxy has no OIDC client, and reads what its SSO server writes: the same cookie name,
//   the same key and Redis (the same Secret refs), a server URL the gateway routes to the server,
//   and an app origin inside the server's SSO domain.
import { ConfigError, SETTINGS, loadConfig } from '../../../src/login/config.ts';
import { describe, type K8sObject } from './schema.ts';

type Obj = K8sObject & { spec?: any };
interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Port { name?: string; containerPort: number }
interface Container { name: string; env?: EnvVar[]; ports?: Port[] }

const known = new Set(SETTINGS.map((s) => s.env));
const environmentOnly = new Set(SETTINGS.filter((s) => !s.flag).map((s) => s.env));
/** What a Secret would hold, shaped so loadConfig can judge the rest (never a real value). */
const STAND_IN: Record<string, string> = { ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), REDIS_URL: 'redis://secret-ref.invalid:6379' };

interface LoginContainer {
  id: string;
  deployment: Obj;
  container: Container;
  siblings: Container[];
  env: Map<string, EnvVar>;
  mode: string;
}

function literal(c: LoginContainer, name: string): string | undefined {
  return c.env.get(name)?.value;
}

function secretRef(c: LoginContainer, name: string): string | undefined {
  const ref = c.env.get(name)?.valueFrom?.secretKeyRef;
  return ref ? `${ref.name}/${ref.key}` : undefined;
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
}

function portNumber(container: Container, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return (container.ports ?? []).some((p) => p.containerPort === port) ? port : undefined;
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort;
}

function selects(service: Obj, deployment: Obj): boolean {
  const selector = (service.spec?.selector ?? {}) as Record<string, string>;
  const labels = (deployment.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
  const pairs = Object.entries(selector);
  return pairs.length > 0 && (service.metadata.namespace ?? '') === (deployment.metadata.namespace ?? '') && pairs.every(([k, v]) => labels[k] === v);
}

function loginContainers(objects: readonly Obj[]): LoginContainer[] {
  const found: LoginContainer[] = [];
  for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
    const containers = (deployment.spec?.template?.spec?.containers ?? []) as Container[];
    for (const container of containers) {
      const env = new Map((container.env ?? []).map((e) => [e.name, e]));
      if (!env.has('LOGIN_MODE')) continue;
      found.push({ id: `${describe(deployment)} container ${container.name}`, deployment, container, siblings: containers.filter((c) => c !== container), env, mode: env.get('LOGIN_MODE')?.value ?? '' });
    }
  }
  return found;
}

function checkSettings(c: LoginContainer): string[] {
  const problems: string[] = [];
  const names = (c.container.env ?? []).map((e) => e.name);
  for (const name of names) if (names.indexOf(name) !== names.lastIndexOf(name)) problems.push(`${c.id}: env ${name} is set twice`);
  for (const e of c.container.env ?? []) {
    if (!known.has(e.name)) problems.push(`${c.id}: env ${e.name} is not a login service setting`);
    else if (environmentOnly.has(e.name) && (e.value !== undefined || !e.valueFrom?.secretKeyRef)) problems.push(`${c.id}: env ${e.name} is a secret: valueFrom.secretKeyRef, never a literal`);
  }
  const env: Record<string, string> = {};
  for (const e of c.container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = STAND_IN[e.name] ?? 'from-a-secret';
  }
  try {
    loadConfig(env);
  } catch (error) {
    problems.push(`${c.id}: the login service refuses this environment: ${error instanceof ConfigError ? error.message : String(error)}`);
  }
  return problems;
}

function checkSidecarShape(c: LoginContainer, objects: readonly Obj[]): string[] {
  const problems: string[] = [];
  const listen = /:(\d+)$/.exec(literal(c, 'LISTEN') ?? '')?.[1];
  if (!listen || portNumber(c.container, Number(listen)) === undefined) problems.push(`${c.id}: LISTEN ${literal(c, 'LISTEN') ?? '(unset)'} is not one of its containerPorts`);
  if (c.mode === 'standalone' || c.mode === 'sso-proxy') {
    let upstream: URL | undefined;
    try {
      upstream = new URL(literal(c, 'UPSTREAM_URL') ?? '');
    } catch {
      upstream = undefined;
    }
    const port = Number(upstream?.port || 80);
    if (!upstream || upstream.hostname !== '127.0.0.1' || !c.siblings.some((s) => portNumber(s, port) !== undefined)) {
      problems.push(`${c.id}: UPSTREAM_URL must be http://127.0.0.1:<port of the app container in the same Pod>, got ${literal(c, 'UPSTREAM_URL') ?? '(unset)'}`);
    }
  }
  // Whatever the Service, it reaches the login service: an app port there would skip the login.
  for (const service of objects.filter((o) => o.kind === 'Service' && selects(o, c.deployment))) {
    for (const port of (service.spec?.ports ?? []) as { port: number; targetPort?: string | number }[]) {
      const target = port.targetPort ?? port.port;
      if (portNumber(c.container, target) === undefined) problems.push(`${describe(service)}: port ${port.port} targets ${target}, not the login container of ${describe(c.deployment)}`);
    }
  }
  return problems;
}

function checkSso(all: LoginContainer[], objects: readonly Obj[]): string[] {
  const problems: string[] = [];
  const servers = all.filter((c) => c.mode === 'sso-server');
  for (const proxy of all.filter((c) => c.mode === 'sso-proxy')) {
    for (const name of ['OIDC_CLIENT_SECRET', 'OIDC_CLIENT_ID', 'OIDC_ISSUER']) {
      if (proxy.env.has(name)) problems.push(`${proxy.id}: an SSO proxy has no OIDC client: remove ${name}`);
    }
    const serverHost = hostOf(literal(proxy, 'SSO_SERVER_URL'));
    // The server is the one the gateway routes SSO_SERVER_URL's host to.
    const routed = objects.filter((o) => o.kind === 'HTTPRoute' && ((o.spec?.hostnames ?? []) as string[]).includes(serverHost ?? ''));
    const backends = routed.flatMap((r) => ((r.spec?.rules ?? []) as { backendRefs?: { name: string }[] }[]).flatMap((rule) => rule.backendRefs ?? []).map((b) => b.name));
    const server = servers.find((s) => objects.some((o) => o.kind === 'Service' && backends.includes(o.metadata.name) && selects(o, s.deployment)));
    if (!server) {
      problems.push(`${proxy.id}: SSO_SERVER_URL ${literal(proxy, 'SSO_SERVER_URL') ?? '(unset)'} is not routed to an SSO server here (an HTTPRoute with that hostname → a Service of an sso-server Deployment)`);
      continue;
    }
    if (literal(proxy, 'SESSION_COOKIE_NAME') !== literal(server, 'SESSION_COOKIE_NAME')) {
      problems.push(`${proxy.id}: SESSION_COOKIE_NAME ${literal(proxy, 'SESSION_COOKIE_NAME') ?? '(unset)'} is not the SSO server's ${literal(server, 'SESSION_COOKIE_NAME') ?? '(unset)'}`);
    }
    for (const name of ['ENCRYPTION_KEY', 'REDIS_URL']) {
      if (!secretRef(proxy, name) || secretRef(proxy, name) !== secretRef(server, name)) problems.push(`${proxy.id}: ${name} must come from the SSO server's Secret ref ${secretRef(server, name) ?? '(none)'}, got ${secretRef(proxy, name) ?? '(none)'}`);
    }
    const domain = literal(server, 'SSO_DOMAIN') ?? '';
    const appHost = hostOf(literal(proxy, 'APP_ORIGIN')) ?? '';
    if (!domain || (appHost !== domain && !appHost.endsWith(`.${domain}`))) problems.push(`${proxy.id}: APP_ORIGIN ${literal(proxy, 'APP_ORIGIN') ?? '(unset)'} is outside the SSO server's SSO_DOMAIN ${domain || '(unset)'}: the browser would not send it the session cookie`);
  }
  return problems;
}

export function checkLoginWorkloads(objects: readonly Obj[]): string[] {
  const all = loginContainers(objects);
  return [...all.flatMap((c) => [...checkSettings(c), ...checkSidecarShape(c, objects)]), ...checkSso(all, objects)];
}

/** Gateway API: a route's hostnames must meet its listener's hostname (exactly, or under its `*.`). */
export function hostnameMatches(listener: string | undefined, route: string): boolean {
  if (!listener) return true;
  if (listener.startsWith('*.')) return route.endsWith(listener.slice(1)) && route.length > listener.length - 1;
  return route === listener || (route.startsWith('*.') && listener.endsWith(route.slice(1)));
}
