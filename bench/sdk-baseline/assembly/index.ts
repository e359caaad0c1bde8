// The SDK baseline: org-context's hot path written the way a user of the AssemblyScript Proxy-Wasm
// SDK (@gcoredev/proxy-wasm-sdk-as, see bench/README.md) would write it — the SDK's contexts and
// string-typed header API, std strings and arrays, a textbook SHA-256 and HMAC — so the Envoy bench
// can show what writing the filter on the bare ABI buys. Benchmark code only: it trusts its
// configuration and does none of the filter's hardening (no j: payloads, no id rule, no membership
// check, no cache, no constant-time compare, and AssemblyScript's decodeURIComponent aborts the VM
// on a malformed escape).
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@gcoredev/proxy-wasm-sdk-as/assembly";

const ORG_HEADER = "x-currently-selected-organisation";
const FEATURES_HEADER = "x-supported-features";

// ---- SHA-256 (FIPS 180-4) and HMAC (RFC 2104), as they are usually written ----

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

function sha256(message: Uint8Array): Uint8Array {
  const h = new StaticArray<u32>(8);
  h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a;
  h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
  // Padding: 0x80, zeros, the bit length big-endian, to a multiple of 64 bytes.
  const length = message.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(message);
  padded[length] = 0x80;
  const bits = <u64>length * 8;
  for (let i = 0; i < 8; i++) padded[padded.length - 1 - i] = <u8>(bits >> (<u64>i * 8));
  const w = new StaticArray<u32>(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) {
      const at = block + t * 4;
      w[t] = (<u32>padded[at] << 24) | (<u32>padded[at + 1] << 16) | (<u32>padded[at + 2] << 8) | <u32>padded[at + 3];
    }
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let t = 0; t < 64; t++) {
      const t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
      const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const digest = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    digest[i * 4] = <u8>(h[i] >>> 24);
    digest[i * 4 + 1] = <u8>(h[i] >>> 16);
    digest[i * 4 + 2] = <u8>(h[i] >>> 8);
    digest[i * 4 + 3] = <u8>h[i];
  }
  return digest;
}

function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 without `=` padding: what cookie-signature appends after the dot. */
function base64NoPadding(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = <u32>bytes[i];
    const b1 = i + 1 < bytes.length ? <u32>bytes[i + 1] : 0;
    const b2 = i + 2 < bytes.length ? <u32>bytes[i + 2] : 0;
    out += BASE64.charAt((b0 >> 2) as i32);
    out += BASE64.charAt((((b0 & 3) << 4) | (b1 >> 4)) as i32);
    if (i + 1 < bytes.length) out += BASE64.charAt((((b1 & 15) << 2) | (b2 >> 6)) as i32);
    if (i + 2 < bytes.length) out += BASE64.charAt((b2 & 63) as i32);
  }
  return out;
}

function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

// ---- the plugin ----

/**
 * Configuration (the PluginConfig's `configuration`, one `key=value` a line): `cookie=NAME`,
 * `secret=S` (repeatable, current first), `fallback=ORG`, `features=a,b`, `org.ORG=c,d`.
 */
class BaselineRoot extends RootContext {
  cookieName: string = "previouslySelectedOrganisation";
  secrets: Array<Uint8Array> = new Array<Uint8Array>();
  fallback: string = "";
  features: string = "";
  orgFeatures: Map<string, string> = new Map<string, string>();

  onConfigure(configuration_size: u32): bool {
    if (!super.onConfigure(configuration_size)) return false;
    const lines = this.getConfiguration().split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const key = line.substring(0, eq);
      const value = line.substring(eq + 1);
      if (key == "cookie") this.cookieName = value;
      else if (key == "secret") this.secrets.push(utf8(value));
      else if (key == "fallback") this.fallback = value;
      else if (key == "features") this.features = value;
      else if (key.startsWith("org.")) this.orgFeatures.set(key.substring(4), value);
    }
    return this.secrets.length > 0;
  }

  createContext(context_id: u32): Context {
    return new BaselineRequest(context_id, this);
  }

  /** The organisation a signed cookie value (`s:<org>.<signature>`) carries, or "" when it does not verify. */
  verify(value: string): string {
    if (!value.startsWith("s:")) return "";
    const dot = value.lastIndexOf(".");
    if (dot < 2) return "";
    const payload = value.substring(2, dot);
    const signature = value.substring(dot + 1);
    const message = utf8(payload);
    for (let i = 0; i < this.secrets.length; i++) {
      if (base64NoPadding(hmacSha256(this.secrets[i], message)) == signature) return payload;
    }
    return "";
  }

  featuresOf(org: string): string {
    if (!this.orgFeatures.has(org)) return this.features;
    const own = this.orgFeatures.get(org);
    return this.features.length == 0 ? own : this.features + "," + own;
  }
}

class BaselineRequest extends Context {
  constructor(context_id: u32, root_context: BaselineRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root_context as BaselineRoot;
    let org = root.fallback;
    const cookies = stream_context.headers.request.get("cookie");
    if (cookies.length > 0) {
      const parts = cookies.split(";");
      const prefix = root.cookieName + "=";
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i].trim();
        if (!part.startsWith(prefix)) continue;
        let value = part.substring(prefix.length);
        if (value.includes("%")) value = decodeURIComponent(value);
        const verified = root.verify(value);
        if (verified.length > 0) org = verified;
        break;
      }
    }
    stream_context.headers.request.replace(ORG_HEADER, org);
    stream_context.headers.request.replace(FEATURES_HEADER, root.featuresOf(org));
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => {
  return new BaselineRoot(context_id);
}, "sdk-baseline");
