// The user's organisation list from a verified claim: Envoy property encodings (a string raw, a
// list in the pairs layout) and JSON (array or comma-separated string); malformed input gives no list.
import {
  clearMemberships,
  isMember,
  membershipCount,
  membershipPresent,
  membershipsFromJson,
  membershipsFromProperty,
} from '../../assembly/filter/membership';
import { valueStart } from '../../assembly/parse/json';
import { text } from './helpers';

function member(id: string): bool {
  const t = text(id);
  return isMember(changetype<usize>(t), t.length);
}

/** A list in the pairs layout: u32 count, (u32 key length, u32 value length)*, then key\0 value\0. */
function pairs(items: string[]): StaticArray<u8> {
  let size = 4 + 8 * items.length;
  for (let i = 0; i < items.length; i++) size += String.UTF8.byteLength(items[i]) + 2;
  const out = new StaticArray<u8>(size);
  const p = changetype<usize>(out);
  store<u32>(p, items.length);
  let o = p + 4 + 8 * <usize>items.length;
  for (let i = 0; i < items.length; i++) {
    const key = text(items[i]);
    store<u32>(p + 4 + 8 * <usize>i, key.length);
    store<u32>(p + 8 + 8 * <usize>i, 0);
    memory.copy(o, changetype<usize>(key), <usize>key.length);
    o += <usize>key.length + 2;
  }
  return out;
}

// Inputs are kept alive in globals: the list points into them.
let input: StaticArray<u8> = new StaticArray<u8>(0);
let scratch: StaticArray<u8> = new StaticArray<u8>(0);

function fromProperty(bytes: StaticArray<u8>): void {
  input = bytes;
  clearMemberships();
  membershipsFromProperty(changetype<usize>(input), input.length);
}

function fromJson(json: string): void {
  input = text(json);
  scratch = new StaticArray<u8>(input.length);
  clearMemberships();
  membershipsFromJson(valueStart(changetype<usize>(input), input.length), changetype<usize>(input) + <usize>input.length, changetype<usize>(scratch));
}

describe('membership lists', () => {
  it('reads a list property (pairs layout)', () => {
    fromProperty(pairs(['org-a', 'org-b']));
    expect(membershipPresent).toBe(true);
    expect(membershipCount).toBe(2);
    expect(member('org-a')).toBe(true);
    expect(member('org-b')).toBe(true);
    expect(member('org-c')).toBe(false);
    expect(member('org')).toBe(false);
  });

  it('reads a comma-separated string property', () => {
    fromProperty(text('org-a, org-b ,org-c'));
    expect(membershipCount).toBe(3);
    expect(member('org-b')).toBe(true);
  });

  it('gives no list for a malformed pairs layout', () => {
    const bad = pairs(['org-a']);
    store<u32>(changetype<usize>(bad), 99); // count larger than the buffer
    fromProperty(bad);
    expect(membershipPresent).toBe(false);
    expect(member('org-a')).toBe(false);
    const truncated: StaticArray<u8> = [1, 0, 0];
    fromProperty(truncated);
    expect(membershipPresent).toBe(false);
  });

  it('reads JSON arrays and strings, ignoring non-strings', () => {
    fromJson('["org-a", 7, "org-\\u0062"]');
    expect(membershipCount).toBe(2);
    expect(member('org-b')).toBe(true);
    fromJson('"org-x,org-y"');
    expect(member('org-y')).toBe(true);
    fromJson('{"not":"a list"}');
    expect(membershipPresent).toBe(false);
  });
});
