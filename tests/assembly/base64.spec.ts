// Base64 (RFC 4648 §10 vectors): unpadded standard encoding for signatures, decoding for both
// alphabets, and malformed input rejected.
import { base64Decode, base64EncodeUnpadded, base64UnpaddedLength } from '../../assembly/crypto/base64';
import { asString, text } from './helpers';

function encode(value: string): string {
  const input = text(value);
  const out = new StaticArray<u8>(base64UnpaddedLength(input.length));
  const n = base64EncodeUnpadded(changetype<usize>(input), input.length, changetype<usize>(out));
  return asString(changetype<usize>(out), n);
}

/** The decoded text, or "<invalid>". */
function decode(value: string, urlSafe: bool = false): string {
  const input = text(value);
  const out = new StaticArray<u8>(input.length + 3);
  const n = base64Decode(changetype<usize>(input), input.length, changetype<usize>(out), urlSafe);
  return n < 0 ? '<invalid>' : asString(changetype<usize>(out), n);
}

describe('base64 encoding (unpadded)', () => {
  it('encodes the RFC 4648 vectors without padding', () => {
    expect(encode('')).toBe('');
    expect(encode('f')).toBe('Zg');
    expect(encode('fo')).toBe('Zm8');
    expect(encode('foo')).toBe('Zm9v');
    expect(encode('foob')).toBe('Zm9vYg');
    expect(encode('fooba')).toBe('Zm9vYmE');
    expect(encode('foobar')).toBe('Zm9vYmFy');
  });
  it('uses + and / (standard alphabet)', () => {
    const bytes: StaticArray<u8> = [0xfb, 0xff, 0xbf];
    const out = new StaticArray<u8>(4);
    base64EncodeUnpadded(changetype<usize>(bytes), 3, changetype<usize>(out));
    expect(asString(changetype<usize>(out), 4)).toBe('+/+/');
  });
  it('a 32-byte MAC is 43 characters', () => {
    expect(base64UnpaddedLength(32)).toBe(43);
  });
});

describe('base64 decoding', () => {
  it('decodes padded and unpadded input', () => {
    expect(decode('Zm9vYmFy')).toBe('foobar');
    expect(decode('Zm9vYg==')).toBe('foob');
    expect(decode('Zm9vYg')).toBe('foob');
    expect(decode('Zm9vYmE=')).toBe('fooba');
    expect(decode('Zm9vYmE')).toBe('fooba');
    expect(decode('')).toBe('');
  });
  it('decodes the URL-safe alphabet only when asked', () => {
    expect(decode('-_-_', true)).not.toBe('<invalid>');
    expect(decode('-_-_', false)).toBe('<invalid>');
    expect(decode('+/+/', true)).toBe('<invalid>');
    expect(decode('eyJzdWIiOiJ1MSJ9', true)).toBe('{"sub":"u1"}');
  });
  it('rejects malformed input', () => {
    expect(decode('Z')).toBe('<invalid>'); // 4n+1 characters
    expect(decode('Zm9vY')).toBe('<invalid>');
    expect(decode('Zm9v!mFy')).toBe('<invalid>'); // outside the alphabet
    expect(decode('Zm 9v')).toBe('<invalid>');
    expect(decode('Zg=')).toBe('<invalid>'); // padding of an incomplete quantum
    expect(decode('Zg===')).toBe('<invalid>');
    expect(decode('Z===')).toBe('<invalid>');
    expect(decode('====')).toBe('<invalid>');
    expect(decode('Zm=v')).toBe('<invalid>'); // padding in the middle
    expect(decode('Zg==Zg==')).toBe('<invalid>');
  });
});
