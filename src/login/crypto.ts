// Authenticated encryption for everything the service hands to a browser or a store: AES-256-GCM
// with a random 96-bit IV and "additional data" that binds a ciphertext to its purpose (a ticket
// sealed for the session cookie cannot be replayed as a login-state cookie, nor a session record
// moved to another store key). Keys are derived from the one ENCRYPTION_KEY with HKDF per purpose.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte subkey of the root key for one purpose (HKDF-SHA256). */
export function deriveKey(root: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), `oneconnect-edge login ${purpose}`, 32));
}

export function seal(key: Buffer, plaintext: Buffer | string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The plaintext, or undefined if the value was not sealed by this key for this purpose. */
export function open(key: Buffer, sealed: string, aad: string): Buffer | undefined {
  if (sealed.length > 16384 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** base64url SHA-256: store keys and cookie-name suffixes that do not reveal the secret they index. */
export function digest(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** How logs name a secret (a session id, a provider sid): 12 characters of its digest, enough to follow one through the log. */
export function logTag(value: string): string {
  return digest(value).slice(0, 12);
}

export function hmac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
