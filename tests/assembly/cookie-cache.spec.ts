// The verified-cookie cache: exact-value hits, bounded size, emptied by reset (reconfiguration).
import { CookieCache, MAX_CACHED_VALUE, cachedFeatures, cachedIdLength, cachedIdStart } from '../../assembly/filter/cookie-cache';
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

describe('CookieCache', () => {
  it('returns what was verified, for the exact value only', () => {
    const cache = new CookieCache();
    cache.reset(16);
    insert(cache, 's%3Aorg-1.sig', 'org-1', 3);
    expect(lookup(cache, 's%3Aorg-1.sig')).toBe('org-1');
    expect(cachedFeatures).toBe(3);
    expect(lookup(cache, 's%3Aorg-1.sih')).toBe('<miss>');
    expect(lookup(cache, 's%3Aorg-1.si')).toBe('<miss>');
    expect(lookup(cache, '')).toBe('<miss>');
  });

  it('is emptied by reset (a reconfiguration)', () => {
    const cache = new CookieCache();
    cache.reset(16);
    insert(cache, 'value-a', 'org-a');
    cache.reset(16);
    expect(lookup(cache, 'value-a')).toBe('<miss>');
    cache.reset(64); // a bigger cache after reconfiguration starts empty too
    expect(lookup(cache, 'value-a')).toBe('<miss>');
  });

  it('holds at most its capacity: a colliding value evicts the old one', () => {
    const cache = new CookieCache();
    cache.reset(1);
    insert(cache, 'first', 'org-1');
    insert(cache, 'second', 'org-2');
    expect(lookup(cache, 'first')).toBe('<miss>');
    expect(lookup(cache, 'second')).toBe('org-2');
  });

  it('is disabled by size 0 and skips over-long values', () => {
    const off = new CookieCache();
    off.reset(0);
    insert(off, 'v', 'org');
    expect(lookup(off, 'v')).toBe('<miss>');
    const cache = new CookieCache();
    cache.reset(8);
    let long = '';
    for (let i = 0; i <= MAX_CACHED_VALUE; i++) long += 'x';
    insert(cache, long, 'org-long');
    expect(lookup(cache, long)).toBe('<miss>');
  });
});
