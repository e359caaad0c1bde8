// The filter's Envoy counters (shown in /stats as `wasmcustom.<name>`). Defined once per VM; a
// reconfiguration keeps counting on the same ids.
import { text, Text } from './messages';
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
  requests = define(text(Text.Requests));
  cookieValid = define(text(Text.CookieValid));
  cookieInvalid = define(text(Text.CookieInvalid));
  cookieAbsent = define(text(Text.CookieAbsent));
  fallbackUsed = define(text(Text.FallbackUsed));
  membershipRejected = define(text(Text.MembershipRejected));
  spoofedHeaderRemoved = define(text(Text.SpoofedHeaderRemoved));
}

// @ts-ignore: decorator
@inline export function count(metric: i64): void {
  incrementCounter(metric);
}
