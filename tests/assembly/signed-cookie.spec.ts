// Signed-cookie verification on the worked vectors of ORG-CONTEXT.md (produced by Express and
// cross-checked with openssl), and each way a cookie must be rejected.
import { HmacKey } from '../../assembly/crypto/hmac';
import { CookieVerdict, verifyCookie, verifiedIdLength, verifiedIdStart, verifiedSecretIndex } from '../../assembly/filter/signed-cookie';
import { asString, latin1, text } from './helpers';

function keys(secrets: string[]): StaticArray<HmacKey> {
  const out = new StaticArray<HmacKey>(secrets.length);
  for (let i = 0; i < secrets.length; i++) out[i] = HmacKey.fromBytes(text(secrets[i]));
  return out;
}

let lastId = '';

function verify(value: string, secrets: string[]): CookieVerdict {
  const raw = text(value);
  const scratch = new StaticArray<u8>(raw.length * 4 + 1);
  const verdict = verifyCookie(changetype<usize>(raw), raw.length, keys(secrets), changetype<usize>(scratch));
  lastId = verdict == CookieVerdict.Valid ? asString(verifiedIdStart, verifiedIdLength) : '';
  return verdict;
}

const V1 = 's%3Aorg-123.O%2F%2B0W%2B3Q4dE2hQI6PFSCOlDkO42jmpMygXnb5GTWbFk';
const V2 = 's%3A6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f.%2Fix5moRKX2nk%2BgM2opngxxFrKLgQsPED7OwlT9H%2BENc';
const V3 = 's%3Aj%3A%7B%22id%22%3A%22org-42%22%2C%22name%22%3A%22Acme%20Ltd%22%7D.yQfzHViWrQa9wZrWV9Dg8XPQcugKJZWHsaARN9MagrE';

describe('verifyCookie', () => {
  it('accepts the worked vectors', () => {
    expect(verify(V1, ['keyboard cat'])).toBe(CookieVerdict.Valid);
    expect(lastId).toBe('org-123');
    expect(verify(V2, ['s3cr3t-Key_2024'])).toBe(CookieVerdict.Valid);
    expect(lastId).toBe('6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f');
    expect(verify(V3, ['another secret'])).toBe(CookieVerdict.Valid);
    expect(lastId).toBe('org-42');
  });
  it('accepts the decoded form too (no percent escapes)', () => {
    expect(verify('s:org-123.O/+0W+3Q4dE2hQI6PFSCOlDkO42jmpMygXnb5GTWbFk', ['keyboard cat'])).toBe(CookieVerdict.Valid);
  });
  it('tries secrets in order and reports which matched', () => {
    expect(verify(V1, ['new secret', 'keyboard cat'])).toBe(CookieVerdict.Valid);
    expect(verifiedSecretIndex).toBe(1);
  });
  it('rejects a wrong secret', () => {
    expect(verify(V1, ['keyboard dog'])).toBe(CookieVerdict.BadSignature);
  });
  it('rejects a tampered payload or signature', () => {
    expect(verify('s%3Aorg-124.O%2F%2B0W%2B3Q4dE2hQI6PFSCOlDkO42jmpMygXnb5GTWbFk', ['keyboard cat'])).toBe(CookieVerdict.BadSignature);
    expect(verify('s%3Aorg-123.O%2F%2B0W%2B3Q4dE2hQI6PFSCOlDkO42jmpMygXnb5GTWbFl', ['keyboard cat'])).toBe(CookieVerdict.BadSignature);
  });
  it('rejects a re-padded, truncated or extended signature', () => {
    expect(verify(V1 + '%3D', ['keyboard cat'])).toBe(CookieVerdict.BadSignatureFormat);
    expect(verify(V1 + '=', ['keyboard cat'])).toBe(CookieVerdict.BadSignatureFormat);
    expect(verify(V1.substr(0, V1.length - 1), ['keyboard cat'])).toBe(CookieVerdict.BadSignatureFormat);
    expect(verify('s%3Aorg-123', ['keyboard cat'])).toBe(CookieVerdict.BadSignatureFormat);
  });
  it('rejects unsigned and malformed values', () => {
    expect(verify('org-123', ['keyboard cat'])).toBe(CookieVerdict.NotSigned);
    expect(verify('', ['keyboard cat'])).toBe(CookieVerdict.NotSigned);
    expect(verify('s', ['keyboard cat'])).toBe(CookieVerdict.NotSigned);
    expect(verify('s%3', ['keyboard cat'])).toBe(CookieVerdict.Malformed);
    expect(verify('s%3Aorg%ZZ.x', ['keyboard cat'])).toBe(CookieVerdict.Malformed);
    expect(verify('s:org-é', ['keyboard cat'])).toBe(CookieVerdict.Malformed);
  });
});

/** verify() on raw header bytes (one byte per character, as Node reads them). */
function verifyRaw(value: string, secrets: string[]): CookieVerdict {
  const raw = latin1(value);
  const scratch = new StaticArray<u8>(raw.length * 4 + 1);
  const verdict = verifyCookie(changetype<usize>(raw), raw.length, keys(secrets), changetype<usize>(scratch));
  lastId = verdict == CookieVerdict.Valid ? asString(verifiedIdStart, verifiedIdLength) : '';
  return verdict;
}

// Signatures from cookie-signature (Node): the payload's characters hashed as UTF-8.
const CAFE = 's:j:{"id":"org-42","name":"Caf\u00e9"}.JOqS2DsszIKh3r+qnzzQ8pVSwA4Z6tYsJc1k2Ls7Ck8';
const PERCENT = 's:j:{"id":"org-7","p":"100%"}.WaAycl7Nmz6X9NCE8HQhm6K25qiHmBkzlc7xe2LLD2s';
const MIXED = 's%3Aj:{"id":"org-8","n":"\u00e9%C3%A9%20"}.iUVWjQ+roQlIUx1wA11bQ2l4KHau7GOMG/pz2OJNi2E';

describe('verifyCookie as Node reads the header', () => {
  it('accepts a raw byte >= 0x80, hashed as the UTF-8 of its Latin-1 character', () => {
    expect(verifyRaw(CAFE, ['keyboard cat'])).toBe(CookieVerdict.Valid);
    expect(lastId).toBe('org-42');
    expect(verifyRaw(MIXED, ['keyboard cat'])).toBe(CookieVerdict.Valid);
    expect(lastId).toBe('org-8');
  });
  it('keeps the undecoded text when decodeURIComponent would throw, as the `cookie` module does', () => {
    expect(verifyRaw(PERCENT, ['keyboard cat'])).toBe(CookieVerdict.Valid);
    expect(lastId).toBe('org-7');
  });
  it('still rejects such a cookie when it does not verify, as malformed', () => {
    expect(verifyRaw(CAFE, ['keyboard dog'])).toBe(CookieVerdict.Malformed);
    expect(verifyRaw(PERCENT.replace('org-7', 'org-9'), ['keyboard cat'])).toBe(CookieVerdict.Malformed);
    // The same bytes read as UTF-8 (C3 A9) are other characters to Node: the signature fails.
    expect(verify(CAFE, ['keyboard cat'])).toBe(CookieVerdict.Malformed);
  });
});
