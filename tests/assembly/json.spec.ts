// The in-place JSON reader: what JSON.parse accepts and rejects, member lookup (last duplicate
// wins), string unescaping, and nesting at any depth (JSON.parse has no limit a header could reach).
import { findMember, isValidJson, kindAt, nextEntry, skipValue, unescapeString, valueAt, valueEnd, valueStart } from '../../assembly/parse/json';
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
  it('accepts any nesting depth, as JSON.parse does, without recursion', () => {
    // The old reader rejected more than 64 levels; JSON.parse accepts these.
    expect(valid(nested('[', ']', 66))).toBe(true);
    expect(valid(nested('{"a":', '}', 65, '1'))).toBe(true);
    expect(valid('[[[[1]]]]')).toBe(true);
    // Deep enough that a recursive reader would overflow the Wasm stack.
    expect(valid(nested('[', ']', 200000))).toBe(true);
    expect(valid(nested('{"k":[', ']}', 50000))).toBe(true);
    let mixed = '';
    for (let i = 0; i < 300; i++) mixed += i % 3 == 0 ? '{"x":' : '[0,';
    mixed += '1';
    for (let i = 299; i >= 0; i--) mixed += i % 3 == 0 ? '}' : ']';
    expect(valid(mixed)).toBe(true);
  });
  it('still checks every bracket at depth', () => {
    expect(valid(nested('[', ']', 66) + ']')).toBe(false);
    expect(valid(nested('[', ']', 66).slice(1))).toBe(false);
    expect(valid(nested('[', ']', 100000).slice(0, -1))).toBe(false);
    // A `}` closing an array (or `]` an object) 70 levels down.
    expect(valid(nested('[', ']', 70).replace('[]', '[}'))).toBe(false);
    expect(valid(nested('{"a":', '}', 70, '1').replace('1}', '1]'))).toBe(false);
    expect(valid(nested('[', ']', 69).replace('[]', '[{}]'))).toBe(true);
    expect(valid(nested('[', ']', 69).replace('[]', '[{]}'))).toBe(false);
    expect(valid(nested('[', ']', 69).replace('[]', '[{"a" 1}]'))).toBe(false);
    expect(valid(nested('[', ']', 69).replace('[]', '[1,]'))).toBe(false);
    expect(valid('{"a":[1,{"b":2}],"c":{"d":[]}}')).toBe(true);
    expect(valid('{"a":[1,{"b":2]}}')).toBe(false);
  });
  it('skips a deep value of a validated text (brackets inside strings do not count)', () => {
    const t = text('[' + '{"a":["x]}",'.repeat(1000) + '0' + ']}'.repeat(1000) + ',"after"]');
    const p = changetype<usize>(t);
    const end = p + <usize>t.length;
    expect(isValidJson(p, t.length)).toBe(true);
    expect(skipValue(p, end)).toBe(end);
    const cursor = nextEntry(p, end);
    expect(load<u8>(valueEnd)).toBe(0x2c); // the first element ends at the `,` before "after"
    expect(nextEntry(cursor, end)).toBeGreaterThan(0);
    expect(asString(valueAt, <i32>(valueEnd - valueAt))).toBe('"after"');
  });
});

/** `open` × n, `middle`, then `close` × n. */
function nested(open: string, close: string, n: i32, middle: string = ''): string {
  return open.repeat(n) + middle + close.repeat(n);
}

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
