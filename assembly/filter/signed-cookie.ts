// Verifies a signed cookie value exactly as cookie-parser (cookie-signature underneath) accepts it,
// and turns its payload into an organisation id. Works on bytes in caller-provided scratch memory;
// nothing is allocated.
import { HmacKey } from '../crypto/hmac';
import { base64EncodeUnpadded } from '../crypto/base64';
import { constantTimeEqual } from '../crypto/compare';
import { percentDecode } from '../parse/percent';
import { findMember, isValidJson, kindAt, unescapeString, valueStart } from '../parse/json';
import { isValidId } from './syntax';

export const enum CookieVerdict {
  Valid = 0,
  /** Not valid, and not as Express sends it: a raw byte outside ASCII, or an escape that
   *  decodeURIComponent refuses (the `cookie` module then keeps the undecoded text). */
  Malformed = 1,
  /** Not `s:`-prefixed: an unsigned cookie. */
  NotSigned = 2,
  /** No `.` or a signature that is not exactly 43 characters. */
  BadSignatureFormat = 3,
  /** No configured secret produces this signature. */
  BadSignature = 4,
  /** Signed, but the payload is not an organisation id (bad `j:` JSON, wrong shape, bad syntax). */
  BadPayload = 5,
}

/** Length of unpadded base64 of a 32-byte HMAC. */
export const SIGNATURE_LENGTH: i32 = 43;

// Where verifyCookie() put the id of a Valid cookie (in scratch, or in a JSON string's bytes).
export let verifiedIdStart: usize = 0;
export let verifiedIdLength: i32 = 0;
// Which secret matched (0 = the current one).
export let verifiedSecretIndex: i32 = -1;

// @ts-ignore: decorator
@lazy const MAC: usize = memory.data(32, 8);
// @ts-ignore: decorator
@lazy const EXPECTED: usize = memory.data(48, 8);
// @ts-ignore: decorator
@lazy const ID_KEY: StaticArray<u8> = [0x69, 0x64];

/**
 * Verifies the raw cookie value (`len` bytes at `raw`, as found in the header). `scratch` must
 * hold 4 × `len` bytes: the decoded value (a raw byte >= 0x80 takes two) and, for `j:` payloads,
 * an unescaped id.
 */
export function verifyCookie(raw: usize, len: i32, keys: StaticArray<HmacKey>, scratch: usize): CookieVerdict {
  verifiedSecretIndex = -1;
  // Only a `%` or a byte >= 0x80 makes the text cookie-signature hashes differ from the raw bytes.
  let percent = false;
  let high: u32 = 0;
  for (let i: i32 = 0; i < len; i++) {
    const c = <u32>load<u8>(raw + <usize>i);
    high |= c;
    if (c == 0x25) percent = true;
  }
  let value = raw;
  let valueLen = len;
  // Set when the value is not what Express sends (raw non-ASCII, or an escape decodeURIComponent
  // refuses): a cookie that then fails is reported as malformed.
  let unusual = high >= 0x80;
  if (percent || unusual) {
    valueLen = percentDecode(raw, len, scratch);
    if (valueLen < 0) {
      // The `cookie` module keeps the undecoded text when decodeURIComponent throws.
      valueLen = percentDecode(raw, len, scratch, false);
      unusual = true;
    }
    value = scratch;
  }
  const verdict = verifyDecoded(value, valueLen, keys, scratch + (<usize>len << 1));
  return verdict != CookieVerdict.Valid && unusual ? CookieVerdict.Malformed : verdict;
}

/** verifyCookie() on the decoded value; `scratch` holds `len` bytes (for a `j:` payload's id). */
function verifyDecoded(value: usize, valueLen: i32, keys: StaticArray<HmacKey>, scratch: usize): CookieVerdict {
  if (valueLen < 2 || load<u8>(value) != 0x73 || load<u8>(value + 1) != 0x3a) return CookieVerdict.NotSigned;
  const signed = value + 2;
  const signedLen = valueLen - 2;
  let dot: i32 = signedLen - 1;
  while (dot >= 0 && load<u8>(signed + <usize>dot) != 0x2e) dot--;
  if (dot < 0 || signedLen - dot - 1 != SIGNATURE_LENGTH) return CookieVerdict.BadSignatureFormat;
  const payload = signed;
  const payloadLen = dot;
  const signature = signed + <usize>dot + 1;
  let matched: i32 = -1;
  for (let k = 0; k < keys.length; k++) {
    unchecked(keys[k]).sign(payload, payloadLen, MAC);
    base64EncodeUnpadded(MAC, 32, EXPECTED);
    if (constantTimeEqual(EXPECTED, signature, SIGNATURE_LENGTH)) {
      matched = k;
      break;
    }
  }
  if (matched < 0) return CookieVerdict.BadSignature;
  verifiedSecretIndex = matched;
  return payloadToId(payload, payloadLen, scratch) ? CookieVerdict.Valid : CookieVerdict.BadPayload;
}

/**
 * The organisation id in a verified payload: the payload itself, or for cookie-parser's JSON
 * cookies (`j:` prefix) a JSON string, or an object's string `id` (last one wins, as JSON.parse).
 */
export function payloadToId(payload: usize, len: i32, scratch: usize): bool {
  let id = payload;
  let idLen = len;
  if (len >= 2 && load<u8>(payload) == 0x6a && load<u8>(payload + 1) == 0x3a) {
    const json = payload + 2;
    const jsonLen = len - 2;
    // The bit stack of the validation fits in scratch, which is free until the id is unescaped.
    if (!isValidJson(json, jsonLen, scratch)) return false;
    const end = json + <usize>jsonLen;
    let at = valueStart(json, jsonLen);
    if (kindAt(at) == 0x7b) at = findMember(at, end, changetype<usize>(ID_KEY), 2, scratch);
    if (at == 0 || kindAt(at) != 0x22) return false;
    // Unescaped text is never longer than the escaped text: it fits in scratch.
    idLen = unescapeString(at, scratch);
    id = scratch;
  }
  if (!isValidId(id, idLen)) return false;
  verifiedIdStart = id;
  verifiedIdLength = idLen;
  return true;
}
