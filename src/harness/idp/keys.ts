// The provider's RS256 signing key: generated on first start and kept in the data folder, so ID
// tokens, the JWKS and anything that cached it (jwt_authn, onboarding) survive a restart.
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';

export const KEY_FILE = 'idp-signing-keys.json';

export async function loadOrCreateSigningKeys(dataDir: string): Promise<{ keys: JWK[] }> {
  const file = join(dataDir, KEY_FILE);
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { keys?: JWK[] };
    if (!Array.isArray(stored.keys) || stored.keys.length === 0 || stored.keys.some((key) => key.kty !== 'RSA' || !key.d)) {
      throw new Error(`${file} holds no RSA private key; delete it to generate a new one`);
    }
    return { keys: stored.keys };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const key: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Write then rename: two processes starting at once never read a half-written key.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ keys: [key] }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  return loadOrCreateSigningKeys(dataDir);
}
