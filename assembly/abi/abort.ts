// AssemblyScript's `abort` (failed assertion, out-of-bounds access, out of memory) routed to
// Envoy's logger followed by a trap, instead of the `env.abort` import Envoy does not provide.
// The message is copied byte by byte into static memory: an abort may come from the allocator
// itself, so this path must not allocate.
import { proxy_log, LogLevel } from './imports';

const CAPACITY: i32 = 512;
// @ts-ignore: decorator
@lazy const BUFFER: usize = memory.data(512);
let length: i32 = 0;
let aborting = false;

function append(text: string | null): void {
  if (text === null) return;
  const n = text.length;
  for (let i = 0; i < n && length < CAPACITY; i++) {
    const c = text.charCodeAt(i);
    // ASCII as is, anything else as `?`: this is a diagnostic, not data.
    store<u8>(BUFFER + <usize>length, <u8>(c < 0x20 || c > 0x7e ? 0x3f : c));
    length++;
  }
}

function appendNumber(value: u32): void {
  let divisor: u32 = 1;
  while (value / divisor >= 10) divisor *= 10;
  while (divisor > 0 && length < CAPACITY) {
    store<u8>(BUFFER + <usize>length, <u8>(0x30 + (value / divisor) % 10));
    length++;
    divisor /= 10;
  }
}

export function onAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (!aborting) {
    aborting = true;
    length = 0;
    append('org-context: abort: ');
    append(message);
    append(' at ');
    append(fileName);
    append(':');
    appendNumber(line);
    append(':');
    appendNumber(column);
    proxy_log(LogLevel.Critical, BUFFER, <usize>length);
  }
  unreachable();
}
