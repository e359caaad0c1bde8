// Numbers and names fixed by Proxy-Wasm ABI 0.2.1 as Envoy implements it (see docs/host.md).

/** Status codes returned by host functions. */
export const Status = {
  OK: 0,
  NOT_FOUND: 1,
  BAD_ARGUMENT: 2,
  SERIALIZATION_FAILURE: 3,
  PARSE_FAILURE: 4,
  INVALID_MEMORY_ACCESS: 6,
  EMPTY: 7,
  CAS_MISMATCH: 8,
  INTERNAL_FAILURE: 10,
  UNIMPLEMENTED: 12,
} as const;

export const MapType = {
  REQUEST_HEADERS: 0,
  REQUEST_TRAILERS: 1,
  RESPONSE_HEADERS: 2,
  RESPONSE_TRAILERS: 3,
  GRPC_RECEIVE_INITIAL_METADATA: 4,
  GRPC_RECEIVE_TRAILING_METADATA: 5,
  HTTP_CALL_RESPONSE_HEADERS: 6,
  HTTP_CALL_RESPONSE_TRAILERS: 7,
} as const;

export const BufferType = {
  REQUEST_BODY: 0,
  RESPONSE_BODY: 1,
  DOWNSTREAM_DATA: 2,
  UPSTREAM_DATA: 3,
  HTTP_CALL_RESPONSE_BODY: 4,
  GRPC_RECEIVE_BUFFER: 5,
  VM_CONFIGURATION: 6,
  PLUGIN_CONFIGURATION: 7,
} as const;

export const MetricType = { COUNTER: 0, GAUGE: 1, HISTOGRAM: 2 } as const;

/** Filter header/body callback results. */
export const Action = { CONTINUE: 0, PAUSE: 1 } as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The export whose presence declares the ABI version; Envoy refuses modules without one. */
export const ABI_MARKER = 'proxy_abi_version_0_2_1';
export const OTHER_ABI_MARKERS = ['proxy_abi_version_0_1_0', 'proxy_abi_version_0_2_0'];

/** Envoy's limits on serialized pairs (proxy-wasm-cpp-host limits.h). */
export const PAIRS_MAX_BYTES = 1024 * 1024;
export const PAIRS_MAX_COUNT = 1024;

/** WASI errno values the host returns. */
export const Errno = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOSYS: 52,
  NOTSUP: 58,
  SPIPE: 70,
  NOTCAPABLE: 76,
} as const;
