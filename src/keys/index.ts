// The signing-key file: the secrets the organisation backend signs the `previouslySelectedOrganisation`
// cookie with and the org-context filter verifies it with. Current secret first; previous ones are
// kept after a rotation so cookies signed before it stay valid until they are dropped.
// Format (JSON, mode 0600): { "version": 1, "secrets": ["current", "previous", …], "createdAt", "rotatedAt" }.
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_KEY_FILE = '.data/keys.json';
/** How many previous secrets a rotation keeps unless told otherwise. */
export const DEFAULT_KEEP = 2;
/** The filter warns below 32 bytes; we generate 32 random bytes (43 base64url characters). */
const SECRET_BYTES = 32;

export interface KeyFile {
  version: 1;
  /** Current signing secret first, then the previous ones, newest first. */
  secrets: string[];
  createdAt: string;
  rotatedAt?: string;
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/** A fresh secret: 256 bits from the OS CSPRNG, base64url so it is safe in env vars, JSON and YAML. */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** A short, non-reversible name for a secret, for `keys show` and logs (never the secret itself). */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12)}`;
}

/** Reads and validates a key file. Errors name the file, never a secret. */
export function readKeyFile(file: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(code === 'ENOENT' ? `no key file at ${file} (run: oc-edge keys init)` : `cannot read key file ${file}: ${code}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyFileError(`key file ${file} is not valid JSON`);
  }
  return validate(parsed, file);
}

function validate(value: unknown, file: string): KeyFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KeyFileError(`key file ${file}: expected a JSON object`);
  const record = value as Record<string, unknown>;
  if (record.version !== 1) throw new KeyFileError(`key file ${file}: unsupported version ${JSON.stringify(record.version)}`);
  const secrets = record.secrets;
  if (!Array.isArray(secrets) || secrets.length === 0) throw new KeyFileError(`key file ${file}: "secrets" must be a non-empty array`);
  secrets.forEach((secret, index) => {
    if (typeof secret !== 'string' || secret.length === 0) throw new KeyFileError(`key file ${file}: secrets[${index}] must be a non-empty string`);
  });
  if (new Set(secrets).size !== secrets.length) throw new KeyFileError(`key file ${file}: secrets must be distinct`);
  if (typeof record.createdAt !== 'string') throw new KeyFileError(`key file ${file}: "createdAt" must be a string`);
  const keyFile: KeyFile = { version: 1, secrets: secrets as string[], createdAt: record.createdAt };
  if (typeof record.rotatedAt === 'string') keyFile.rotatedAt = record.rotatedAt;
  return keyFile;
}

/** The secrets, current first: what ORG_COOKIE_SECRETS carries and what cookie-parser takes. */
export function loadSecrets(file: string = DEFAULT_KEY_FILE): string[] {
  return readKeyFile(file).secrets;
}

/**
 * Writes atomically (temp file + rename, so a reader never sees half a file) with mode 0600 from
 * the first byte: the file holds secrets.
 */
export function writeKeyFile(file: string, keyFile: KeyFile): void {
  validate(keyFile, file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(keyFile, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Creates a key file with one fresh secret. Refuses to overwrite one unless `force`. */
export function initKeys(file: string, options: { force?: boolean; now?: Date } = {}): KeyFile {
  if (!options.force && exists(file)) throw new KeyFileError(`key file ${file} exists (rotate it, or init --force to replace every secret)`);
  const keyFile: KeyFile = { version: 1, secrets: [generateSecret()], createdAt: (options.now ?? new Date()).toISOString() };
  writeKeyFile(file, keyFile);
  return keyFile;
}

/**
 * Puts a new secret first and keeps the `keep` most recent previous ones, so cookies signed with
 * them stay valid; older ones are dropped (cookies signed with those stop verifying).
 */
export function rotateKeys(file: string, options: { keep?: number; now?: Date; secret?: string } = {}): KeyFile {
  const keep = options.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 0) throw new KeyFileError(`--keep must be a whole number ≥ 0, got ${keep}`);
  const current = readKeyFile(file);
  const secret = options.secret ?? generateSecret();
  if (current.secrets.includes(secret)) throw new KeyFileError('the new secret is already in the key file');
  const rotated: KeyFile = {
    ...current,
    secrets: [secret, ...current.secrets.slice(0, keep)],
    rotatedAt: (options.now ?? new Date()).toISOString(),
  };
  writeKeyFile(file, rotated);
  return rotated;
}

/** Whether the file's mode lets anyone but its owner read it (reported by `keys show`). */
export function isTooOpen(file: string): boolean {
  return (statSync(file).mode & 0o077) !== 0;
}
