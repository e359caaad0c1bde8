// The verified-cookie cache: exact-value hits, bounded size, emptied by reset (reconfiguration).
import { CookieCache, MAX_CACHED_VALUE, MIN_CACHED_VALUE, cachedFeatures, cachedIdLength, cachedIdStart } from '../../assembly/filter/cookie-cache';
import { asString, text } from './helpers';

function insert(cache: CookieCache, value: string, id: string, features: i32 = -1): void {
  const v = text(value);
  const i = text(id);
  cache.insert(changetype<usize>(v), v.length, changetype<usize>(i), i.length, features);
}

/** The cached id for the value, or "<miss>". */
function lookup(cache: CookieCache, value: string): string {
  const v = text(value);
  return cache.lookup(changetype<usize>(v), v.length) ? asString(cachedIdStart, cachedIdLength) : '<miss>';
}

// A signed value as the browser sends it (43 characters of signature).
const SIGNED = 's%3Aorg-1.0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

function withCharAt(value: string, at: i32, c: string): string {
  return value.substring(0, at) + c + value.substring(at + 1);
}

describe('CookieCache', () => {
  it('returns what was verified, for the exact value only', () => {
    const cache = new CookieCache();
    cache.reset(16);
    insert(cache, SIGNED, 'org-1', 3);
    expect(lookup(cache, SIGNED)).toBe('org-1');
    expect(cachedFeatures).toBe(3);
    expect(lookup(cache, withCharAt(SIGNED, SIGNED.length - 1, 'H'))).toBe('<miss>');
    expect(lookup(cache, SIGNED.substring(0, SIGNED.length - 1))).toBe('<miss>');
    expect(lookup(cache, '')).toBe('<miss>');
  });

  it('compares every byte: a value differing only where the slot hash does not look is a miss', () => {
    // The slot hash reads the first, middle and last eight bytes; byte 12 is in none of them.
    const cache = new CookieCache();
    cache.reset(16);
    insert(cache, SIGNED, 'org-1');
    expect(lookup(cache, withCharAt(SIGNED, 12, '#'))).toBe('<miss>');
    expect(lookup(cache, SIGNED)).toBe('org-1');
  });

  it('keeps no value shorter than a signed cookie can be', () => {
    const cache = new CookieCache();
    cache.reset(16);
    let short = '';
    for (let i = 0; i < MIN_CACHED_VALUE - 1; i++) short += 'v';
    insert(cache, short, 'org-short');
    expect(lookup(cache, short)).toBe('<miss>');
  });

  it('is emptied by reset (a reconfiguration)', () => {
    const cache = new CookieCache();
    cache.reset(16);
    insert(cache, SIGNED, 'org-a');
    cache.reset(16);
    expect(lookup(cache, SIGNED)).toBe('<miss>');
    cache.reset(64); // a bigger cache after reconfiguration starts empty too
    expect(lookup(cache, SIGNED)).toBe('<miss>');
  });

  it('holds at most its capacity: a colliding value evicts the old one', () => {
    const cache = new CookieCache();
    cache.reset(1);
    const second = withCharAt(SIGNED, 20, '_');
    insert(cache, SIGNED, 'org-1');
    insert(cache, second, 'org-2');
    expect(lookup(cache, SIGNED)).toBe('<miss>');
    expect(lookup(cache, second)).toBe('org-2');
  });

  it('is disabled by size 0 and skips over-long values', () => {
    const off = new CookieCache();
    off.reset(0);
    insert(off, SIGNED, 'org');
    expect(lookup(off, SIGNED)).toBe('<miss>');
    const cache = new CookieCache();
    cache.reset(8);
    let long = '';
    for (let i = 0; i <= MAX_CACHED_VALUE; i++) long += 'x';
    insert(cache, long, 'org-long');
    expect(lookup(cache, long)).toBe('<miss>');
  });
});
