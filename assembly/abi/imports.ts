// The host functions this module imports: Proxy-Wasm ABI 0.2.1 (`env.proxy_*`) and the few WASI
// calls Envoy implements. Nothing else may be imported, or Envoy refuses to load the module.

export const enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  Unimplemented = 12,
}

export const enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

export const enum HeaderMapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
}

export const enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  VmConfiguration = 6,
  PluginConfiguration = 7,
}

export const enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** What a stream callback tells the host to do next. */
export const enum FilterHeadersStatus {
  Continue = 0,
  StopIteration = 1,
}

// @ts-ignore: decorator
@external('env', 'proxy_log')
export declare function proxy_log(level: u32, message: usize, length: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_get_log_level')
export declare function proxy_get_log_level(levelOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_get_buffer_bytes')
export declare function proxy_get_buffer_bytes(bufferType: u32, start: u32, maxSize: u32, dataOut: usize, sizeOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_get_header_map_pairs')
export declare function proxy_get_header_map_pairs(mapType: u32, dataOut: usize, sizeOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_get_header_map_value')
export declare function proxy_get_header_map_value(mapType: u32, key: usize, keyLen: usize, valueOut: usize, sizeOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_get_header_map_size')
export declare function proxy_get_header_map_size(mapType: u32, sizeOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_add_header_map_value')
export declare function proxy_add_header_map_value(mapType: u32, key: usize, keyLen: usize, value: usize, valueLen: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_replace_header_map_value')
export declare function proxy_replace_header_map_value(mapType: u32, key: usize, keyLen: usize, value: usize, valueLen: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_remove_header_map_value')
export declare function proxy_remove_header_map_value(mapType: u32, key: usize, keyLen: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_get_property')
export declare function proxy_get_property(path: usize, pathLen: usize, dataOut: usize, sizeOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_define_metric')
export declare function proxy_define_metric(metricType: u32, name: usize, nameLen: usize, idOut: usize): u32;

// @ts-ignore: decorator
@external('env', 'proxy_increment_metric')
export declare function proxy_increment_metric(metricId: u32, offset: i64): u32;

// @ts-ignore: decorator
@external('env', 'proxy_record_metric')
export declare function proxy_record_metric(metricId: u32, value: u64): u32;

// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'environ_sizes_get')
export declare function environ_sizes_get(countOut: usize, bufSizeOut: usize): u16;

// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'environ_get')
export declare function environ_get(environ: usize, environBuf: usize): u16;

// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'clock_time_get')
export declare function clock_time_get(clockId: u32, precision: u64, timeOut: usize): u16;
