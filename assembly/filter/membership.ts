// The user's organisation list from the verified JWT claim named by ORG_MEMBERSHIP_CLAIM: a JSON
// array of strings or a comma-separated string. It arrives either as an Envoy property (a string
// raw, a list in the pairs layout) or inside the JSON payload header. The list is kept as spans
// into memory that lives until the end of the callback: no allocation.
import { sameBytes } from '../bytes';
import { kindAt, nextEntry, unescapeString, valueAt } from '../parse/json';

export const MAX_MEMBERSHIPS: i32 = 1024;

// @ts-ignore: decorator
@lazy const STARTS: usize = memory.data(MAX_MEMBERSHIPS << 2, 4);
// @ts-ignore: decorator
@lazy const LENGTHS: usize = memory.data(MAX_MEMBERSHIPS << 2, 4);

/** Whether the current request has a verified organisation list at all. */
export let membershipPresent: bool = false;
export let membershipCount: i32 = 0;

export function clearMemberships(): void {
  membershipPresent = false;
  membershipCount = 0;
}

function add(p: usize, len: i32): void {
  if (membershipCount >= MAX_MEMBERSHIPS || len <= 0) return;
  store<usize>(STARTS + (<usize>membershipCount << 2), p);
  store<i32>(LENGTHS + (<usize>membershipCount << 2), len);
  membershipCount++;
}

export function membershipStart(i: i32): usize {
  return load<usize>(STARTS + (<usize>i << 2));
}

export function membershipLength(i: i32): i32 {
  return load<i32>(LENGTHS + (<usize>i << 2));
}

/** True when the list holds this organisation id. */
export function isMember(id: usize, idLen: i32): bool {
  for (let i: i32 = 0; i < membershipCount; i++) {
    if (membershipLength(i) == idLen && sameBytes(membershipStart(i), id, idLen)) return true;
  }
  return false;
}

/** A comma-separated string; blanks around items are ignored, empty items skipped. */
export function membershipsFromCommaList(p: usize, len: i32): void {
  membershipPresent = true;
  let start: i32 = 0;
  for (let i: i32 = 0; i <= len; i++) {
    if (i == len || load<u8>(p + <usize>i) == 0x2c) {
      let s = start;
      let e = i;
      while (s < e && (load<u8>(p + <usize>s) == 0x20 || load<u8>(p + <usize>s) == 0x09)) s++;
      while (e > s && (load<u8>(p + <usize>e - 1) == 0x20 || load<u8>(p + <usize>e - 1) == 0x09)) e--;
      add(p + <usize>s, e - s);
      start = i + 1;
    }
  }
}

/**
 * A property value: a list arrives in the pairs layout (elements as keys), a string raw. Only the
 * pairs layout contains 0x00 bytes (its length fields and terminators), and an organisation id
 * never does, which tells the two apart. A malformed layout yields no list.
 */
export function membershipsFromProperty(p: usize, len: i32): void {
  let hasZero = false;
  for (let i: i32 = 0; i < len; i++) {
    if (load<u8>(p + <usize>i) == 0) {
      hasZero = true;
      break;
    }
  }
  if (!hasZero) {
    membershipsFromCommaList(p, len);
    return;
  }
  if (len < 4) return;
  const count = load<u32>(p);
  if (<u64>count * 8 + 4 > <u64>len) return;
  let data = <u64>4 + <u64>count * 8;
  // Check the whole layout before trusting any of it.
  for (let i: u32 = 0; i < count; i++) {
    const keyLen = <u64>load<u32>(p + 4 + (<usize>i << 3));
    const valueLen = <u64>load<u32>(p + 8 + (<usize>i << 3));
    data += keyLen + valueLen + 2;
  }
  if (data != <u64>len) return;
  membershipPresent = true;
  let offset = <usize>(4 + count * 8);
  for (let i: u32 = 0; i < count; i++) {
    const keyLen = load<u32>(p + 4 + (<usize>i << 3));
    const valueLen = load<u32>(p + 8 + (<usize>i << 3));
    add(p + offset, <i32>keyLen);
    offset += <usize>keyLen + <usize>valueLen + 2;
  }
}

/**
 * A claim from the (validated) JSON payload at `at`: an array of strings, or a comma-separated
 * string. Strings are unescaped into `scratch`, which must be as long as the text.
 */
export function membershipsFromJson(at: usize, end: usize, scratch: usize): void {
  const kind = kindAt(at);
  if (kind == 0x22) {
    membershipsFromCommaList(scratch, unescapeString(at, scratch));
    return;
  }
  if (kind != 0x5b) return;
  membershipPresent = true;
  let cursor = at;
  let o = scratch;
  while ((cursor = nextEntry(cursor, end)) != 0) {
    if (kindAt(valueAt) != 0x22) continue;
    const n = unescapeString(valueAt, o);
    add(o, n);
    o += <usize>n;
  }
}
