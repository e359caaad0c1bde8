// The login service as a workload next to apps (issue 15), rendered into two kustomize components:
//
// - istio/components/login-sidecar: the standalone sidecar pattern — one Pod, the app container and
//   the login service in front of it (LOGIN_MODE=standalone, UPSTREAM_URL=http://127.0.0.1:<app
//   port>); the Service targets the sidecar's port, never the app's, so nothing reaches the app
//   around the login service.
// - istio/components/sso: the SSO server as its own Deployment, Service and HTTPRoute, the Redis its
//   sessions live in (reachable only from the SSO server and its proxies), and an app with an SSO
//   proxy sidecar (LOGIN_MODE=sso-proxy: no client secret, only the shared key and Redis).
//
// Every environment variable is a login service setting (src/login/config.ts SETTINGS, checked
// here when rendering and again on the rendered overlay by check-login.ts); the settings that are
// environment-only (secrets: the client secret, ENCRYPTION_KEY, REDIS_URL) come from Secret refs,
// never literals. Values an overlay fills are "placeholder" (see the components' kustomization.yaml).
import { stringify } from 'yaml';
import { SETTINGS } from '../../../src/login/config.ts';
import { HSTS_HEADER } from '../../../src/topology/index.ts';
import { K8S } from './manifests.ts';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const commonLabels = { 'app.kubernetes.io/part-of': 'oneconnect-edge' };

function defaultPort(setting: 'LISTEN' | 'METRICS_LISTEN'): number {
  const value = SETTINGS.find((s) => s.env === setting)?.default ?? '';
  const port = Number(/:(\d+)$/.exec(value)?.[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${setting} has no default port in SETTINGS`);
  return port;
}

/** The login service's ports in a Pod: its defaults, bound on every interface. */
export const LOGIN_PORTS = { http: defaultPort('LISTEN'), metrics: defaultPort('METRICS_LISTEN') } as const;
/** The example app's port inside its Pod: only the sidecar talks to it, over loopback. */
export const APP_PORT = 8080;
/** The Redis the SSO server and its proxies share. */
export const SSO_REDIS_PORT = 6379;

/** Names the components and their kustomizations share. */
export const LOGIN_WORKLOADS = {
  sidecarApp: 'demo-app',
  /** Where the sidecar's app is reached on the main domain: INGRESS=https://<domain>/demo. */
  sidecarPrefix: '/demo',
  sidecarSecret: 'demo-app-login',
  ssoServer: 'sso-server',
  ssoApp: 'sso-app-a',
  ssoRedis: 'sso-redis',
  ssoSecret: 'sso-login',
  /** The SSO domain is a subdomain of the gateway's: its cookie never reaches the main app's backends. */
  ssoSubdomain: 'apps',
  ssoServerHost: 'sso',
  ssoAppHost: 'app-a',
  /** `__Secure-`: https only; not `__Host-`, which cannot carry the Domain the SSO cookie needs. */
  ssoCookie: '__Secure-oc-sso',
  /** The gateway listener for *.<ssoSubdomain>.<domain> and the certificate behind it. */
  ssoListener: 'sso-https',
  ssoCertificate: 'sso-gateway-tls',
  ssoCertificateSecret: 'sso-gateway-tls-secrets',
  /** Container names: what the components' kustomizations select. */
  loginContainer: 'login',
  appContainer: 'app',
} as const;

/** The placeholders the components' replacements fill (a domain-shaped token, split on dots). */
const P = 'placeholder';
const ssoDomain = `${LOGIN_WORKLOADS.ssoSubdomain}.${P}`;

type EnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

const environmentOnly = new Set(SETTINGS.filter((s) => !s.flag).map((s) => s.env));
const known = new Set(SETTINGS.map((s) => s.env));

function literal(name: string, value: string): EnvVar {
  if (!known.has(name)) throw new Error(`${name} is not a login service setting`);
  if (environmentOnly.has(name)) throw new Error(`${name} is a secret (environment-only setting): give it from a Secret`);
  return { name, value };
}

/** A secret setting from a Secret; the key is the setting's own name, so `kubectl create secret --from-env-file` fills it. */
function fromSecret(name: string, secret: string): EnvVar {
  if (!known.has(name)) throw new Error(`${name} is not a login service setting`);
  return { name, valueFrom: { secretKeyRef: { name: secret, key: name } } };
}

const hardened = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function loginContainer(env: EnvVar[]): Record<string, unknown> {
  const probe = { httpGet: { path: '/healthz', port: 'login-metrics' } };
  return {
    name: LOGIN_WORKLOADS.loginContainer,
    image: `${P}-login-image`,
    ports: [
      { name: 'login-http', containerPort: LOGIN_PORTS.http, protocol: 'TCP' },
      { name: 'login-metrics', containerPort: LOGIN_PORTS.metrics, protocol: 'TCP' },
    ],
    env: [...env, literal('LISTEN', `0.0.0.0:${LOGIN_PORTS.http}`), literal('METRICS_LISTEN', `0.0.0.0:${LOGIN_PORTS.metrics}`)],
    readinessProbe: { ...probe, periodSeconds: 5 },
    livenessProbe: { ...probe, periodSeconds: 20, failureThreshold: 3 },
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
    securityContext: hardened,
  };
}

function appContainer(): Record<string, unknown> {
  return {
    name: LOGIN_WORKLOADS.appContainer,
    image: `${P}-app-image`,
    ports: [{ name: 'app-http', containerPort: APP_PORT, protocol: 'TCP' }],
    resources: { requests: { cpu: '50m', memory: '64Mi' } },
    securityContext: hardened,
  };
}

/** The provider settings every relying party (standalone, SSO server) has; the issuer and client id are the overlay's. */
function relyingParty(secret: string): EnvVar[] {
  return [
    literal('OIDC_ISSUER', `https://${P}`),
    literal('OIDC_CLIENT_ID', `${P}-client-id`),
    fromSecret('OIDC_CLIENT_SECRET', secret),
    // Cognito publishes no end_session_endpoint: its hosted-UI /logout, as the ext_authz service uses.
    literal('LOGOUT_MODE', 'cognito'),
    literal('COGNITO_LOGOUT_URL', `https://${P}/logout`),
  ];
}

function deployment(name: string, replicas: number, containers: Record<string, unknown>[], serviceAccount?: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: K8S.namespace, labels: { ...commonLabels, app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { ...commonLabels, app: name } },
        spec: {
          ...(serviceAccount ? { serviceAccountName: serviceAccount } : {}),
          automountServiceAccountToken: false,
          containers,
        },
      },
    },
  };
}

/** A Service in the mesh (through the waypoint, as every Service here) targeting a named container port. */
function service(name: string, port: number, targetPort: string, portName = 'http'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: K8S.namespace, labels: { ...commonLabels, app: name, 'istio.io/use-waypoint': K8S.waypoint, 'istio.io/ingress-use-waypoint': 'true' } },
    spec: {
      selector: { app: name },
      ports: [{ name: portName, ...(portName === 'http' ? { appProtocol: 'http' } : {}), port, targetPort, protocol: 'TCP' }],
    },
  };
}

function serviceAccount(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: K8S.namespace, labels: { ...commonLabels } } };
}

function httpRoute(name: string, options: { sectionName: string; hostname?: string; prefix: string; backend: string }): Record<string, unknown> {
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name, namespace: K8S.namespace, labels: { ...commonLabels } },
    spec: {
      parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: K8S.externalGateway, namespace: K8S.gatewayNamespace, sectionName: options.sectionName }],
      ...(options.hostname ? { hostnames: [options.hostname] } : {}),
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: options.prefix } }],
          backendRefs: [{ name: options.backend, port: LOGIN_PORTS.http }],
          // HTTPS answers carry HSTS, as every route of the external gateway's HTTPS listener does.
          filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ ...HSTS_HEADER }] } }],
        },
      ],
    },
  };
}

/** The standalone sidecar in front of an app, reached at https://<domain>/demo. */
export function loginSidecarObjects(): Record<string, unknown>[] {
  const { sidecarApp, sidecarPrefix, sidecarSecret } = LOGIN_WORKLOADS;
  return [
    deployment(sidecarApp, 1, [
      appContainer(),
      loginContainer([
        literal('LOGIN_MODE', 'standalone'),
        // APP_ORIGIN follows from it; the endpoints are under /demo/oauth2 (register /demo/oauth2/callback).
        literal('INGRESS', `https://${P}${sidecarPrefix}`),
        literal('UPSTREAM_URL', `http://127.0.0.1:${APP_PORT}`),
        ...relyingParty(sidecarSecret),
        // One replica, so sessions in memory; with more, SESSION_STORE=redis and REDIS_URL from the Secret.
        literal('SESSION_STORE', 'memory'),
        fromSecret('ENCRYPTION_KEY', sidecarSecret),
      ]),
    ]),
    service(sidecarApp, LOGIN_PORTS.http, 'login-http'),
    httpRoute(sidecarApp, { sectionName: 'https', prefix: sidecarPrefix, backend: sidecarApp }),
  ];
}

/** The SSO server, its Redis, and one app behind an SSO proxy, on *.apps.<domain>. */
export function ssoObjects(): Record<string, unknown>[] {
  const w = LOGIN_WORKLOADS;
  const serverOrigin = `https://${w.ssoServerHost}.${ssoDomain}`;
  const appOrigin = `https://${w.ssoAppHost}.${ssoDomain}`;
  const shared = [literal('SESSION_STORE', 'redis'), fromSecret('REDIS_URL', w.ssoSecret), fromSecret('ENCRYPTION_KEY', w.ssoSecret), literal('SESSION_COOKIE_NAME', w.ssoCookie)];
  const redisPod = {
    name: 'redis',
    image: 'docker.io/library/redis:7.4',
    // Sessions are sealed and short-lived: nothing is written to disk. A managed Redis replaces this
    // Deployment in production (REDIS_URL in the Secret points at it).
    args: ['--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    ports: [{ name: 'redis', containerPort: SSO_REDIS_PORT, protocol: 'TCP' }],
    readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 5 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    securityContext: { ...hardened, runAsUser: 999 },
  };
  return [
    serviceAccount(w.ssoServer),
    serviceAccount(w.ssoApp),
    deployment(
      w.ssoServer,
      2,
      [
        loginContainer([
          literal('LOGIN_MODE', 'sso-server'),
          literal('APP_ORIGIN', serverOrigin),
          literal('SSO_DOMAIN', ssoDomain),
          literal('SSO_DEFAULT_REDIRECT_URL', appOrigin),
          ...relyingParty(w.ssoSecret),
          ...shared,
        ]),
      ],
      w.ssoServer,
    ),
    service(w.ssoServer, LOGIN_PORTS.http, 'login-http'),
    httpRoute(w.ssoServer, { sectionName: w.ssoListener, hostname: `${w.ssoServerHost}.${ssoDomain}`, prefix: '/oauth2', backend: w.ssoServer }),
    deployment(w.ssoRedis, 1, [redisPod]),
    service(w.ssoRedis, SSO_REDIS_PORT, 'redis', 'tcp-redis'),
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `${w.ssoRedis}-clients`, namespace: K8S.namespace, labels: { ...commonLabels } },
      spec: {
        targetRefs: [{ kind: 'Service', group: '', name: w.ssoRedis }],
        action: 'ALLOW',
        // Only the SSO server and its proxies read or write sessions.
        rules: [{ from: [{ source: { principals: [w.ssoServer, w.ssoApp].map((sa) => `${K8S.trustDomain}/ns/${K8S.namespace}/sa/${sa}`) } }] }],
      },
    },
    deployment(
      w.ssoApp,
      2,
      [
        appContainer(),
        loginContainer([
          literal('LOGIN_MODE', 'sso-proxy'),
          literal('APP_ORIGIN', appOrigin),
          literal('SSO_SERVER_URL', serverOrigin),
          // Checked at start against APP_ORIGIN: the browser sends the server's cookie only inside it.
          literal('SSO_DOMAIN', ssoDomain),
          literal('UPSTREAM_URL', `http://127.0.0.1:${APP_PORT}`),
          ...shared,
        ]),
      ],
      w.ssoApp,
    ),
    service(w.ssoApp, LOGIN_PORTS.http, 'login-http'),
    httpRoute(w.ssoApp, { sectionName: w.ssoListener, hostname: `${w.ssoAppHost}.${ssoDomain}`, prefix: '/', backend: w.ssoApp }),
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: w.ssoCertificate, namespace: K8S.gatewayNamespace, labels: { ...commonLabels } },
      spec: {
        secretName: w.ssoCertificateSecret,
        // A wildcard: DNS-01, which the base's ClusterIssuer uses.
        dnsNames: [`*.${ssoDomain}`],
        issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      },
    },
  ];
}

const HEADER = '# Generated by `oc-edge render` from scripts/lib/render/login-workloads.ts. Do not edit: edit that and re-render.\n';

function yamlDocs(objects: readonly Record<string, unknown>[]): string {
  return HEADER + objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

/** The generated files of the two components, path relative to the repository root → content. */
export function loginWorkloadFiles(): Map<string, string> {
  return new Map([
    ['istio/components/login-sidecar/generated/login-sidecar.yaml', yamlDocs(loginSidecarObjects())],
    ['istio/components/sso/generated/sso.yaml', yamlDocs(ssoObjects())],
  ]);
}
