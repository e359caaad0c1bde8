// The Envoy bootstrap for func-e: the same topology as src/gateway (listeners, routes with prefix
// rewrite, ext_authz → jwt_authn → org-context Wasm → router), generated from src/topology and the
// shared ext_authz and plugin settings so that real Envoy, the Node gateway and the cluster agree.
// `oc-edge render` writes envoy/envoy.yaml with the local defaults; `oc-edge envoy` renders one
// for the addresses of the running harness.
import { stringify } from 'yaml';
import { GATEWAY_PORTS, ROUTES, SERVICES, serviceByName, type Route, type ServiceName } from '../../../src/topology/index.ts';
import { HOST_ENV_SETTINGS } from '../../../src/topology/plugin-settings.ts';
import { pluginEnvironment } from '../../../src/harness/plugin-env.ts';
import { ONBOARDING_SCOPE } from '../../../src/harness/onboarding/index.ts';
import { EXT_AUTHZ_DEFAULTS } from '../../../src/gateway/ext-authz.ts';
import { INSTALL_COMMAND } from './tools.ts';

export const JWT_PAYLOAD_HEADER = 'x-envoy-jwt-payload';
/** Where jwt_authn puts verified claims: metadata.filter_metadata["envoy.filters.http.jwt_authn"].payload. */
export const JWT_PAYLOAD_METADATA_KEY = 'payload';

export interface EnvoyOptions {
  /** Address every listener binds to and every service is reached on. */
  host: string;
  ports: { http: number; https: number; internal: number; admin: number };
  /** Service ports (defaults from the topology). */
  servicePorts: Record<ServiceName, number>;
  tls: { certificateChain: string; privateKey: string };
  jwt: { issuer: string; jwksUri: string; audiences: string[] };
  wasm: { filename: string; env: Record<string, string> };
}

// The harness's identity provider as it names itself (src/harness/idp: 127.0.0.1:<port>/<pool id>); a test checks it.
const LOCAL_ISSUER = `http://127.0.0.1:${serviceByName('identity-provider').port}/eu-west-1_OneConnect`;

/** The local harness's defaults (ports from src/topology, files under .data/ and dist/). */
export function defaultEnvoyOptions(): EnvoyOptions {
  return {
    host: '127.0.0.1',
    ports: { ...GATEWAY_PORTS, admin: 9901 },
    servicePorts: Object.fromEntries(SERVICES.map((s) => [s.name, s.port])) as Record<ServiceName, number>,
    tls: { certificateChain: '.data/tls/server.pem', privateKey: '.data/tls/server-key.pem' },
    jwt: { issuer: LOCAL_ISSUER, jwksUri: `${LOCAL_ISSUER}/.well-known/jwks.json`, audiences: ['oneconnect-local'] },
    wasm: { filename: 'dist/org-context.wasm', env: inlinePluginEnv('local') },
  };
}

/**
 * The plugin's inline settings exactly as the cluster gets them: the WasmPlugin's vmConfig.env with
 * the overlay's values (the same reading the local harness uses). Secrets are left to the host env.
 */
export function inlinePluginEnv(overlay: string): Record<string, string> {
  const placeholders = Object.fromEntries(HOST_ENV_SETTINGS.map((name) => [name, '']));
  const env = pluginEnvironment({ host: placeholders, overlay });
  for (const name of HOST_ENV_SETTINGS) delete env[name];
  return env;
}

const TYPE = (name: string) => `type.googleapis.com/${name}`;
const exact = (names: readonly string[]) => ({ patterns: names.map((name) => ({ exact: name, ignore_case: true })) });

function socket(host: string, port: number) {
  return { socket_address: { address: host, port_value: port } };
}

function cluster(name: string, host: string, port: number) {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '2s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(host, port) } }] }] },
  };
}

/**
 * Gateway API matches whole segments and ReplacePrefixMatch keeps one slash; Envoy's plain prefix
 * does neither, so a prefix route becomes two: the exact path, and the prefix followed by `/`.
 * Routes are ordered longest prefix first because Envoy takes the first match.
 */
function envoyRoutes(listener: Route['listener']): Record<string, unknown>[] {
  const routes = ROUTES.filter((r) => r.listener === listener).sort((a, b) => b.prefix.length - a.prefix.length);
  const result: Record<string, unknown>[] = [];
  for (const route of routes) {
    const perFilter = route.extAuthz || listener !== 'external' ? undefined : { 'envoy.filters.http.ext_authz': { '@type': TYPE('envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute'), disabled: true } };
    const base = (match: Record<string, unknown>, rewrite?: string) => {
      const entry: Record<string, unknown> = {
        name: route.name,
        match,
        route: { cluster: route.service, ...(rewrite !== undefined ? { prefix_rewrite: rewrite } : {}) },
      };
      if (perFilter) entry.typed_per_filter_config = perFilter;
      return entry;
    };
    if (route.prefix === '/') {
      result.push(base({ prefix: '/' }));
      continue;
    }
    const rewrite = route.rewritePrefix;
    result.push(base({ path: route.prefix }, rewrite));
    const slashRewrite = rewrite === undefined ? undefined : rewrite.endsWith('/') ? rewrite : `${rewrite}/`;
    result.push(base({ prefix: `${route.prefix}/` }, slashRewrite));
  }
  return result;
}

function httpConnectionManager(statPrefix: string, routes: Record<string, unknown>[], filters: Record<string, unknown>[], options: { remoteAddress: boolean }) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
      stat_prefix: statPrefix,
      codec_type: 'AUTO',
      // Paths are normalised before routing and before ext_authz sees them, as Istio does.
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
      use_remote_address: options.remoteAddress,
      route_config: { name: statPrefix, virtual_hosts: [{ name: statPrefix, domains: ['*'], routes }] },
      http_filters: [...filters, { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE('envoy.extensions.filters.http.router.v3.Router') } }],
    },
  };
}

/** envoy.type.v3.StatusCode names for the statuses statusOnError may take here. */
const STATUS_CODE_NAMES: Record<number, string> = { 403: 'Forbidden', 503: 'ServiceUnavailable' };

function extAuthzFilter(options: EnvoyOptions) {
  return {
    name: 'envoy.filters.http.ext_authz',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'),
      transport_api_version: 'V3',
      // The login service failing or unreachable → statusOnError, never let requests through.
      failure_mode_allow: false,
      status_on_error: { code: STATUS_CODE_NAMES[EXT_AUTHZ_DEFAULTS.statusOnError] },
      allowed_headers: exact(EXT_AUTHZ_DEFAULTS.includeRequestHeadersInCheck),
      http_service: {
        server_uri: {
          uri: `http://${options.host}:${options.servicePorts['login-service']}`,
          cluster: 'login-service',
          timeout: `${EXT_AUTHZ_DEFAULTS.timeoutMs / 1000}s`,
        },
        path_prefix: EXT_AUTHZ_DEFAULTS.pathPrefix,
        authorization_response: {
          allowed_upstream_headers: exact(EXT_AUTHZ_DEFAULTS.headersToUpstreamOnAllow),
          allowed_client_headers_on_success: exact(EXT_AUTHZ_DEFAULTS.headersToDownstreamOnAllow),
          allowed_client_headers: exact(EXT_AUTHZ_DEFAULTS.headersToDownstreamOnDeny),
        },
      },
    },
  };
}

function jwtProvider(options: EnvoyOptions, audiences: string[] | undefined) {
  return {
    issuer: options.jwt.issuer,
    ...(audiences ? { audiences } : {}),
    remote_jwks: {
      http_uri: { uri: options.jwt.jwksUri, cluster: 'identity-provider', timeout: '5s' },
      cache_duration: '300s',
    },
    from_headers: [{ name: 'Authorization', value_prefix: 'Bearer ' }],
    // Istio forwardOriginalToken / outputPayloadToHeader, and the claims for the plugin.
    forward: true,
    forward_payload_header: JWT_PAYLOAD_HEADER,
    payload_in_metadata: JWT_PAYLOAD_METADATA_KEY,
  };
}

function jwtAuthnFilter(options: EnvoyOptions) {
  return {
    name: 'envoy.filters.http.jwt_authn',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'),
      providers: { 'id-token': jwtProvider(options, options.jwt.audiences) },
      // RequestAuthentication semantics: no token is allowed (the policy decides), a bad one is 401.
      rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'id-token' }, { allow_missing: {} }] } } }],
    },
  };
}

function m2mJwtFilter(options: EnvoyOptions) {
  const guarded = ROUTES.filter((r) => r.listener === 'internal' && r.requireM2mToken);
  return {
    name: 'envoy.filters.http.jwt_authn',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'),
      // Client-credentials access tokens carry client_id, not aud: no audience check.
      providers: { 'm2m-access-token': jwtProvider(options, undefined) },
      rules: guarded.flatMap((r) => [
        { match: { path: r.prefix }, requires: { provider_name: 'm2m-access-token' } },
        { match: { prefix: `${r.prefix}/` }, requires: { provider_name: 'm2m-access-token' } },
      ]),
    },
  };
}

/**
 * jwt_authn on the internal listener checks issuer and signature only, which a user's ID token from
 * the same pool also passes. This RBAC filter adds what the cluster's AuthorizationPolicy and the Node
 * gateway's M2M verifier require of a client-credentials token: `token_use: access` and the
 * onboarding scope, read from the verified claims jwt_authn put in its metadata.
 */
function m2mRbacFilter() {
  // sourced_metadata, not the deprecated Principal.metadata; the source defaults to DYNAMIC, where jwt_authn writes.
  const claim = (name: string, match: Record<string, unknown>) => ({
    sourced_metadata: {
      metadata_matcher: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: JWT_PAYLOAD_METADATA_KEY }, { key: name }], value: { string_match: match } },
    },
  });
  const paths = (routes: Route[]) => ({
    or_rules: { rules: routes.flatMap((r) => [{ url_path: { path: { exact: r.prefix } } }, { url_path: { path: { prefix: `${r.prefix}/` } } }]) },
  });
  const internal = ROUTES.filter((r) => r.listener === 'internal');
  const guarded = internal.filter((r) => r.requireM2mToken);
  const open = internal.filter((r) => !r.requireM2mToken);
  const scope = ONBOARDING_SCOPE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const policies: Record<string, unknown> = {
    'm2m-access-token': {
      permissions: [paths(guarded)],
      principals: [{ and_ids: { ids: [claim('token_use', { exact: 'access' }), claim('scope', { safe_regex: { regex: `(^| )${scope}( |$)` } })] } }],
    },
  };
  if (open.length > 0) policies['internal-open'] = { permissions: [paths(open)], principals: [{ any: true }] };
  return {
    name: 'envoy.filters.http.rbac',
    typed_config: { '@type': TYPE('envoy.extensions.filters.http.rbac.v3.RBAC'), rules: { action: 'ALLOW', policies } },
  };
}

function wasmFilter(options: EnvoyOptions) {
  return {
    name: 'envoy.filters.http.wasm',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.wasm.v3.Wasm'),
      config: {
        name: 'org-context',
        // A VM that fails to start or configure rejects requests (Istio FAIL_CLOSE); replaces the deprecated fail_open.
        failure_policy: 'FAIL_CLOSED',
        vm_config: {
          vm_id: 'org-context',
          runtime: 'envoy.wasm.runtime.v8',
          code: { local: { filename: options.wasm.filename } },
          environment_variables: {
            // Secrets come from Envoy's own environment (valueFrom: HOST), the rest inline.
            host_env_keys: [...HOST_ENV_SETTINGS],
            key_values: { ...options.wasm.env },
          },
        },
      },
    },
  };
}

export function envoyBootstrap(options: EnvoyOptions = defaultEnvoyOptions()): Record<string, unknown> {
  for (const name of HOST_ENV_SETTINGS) {
    if (name in options.wasm.env) throw new Error(`${name} is a secret: it comes from the environment, never inline`);
  }
  const { host, ports } = options;
  return {
    admin: { address: socket('127.0.0.1', ports.admin) },
    static_resources: {
      listeners: [
        {
          name: 'http',
          address: socket(host, ports.http),
          filter_chains: [
            {
              filters: [
                httpConnectionManager('http', [{ name: 'https-redirect', match: { prefix: '/' }, redirect: { https_redirect: true, port_redirect: ports.https, response_code: 'MOVED_PERMANENTLY' } }], [], { remoteAddress: true }),
              ],
            },
          ],
        },
        {
          name: 'https',
          address: socket(host, ports.https),
          filter_chains: [
            {
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: {
                  '@type': TYPE('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'),
                  common_tls_context: {
                    tls_certificates: [{ certificate_chain: { filename: options.tls.certificateChain }, private_key: { filename: options.tls.privateKey } }],
                    alpn_protocols: ['h2', 'http/1.1'],
                  },
                },
              },
              filters: [httpConnectionManager('https', envoyRoutes('external'), [extAuthzFilter(options), jwtAuthnFilter(options), wasmFilter(options)], { remoteAddress: true })],
            },
          ],
        },
        {
          name: 'internal',
          address: socket(host, ports.internal),
          filter_chains: [{ filters: [httpConnectionManager('internal', envoyRoutes('internal'), [m2mJwtFilter(options), m2mRbacFilter()], { remoteAddress: false })] }],
        },
      ],
      clusters: SERVICES.map((s) => cluster(s.name, host, options.servicePorts[s.name])),
    },
  };
}

export const ENVOY_FILE = 'envoy/envoy.yaml';

/** A bootstrap as YAML, with the header that says where it comes from. */
export function toEnvoyYaml(bootstrap: Record<string, unknown>): string {
  return (
    '# Generated by `oc-edge render` from src/topology (scripts/lib/envoy/bootstrap.ts). Do not edit.\n' +
    `# Run it with \`oc-edge envoy\` (Envoy from \`${INSTALL_COMMAND}\` or ENVOY_PATH, through func-e); ORG_COOKIE_SECRETS comes from the environment.\n` +
    stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false })
  );
}

export function envoyYaml(options?: EnvoyOptions): string {
  return toEnvoyYaml(envoyBootstrap(options));
}
