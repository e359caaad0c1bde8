// Percent-decoding as decodeURIComponent does it, with every malformed case rejected.
import { isValidUtf8, percentDecode } from '../../assembly/parse/percent';
import { asString, latin1, text } from './helpers';

function decode(value: string): string {
  const input = text(value);
  const out = new StaticArray<u8>(input.length);
  const n = percentDecode(changetype<usize>(input), input.length, changetype<usize>(out));
  return n < 0 ? '<invalid>' : asString(changetype<usize>(out), n);
}

describe('percentDecode', () => {
  it('decodes escapes, any case, and leaves + and other characters alone', () => {
    expect(decode('s%3Aorg-123.O%2F%2B0W')).toBe('s:org-123.O/+0W');
    expect(decode('%3a%3A')).toBe('::');
    expect(decode('a+b')).toBe('a+b');
    expect(decode('plain')).toBe('plain');
    expect(decode('')).toBe('');
  });
  it('decodes UTF-8 sequences', () => {
    expect(decode('%C3%A9')).toBe('é');
    expect(decode('%E2%82%AC')).toBe('€');
    expect(decode('%F0%9F%98%80')).toBe('😀');
  });
  it('rejects malformed escapes', () => {
    expect(decode('%')).toBe('<invalid>');
    expect(decode('%3')).toBe('<invalid>');
    expect(decode('abc%')).toBe('<invalid>');
    expect(decode('%zz')).toBe('<invalid>');
    expect(decode('%3g')).toBe('<invalid>');
    expect(decode('%%41')).toBe('<invalid>');
  });
  it('rejects results that are not UTF-8 (as decodeURIComponent throws)', () => {
    expect(decode('%C3')).toBe('<invalid>'); // truncated sequence
    expect(decode('%80')).toBe('<invalid>'); // lone continuation byte
    expect(decode('%C0%AF')).toBe('<invalid>'); // overlong
    expect(decode('%ED%A0%80')).toBe('<invalid>'); // surrogate
    expect(decode('%F4%90%80%80')).toBe('<invalid>'); // above U+10FFFF
    expect(decode('%FF')).toBe('<invalid>');
  });
  it('can decode in place', () => {
    const buffer = text('a%41b');
    const n = percentDecode(changetype<usize>(buffer), buffer.length, changetype<usize>(buffer));
    expect(asString(changetype<usize>(buffer), n)).toBe('aAb');
  });
});

describe('isValidUtf8', () => {
  it('accepts ASCII and well-formed multi-byte text', () => {
    const ok = text('aé€😀');
    expect(isValidUtf8(changetype<usize>(ok), ok.length)).toBe(true);
  });
  it('rejects a truncated sequence', () => {
    const bad: StaticArray<u8> = [0x61, 0xe2, 0x82];
    expect(isValidUtf8(changetype<usize>(bad), 3)).toBe(false);
  });
});

/** The raw header bytes (Latin-1) decoded: the UTF-8 text cookie-signature would hash. */
function decodeRaw(value: string, escapes: bool = true): string {
  const input = latin1(value);
  const out = new StaticArray<u8>(input.length * 2);
  const n = percentDecode(changetype<usize>(input), input.length, changetype<usize>(out), escapes);
  return n < 0 ? '<invalid>' : asString(changetype<usize>(out), n);
}

describe('percentDecode on raw bytes >= 0x80 (Node reads headers as Latin-1)', () => {
  it('turns each such byte into the UTF-8 form of U+0080..U+00FF', () => {
    expect(decodeRaw('caf\u00e9')).toBe('caf\u00e9');
    expect(decodeRaw('\u0080\u00ff')).toBe('\u0080\u00ff');
    // Raw bytes and escapes mix, as decodeURIComponent sees characters and escapes.
    expect(decodeRaw('\u00e9%C3%A9%20+')).toBe('\u00e9\u00e9 +');
    expect(decodeRaw('\u00c3\u00a9')).toBe('\u00c3\u00a9'); // not re-read as the UTF-8 of é
  });
  it('never lets a raw byte complete or be completed by an escaped sequence (decodeURIComponent throws)', () => {
    expect(decodeRaw('%C3\u00a9')).toBe('<invalid>');
    expect(decodeRaw('\u00c3%A9')).toBe('<invalid>');
    expect(decodeRaw('%E2%82\u00ac')).toBe('<invalid>');
  });
  it('without escapes (the undecoded text the `cookie` module falls back to) keeps `%`', () => {
    expect(decodeRaw('100%\u00e9', false)).toBe('100%\u00e9');
    expect(decodeRaw('%zz%41', false)).toBe('%zz%41');
  });
});
