// The demo users, shared by the identity provider stand-in (who can log in) and onboarding (what
// they may do). One file so the two can never disagree on a user's id: in the seed system the
// Cognito `sub` and the onboarding user id are the same value.
import { readFileSync } from 'node:fs';
import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SeedUser {
  /** Shared user id: the Cognito `sub` and the onboarding id. */
  id: string;
  /** Cognito's `cognito:username` (the pool's internal user name). */
  username: string;
  email: string;
  emailVerified: boolean;
  /** `scrypt$N$r$p$salt$hash` (base64url parts); see hashPassword. */
  passwordHash: string;
  /** Onboarding's privilege; the Lambda maps it to the `userType` claim. */
  privilege: string;
  /** Organisation ids, first = the bootstrapped one. */
  organisations: string[];
  /** Cognito groups (`cognito:groups`). */
  groups: string[];
}

const ORGANISATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const USER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The demo seed committed with the repository (passwords in docs/idp.md). */
export const DEFAULT_SEED_FILE = new URL('./users.json', import.meta.url).pathname;

/** Reads and validates a seed file; every problem names the user and field. */
export function loadSeed(file: string = DEFAULT_SEED_FILE): SeedUser[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`seed file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseSeed(raw, file);
}

export function parseSeed(raw: unknown, source = 'seed'): SeedUser[] {
  const list = (raw as { users?: unknown })?.users;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${source}: expected { "users": [ ... ] } with at least one user`);
  const ids = new Set<string>();
  const emails = new Set<string>();
  return list.map((entry: unknown, index) => {
    const where = `${source}: users[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where} must be an object`);
    const user = entry as Record<string, unknown>;
    const str = (name: string): string => {
      const value = user[name];
      if (typeof value !== 'string' || value.length === 0) throw new Error(`${where}.${name} must be a non-empty string`);
      return value;
    };
    const strings = (name: string, pattern?: RegExp): string[] => {
      const value = user[name] ?? [];
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || (pattern && !pattern.test(item)))) {
        throw new Error(`${where}.${name} must be an array of strings${pattern ? ` matching ${pattern}` : ''}`);
      }
      return [...value] as string[];
    };
    const id = str('id');
    if (!USER_ID.test(id)) throw new Error(`${where}.id must match ${USER_ID}`);
    const email = str('email').toLowerCase();
    if (ids.has(id)) throw new Error(`${where}.id ${id} is duplicated`);
    if (emails.has(email)) throw new Error(`${where}.email ${email} is duplicated`);
    ids.add(id);
    emails.add(email);
    const passwordHash = str('passwordHash');
    if (!passwordHash.startsWith('scrypt$') || passwordHash.split('$').length !== 6) {
      throw new Error(`${where}.passwordHash must be scrypt$N$r$p$salt$hash`);
    }
    return {
      id,
      username: typeof user.username === 'string' && user.username ? user.username : id,
      email,
      emailVerified: user.emailVerified !== false,
      passwordHash,
      privilege: str('privilege'),
      organisations: strings('organisations', ORGANISATION_ID),
      groups: strings('groups'),
    };
  });
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scryptAsync(password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash`: parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return false;
  const expected = Buffer.from(hashText, 'base64url');
  const N = Number(n);
  const rr = Number(r);
  const pp = Number(p);
  if (!Number.isInteger(N) || !Number.isInteger(rr) || !Number.isInteger(pp) || expected.length === 0) return false;
  const actual = await scryptAsync(password, Buffer.from(saltText, 'base64url'), expected.length, { N, r: rr, p: pp });
  return timingSafeEqual(actual, expected);
}

// `tsx src/harness/seed/index.ts hash <password>` prints a hash for a new seed entry.
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'hash' && process.argv[3]) {
  process.stdout.write(`${await hashPassword(process.argv[3])}\n`);
}
