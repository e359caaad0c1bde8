// The request codec: a request's fields and headers become the request header map a module sees,
// as Envoy's codec makes them HeaderStrings before any filter runs. While it validates the headers
// it writes the map's serialized pairs (its image, see header-map.ts), so get_header_map_pairs of
// an unchanged map is one copy.
import { HeaderMap, ImageArea, lengthBit } from './header-map.ts';
import { encodeHeaderValue, headerName, headerValue, knownName, printableAscii, seenName } from './header-validation.ts';
import type { HeaderList, RequestInput } from './types.ts';
import { foldRepeatedInlineHeaders } from './inline-fold.ts';

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

/** Writes a byte string (chars 0–255, as earlier checked) at `at` of `image`. */
function copyByteString(text: string, image: Buffer, at: number): void {
  for (let i = 0; i < text.length; i++) image[at + i] = text.charCodeAt(i);
}

/**
 * A codec for one plugin: a function from a request to its header map. Requests run one at a
 * time, so one image area serves them all.
 */
export function createRequestCodec(): (input: RequestInput) => HeaderMap {
  // The request codec's copy of header bytes (see header-map.ts), reused by every request.
  const imageArea = new ImageArea();

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
      const known = seenName(entry[0]);
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

  function requestHeaders(input: RequestInput): HeaderMap {
    const names = [':authority', ':path', ':method', ':scheme'];
    const method = input.method ?? 'GET';
    const scheme = input.scheme ?? 'http';
    const rawPath = input.path ?? '/';
    let authority = input.authority === undefined ? undefined : headerValue(input.authority, ':authority');
    const headers = input.headers && foldRepeatedInlineHeaders(input.headers);
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

  return requestHeaders;
}

/** Response headers as a codec gives them to a filter (validated like request headers; no image). */
export function responseHeaderMap(headers: HeaderList): HeaderMap {
  return HeaderMap.fromEntries(
    headers.map(([n]) => headerName(n)),
    headers.map(([n, v]) => headerValue(v, n)),
  );
}
