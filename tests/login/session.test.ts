// Sessions and sealing without HTTP: what a ticket and a store record are, and that recording
// activity never rewrites the record a concurrent refresh may just have written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, seal } from '../../src/login/crypto.ts';
import { Sessions } from '../../src/login/session.ts';
import { MemoryStore } from '../../src/login/store/memory.ts';
import { checkRedirect } from '../../src/login/redirect.ts';
import { parseCookies } from '../../src/login/cookies.ts';

const tokens = { idToken: 'header.payload.signature', accessToken: 'access', refreshToken: 'refresh', expiresAt: Date.now() + 3600_000 };

class CountingStore extends MemoryStore {
  readonly writes: string[] = [];
  override async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.writes.push(key.split(':', 1)[0]!);
    return super.set(key, value, ttlMs);
  }
}

describe('sealing', () => {
  it('opens only with the same key and the same purpose, and rejects any flipped bit', () => {
    const key = randomBytes(32);
    const sealed = seal(key, 'hello', 'purpose-a');
    assert.equal(open(key, sealed, 'purpose-a')?.toString(), 'hello');
    assert.equal(open(key, sealed, 'purpose-b'), undefined);
    assert.equal(open(randomBytes(32), sealed, 'purpose-a'), undefined);
    const raw = Buffer.from(sealed, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const copy = Buffer.from(raw);
      copy[i]! ^= 0x80;
      assert.equal(open(key, copy.toString('base64url'), 'purpose-a'), undefined, `bit flip at ${i}`);
    }
    assert.notEqual(seal(key, 'hello', 'purpose-a'), sealed, 'random IV: sealing twice differs');
  });
});

describe('sessions', () => {
  it('keeps tokens out of the ticket and out of the store in clear', async () => {
    const store = new CountingStore();
    const sessions = new Sessions(store, randomBytes(32), '__Host-oc-session', { maxAgeMs: 60_000, inactivityTimeoutMs: 0 });
    const session = await sessions.create('user-1', undefined, tokens);
    const ticket = sessions.ticket(session);
    assert.ok(!Buffer.from(ticket, 'base64url').toString('latin1').includes('user-1'));
    const stored = await store.get(session.storeKey);
    assert.ok(stored && !stored.includes('refresh') && !stored.includes('payload'));
    const resolved = await sessions.resolve(ticket);
    assert.equal(resolved.status, 'active');
    assert.equal(resolved.status === 'active' && resolved.session.record.tokens.refreshToken, 'refresh');
    // A second service with another root key cannot open the ticket.
    const other = new Sessions(store, randomBytes(32), '__Host-oc-session', { maxAgeMs: 60_000, inactivityTimeoutMs: 0 });
    assert.equal((await other.resolve(ticket)).status, 'invalid');
    // The ticket is bound to the cookie name it was issued under.
    const renamed = new Sessions(store, Buffer.alloc(32), 'other-name', { maxAgeMs: 60_000, inactivityTimeoutMs: 0 });
    assert.equal((await renamed.resolve(ticket)).status, 'invalid');
  });

  it('records activity in its own key, never by rewriting the session record', async () => {
    const store = new CountingStore();
    const sessions = new Sessions(store, randomBytes(32), 'oc-session', { maxAgeMs: 60_000, inactivityTimeoutMs: 100 });
    const session = await sessions.create('user-1', undefined, tokens);
    store.writes.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const resolved = await sessions.resolve(sessions.ticket(session));
    assert.equal(resolved.status, 'active');
    if (resolved.status === 'active') await sessions.touch(resolved.session);
    assert.deepEqual(store.writes, ['active']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(await sessions.resolve(sessions.ticket(session)), { status: 'expired', reason: 'inactivity' });
    assert.equal(await store.get(session.storeKey), undefined, 'an expired session is deleted');
  });

  it('opens a memoised record only with its own session key', async () => {
    const store = new MemoryStore();
    const root = randomBytes(32);
    const sessions = new Sessions(store, root, 'oc-session', { maxAgeMs: 60_000, inactivityTimeoutMs: 0 });
    const a = await sessions.create('user-a', undefined, tokens);
    const b = await sessions.create('user-b', undefined, tokens);
    assert.equal((await sessions.resolve(sessions.ticket(a))).status, 'active');
    // Someone with write access to the store copies A's record into B's slot: B's key cannot open it.
    await store.set(b.storeKey, (await store.get(a.storeKey))!, 60_000);
    assert.equal((await sessions.resolve(sessions.ticket(b))).status, 'invalid');
  });

  it('hands out a memoised record frozen, and a rewritten record (a refresh) fresh', async () => {
    const store = new MemoryStore();
    const sessions = new Sessions(store, randomBytes(32), 'oc-session', { maxAgeMs: 60_000, inactivityTimeoutMs: 0 });
    const created = await sessions.create('user-a', undefined, tokens);
    const first = await sessions.resolve(sessions.ticket(created));
    const second = await sessions.resolve(sessions.ticket(created));
    assert.ok(first.status === 'active' && second.status === 'active');
    assert.equal(second.session.record, first.session.record, 'the same ciphertext opens to the memo\'s record');
    assert.throws(() => ((first.session.record.tokens as { accessToken: string }).accessToken = 'forged'), TypeError, 'nested tokens are frozen too');
    assert.throws(() => ((first.session.record as { sub: string }).sub = 'someone-else'), TypeError);
    // What a refresh does: a new record, sealed anew under the same store key.
    const refreshed = { ...first.session, record: { ...first.session.record, tokens: { ...tokens, accessToken: 'access-2' }, refreshedAt: Date.now() } };
    await sessions.save(refreshed);
    const third = await sessions.resolve(sessions.ticket(created));
    assert.ok(third.status === 'active');
    assert.equal(third.session.record.tokens.accessToken, 'access-2', 'a new ciphertext under the same key is opened, not served from the memo');
    assert.equal(first.session.record.tokens.accessToken, 'access', 'the old record is untouched');
  });
});

describe('small parsers', () => {
  it('parses hostile Cookie headers without throwing', () => {
    assert.deepEqual(parseCookies('a=1; b="2"; =x; c; d=4=5;;  e = 6 '), [['a', '1'], ['b', '2'], ['d', '4=5'], ['e', '6']]);
    assert.deepEqual(parseCookies(['a=1', 'b=2']), [['a', '1'], ['b', '2']]);
    assert.deepEqual(parseCookies(`x=${'y'.repeat(20000)}`), []);
    assert.deepEqual(parseCookies(undefined), []);
  });

  it('says why a redirect is refused', () => {
    assert.deepEqual(checkRedirect('//evil.com', 'https://app.test'), { ok: false, reason: 'not a relative path starting with a single /' });
    assert.deepEqual(checkRedirect('/a/../b?c', 'https://app.test'), { ok: true, url: 'https://app.test/b?c' });
  });
});
