// The host's public types, shared by the gateway, the CLI and the tests.
import type { LogLevel } from './abi.ts';

export type { LogLevel };
export type HeaderList = [string, string][];

export interface HostLog {
  level: LogLevel;
  message: string;
}

export type FailStrategy = 'FAIL_CLOSE' | 'FAIL_OPEN';

export interface HostOptions {
  /** A path to a .wasm file, or its bytes. */
  wasm: string | Uint8Array;
  /** vmConfig.env key_values: the module's WASI environment. */
  env?: Record<string, string>;
  /** vmConfig.env host_env_keys: copied from this process's environment when present. */
  hostEnvKeys?: string[];
  /** The plugin configuration buffer; an object is serialised as JSON. */
  pluginConfig?: string | object;
  /** The VM configuration buffer (proxy_on_vm_start). */
  vmConfig?: string;
  /** Simulated Envoy worker threads, each with its own VM instance (default 1). */
  workers?: number;
  failStrategy?: FailStrategy;
  /** Envoy's `wasm` logger level (default info); lower levels are dropped, as in Envoy. */
  logLevel?: LogLevel;
  pluginName?: string;
  rootId?: string;
  vmId?: string;
  /** Called for every log line, in addition to collecting it (e.g. the gateway's logger). */
  onLog?: (log: HostLog) => void;
}

export interface RequestInput {
  method?: string;
  path?: string;
  /** :authority; defaults to the `host` header, else "localhost". */
  authority?: string;
  scheme?: string;
  /** Header names and values as Node's http module holds them (latin1 byte strings). */
  headers?: HeaderList;
  /** "ip:port" of the downstream peer (default 127.0.0.1:54321). */
  sourceAddress?: string;
  /** Dynamic metadata: filter_metadata namespace → JSON value (Struct). */
  metadata?: Record<string, unknown>;
  /** Shorthand for metadata["envoy.filters.http.jwt_authn"].payload. */
  jwtPayload?: object;
  /** Which worker VM serves the request (default: round robin). */
  worker?: number;
  /** An earlier filter answered the request: only create, log, done and delete run. */
  skipHeaders?: boolean;
  /** A request body, delivered whole to on_request_body (headers then see end_of_stream false). */
  body?: string | Uint8Array;
  /** Run the response-header callback too, with these response headers (":status" first). */
  responseHeaders?: HeaderList;
}

export interface LocalResponse {
  status: number;
  details: string;
  body?: string;
  headers?: HeaderList;
}

export interface RequestResult {
  /** The request headers as they leave the filter, pseudo-headers first. */
  headers: HeaderList;
  localResponse: LocalResponse | null;
  logs: HostLog[];
  action: 'continue' | 'pause';
  /** The request body after on_request_body, when `body` was given. */
  body?: Buffer;
  /** Response headers after the response callback, when `responseHeaders` was given. */
  responseHeaders?: HeaderList;
}

export interface Plugin {
  request(input?: RequestInput): RequestResult;
  /** Metric name (as defined by the module) → value; shared by all workers, as Envoy stats are. */
  metrics(): Record<string, number>;
  /** Linear memory size of a worker's VM, in bytes. */
  memoryBytes(worker?: number): number;
  /** Whether a worker's VM has failed (trapped). */
  failed(worker?: number): boolean;
  /** Logs written while loading and configuring (canary and workers). */
  readonly startupLogs: HostLog[];
  readonly workers: number;
  /** Runs proxy_on_tick on every worker (Envoy would on its timer). */
  tick(): HostLog[];
  close(): void;
}
