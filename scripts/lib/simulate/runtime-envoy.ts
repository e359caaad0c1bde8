// The Envoy runtime: a real Envoy process (found as every command finds it, run through func-e)
// with one listener whose filter chain is jwt_authn → the Wasm filter exactly as Istio configures a
// WasmPlugin → router, in front of an upstream that echoes the request it got. A request goes over
// HTTP/1.1 with its headers in the given order (duplicates kept); the result is what the upstream
// received, or Envoy's local reply. Metrics come from admin /stats, logs from Envoy's own log.
//
// jwt_authn is the real filter with a local JWKS (a key made per runtime): a request with
// jwtPayload carries a token signed with it, so the claims reach the module exactly as Envoy's
// jwt_authn writes them into dynamic metadata (payload_in_metadata), JSON→Struct conversion
// included; a copied Struct (set_metadata) would skip the conversion the filter actually reads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { PluginConfigError, PluginStartError, type HeaderList, type HostLog, type LogLevel } from '../../../src/host/index.ts';
import { HOST_ENV_SETTINGS } from '../../../src/topology/plugin-settings.ts';
import { JWT_PAYLOAD_METADATA_KEY } from '../../../src/topology/waypoint.ts';
import { locateEnvoy } from '../envoy/locate.ts';
import { TYPE, anyHost, httpConnectionManager, listener, routerFilter, socket, staticCluster } from '../envoy/shapes.ts';
import { startEnvoy, type RunningEnvoy } from '../envoy/process.ts';
import { istioWasmPluginFilter } from './istio-wasm-filter.ts';
import { startEchoUpstream, ECHO_MARK, type EchoedRequest } from './echo-upstream.ts';
import { createJwtSigner } from './jwt-signer.ts';
import { rawHttpClient } from './raw-http-client.ts';
import { RuntimeUnsupportedError, type Runtime, type RuntimeOptions, type RuntimeRequest, type RuntimeResult } from './runtime.ts';

const LISTENER = 'oc-runtime';
const JWT_PROVIDER = 'oc-runtime';
/** The response header the local reply mapper writes Envoy's %RESPONSE_CODE_DETAILS% into. */
const DETAILS_HEADER = 'x-oc-response-code-details';
/** Request fields of src/host's RequestInput that a client of a real Envoy cannot set. */
const NODE_ONLY_FIELDS = ['worker', 'skipHeaders', 'metadata', 'sourceAddress', 'responseHeaders', 'body', 'scheme'];
/** How long Envoy's log must stay quiet after a response before a request's log lines are taken. */
const LOG_SETTLE_MS = 25;
const LOG_SETTLE_MAX_MS = 500;

/** Envoy's wasm logger level names (spdlog's), from the host's. */
const ENVOY_LEVEL: Record<LogLevel, string> = { trace: 'trace', debug: 'debug', info: 'info', warn: 'warning', error: 'error', critical: 'critical' };
const HOST_LEVEL: Record<string, LogLevel> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', error: 'error', critical: 'critical' };

/** Envoy's log line format for the runtime: level, logger, message — one line each. */
const LOG_FORMAT = '[%l][%n] %v';

/**
 * The runtime's Envoy. `directResponse`: the route answers 200 itself instead of the echo upstream
 * (for load: the filter still runs on every request, the upstream is no bottleneck).
 */
export function envoyRuntimeBootstrap(options: { wasm: string; upstreamPort: number; jwks: string; filter: Parameters<typeof istioWasmPluginFilter>[1]; directResponse?: boolean }): Record<string, unknown> {
  const route = options.directResponse ? { direct_response: { status: 200, body: { inline_string: 'ok' } } } : { route: { cluster: 'echo', timeout: '0s' } };
  const manager = httpConnectionManager({
    statPrefix: 'oc_runtime',
    settings: {
      // The request the module sees is the client's: no id added before it runs.
      generate_request_id: false,
      local_reply_config: {
        mappers: [
          {
            // Every local reply (any status): tell the client Envoy's details for it.
            filter: { status_code_filter: { comparison: { op: 'GE', value: { default_value: 0, runtime_key: 'oc_runtime.local_reply_min' } } } },
            headers_to_add: [{ header: { key: DETAILS_HEADER, value: '%RESPONSE_CODE_DETAILS%' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          },
        ],
      },
    },
    routeConfig: { name: LISTENER },
    virtualHosts: [anyHost(LISTENER, [{ match: { prefix: '/' }, ...route }])],
    httpFilters: [
      {
        name: 'envoy.filters.http.jwt_authn',
        typed_config: {
          '@type': TYPE('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'),
          // jwt_cache_config: a token seen before is not verified again (Envoy's own cache), as in production.
          providers: { [JWT_PROVIDER]: { local_jwks: { inline_string: options.jwks }, payload_in_metadata: JWT_PAYLOAD_METADATA_KEY, forward: false, jwt_cache_config: { jwt_cache_size: 1000 } } },
          // A token is optional (the request API's jwtPayload is), but a present one must verify.
          rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: JWT_PROVIDER }, { allow_missing: {} }] } } }],
        },
      },
      istioWasmPluginFilter(options.wasm, options.filter),
    ],
    router: routerFilter({ suppress_envoy_headers: true }),
  });
  return {
    admin: { address: socket('127.0.0.1', 0) },
    static_resources: {
      listeners: [listener(LISTENER, socket('127.0.0.1', 0), manager)],
      clusters: [staticCluster('echo', '127.0.0.1', options.upstreamPort)],
    },
  };
}

/** The plugin's lines in Envoy's log (LOG_FORMAT), from `text`. */
export function wasmLogLines(text: string): HostLog[] {
  const logs: HostLog[] = [];
  for (const line of text.split('\n')) {
    // Envoy: "wasm log <plugin name> <root id> <vm id>: <message>" (empty ids collapse).
    const match = /^\[(\w+)\]\[wasm\] wasm log[^:]*: (.*)$/.exec(line);
    if (match && HOST_LEVEL[match[1]!]) logs.push({ level: HOST_LEVEL[match[1]!]!, message: match[2]! });
  }
  return logs;
}

function splitEnv(env: Record<string, string>): { keyValues: Record<string, string>; hostEnv: Record<string, string> } {
  const keyValues: Record<string, string> = {};
  const hostEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) (HOST_ENV_SETTINGS.includes(key) ? hostEnv : keyValues)[key] = value;
  return { keyValues, hostEnv };
}

/** Waits until Envoy's output has not grown for LOG_SETTLE_MS (bounded), so a request's last lines are in. */
async function settled(envoy: RunningEnvoy): Promise<void> {
  const deadline = Date.now() + LOG_SETTLE_MAX_MS;
  let length = envoy.output.length();
  let quietSince = Date.now();
  while (Date.now() < deadline && Date.now() - quietSince < LOG_SETTLE_MS) {
    await sleep(5);
    if (envoy.output.length() !== length) {
      length = envoy.output.length();
      quietSince = Date.now();
    }
  }
}

function parseEcho(body: string): EchoedRequest | undefined {
  try {
    const value = JSON.parse(body) as EchoedRequest;
    return typeof value.method === 'string' && typeof value.url === 'string' && Array.isArray(value.headers) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The echoed request in the host's shape: pseudo-headers first, then the headers as received. */
function asFilterOutput(echoed: EchoedRequest): HeaderList {
  const host = echoed.headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '';
  const rest = echoed.headers.filter(([name]) => name.toLowerCase() !== 'host');
  // HTTP/1.1 carries :authority as host; the listener is plaintext, so :scheme was http.
  return [[':authority', host], [':path', echoed.url], [':method', echoed.method], [':scheme', 'http'], ...rest];
}

/** The Envoy runtime also hands out its Envoy, for suites that read the admin API, pid or log. */
export interface EnvoyRuntime extends Runtime {
  readonly envoy: RunningEnvoy;
  /** The listener's port, for load beyond one request at a time. */
  readonly port: number;
  /** A token jwt_authn accepts, carrying `claims`. */
  token(claims: object): string;
}

export async function createEnvoyRuntime(options: RuntimeOptions & { directResponse?: boolean }): Promise<EnvoyRuntime> {
  const found = locateEnvoy();
  const dir = mkdtempSync(join(tmpdir(), 'oc-envoy-runtime-'));
  const upstream = await startEchoUpstream();
  const signer = createJwtSigner();
  const { keyValues, hostEnv } = splitEnv(options.env ?? {});
  const config = join(dir, 'envoy.yaml');
  const failurePolicy = options.failStrategy === 'FAIL_OPEN' ? 'FAIL_OPEN' : 'FAIL_CLOSED';
  const filter = { failurePolicy, keyValues, ...(options.pluginConfig !== undefined ? { pluginConfig: options.pluginConfig as string | Record<string, unknown> } : {}) } as const;
  writeFileSync(config, stringify(envoyRuntimeBootstrap({ wasm: resolve(options.wasm), upstreamPort: upstream.port, jwks: signer.jwks, filter, directResponse: options.directResponse })));
  const cleanup = async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  };

  let envoy: RunningEnvoy;
  try {
    envoy = await startEnvoy(found, {
      config,
      adminAddressFile: join(dir, 'admin-address.txt'),
      // func-e's per-run files go with the runtime's, not into the project's .tools.
      env: { ...hostEnv, FUNC_E_HOME: join(dir, 'func-e') },
      // A secret of the caller's own environment must not reach the module unasked.
      unsetEnv: HOST_ENV_SETTINGS.filter((name) => !(name in hostEnv)),
      logLevel: 'info',
      extraArgs: ['--concurrency', String(options.workers ?? 1), '--component-log-level', `wasm:${ENVOY_LEVEL[options.logLevel ?? 'info']}`, '--log-format', LOG_FORMAT],
    });
  } catch (error) {
    await cleanup();
    const logs = wasmLogLines((error as Error).message);
    // Envoy refused the plugin: the module's own critical line says why, as in the Node host.
    if (/Unable to create Wasm plugin/.test((error as Error).message)) {
      const critical = logs.find((log) => log.level === 'critical');
      if (critical) throw new PluginConfigError(critical.message, logs);
      throw new PluginStartError(`Envoy could not start the plugin:\n${(error as Error).message.slice(-2000)}`, logs);
    }
    throw error;
  }
  const running = envoy;
  const startupLogs = wasmLogLines(running.output.text());
  const port = await running.listenerPort(LISTENER);
  const client = rawHttpClient(port);

  const send = (input: RuntimeRequest) => {
    const headers: HeaderList = [...(input.headers ?? [])];
    const hasHost = headers.some(([name]) => name.toLowerCase() === 'host');
    if (input.authority !== undefined && hasHost) throw new RuntimeUnsupportedError('envoy runtime: both authority and a host header (HTTP/1.1 has only host)');
    if (!hasHost) headers.unshift(['host', input.authority ?? 'localhost']);
    if (input.jwtPayload) headers.push(['authorization', `Bearer ${signer.sign(input.jwtPayload)}`]);
    return client.send(input.method ?? 'GET', input.path ?? '/', headers);
  };

  return {
    kind: 'envoy',
    startupLogs,
    async request(input: RuntimeRequest = {}): Promise<RuntimeResult> {
      const unsupported = NODE_ONLY_FIELDS.filter((field) => (input as Record<string, unknown>)[field] !== undefined);
      if (unsupported.length > 0) throw new RuntimeUnsupportedError(`envoy runtime: a client cannot set ${unsupported.join(', ')}`);
      const from = running.output.length();
      const response = await send(input);
      let logs: HostLog[] = [];
      if (options.requestLogs !== false) {
        await settled(running);
        logs = wasmLogLines(running.output.text(from));
      }
      // The mark alone is not proof (a module's local reply may carry any header): the echo parses too.
      const echoed = response.headers[ECHO_MARK] !== undefined ? parseEcho(response.body) : undefined;
      if (echoed) return { headers: asFilterOutput(echoed), localResponse: null, logs };
      const details = String(response.headers[DETAILS_HEADER] ?? '');
      return { headers: [], localResponse: { status: response.status, details, body: response.body }, logs };
    },
    async metrics() {
      const text = await (await fetch(`${running.adminUrl}/stats?filter=${encodeURIComponent('^wasmcustom\\.')}`)).text();
      const metrics: Record<string, number> = {};
      for (const match of text.matchAll(/^wasmcustom\.(\S+): (\d+)$/gm)) metrics[match[1]!] = Number(match[2]);
      return metrics;
    },
    envoy: running,
    port,
    token: (claims) => signer.sign(claims),
    async close() {
      client.close();
      await running.stop();
      await cleanup();
    },
  };
}
