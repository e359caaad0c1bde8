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

describe('findCookie', () => {
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
