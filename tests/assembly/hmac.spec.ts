// HMAC-SHA256 against RFC 4231 (all seven test cases, including keys longer than a block), and
// the constant-time comparison it is checked with.
import { HmacKey } from '../../assembly/crypto/hmac';
import { constantTimeEqual } from '../../assembly/crypto/compare';
import { fromHex, hex, text } from './helpers';

function hmac(key: StaticArray<u8>, message: StaticArray<u8>): string {
  const out = new StaticArray<u8>(32);
  HmacKey.fromBytes(key).sign(changetype<usize>(message), message.length, changetype<usize>(out));
  return hex(out);
}

function filled(byte: u8, count: i32): StaticArray<u8> {
  const out = new StaticArray<u8>(count);
  for (let i = 0; i < count; i++) out[i] = byte;
  return out;
}

describe('HMAC-SHA256 (RFC 4231)', () => {
  it('test case 1', () => {
    expect(hmac(filled(0x0b, 20), text('Hi There'))).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  });
  it('test case 2 (short key)', () => {
    expect(hmac(text('Jefe'), text('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
  it('test case 3', () => {
    expect(hmac(filled(0xaa, 20), filled(0xdd, 50))).toBe('773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe');
  });
  it('test case 4', () => {
    expect(hmac(fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'), filled(0xcd, 50))).toBe(
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    );
  });
  it('test case 5 (truncated to 128 bits)', () => {
    expect(hmac(filled(0x0c, 20), text('Test With Truncation')).substr(0, 32)).toBe('a3b6167473100ee06e0c796c2955552b');
  });
  it('test case 6 (key longer than a block)', () => {
    expect(hmac(filled(0xaa, 131), text('Test Using Larger Than Block-Size Key - Hash Key First'))).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });
  it('test case 7 (long key and long message)', () => {
    expect(
      hmac(
        filled(0xaa, 131),
        text(
          'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
        ),
      ),
    ).toBe('9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2');
  });
  it('a precomputed key signs repeatedly with the same result', () => {
    const key = HmacKey.fromBytes(text('Jefe'));
    const message = text('what do ya want for nothing?');
    const a = new StaticArray<u8>(32);
    const b = new StaticArray<u8>(32);
    key.sign(changetype<usize>(message), message.length, changetype<usize>(a));
    key.sign(changetype<usize>(message), message.length, changetype<usize>(b));
    expect(hex(a)).toBe(hex(b));
  });
  it('signs the empty message', () => {
    // openssl dgst -sha256 -hmac key < /dev/null
    expect(hmac(text('key'), new StaticArray<u8>(0))).toBe('5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0');
  });
});

describe('constantTimeEqual', () => {
  it('is true only for equal bytes', () => {
    const a = text('abcdefgh');
    const b = text('abcdefgh');
    const c = text('abcdefgX');
    const d = text('Xbcdefgh');
    expect(constantTimeEqual(changetype<usize>(a), changetype<usize>(b), 8)).toBe(true);
    expect(constantTimeEqual(changetype<usize>(a), changetype<usize>(c), 8)).toBe(false);
    expect(constantTimeEqual(changetype<usize>(a), changetype<usize>(d), 8)).toBe(false);
    expect(constantTimeEqual(changetype<usize>(a), changetype<usize>(c), 7)).toBe(true);
  });
  it('tells apart bytes that differ anywhere, at every length up to three blocks of sixteen', () => {
    const a = new StaticArray<u8>(48);
    const b = new StaticArray<u8>(48);
    for (let i = 0; i < 48; i++) {
      unchecked((a[i] = <u8>(i * 7 + 1)));
      unchecked((b[i] = <u8>(i * 7 + 1)));
    }
    const pa = changetype<usize>(a);
    const pb = changetype<usize>(b);
    for (let len = 0; len <= 48; len++) {
      expect(constantTimeEqual(pa, pb, len)).toBe(true, 'equal, length ' + len.toString());
      for (let at = 0; at < len; at++) {
        unchecked((b[at] ^= 0x80));
        expect(constantTimeEqual(pa, pb, len)).toBe(false, 'length ' + len.toString() + ', byte ' + at.toString());
        unchecked((b[at] ^= 0x80));
      }
    }
  });
});
