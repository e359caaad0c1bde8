// The Proxy-Wasm host's public API: run any ABI 0.2.1 module with Envoy's semantics.
export { createHost } from './plugin.ts';
export { JWT_METADATA_NAMESPACE as JWT_AUTHN_NAMESPACE } from '../topology/waypoint.ts';
export { HostError, ModuleRejectedError, PluginConfigError, PluginStartError } from './errors.ts';
export { Status, MapType, BufferType, MetricType, LOG_LEVELS } from './abi.ts';
export { encodePairs, readPairs } from './pairs.ts';
export type { FailStrategy, HeaderList, HostLog, HostOptions, LocalResponse, LogLevel, Plugin, RequestInput, RequestResult } from './types.ts';
