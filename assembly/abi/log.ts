// Logging through Envoy's logger (`proxy_log`). Request-path callers pass bytes prepared once;
// strings are for configuration-time messages only.
import { proxy_log, LogLevel } from './imports';
import { utf8 } from '../bytes';

export function logBytes(level: LogLevel, message: usize, length: i32): void {
  proxy_log(level, message, <usize>length);
}

/** Logs a string (converted to UTF-8). Not for the request path. */
export function logString(level: LogLevel, message: string): void {
  const bytes = utf8(message);
  proxy_log(level, changetype<usize>(bytes), <usize>bytes.length);
}
