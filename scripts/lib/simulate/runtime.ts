// One request API, two runtimes: the same request through the Node host (src/host) or through a
// real Envoy process running the module as Istio configures a WasmPlugin. Suites and `oc-edge
// simulate` talk to this interface only, so a scenario written once runs on both; OC_RUNTIME picks.
import type { FailStrategy, HeaderList, HostLog, LogLevel } from '../../../src/host/index.ts';

export const RUNTIME_KINDS = ['node', 'envoy'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];
/** The setting a suite's runtime is chosen by. */
export const RUNTIME_SETTING = 'OC_RUNTIME';

export interface RuntimeOptions {
  /** A path to the .wasm module (Envoy loads it from a file). */
  wasm: string;
  /** The WasmPlugin's env: secrets (HOST_ENV_SETTINGS) travel as host_env_keys, the rest as key_values. */
  env?: Record<string, string>;
  /** The plugin configuration; an object is serialised as JSON. */
  pluginConfig?: string | object;
  /** Envoy's `wasm` logger level (default info). */
  logLevel?: LogLevel;
  failStrategy?: FailStrategy;
  /** Worker threads (Envoy --concurrency; Node: one VM each). Default 1. */
  workers?: number;
  /**
   * Whether results carry the request's log lines (default true). Envoy's log arrives apart from
   * the response, so collecting it costs a short wait per request; fast loops turn it off.
   */
  requestLogs?: boolean;
}

/** What both runtimes can express: a request as a client sends it, and the verified JWT claims. */
export interface RuntimeRequest {
  method?: string;
  path?: string;
  /** :authority; defaults to the `host` header, else "localhost". */
  authority?: string;
  /** Header names and values as Node's http module holds them (latin1 byte strings), in order. */
  headers?: HeaderList;
  /** Verified JWT claims: metadata['envoy.filters.http.jwt_authn'].payload, as jwt_authn sets it. */
  jwtPayload?: object;
}

export interface RuntimeLocalResponse {
  status: number;
  /** Envoy's response code details (the plugin's `details` argument). */
  details: string;
  body: string;
}

export interface RuntimeResult {
  /**
   * The request headers as the filter chain hands them to the upstream, pseudo-headers first
   * (`:authority :path :method :scheme`, as src/host reports them). For a local response Node
   * reports them as the filter left them, Envoy (whose upstream saw nothing) an empty list.
   */
  headers: HeaderList;
  localResponse: RuntimeLocalResponse | null;
  /** The plugin's log lines written while this request ran (Envoy: empty with requestLogs false). */
  logs: HostLog[];
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /** Log lines from loading and configuring the plugin. */
  readonly startupLogs: HostLog[];
  request(input?: RuntimeRequest): Promise<RuntimeResult>;
  /** The module's own metrics by the name it defined them with (Envoy's `wasmcustom.` prefix removed). */
  metrics(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A request field the chosen runtime cannot express (e.g. a worker choice in Envoy). */
export class RuntimeUnsupportedError extends Error {
  override name = 'RuntimeUnsupportedError';
}

/** The runtime a setting asks for (default node); anything else is an error naming the setting. */
export function runtimeKind(env: Readonly<Record<string, string | undefined>> = process.env): RuntimeKind {
  const value = env[RUNTIME_SETTING] || 'node';
  if (!(RUNTIME_KINDS as readonly string[]).includes(value)) throw new Error(`${RUNTIME_SETTING} must be one of ${RUNTIME_KINDS.join(', ')} (got ${JSON.stringify(value.slice(0, 20))})`);
  return value as RuntimeKind;
}

/**
 * Starts a runtime. Throws PluginConfigError (src/host) when the plugin refuses its configuration,
 * in either runtime, with the plugin's own critical line as the message.
 */
export async function createRuntime(kind: RuntimeKind, options: RuntimeOptions): Promise<Runtime> {
  if (kind === 'node') return (await import('./runtime-node.ts')).createNodeRuntime(options);
  return (await import('./runtime-envoy.ts')).createEnvoyRuntime(options);
}
