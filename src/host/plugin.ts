// createHost: loads a module the way Envoy does (checks, canary configure, one VM per worker) and
// runs simulated HTTP streams through it.
import { readFile } from 'node:fs/promises';
import { Action, LOG_LEVELS } from './abi.ts';
import { PluginConfigError, PluginStartError } from './errors.ts';
import { HeaderMap, ImageArea, lengthBit, lowerHeaderName, nameWords } from './header-map.ts';
import { checkModule } from './module-check.ts';
import { MetricStore, SharedDataStore, SharedQueueStore } from './stores.ts';
import type { HeaderList, HostLog, HostOptions, LocalResponse, Plugin, RequestInput, RequestResult } from './types.ts';
import { Vm, type PluginShared } from './vm.ts';

export const JWT_AUTHN_NAMESPACE = 'envoy.filters.http.jwt_authn';
/** Dynamic metadata of a request that brings none (only ever read). */
const NO_METADATA: Record<string, unknown> = Object.freeze({});
const FAIL_STREAM: LocalResponse = { status: 503, details: 'wasm_fail_stream', body: '', headers: [] };
// Characters of an HTTP token (RFC 9110): what a header name may contain; a codec refuses others.
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1;

function invalidHeader(name: unknown): TypeError {
  return new TypeError(`invalid request header ${JSON.stringify(String(name).slice(0, 64))}`);
}

/** The pseudo-headers' lengthBits, and bit 0 (which marks a map's length set as known). */
const PSEUDO_LENGTHS = 1 | lengthBit(':authority'.length) | lengthBit(':path'.length) | lengthBit(':method'.length) | lengthBit(':scheme'.length);

/** Room for :authority's name, NUL and value before the other pseudo-headers in a request image. */
const AUTHORITY_ROOM = 11 + 512;

/** Four bytes of `text` from `at` as a little-endian word. */
function word(text: string, at: number): number {
  return text.charCodeAt(at) | (text.charCodeAt(at + 1) << 8) | (text.charCodeAt(at + 2) << 16) | (text.charCodeAt(at + 3) << 24);
}
// The pseudo-headers' names with their NULs, written as constant words.
const PATH_WORD_0 = word('\0:path\0', 0);
const PATH_WORD_1 = word('\0:path\0', 3);
const METHOD_WORD_0 = word('\0:method\0', 0);
const METHOD_WORD_1 = word('\0:method\0', 4);
const SCHEME_WORD_0 = word('\0:scheme\0', 0);
const SCHEME_WORD_1 = word('\0:scheme\0', 4);
const AUTHORITY_WORD_0 = word(':authority\0', 0);
const AUTHORITY_WORD_1 = word(':authority\0', 4);
const AUTHORITY_WORD_2 = word(':authority\0', 7);

/** A validated, lower-cased header name and its bytes as words (see nameWords). */
interface KnownName {
  readonly name: string;
  readonly words: Int32Array;
  /** The name and a blank: a piece of the codec's one-string copy (see writeEntriesFast). */
  readonly spaced: string;
  /** lengthBit of the name (see HeaderMap). */
  readonly bit: number;
}

// Header names repeat from request to request: remember validated ones (bounded, so hostile
// clients cannot grow it without limit).
const KNOWN_NAMES = new Map<string, KnownName>();
const KNOWN_NAMES_MAX = 4096;

/** Validates a header name and lower-cases it (ASCII only) when needed. */
function knownName(raw: string): KnownName {
  const known = KNOWN_NAMES.get(raw);
  if (known !== undefined) return known;
  const name = checkHeaderName(raw);
  const entry: KnownName = { name, words: nameWords(name), spaced: `${name} `, bit: lengthBit(name.length) };
  if (KNOWN_NAMES.size < KNOWN_NAMES_MAX) KNOWN_NAMES.set(raw, entry);
  return entry;
}

function headerName(raw: string): string {
  return knownName(raw).name;
}

function checkHeaderName(raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0) throw invalidHeader(raw);
  let upper = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) {
      if (c === 58 && i === 0 && raw.length > 1) continue; // a pseudo-header's leading colon
      throw invalidHeader(raw);
    }
    if (c >= 65 && c <= 90) upper = true;
  }
  return upper ? lowerHeaderName(raw) : raw;
}

/**
 * Validates a header value (no control characters but tab) and turns it into a byte string: Node
 * strings are UTF-16, headers are bytes, so characters above 0xff are UTF-8 encoded.
 */
function headerValue(raw: string, name: string): string {
  if (typeof raw !== 'string') throw invalidHeader(name);
  let wide = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f) throw invalidHeader(name);
    if (c > 0xff) wide = true;
  }
  return wide ? Buffer.from(raw, 'utf8').toString('latin1') : raw;
}

/**
 * headerValue that also writes the value's bytes at `at` of `image` (room for 3 bytes per
 * character needed), in the same pass over the characters: the codec's copy of the header bytes.
 */
function encodeHeaderValue(raw: string, name: string, image: Buffer, at: number): string {
  if (typeof raw !== 'string') throw invalidHeader(name);
  const length = raw.length;
  // Printable ASCII is the rule: any other character makes `seen` negative and sends the value
  // through the exact check.
  let seen = 0;
  for (let i = 0; i < length; i++) {
    const c = raw.charCodeAt(i);
    seen |= (0x7e - c) | (c - 0x20);
    image[at + i] = c;
  }
  if (seen >= 0) return raw;
  const value = headerValue(raw, name);
  if (value !== raw) image.latin1Write(value, at);
  return value;
}

/** Whether every character is printable ASCII (0x20–0x7e): the codec's common case. */
function printableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Writes a byte string (chars 0–255, as earlier checked) at `at` of `image`. */
function copyByteString(text: string, image: Buffer, at: number): void {
  for (let i = 0; i < text.length; i++) image[at + i] = text.charCodeAt(i);
}

function configBuffer(config: string | object | undefined): Buffer {
  if (config === undefined) return Buffer.alloc(0);
  return Buffer.from(typeof config === 'string' ? config : JSON.stringify(config), 'utf8');
}

function environment(options: HostOptions): string[] {
  const entries = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const key of options.hostEnvKeys ?? []) {
    const value = process.env[key];
    if (value !== undefined) entries.push(`${key}=${value}`);
  }
  return entries;
}

function lastComplaint(logs: HostLog[]): string | undefined {
  for (let i = logs.length - 1; i >= 0; i--) if (logs[i].level === 'critical') return logs[i].message;
  for (let i = logs.length - 1; i >= 0; i--) if (logs[i].level === 'error') return logs[i].message;
  return undefined;
}

/** Starts and configures one VM, throwing the typed error Envoy's outcome corresponds to. */
async function bootVm(module: WebAssembly.Module, shared: PluginShared, label: string): Promise<Vm> {
  const vm = await Vm.create(module, shared);
  vm.start();
  if (vm.failed) throw new PluginStartError(`${label}: module failed to start: ${vm.failure}`, vm.logs);
  const { started, configured } = vm.configureRoot();
  if (vm.failed) throw new PluginStartError(`${label}: ${vm.failure}`, vm.logs);
  if (!started) throw new PluginStartError(`${label}: proxy_on_vm_start returned false`, vm.logs);
  if (!configured) {
    const complaint = lastComplaint(vm.logs);
    const error = new PluginConfigError(complaint ?? 'proxy_on_configure returned false', vm.logs);
    throw error;
  }
  return vm;
}

export async function createHost(options: HostOptions): Promise<Plugin> {
  const bytes = typeof options.wasm === 'string' ? new Uint8Array(await readFile(options.wasm)) : options.wasm;
  const module = checkModule(bytes);
  const workerCount = options.workers ?? 1;
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 64) throw new RangeError(`workers must be an integer 1–64, got ${workerCount}`);
  const logLevel = LOG_LEVELS.indexOf(options.logLevel ?? 'info');
  if (logLevel < 0) throw new RangeError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const failOpen = options.failStrategy === 'FAIL_OPEN';

  const startupLogs: HostLog[] = [];
  const shared: PluginShared = {
    plugin: { pluginName: options.pluginName ?? 'org-context', rootId: options.rootId ?? '', vmId: options.vmId ?? '' },
    environ: environment(options),
    vmConfig: configBuffer(options.vmConfig),
    pluginConfig: configBuffer(options.pluginConfig),
    logLevel,
    metrics: new MetricStore(),
    sharedData: new SharedDataStore(),
    queues: new SharedQueueStore(),
    onLog: options.onLog,
  };

  // Envoy validates a configuration on a throw-away canary VM before any worker gets it.
  const canary = await bootVm(module, shared, 'canary');
  startupLogs.push(...canary.logs);
  const vms: Vm[] = [];
  for (let i = 0; i < workerCount; i++) {
    const vm = await bootVm(module, shared, `worker ${i}`);
    startupLogs.push(...vm.logs);
    vm.logs = [];
    vms.push(vm);
  }

  let nextWorker = 0;
  let closed = false;
  const workerAt = (index: number | undefined): Vm => {
    if (index === undefined) {
      const vm = vms[nextWorker];
      nextWorker = (nextWorker + 1) % vms.length;
      return vm;
    }
    if (!Number.isInteger(index) || index < 0 || index >= vms.length) throw new RangeError(`worker must be 0–${vms.length - 1}, got ${index}`);
    return vms[index];
  };

  // The request codec's copy of header bytes (see header-map.ts), reused by every request.
  const imageArea = new ImageArea();

  function requestHeaders(input: RequestInput): HeaderMap {
    const names = [':authority', ':path', ':method', ':scheme'];
    const method = input.method ?? 'GET';
    const scheme = input.scheme ?? 'http';
    const rawPath = input.path ?? '/';
    let authority = input.authority === undefined ? undefined : headerValue(input.authority, ':authority');
    const headers = input.headers;
    // The image (see header-map.ts): the serialized pairs, the regular entries' names and values
    // from `regular` on, the pseudo-headers right before. In front of them room for the count and
    // lengths (at most 4 + headers.length entries) and :authority (known only after the Host
    // header), written last. The tail after :authority's value: NUL ":path" NUL path NUL ":method"
    // NUL method NUL ":scheme" NUL scheme NUL.
    const maxCount = 4 + (headers ? headers.length : 0);
    const pathRoom = typeof rawPath === 'string' ? rawPath.length : 0;
    const tail = 26 + pathRoom + method.length + scheme.length;
    const regular = (4 + 8 * maxCount + AUTHORITY_ROOM + tail + 3) & ~3; // word-aligned (writeEntriesFast)
    let image = imageArea.reserve(regular + 2 * pathRoom + 1024, 0);
    const tailStart = regular - tail;
    let view = imageArea.view;
    // NUL ":pat" "h" NUL, as two little-endian words.
    view.setInt32(tailStart, PATH_WORD_0, true);
    view.setInt32(tailStart + 3, PATH_WORD_1, true);
    let p = tailStart + 7;
    const path = encodeHeaderValue(rawPath, ':path', image, p);
    p += path.length;
    // NUL ":me" "thod" NUL, then the method.
    view.setInt32(p, METHOD_WORD_0, true);
    view.setInt32(p + 4, METHOD_WORD_1, true);
    image[p + 8] = 0;
    p += 9;
    copyByteString(method, image, p);
    p += method.length;
    view.setInt32(p, SCHEME_WORD_0, true);
    view.setInt32(p + 4, SCHEME_WORD_1, true);
    image[p + 8] = 0;
    p += 9;
    copyByteString(scheme, image, p);
    image[p + scheme.length] = 0;
    const values = [authority ?? '', path, method, scheme];
    let byteSize = 29 + path.length + method.length + scheme.length; // 29: the four names
    let lengths = PSEUDO_LENGTHS;
    let at = regular;
    const fastEnd = headers ? writeEntriesFast(headers, names, values, regular) : -1;
    if (fastEnd >= 0) {
      at = fastEnd;
      authority ??= fastAuthority;
      byteSize += fastBytes;
      lengths = fastLengths;
      image = imageArea.bytes;
    } else if (headers) {
      names.length = 4;
      values.length = 4;
      // The fast attempt may have grown the area (keeping the bytes before `regular`).
      image = imageArea.bytes;
      view = imageArea.view;
      for (let i = 0; i < headers.length; i++) {
        const entry = headers[i];
        const known = knownName(entry[0]);
        const name = known.name;
        const raw = entry[1];
        // The HTTP/1 codec turns Host into :authority; pseudo-headers come from the input fields.
        if (name === 'host' || name === ':authority') {
          const value = headerValue(raw, name);
          authority ??= value;
          continue;
        }
        if (name.charCodeAt(0) === 58) {
          headerValue(raw, name);
          continue;
        }
        const nameLength = name.length;
        if (typeof raw === 'string' && at + nameLength + 3 * raw.length + 2 > image.length) {
          image = imageArea.reserve(at + nameLength + 3 * raw.length + 2, at);
          view = imageArea.view;
        }
        if (nameLength < 4) {
          for (let k = 0; k < nameLength; k++) image[at + k] = name.charCodeAt(k);
        } else {
          const words = known.words;
          const last = words.length - 1;
          for (let j = 0; j < last; j++) view.setInt32(at + 4 * j, words[j], true);
          view.setInt32(at + nameLength - 4, words[last], true);
        }
        at += nameLength;
        image[at++] = 0;
        const value = encodeHeaderValue(raw, name, image, at);
        at += value.length;
        image[at++] = 0;
        names.push(name);
        values.push(value);
        byteSize += nameLength + value.length;
        lengths |= known.bit;
      }
    }
    authority ??= 'localhost';
    byteSize += authority.length;
    values[0] = authority;
    const count = names.length;
    const start = tailStart - 11 - authority.length;
    const pairsStart = start - 4 - 8 * count;
    // A path with characters above 0xff grew in UTF-8, a long authority has no room: then the map
    // serializes its entries when a module first reads them.
    if (path.length !== pathRoom || pairsStart < 0) return HeaderMap.fromEntries(names, values, byteSize, lengths);
    view = imageArea.view;
    view.setInt32(start, AUTHORITY_WORD_0, true);
    view.setInt32(start + 4, AUTHORITY_WORD_1, true);
    view.setInt32(start + 7, AUTHORITY_WORD_2, true);
    copyByteString(authority, image, start + 11);
    view.setUint32(pairsStart, count, true);
    let sizes = pairsStart + 4;
    for (let i = 0; i < count; i++) {
      view.setUint32(sizes, names[i].length, true);
      view.setUint32(sizes + 4, values[i].length, true);
      sizes += 8;
    }
    return HeaderMap.withImage(names, values, imageArea, pairsStart, at, byteSize, lengths);
  }

  // What writeEntriesFast found besides the entries: the first Host's value, the names' and values'
  // bytes, the names' lengthBits.
  let fastAuthority: string | undefined;
  let fastBytes = 0;
  let fastLengths = 0;

  /**
   * The common case of the codec's pass over the regular headers, with native copies: every name
   * already known (validated), every value printable ASCII. The entries go into one string (name,
   * blank, value, blank…), which one utf8Write puts at `regular` (a character above 0x7f makes
   * more bytes than characters); one check of the written bytes, a word at a time, confirms every
   * value is printable ASCII; the blanks then become the NULs. Returns the end of
   * the entries, or -1 when any of this does not hold: the caller then takes the exact path,
   * which validates header by header in order and throws the first error.
   */
  function writeEntriesFast(headers: HeaderList, names: string[], values: string[], regular: number): number {
    fastAuthority = undefined;
    let bytes = 0;
    let lengths = PSEUDO_LENGTHS;
    let text = '';
    for (let i = 0; i < headers.length; i++) {
      const entry = headers[i];
      const raw = entry[1];
      if (typeof raw !== 'string') return -1;
      const known = KNOWN_NAMES.get(entry[0]);
      if (known === undefined) return -1;
      const name = known.name;
      // The HTTP/1 codec turns Host into :authority; pseudo-headers come from the input fields.
      if (name === 'host' || name === ':authority') {
        if (!printableAscii(raw)) return -1;
        fastAuthority ??= raw;
        continue;
      }
      if (name.charCodeAt(0) === 58) {
        if (!printableAscii(raw)) return -1;
        continue;
      }
      text = text + known.spaced + raw + ' ';
      names.push(name);
      values.push(raw);
      bytes += name.length + raw.length;
      lengths |= known.bit;
    }
    fastBytes = bytes;
    fastLengths = lengths;
    const length = text.length;
    if (length === 0) return regular;
    // UTF-8, so any character above 0x7f makes more bytes than characters (room for them all).
    const image = imageArea.reserve(regular + 3 * length + 4, regular);
    if (image.utf8Write(text, regular) !== length) return -1;
    // A byte outside 0x20–0x7e sets a high bit in w, w + 0x01010101 or w - 0x20202020 (exact
    // for a word of printable bytes: no carry, no borrow).
    const words = imageArea.words;
    let bad = 0;
    const wordsEnd = (regular + length) >> 2;
    for (let k = regular >> 2; k < wordsEnd; k++) {
      const w = words[k];
      bad |= w | ((w + 0x01010101) | 0) | ((w - 0x20202020) | 0);
    }
    for (let k = wordsEnd << 2; k < regular + length; k++) {
      const c = image[k];
      if (c < 0x20 || c > 0x7e) bad = -1;
    }
    if ((bad & 0x80808080) !== 0) return -1;
    let at = regular;
    for (let i = 4; i < names.length; i++) {
      at += names[i].length;
      image[at++] = 0;
      at += values[i].length;
      image[at++] = 0;
    }
    return at;
  }

  function metadataOf(input: RequestInput): Record<string, unknown> {
    if (!input.jwtPayload) return input.metadata ?? NO_METADATA;
    const metadata = { ...(input.metadata ?? {}) };
    const existing = metadata[JWT_AUTHN_NAMESPACE];
    metadata[JWT_AUTHN_NAMESPACE] = { ...(typeof existing === 'object' && existing !== null ? existing : {}), payload: input.jwtPayload };
    return metadata;
  }

  function drainQueues(vm: Vm): void {
    if (vm.pendingQueues.size === 0) return;
    for (const token of vm.pendingQueues) {
      vm.pendingQueues.delete(token);
      vm.queueReady(token);
    }
  }

  return {
    workers: workerCount,
    startupLogs,

    request(input: RequestInput = {}): RequestResult {
      if (closed) throw new Error('plugin is closed');
      const vm = workerAt(input.worker);
      const headers = requestHeaders(input);
      if (vm.failed) {
        return failOpen
          ? { headers: headers.toList(), localResponse: null, logs: [], action: 'continue' }
          : { headers: headers.toList(), localResponse: { ...FAIL_STREAM, headers: [] }, logs: [], action: 'pause' };
      }
      const logs: HostLog[] = [];
      vm.logs = logs;
      const stream = vm.openStream(headers, {
        headers,
        sourceAddress: input.sourceAddress ?? '127.0.0.1:54321',
        metadata: metadataOf(input),
        startMs: Date.now(),
      });
      let action: number = Action.CONTINUE;
      let failedBeforeUpstream = vm.failed;
      let body: Buffer | undefined;
      if (!input.skipHeaders && !vm.failed) {
        action = vm.onRequestHeaders(stream, input.body === undefined);
        failedBeforeUpstream = vm.failed;
        if (input.body !== undefined && !stream.localResponse && !vm.failed) {
          // The filter that paused on headers still receives the data (Envoy buffers it).
          const delivered = vm.onRequestBody(stream, Buffer.from(input.body));
          body = delivered.body;
          if (action === Action.CONTINUE) action = delivered.action;
          failedBeforeUpstream = vm.failed;
        }
      }
      let responseHeaders: HeaderList | undefined;
      if (input.responseHeaders && !stream.localResponse && !vm.failed && action === Action.CONTINUE) {
        const map = HeaderMap.fromEntries(
          input.responseHeaders.map(([n]) => headerName(n)),
          input.responseHeaders.map(([n, v]) => headerValue(v, n)),
        );
        vm.onResponseHeaders(stream, map);
        responseHeaders = map.toList();
      }
      vm.closeStream(stream);
      drainQueues(vm);

      let localResponse = stream.localResponse;
      if (failedBeforeUpstream && !failOpen) localResponse = { ...FAIL_STREAM, headers: [] };
      const result: RequestResult = {
        headers: headers.toList(),
        localResponse,
        logs,
        action: localResponse || stream.closed || (action !== Action.CONTINUE && !failedBeforeUpstream) ? 'pause' : 'continue',
      };
      if (body) result.body = body;
      if (responseHeaders) result.responseHeaders = responseHeaders;
      return result;
    },

    metrics: () => shared.metrics.snapshot(),
    memoryBytes: (worker = 0) => workerAt(worker).memory.size,
    failed: (worker = 0) => workerAt(worker).failed,

    tick(): HostLog[] {
      const logs: HostLog[] = [];
      for (const vm of vms) {
        vm.logs = logs;
        vm.tick();
        drainQueues(vm);
      }
      return logs;
    },

    close(): void {
      closed = true;
      vms.length = 0;
    },
  };
}
