// Finding the organisation cookie in a `cookie` header value with the `cookie` module's rules.
import { findCookie, foundValueLength, foundValueStart } from '../../assembly/parse/cookie';
import { asString, text } from './helpers';

/** The value found for `name`, or "<absent>". */
function find(header: string, name: string = 'org'): string {
  const h = text(header);
  const n = text(name);
  if (!findCookie(changetype<usize>(h), h.length, changetype<usize>(n), n.length)) return '<absent>';
  return asString(foundValueStart, foundValueLength);
}

function repeat(c: string, n: i32): string {
  let out = '';
  for (let i = 0; i < n; i++) out += c;
  return out;
}

describe('findCookie', () => {
  it('ends every pair at its `;`, wherever the `;` falls in an eight-byte word', () => {
    // Pairs before, values and what follows of every length from 0 to 17: the `;` moves across
    // word boundaries and through the last, partial word.
    const tails = ['', ';', '; z=2', ';x', ';:;:;:;:;'];
    for (let before = 0; before < 18; before++) {
      for (let length = 0; length < 18; length++) {
        for (let t = 0; t < tails.length; t++) {
          const value = repeat('v', length);
          const header = 'p' + repeat('q', before) + '=1;org=' + value + tails[t];
          expect(find(header)).toBe(value, header);
          expect(find(header, 'p' + repeat('q', before))).toBe('1', header);
        }
      }
    }
    expect(find(';:;org=a')).toBe('a');
    expect(find('org=:;;')).toBe(':');
  });

  it('finds a cookie among others', () => {
    expect(find('a=1; org=xyz; b=2')).toBe('xyz');
    expect(find('org=xyz')).toBe('xyz');
    expect(find('a=1;org=xyz')).toBe('xyz');
  });
  it('trims spaces and tabs around names and values', () => {
    expect(find('a=1;   org  =  xyz  ; b=2')).toBe('xyz');
    expect(find('\torg\t=\txyz\t')).toBe('xyz');
  });
  it('takes the first occurrence', () => {
    expect(find('org=first; org=second')).toBe('first');
  });
  it('unwraps a double-quoted value', () => {
    expect(find('org="xyz"')).toBe('xyz');
    expect(find('org="xyz')).toBe('"xyz');
  });
  it('keeps `=` inside the value', () => {
    expect(find('org=a=b==')).toBe('a=b==');
  });
  it('matches names exactly (case-sensitive, no prefixes)', () => {
    expect(find('ORG=x')).toBe('<absent>');
    expect(find('xorg=x; orgx=y')).toBe('<absent>');
  });
  it('skips segments without `=` and copes with malformed headers', () => {
    expect(find('junk; org=xyz')).toBe('xyz');
    expect(find('junk')).toBe('<absent>');
    expect(find('')).toBe('<absent>');
    expect(find(';;;')).toBe('<absent>');
    expect(find('=; =org; org')).toBe('<absent>');
    expect(find('org=')).toBe('');
    expect(find('org=;a=1')).toBe('');
  });
});
