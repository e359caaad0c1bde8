// Header names and values as a codec takes them from a client: every input is hostile. A name
// must be an HTTP token (a pseudo-header's leading colon aside), lower-cased as Envoy does; a value
// must hold no control character but tab, and becomes a byte string.
import { lengthBit, lowerHeaderName, nameWords } from './header-map.ts';

// Characters of an HTTP token (RFC 9110): what a header name may contain; a codec refuses others.
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1;

function invalidHeader(name: unknown): TypeError {
  return new TypeError(`invalid request header ${JSON.stringify(String(name).slice(0, 64))}`);
}

/** A validated, lower-cased header name and its bytes as words (see nameWords). */
export interface KnownName {
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
export function knownName(raw: string): KnownName {
  const known = KNOWN_NAMES.get(raw);
  if (known !== undefined) return known;
  const name = checkHeaderName(raw);
  const entry: KnownName = { name, words: nameWords(name), spaced: `${name} `, bit: lengthBit(name.length) };
  if (KNOWN_NAMES.size < KNOWN_NAMES_MAX) KNOWN_NAMES.set(raw, entry);
  return entry;
}

/** The entry of a name validated before, else undefined (no validation: the caller's fast path). */
export function seenName(raw: string): KnownName | undefined {
  return KNOWN_NAMES.get(raw);
}

export function headerName(raw: string): string {
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
export function headerValue(raw: string, name: string): string {
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
export function encodeHeaderValue(raw: string, name: string, image: Buffer, at: number): string {
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
export function printableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

