// Server-side sessions. The browser holds only a ticket: the session id and a per-session key,
// sealed with the service's cookie key. The store holds the session record sealed with that
// per-session key, under a digest of the id — so neither a stolen store dump nor a cookie alone
// yields a token, and a tampered cookie simply does not open.
import { randomBytes } from 'node:crypto';
import { deriveKey, digest, hmac, open, seal } from './crypto.ts';
import { Lru } from './lru.ts';
import type { TokenSet } from './oidc.ts';
import type { SessionStore } from './store/types.ts';

export interface SessionRecord {
  v: 1;
  sub: string;
  /** The provider's session id (ID token `sid`): indexed, for front-channel logout. */
  sid?: string;
  /** The ID token's `acr` at login: the level the user authenticated at. */
  acr?: string;
  createdAt: number;
  /** Absolute end: createdAt + SESSION_MAX_AGE. */
  endsAt: number;
  /** Last successful token refresh (or the login). */
  refreshedAt: number;
  tokens: TokenSet;
}

export interface Session {
  id: string;
  key: Buffer;
  storeKey: string;
  /** Frozen: it may be the memo's own copy (see #openRecord); a change makes a new record. */
  record: Readonly<SessionRecord>;
  /**
   * Last time a request used the session, for the inactivity timeout. Kept in its own store key,
   * not in the record, so that recording activity can never overwrite tokens a concurrent refresh
   * has just written.
   */
  lastActiveAt: number;
}

export type Resolution =
  | { status: 'active'; session: Session }
  | { status: 'invalid' }
  | { status: 'unknown' }
  | { status: 'expired'; reason: 'max_age' | 'inactivity' };

/** A resolution that also hands back a session that just timed out, for a last report. */
export type ReportResolution = Resolution | { status: 'inactive'; session: Session };

export interface SessionPolicy {
  maxAgeMs: number;
  /** 0: none. */
  inactivityTimeoutMs: number;
}

/** What the sid index may name: only session records (a corrupted index cannot delete other keys). */
const SESSION_STORE_KEY = /^session:[A-Za-z0-9_-]{1,128}$/;

/**
 * The index of a provider session's local sessions. Keyed by a digest, so a sid (chosen by the
 * provider, of any shape) never becomes part of a store key; each login under it adds its session.
 */
export function sidIndexKey(sid: string): string {
  return `sid:${digest(sid)}`;
}

/** JSON is a tree: freezing every object in it makes the memo's copy safe to hand out. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const ID_BYTES = 16;
const KEY_BYTES = 32;
/**
 * Opening a sealed value costs ~15 µs (creating the AES-GCM decipher dominates), twice per check.
 * Both are pure functions of the exact sealed string, so results are memoised: a ticket by its
 * string; a record by its store key, a hit only when the store handed back the very same
 * ciphertext under the same key — so a changed or deleted entry can never hit a stale result.
 * (Keyed by the short store key, not the ~3 KB ciphertext, which a Map would hash on every
 * check: each read from the store is a new string.) The record is kept parsed and frozen.
 * Bounded, so a flood of distinct cookies cannot grow memory.
 */
const MEMO_ENTRIES = 4096;

export class Sessions {
  readonly #store: SessionStore;
  readonly #ticketKey: Buffer;
  readonly #csrfKey: Buffer;
  readonly #aad: string;
  readonly #policy: SessionPolicy;
  readonly #tickets = new Lru<string, { id: Buffer; key: Buffer; storeKey: string }>(MEMO_ENTRIES);
  readonly #records = new Lru<string, { sealed: string; key: Buffer; record: Readonly<SessionRecord> }>(MEMO_ENTRIES);

  constructor(store: SessionStore, rootKey: Buffer, cookieName: string, policy: SessionPolicy) {
    this.#store = store;
    this.#ticketKey = deriveKey(rootKey, 'session ticket');
    this.#csrfKey = deriveKey(rootKey, 'logout csrf');
    this.#aad = `ticket:${cookieName}`;
    this.#policy = policy;
  }

  get store(): SessionStore {
    return this.#store;
  }

  /** A new session with a fresh random id (never derived from or reusing an old one). */
  async create(sub: string, sid: string | undefined, tokens: TokenSet, now = Date.now(), extra: { acr?: string } = {}): Promise<Session> {
    const id = randomBytes(ID_BYTES);
    const idText = id.toString('base64url');
    const session: Session = {
      id: idText,
      key: randomBytes(KEY_BYTES),
      storeKey: `session:${digest(id)}`,
      record: { v: 1, sub, sid, ...(extra.acr !== undefined ? { acr: extra.acr } : {}), createdAt: now, endsAt: now + this.#policy.maxAgeMs, refreshedAt: now, tokens },
      lastActiveAt: now,
    };
    await this.save(session, now);
    await this.#recordActivity(session, now);
    // Indexed after the record exists: a front-channel logout racing this login either finds the
    // session or comes before it was listed — never lists a session that is not there yet.
    if (sid !== undefined) await this.#store.addToSet(sidIndexKey(sid), session.storeKey, this.#policy.maxAgeMs);
    return session;
  }

  ticket(session: Session): string {
    return seal(this.#ticketKey, Buffer.concat([Buffer.from(session.id, 'base64url'), session.key]), this.#aad);
  }

  /** Seconds the cookie should live: until the session's absolute end. */
  cookieMaxAge(session: Session, now = Date.now()): number {
    return Math.max(0, Math.floor((session.record.endsAt - now) / 1000));
  }

  /** A CSRF token for GET logout, bound to this session (dies with it). */
  csrfToken(session: Session): string {
    return hmac(this.#csrfKey, session.id);
  }

  /** Timeout instant (inactivity), if the policy has one. */
  timeoutAt(session: Session): number | undefined {
    return this.#policy.inactivityTimeoutMs > 0 ? session.lastActiveAt + this.#policy.inactivityTimeoutMs : undefined;
  }

  #activityKey(storeKey: string): string {
    return `active:${storeKey}`;
  }

  /** Opens a ticket and loads its session. Store failures throw StoreUnavailableError. */
  async resolve(ticket: string, now = Date.now()): Promise<Resolution> {
    const resolution = await this.resolveForReport(ticket, now);
    return resolution.status === 'inactive' ? { status: 'expired', reason: 'inactivity' } : resolution;
  }

  /** Like resolve, but a session that just timed out for inactivity (now deleted) comes back as `inactive`. */
  async resolveForReport(ticket: string, now = Date.now()): Promise<ReportResolution> {
    const opened = this.#openTicket(ticket);
    if (!opened) return { status: 'invalid' };
    const { id, key, storeKey } = opened;
    const timeout = this.#policy.inactivityTimeoutMs;
    const [sealed, active] = timeout > 0 ? await this.#store.getMany([storeKey, this.#activityKey(storeKey)]) : [await this.#store.get(storeKey), undefined];
    if (sealed === undefined) return { status: 'unknown' };
    const record = this.#openRecord(key, sealed, storeKey);
    if (record === undefined) return { status: 'invalid' };
    const session: Session = { id: id.toString('base64url'), key: Buffer.from(key), storeKey, record, lastActiveAt: Number(active ?? 0) };
    if (record.endsAt <= now) {
      await this.destroy(session);
      return { status: 'expired', reason: 'max_age' };
    }
    if (timeout > 0 && session.lastActiveAt + timeout <= now) {
      await this.destroy(session);
      return { status: 'inactive', session };
    }
    return { status: 'active', session };
  }

  #openTicket(ticket: string): { id: Buffer; key: Buffer; storeKey: string } | undefined {
    const cached = this.#tickets.get(ticket);
    if (cached) return cached;
    const plain = open(this.#ticketKey, ticket, this.#aad);
    if (!plain || plain.length !== ID_BYTES + KEY_BYTES) return undefined;
    const id = plain.subarray(0, ID_BYTES);
    const opened = { id, key: plain.subarray(ID_BYTES), storeKey: `session:${digest(id)}` };
    this.#tickets.set(ticket, opened);
    return opened;
  }

  #openRecord(key: Buffer, sealed: string, storeKey: string): Readonly<SessionRecord> | undefined {
    // A hit must also match the session key: the same ciphertext under another key must not open.
    const cached = this.#records.get(storeKey);
    if (cached !== undefined && cached.sealed === sealed && cached.key.equals(key)) return cached.record;
    const plain = open(key, sealed, storeKey);
    if (!plain) return undefined;
    const record = deepFreeze(JSON.parse(plain.toString()) as SessionRecord);
    this.#records.set(storeKey, { sealed, key, record });
    return record;
  }

  /** Writes the record; the store entry lives exactly as long as the session may. */
  async save(session: Session, now = Date.now()): Promise<void> {
    const ttl = session.record.endsAt - now;
    if (ttl <= 0) {
      await this.destroy(session);
      return;
    }
    await this.#store.set(session.storeKey, seal(session.key, JSON.stringify(session.record), session.storeKey), ttl);
  }

  async #recordActivity(session: Session, now: number): Promise<void> {
    const timeout = this.#policy.inactivityTimeoutMs;
    if (timeout <= 0) return;
    session.lastActiveAt = now;
    await this.#store.set(this.#activityKey(session.storeKey), String(now), Math.min(timeout, session.record.endsAt - now));
  }

  /**
   * Records activity for the inactivity timeout. Writes are throttled (at most every 1/20 of the
   * timeout, capped at 30 s) so a busy page does not cost a store write per request.
   */
  async touch(session: Session, now = Date.now()): Promise<void> {
    const timeout = this.#policy.inactivityTimeoutMs;
    if (timeout <= 0) return;
    if (now - session.lastActiveAt < Math.min(timeout / 20, 30_000)) return;
    await this.#recordActivity(session, now);
  }

  async destroy(session: Session): Promise<void> {
    await this.#deleteKeys(session.storeKey);
    if (session.record.sid !== undefined) await this.#store.removeFromSet(sidIndexKey(session.record.sid), session.storeKey);
  }

  async #deleteKeys(storeKey: string): Promise<void> {
    await this.#store.delete(storeKey);
    if (this.#policy.inactivityTimeoutMs > 0) await this.#store.delete(this.#activityKey(storeKey));
  }

  /**
   * Ends every session logged in under the provider session `sid` (front-channel logout); the
   * number of sessions the index listed (some may have expired already).
   */
  async destroyForSid(sid: string): Promise<number> {
    const key = sidIndexKey(sid);
    const storeKeys = (await this.#store.setMembers(key)).filter((member) => SESSION_STORE_KEY.test(member));
    for (const storeKey of storeKeys) await this.#deleteKeys(storeKey);
    await this.#store.delete(key);
    return storeKeys.length;
  }
}
