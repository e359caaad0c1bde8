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

function define(name: string): i64 {
  const bytes = utf8(name);
  return defineCounter(changetype<usize>(bytes), bytes.length);
}

export function defineMetrics(): void {
  if (defined) return;
  defined = true;
  requests = define('org_context.requests');
  cookieValid = define('org_context.cookie_valid');
  cookieInvalid = define('org_context.cookie_invalid');
  cookieAbsent = define('org_context.cookie_absent');
  fallbackUsed = define('org_context.fallback_used');
  membershipRejected = define('org_context.membership_rejected');
  spoofedHeaderRemoved = define('org_context.spoofed_header_removed');
}

// @ts-ignore: decorator
@inline export function count(metric: i64): void {
  incrementCounter(metric);
}
