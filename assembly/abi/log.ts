// Logging through Envoy's logger (`proxy_log`). Request-path callers pass bytes prepared once;
// strings are for configuration-time messages only.
import { proxy_log, LogLevel } from './imports';

export function logBytes(level: LogLevel, message: usize, length: i32): void {
  proxy_log(level, message, <usize>length);
}

/** Logs a string (converted to UTF-8). Not for the request path. */
export function logString(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  proxy_log(level, changetype<usize>(bytes), <usize>bytes.byteLength);
}
