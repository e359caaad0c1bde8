// A bench-only module that makes one kind of host call, a configured number of times, on every
// request and nothing else (bench/README.md): the Envoy bench runs it under several
// configurations next to the no-op module, so the difference is what that call costs in Envoy.
// Its pluginConfig is `<kind> <count>`, e.g. `get-cookie 16`; see KINDS for the kinds.
//
// Every 64th request it also times its calls with the monotonic clock and keeps the fastest batch
// in the gauge `host_call_probe.<kind>_<count>.min_ns`: the cost of the calls themselves, warm and
// undisturbed, which the shared machine's load cannot inflate (the minimum of hundreds of batches).
// The two clock reads of those requests add ≈ 0.01 µs to the mean, below the CPU figure's noise.
import { HttpContext, registerRootContext, RootContext } from '../../assembly/abi/context';
import {
  addHeader,
  defineCounter,
  getBufferBytes,
  getHeaderPairs,
  getHeaderValue,
  getProperty,
  incrementCounter,
  removeHeader,
  replaceHeader,
  resultData,
  resultSize,
} from '../../assembly/abi/host';
import {
  BufferType,
  clock_time_get,
  FilterHeadersStatus,
  HeaderMapType,
  MetricType,
  proxy_define_metric,
  proxy_get_header_map_size,
  proxy_get_log_level,
  proxy_record_metric,
} from '../../assembly/abi/imports';
import { Bytes, utf8 } from '../../assembly/bytes';
import { JWT_CLAIM_PROPERTY_PREFIX } from '../../assembly/filter/generated/settings';

export * from '../../assembly/abi/exports';

const enum Kind {
  None,
  /** proxy_get_log_level: the cheapest call there is, the bare wasm → host → wasm round trip. */
  LogLevel,
  /** proxy_increment_metric of one counter. */
  Increment,
  /** proxy_get_header_map_pairs of the request headers (Envoy calls malloc and copies them all). */
  Pairs,
  /** proxy_get_header_map_value of `cookie` (present: malloc and one copy). */
  GetCookie,
  /** proxy_get_header_map_value of a name the request does not have. */
  GetAbsent,
  /** proxy_get_header_map_size of the request headers. */
  Size,
  /** proxy_replace_header_map_value of a name the request does not have. */
  Replace,
  /** proxy_add_header_map_value of a name the request does not have. */
  Add,
  /** proxy_remove_header_map_value of a name the request does not have. */
  RemoveAbsent,
  /** proxy_get_property of the JWT claim path (absent without jwt_authn, as in the bench). */
  Property,
}

const KINDS: string[] = ['', 'log-level', 'increment', 'pairs', 'get-cookie', 'get-absent', 'size', 'replace', 'add', 'remove-absent', 'property'];

const COOKIE = utf8('cookie');
const ABSENT = utf8('x-currently-selected-organisation');
const VALUE = utf8('org-beta');
const CLAIM_PATH = utf8(JWT_CLAIM_PROPERTY_PREFIX + 'organisations');
// Distinct names, so that repeated adds and replaces each write a new entry, as the filter's do.
const NAMES: Bytes[] = [];
for (let i = 0; i < 16; i++) NAMES.push(utf8('x-probe-header-' + i.toString()));
const MAX_COUNT = 16;

let kind = Kind.None;
let count = 0;
let counter: i64 = -1;
let minGauge: u32 = 0;
let hasGauge = false;
let fastest: u64 = u64.MAX_VALUE;
let requests: u32 = 0;
const TIMED_EVERY: u32 = 64;
// @ts-ignore: decorator
@lazy const OUT: usize = memory.data(8, 8);
// @ts-ignore: decorator
@lazy const CLOCK: usize = memory.data(8, 8);

function monotonicNanos(): u64 {
  clock_time_get(1, 1, CLOCK);
  return load<u64>(CLOCK);
}

/** `<kind> <count>`; false (the plugin refused) for anything else. */
function configure(text: string): bool {
  const space = text.indexOf(' ');
  if (space < 0) return false;
  const found = KINDS.indexOf(text.substring(0, space));
  const n = I32.parseInt(text.substring(space + 1));
  if (found <= 0 || n < 1 || n > MAX_COUNT) return false;
  kind = found;
  count = n;
  return true;
}

function call(i: i32): void {
  const map = HeaderMapType.RequestHeaders;
  switch (kind) {
    case Kind.LogLevel:
      proxy_get_log_level(OUT);
      break;
    case Kind.Increment:
      incrementCounter(counter);
      break;
    case Kind.Pairs:
      getHeaderPairs(map);
      break;
    case Kind.GetCookie:
      getHeaderValue(map, changetype<usize>(COOKIE), COOKIE.length);
      break;
    case Kind.GetAbsent:
      getHeaderValue(map, changetype<usize>(ABSENT), ABSENT.length);
      break;
    case Kind.Size:
      proxy_get_header_map_size(map, OUT);
      break;
    case Kind.Replace: {
      const name = unchecked(NAMES[i]);
      replaceHeader(map, changetype<usize>(name), name.length, changetype<usize>(VALUE), VALUE.length);
      break;
    }
    case Kind.Add: {
      const name = unchecked(NAMES[i]);
      addHeader(map, changetype<usize>(name), name.length, changetype<usize>(VALUE), VALUE.length);
      break;
    }
    case Kind.RemoveAbsent:
      removeHeader(map, changetype<usize>(ABSENT), ABSENT.length);
      break;
    case Kind.Property:
      getProperty(changetype<usize>(CLAIM_PATH), CLAIM_PATH.length);
      break;
  }
}

class ProbeHttp extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): FilterHeadersStatus {
    if (++requests % TIMED_EVERY != 0 || !hasGauge) {
      for (let i = 0; i < count; i++) call(i);
      return FilterHeadersStatus.Continue;
    }
    const start = monotonicNanos();
    for (let i = 0; i < count; i++) call(i);
    const elapsed = monotonicNanos() - start;
    if (elapsed < fastest) {
      fastest = elapsed;
      proxy_record_metric(minGauge, elapsed);
    }
    return FilterHeadersStatus.Continue;
  }
}

class ProbeRoot extends RootContext {
  private pool: ProbeHttp[] = [];

  onConfigure(configurationSize: u32): bool {
    if (configurationSize == 0 || !getBufferBytes(BufferType.PluginConfiguration, 0, configurationSize)) return false;
    if (!configure(String.UTF8.decodeUnsafe(resultData, <usize>resultSize))) return false;
    if (counter < 0) {
      const name = utf8('host_call_probe.calls');
      counter = defineCounter(changetype<usize>(name), name.length);
      const gauge = utf8('host_call_probe.' + KINDS[kind] + '_' + count.toString() + '.min_ns');
      hasGauge = proxy_define_metric(MetricType.Gauge, changetype<usize>(gauge), gauge.length, OUT) == 0;
      minGauge = load<u32>(OUT);
    }
    return true;
  }

  createHttpContext(id: u32): HttpContext {
    // Recycled, as the filter does: the stub runtime never frees.
    return this.pool.length > 0 ? this.pool.pop() : new ProbeHttp();
  }

  releaseHttpContext(context: HttpContext): void {
    this.pool.push(changetype<ProbeHttp>(context));
  }
}

registerRootContext((id: u32): RootContext => new ProbeRoot(id));
