// The filter's Envoy counters (shown in /stats as `wasmcustom.<name>`). Defined once per VM; a
// reconfiguration keeps counting on the same ids.
import { defineCounter, incrementCounter } from '../abi/host';
import { utf8 } from '../bytes';

export let requests: i64 = -1;
export let cookieValid: i64 = -1;
export let cookieInvalid: i64 = -1;
export let cookieAbsent: i64 = -1;
export let fallbackUsed: i64 = -1;
export let membershipRejected: i64 = -1;
export let spoofedHeaderRemoved: i64 = -1;
let defined = false;

/** Defines counter `org_context.<name>` (the prefix kept once: module bytes are scarce). */
function define(name: string): i64 {
  const bytes = utf8('org_context.' + name);
  return defineCounter(changetype<usize>(bytes), bytes.length);
}

export function defineMetrics(): void {
  if (defined) return;
  defined = true;
  requests = define('requests');
  cookieValid = define('cookie_valid');
  cookieInvalid = define('cookie_invalid');
  cookieAbsent = define('cookie_absent');
  fallbackUsed = define('fallback_used');
  membershipRejected = define('membership_rejected');
  spoofedHeaderRemoved = define('spoofed_header_removed');
}

// @ts-ignore: decorator
@inline export function count(metric: i64): void {
  incrementCounter(metric);
}
