// The org-context filter on the ABI layer: the root context owns the configuration and the
// verified-cookie cache; a small HTTP context per request makes the decision (ORG-CONTEXT.md).
import { text, Text } from './messages';
import { arenaAlloc } from '../abi/arena';
import { HttpContext, RootContext } from '../abi/context';
import {
  addHeader,
  forEachEnvironmentVariable,
  getBufferBytes,
  getHeaderPairs,
  getProperty,
  nowNanos,
  removeHeader,
  replaceHeader,
  resultData,
  resultSize,
} from '../abi/host';
import { BufferType, FilterHeadersStatus, HeaderMapType, LogLevel } from '../abi/imports';
import { logBytes, logString } from '../abi/log';
import { byteLength, Bytes, copyBytes, decimal, sameBytes, utf8 } from '../bytes';
import { base64Decode, base64DecodedMaxLength } from '../crypto/base64';
import { findCookie, foundValueLength, foundValueStart } from '../parse/cookie';
import { findMember, isValidJson, kindAt, valueStart } from '../parse/json';
import { CookieCache, cachedFeatures, cachedIdLength, cachedIdStart } from './cookie-cache';
import { ConfigSource, FilterConfig, readConfig } from './config';
import {
  ENV_NAMES,
  FEATURES_HEADER_DEFAULT,
  JWT_CLAIM_PROPERTY_PREFIX,
  JWT_PAYLOAD_HEADER as JWT_PAYLOAD_HEADER_NAME,
  ORG_COOKIE_SECRETS_ENV,
  ORG_HEADER_DEFAULT,
} from './generated/settings';
import {
  clearMemberships,
  isMember,
  membershipCount,
  membershipLength,
  membershipPresent,
  membershipsFromJson,
  membershipsFromProperty,
  membershipStart,
} from './membership';
import * as metrics from './metrics';
import { CookieVerdict, verifiedIdLength, verifiedIdStart, verifyCookie } from './signed-cookie';
import { isValidId } from './syntax';

// Header names the request scan looks for (fixed ones; configured names live in the config).
const METHOD = utf8(':method');
const ORIGIN = utf8('origin');
const PREFLIGHT_METHOD = utf8('access-control-request-method');
const OPTIONS = utf8('OPTIONS');
const JWT_PAYLOAD_HEADER = utf8(JWT_PAYLOAD_HEADER_NAME);
const DEFAULT_ORG = utf8(ORG_HEADER_DEFAULT);
const DEFAULT_FEATURES = utf8(FEATURES_HEADER_DEFAULT);

/** Every log line of the filter starts so (kept once: module bytes are scarce). */
const LOG_PREFIX = 'org-context: ';

function rejected(reason: string): Bytes {
  return utf8(LOG_PREFIX + text(Text.CookieRejected) + reason);
}

// Log lines for rejected cookies, prepared once: never with the cookie's value.
const INVALID_MESSAGES: Bytes[] = [
  utf8(''),
  rejected(text(Text.MalformedEncoding)),
  rejected(text(Text.NotSigned)),
  rejected(text(Text.MalformedSignature)),
  rejected(text(Text.InvalidSignature)),
  rejected(text(Text.NotAnId)),
];
const LOG_INTERVAL_NANOS: u64 = 1_000_000_000;
let lastInvalidLog: u64 = 0;
let loggedInvalid = false;

const ENV_NAME_BYTES: Bytes[] = [];
for (let i = 0; i < ENV_NAMES.length; i++) ENV_NAME_BYTES.push(utf8(unchecked(ENV_NAMES[i])));
// The source being filled by collectEnv (a visitor cannot capture it).
let pendingSource: ConfigSource | null = null;

function collectEnv(key: usize, keyLen: i32, value: usize, valueLen: i32): void {
  const source = pendingSource;
  if (source === null) return;
  for (let i = 0; i < ENV_NAME_BYTES.length; i++) {
    if (isName(key, keyLen, unchecked(ENV_NAME_BYTES[i]))) {
      source.setEnv(unchecked(ENV_NAMES[i]), copyBytes(value, valueLen));
      return;
    }
  }
}

function isName(p: usize, len: i32, name: Bytes): bool {
  return len == name.length && sameBytes(p, changetype<usize>(name), len);
}

function logInvalid(verdict: CookieVerdict): void {
  const now = nowNanos();
  if (loggedInvalid && now - lastInvalidLog < LOG_INTERVAL_NANOS) return;
  loggedInvalid = true;
  lastInvalidLog = now;
  const message = unchecked(INVALID_MESSAGES[<i32>verdict]);
  logBytes(LogLevel.Warn, changetype<usize>(message), message.length);
}

export class OrgContextRoot extends RootContext {
  config: FilterConfig | null = null;
  cache: CookieCache = new CookieCache();
  /** `metadata\0filter_metadata\0envoy.filters.http.jwt_authn\0payload\0<claim>` */
  claimPath: Bytes = new StaticArray<u8>(0);
  /** scanLengths of the configuration. */
  scanLengths: u64 = 0;
  private pool: OrgContextHttp[] = [];

  onConfigure(configurationSize: u32): bool {
    const source = new ConfigSource();
    pendingSource = source;
    forEachEnvironmentVariable(collectEnv);
    pendingSource = null;
    if (configurationSize > 0 && getBufferBytes(BufferType.PluginConfiguration, 0, configurationSize)) {
      source.pluginConfig = copyBytes(resultData, resultSize);
    }
    const result = readConfig(source);
    // The secrets' raw bytes are not needed any more (only HMAC states are kept).
    const secrets = source.getEnv(ORG_COOKIE_SECRETS_ENV);
    if (secrets !== null) memory.fill(changetype<usize>(secrets), 0, <usize>secrets.length);
    const config = result.config;
    if (config === null) {
      logString(LogLevel.Critical, LOG_PREFIX + text(Text.InvalidConfiguration) + result.error);
      return false;
    }
    for (let i = 0; i < result.warnings.length; i++) {
      logString(LogLevel.Warn, LOG_PREFIX + unchecked(result.warnings[i]));
    }
    metrics.defineMetrics();
    // A new configuration may have new secrets: nothing verified under the old ones is kept.
    this.cache.reset(config.cacheSize);
    const claim = config.membershipClaim;
    if (claim !== null) {
      const prefix = utf8(JWT_CLAIM_PROPERTY_PREFIX);
      const path = new StaticArray<u8>(prefix.length + claim.length);
      memory.copy(changetype<usize>(path), changetype<usize>(prefix), <usize>prefix.length);
      memory.copy(changetype<usize>(path) + <usize>prefix.length, changetype<usize>(claim), <usize>claim.length);
      this.claimPath = path;
    }
    this.scanLengths = scanLengths(config);
    this.config = config;
    logString(
      LogLevel.Info,
      LOG_PREFIX + text(Text.Configured) + decimal(config.keys.length) + text(Text.Bootstrapped) +
        decimal(config.bootstrapped.length) + text(Text.Cache) + decimal(config.cacheSize) + text(Text.Membership) +
        (claim === null ? text(Text.Off) : config.claimsFromHeader ? 'header' : 'metadata'),
    );
    return true;
  }

  createHttpContext(id: u32): HttpContext {
    const pool = this.pool;
    return pool.length > 0 ? pool.pop() : new OrgContextHttp();
  }

  releaseHttpContext(context: HttpContext): void {
    // The stub heap cannot take contexts back: they are all kept for reuse (as many as the peak
    // of concurrent streams).
    this.pool.push(changetype<OrgContextHttp>(context));
  }
}

export class OrgContextHttp extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<OrgContextRoot>(this.root);
    metrics.count(metrics.requests);
    const config = root.config;
    if (config === null) {
      // Not configured (Envoy would have refused the plugin): still never let a client-sent copy
      // of the default headers through.
      removeHeader(HeaderMapType.RequestHeaders, changetype<usize>(DEFAULT_ORG), DEFAULT_ORG.length);
      removeHeader(HeaderMapType.RequestHeaders, changetype<usize>(DEFAULT_FEATURES), DEFAULT_FEATURES.length);
      return FilterHeadersStatus.Continue;
    }
    decide(root, config);
    return FilterHeadersStatus.Continue;
  }
}

// What scanHeaders found in the request's header entries (module globals: nothing is allocated on
// the request path). The CORS and payload-header fields are filled only when the membership claims
// come from the payload header.
let foundCookieStart: usize = 0;
let foundCookieLen: i32 = -1;
let spoofedOrg = false;
let spoofedFeatures = false;
/** Whether the scan saw every entry (else a client copy may have gone unseen). */
let scanComplete = false;
let isOptions = false;
let hasOrigin = false;
let hasPreflightMethod = false;
let payloadStart: usize = 0;
let payloadLen: i32 = -1;

/**
 * One pass over every request header entry (several `cookie` entries are possible) in the
 * serialized pairs at `base` (`size` bytes). Its own function, with the rare cases in calls of
 * their own, so the loop keeps its few values in registers.
 */
function scanHeaders(base: usize, size: usize, config: FilterConfig, lengths: u64): void {
  foundCookieLen = -1;
  spoofedOrg = false;
  spoofedFeatures = false;
  scanComplete = false;
  isOptions = false;
  hasOrigin = false;
  hasPreflightMethod = false;
  payloadLen = -1;
  if (size < 4) return;
  const count = <u64>load<u32>(base);
  if (count * 8 + 4 > <u64>size) return;
  const orgHeader = config.orgHeader;
  const featuresHeader = config.featuresHeader;
  const claimsFromHeader = readsPayloadHeader(config);
  const end = <u64>base + <u64>size;
  if (end > <u64>u32.MAX_VALUE) return; // not in a 32-bit memory: nothing to read
  let entry = base + 4;
  const entriesEnd = entry + <usize>count * 8;
  let name = entriesEnd;
  for (;;) {
    // Past the headers of no interest, with no call in the loop (its values stay in registers).
    // Most headers are none of ours: one test of the length set each (see scanLengths).
    let nameLen: u32 = 0;
    let valueLen: u32 = 0;
    for (;;) {
      if (entry >= entriesEnd) {
        scanComplete = true;
        return;
      }
      nameLen = load<u32>(entry);
      valueLen = load<u32>(entry, 4);
      // In 64 bits: lengths near 2^32 must not wrap around.
      if (<u64>name + <u64>nameLen + <u64>valueLen + 2 > end) return;
      entry += 8;
      if (nameLen >= 64 || ((lengths >> nameLen) & 1) != 0) break;
      name += nameLen + valueLen + 2;
    }
    const value = name + nameLen + 1;
    // `cookie` as one u32 and one u16 (little-endian), without a call.
    if (nameLen == 6 && load<u32>(name) == 0x6b6f6f63 && load<u16>(name, 4) == 0x6569) {
      if (foundCookieLen < 0) lookForCookie(value, <i32>valueLen, config.cookieName);
    } else if (nameLen == <u32>byteLength(orgHeader) && sameBytes(name, changetype<usize>(orgHeader), <i32>nameLen)) {
      spoofedOrg = true;
    } else if (nameLen == <u32>byteLength(featuresHeader) && sameBytes(name, changetype<usize>(featuresHeader), <i32>nameLen)) {
      spoofedFeatures = true;
    } else if (claimsFromHeader) {
      noteClaimsHeader(name, <i32>nameLen, value, <i32>valueLen);
    }
    name = value + valueLen + 1;
  }
}

/**
 * The header name lengths scanHeaders looks at closely, a bit per length under 64 (a longer name
 * is always looked at): `cookie`, the two output headers, and every length when the claims come
 * from the payload header. Worked out once per configuration and passed in, so that the request
 * loop only tests it.
 */
function scanLengths(config: FilterConfig): u64 {
  if (readsPayloadHeader(config)) return u64.MAX_VALUE;
  return lengthBit(6) | lengthBit(<u32>config.orgHeader.length) | lengthBit(<u32>config.featuresHeader.length);
}

/** Whether the membership claims come from jwt_authn's payload header (not its metadata). */
// @ts-ignore: decorator
@inline function readsPayloadHeader(config: FilterConfig): bool {
  return config.claimsFromHeader && config.membershipClaim !== null;
}

function lengthBit(length: u32): u64 {
  return length < 64 ? <u64>1 << length : 0;
}

/** A `cookie` entry: the configured cookie, if this entry has it. */
function lookForCookie(value: usize, valueLen: i32, cookieName: Bytes): void {
  if (findCookie(value, valueLen, changetype<usize>(cookieName), byteLength(cookieName))) {
    foundCookieStart = foundValueStart;
    foundCookieLen = foundValueLength;
  }
}

/** The headers only the payload-header claims source needs (the CORS preflight test). */
function noteClaimsHeader(name: usize, nameLen: i32, value: usize, valueLen: i32): void {
  if (isName(name, nameLen, METHOD)) isOptions = isName(value, valueLen, OPTIONS);
  else if (isName(name, nameLen, ORIGIN)) hasOrigin = true;
  else if (isName(name, nameLen, PREFLIGHT_METHOD)) hasPreflightMethod = true;
  else if (payloadLen < 0 && isName(name, nameLen, JWT_PAYLOAD_HEADER)) {
    payloadStart = value;
    payloadLen = valueLen;
  }
}

// Inlined into its one caller (a call per request less).
// @ts-ignore: decorator
@inline function decide(root: OrgContextRoot, config: FilterConfig): void {
  const orgHeader = config.orgHeader;
  const featuresHeader = config.featuresHeader;
  const orgHeaderLen = byteLength(orgHeader);
  const featuresHeaderLen = byteLength(featuresHeader);
  if (getHeaderPairs(HeaderMapType.RequestHeaders)) {
    scanHeaders(resultData, <usize>resultSize, config, root.scanLengths);
  } else {
    scanHeaders(0, 0, config, 0); // nothing to read: only resets what it reports
  }
  const cookieStart = foundCookieStart;
  const cookieLen = foundCookieLen;

  // The cookie.
  let orgStart: usize = 0;
  let orgLen: i32 = 0;
  let features: i32 = -1;
  if (cookieLen < 0) {
    metrics.count(metrics.cookieAbsent);
  } else if (root.cache.lookup(cookieStart, cookieLen)) {
    orgStart = cachedIdStart;
    orgLen = cachedIdLength;
    features = cachedFeatures;
    metrics.count(metrics.cookieValid);
  } else {
    const verdict = verifyCookie(cookieStart, cookieLen, config.keys, arenaAlloc(<usize>max(cookieLen, 1) << 2));
    if (verdict == CookieVerdict.Valid) {
      orgStart = verifiedIdStart;
      orgLen = verifiedIdLength;
      features = featuresIndex(config, orgStart, orgLen);
      root.cache.insert(cookieStart, cookieLen, orgStart, orgLen, features);
      metrics.count(metrics.cookieValid);
    } else {
      metrics.count(metrics.cookieInvalid);
      logInvalid(verdict);
    }
  }

  // The membership check, when configured.
  const claim = config.membershipClaim;
  const checkMembership = claim !== null;
  if (checkMembership) {
    clearMemberships();
    if (!config.claimsFromHeader) {
      const path = root.claimPath;
      if (getProperty(changetype<usize>(path), path.length)) membershipsFromProperty(resultData, resultSize);
    } else if (payloadLen > 0 && !(isOptions && hasOrigin && hasPreflightMethod)) {
      // jwt_authn does not sanitise this header on a CORS preflight, so it is ignored there.
      loadClaimFromPayloadHeader(payloadStart, payloadLen, claim!);
    }
    if (orgLen > 0 && !isMember(orgStart, orgLen)) {
      features = -1;
      metrics.count(metrics.membershipRejected);
      orgLen = 0;
    }
  }

  // The fallback.
  if (orgLen == 0) {
    if (checkMembership && membershipPresent) {
      const bootstrapped = config.bootstrapped;
      for (let i = 0; i < bootstrapped.length; i++) {
        const candidate = unchecked(bootstrapped[i]);
        if (isMember(changetype<usize>(candidate), candidate.length)) {
          orgStart = changetype<usize>(candidate);
          orgLen = candidate.length;
          break;
        }
      }
      for (let i: i32 = 0; orgLen == 0 && i < membershipCount; i++) {
        if (isValidId(membershipStart(i), membershipLength(i))) {
          orgStart = membershipStart(i);
          orgLen = membershipLength(i);
        }
      }
    } else if (config.bootstrapped.length > 0) {
      const first = unchecked(config.bootstrapped[0]);
      orgStart = changetype<usize>(first);
      orgLen = first.length;
    }
    if (orgLen > 0) {
      features = featuresIndex(config, orgStart, orgLen);
      metrics.count(metrics.fallbackUsed);
    }
  }

  // The outputs. Where the scan saw a client-sent copy, or could not see every entry, `replace`
  // (`remove`) drops every copy first; otherwise there is none and `add` is enough: in Envoy it
  // costs a half to a third of `replace`, which first scans the whole map to remove
  // (docs/org-context.md, "Cost in Envoy").
  const unsure = !scanComplete;
  if (orgLen > 0) {
    writeHeader(spoofedOrg || unsure, changetype<usize>(orgHeader), orgHeaderLen, orgStart, orgLen);
  } else if (spoofedOrg || unsure) {
    removeHeader(HeaderMapType.RequestHeaders, changetype<usize>(orgHeader), orgHeaderLen);
  }
  const featuresValue = features >= 0 ? unchecked(config.featureValues[features]) : config.globalFeaturesValue;
  writeHeader(spoofedFeatures || unsure, changetype<usize>(featuresHeader), featuresHeaderLen, changetype<usize>(featuresValue), byteLength(featuresValue));
  if (spoofedOrg || spoofedFeatures) metrics.count(metrics.spoofedHeaderRemoved);
}

/** Writes a request header: `replace` when a client copy may be present, else the cheaper `add`. */
function writeHeader(replace: bool, name: usize, nameLen: i32, value: usize, valueLen: i32): void {
  if (replace) replaceHeader(HeaderMapType.RequestHeaders, name, nameLen, value, valueLen);
  else addHeader(HeaderMapType.RequestHeaders, name, nameLen, value, valueLen);
}

/** Index of the organisation's own features list in the configuration, or -1 (global list). */
function featuresIndex(config: FilterConfig, id: usize, idLen: i32): i32 {
  const ids = config.featureOrganisations;
  for (let i = 0; i < ids.length; i++) {
    const candidate = unchecked(ids[i]);
    if (candidate.length == idLen && sameBytes(changetype<usize>(candidate), id, idLen)) return i;
  }
  return -1;
}

/** jwt_authn's payload header: base64url JSON; the claim is read from it when it parses. */
function loadClaimFromPayloadHeader(start: usize, len: i32, claim: Bytes): void {
  const decoded = arenaAlloc(<usize>base64DecodedMaxLength(len));
  const decodedLen = base64Decode(start, len, decoded, true);
  if (decodedLen < 0) return;
  // As long as the text: first the validation's bit stack, then unescaped strings.
  const scratch = arenaAlloc(<usize>decodedLen + 1);
  if (!isValidJson(decoded, decodedLen, scratch)) return;
  const object = valueStart(decoded, decodedLen);
  if (kindAt(object) != 0x7b) return;
  const end = decoded + <usize>decodedLen;
  const value = findMember(object, end, changetype<usize>(claim), claim.length, scratch);
  if (value != 0) membershipsFromJson(value, end, scratch);
}
