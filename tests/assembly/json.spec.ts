// The in-place JSON reader: what JSON.parse accepts and rejects, member lookup (last duplicate
// wins), string unescaping, and the depth limit.
import { findMember, isValidJson, kindAt, unescapeString, valueStart, MAX_DEPTH } from '../../assembly/parse/json';
import { asString, text } from './helpers';

function valid(value: string): bool {
  const t = text(value);
  return isValidJson(changetype<usize>(t), t.length);
}

/** The unescaped string value of `key` in the object text, "<none>" when absent or not a string. */
function member(json: string, key: string): string {
  const t = text(json);
  const k = text(key);
  const p = changetype<usize>(t);
  const scratch = new StaticArray<u8>(t.length);
  const at = findMember(valueStart(p, t.length), p + <usize>t.length, changetype<usize>(k), k.length, changetype<usize>(scratch));
  if (at == 0 || kindAt(at) != 0x22) return '<none>';
  const n = unescapeString(at, changetype<usize>(scratch));
  return asString(changetype<usize>(scratch), n);
}

describe('isValidJson', () => {
  it('accepts what JSON.parse accepts', () => {
    expect(valid('{}')).toBe(true);
    expect(valid(' {"a": [1, -2.5e3, true, false, null, "x"], "b": {}} ')).toBe(true);
    expect(valid('"str"')).toBe(true);
    expect(valid('0')).toBe(true);
    expect(valid('[]')).toBe(true);
    expect(valid('"\\u00e9\\n\\/"')).toBe(true);
  });
  it('rejects malformed JSON', () => {
    expect(valid('')).toBe(false);
    expect(valid('{')).toBe(false);
    expect(valid('{"a":1,}')).toBe(false);
    expect(valid('[1,]')).toBe(false);
    expect(valid("{'a':1}")).toBe(false);
    expect(valid('{a:1}')).toBe(false);
    expect(valid('01')).toBe(false);
    expect(valid('1.')).toBe(false);
    expect(valid('-')).toBe(false);
    expect(valid('1e')).toBe(false);
    expect(valid('tru')).toBe(false);
    expect(valid('nul')).toBe(false);
    expect(valid('"abc')).toBe(false);
    expect(valid('"\\x"')).toBe(false);
    expect(valid('"\\u12"')).toBe(false);
    expect(valid('"a\nb"')).toBe(false); // raw control character
    expect(valid('{} {}')).toBe(false);
    expect(valid('{"a" 1}')).toBe(false);
    expect(valid('NaN')).toBe(false);
  });
  it('limits nesting depth', () => {
    let deep = '';
    for (let i = 0; i <= MAX_DEPTH + 1; i++) deep += '[';
    for (let i = 0; i <= MAX_DEPTH + 1; i++) deep += ']';
    expect(valid(deep)).toBe(false);
    expect(valid('[[[[1]]]]')).toBe(true);
  });
});

describe('findMember and unescapeString', () => {
  it('finds a member by its unescaped name; the last duplicate wins', () => {
    expect(member('{"id":"org-42","name":"Acme"}', 'id')).toBe('org-42');
    expect(member('{"id":"a","id":"b"}', 'id')).toBe('b');
    expect(member('{"\\u0069d":"escaped-key"}', 'id')).toBe('escaped-key');
    expect(member('{"name":"x"}', 'id')).toBe('<none>');
    expect(member('{"id":42}', 'id')).toBe('<none>');
    expect(member('{"nested":{"id":"inner"}}', 'id')).toBe('<none>');
  });
  it('unescapes every escape, including surrogate pairs', () => {
    expect(member('{"v":"a\\"b\\\\c\\/d\\te"}', 'v')).toBe('a"b\\c/d\te');
    expect(member('{"v":"\\u00e9\\u20ac\\ud83d\\ude00"}', 'v')).toBe('é€😀');
  });
});
