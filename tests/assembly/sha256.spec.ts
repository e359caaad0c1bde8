// SHA-256 against the FIPS 180-4 / NIST CAVP example vectors, including messages that straddle
// the padding boundary (55, 56, 63, 64 bytes) and a multi-block one.
import { sha256 } from '../../assembly/crypto/sha256';
import { hex, text } from './helpers';

function digestOf(message: StaticArray<u8>): string {
  const out = new StaticArray<u8>(32);
  sha256(changetype<usize>(message), message.length, changetype<usize>(out));
  return hex(out);
}

function repeat(byte: u8, count: i32): StaticArray<u8> {
  const out = new StaticArray<u8>(count);
  for (let i = 0; i < count; i++) out[i] = byte;
  return out;
}

describe('sha256', () => {
  it('hashes the empty message', () => {
    expect(digestOf(new StaticArray<u8>(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes "abc" (one block)', () => {
    expect(digestOf(text('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the 448-bit NIST message (two padding blocks)', () => {
    expect(digestOf(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('hashes the 896-bit NIST message (multi-block)', () => {
    expect(
      digestOf(
        text('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
      ),
    ).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
  });

  it('hashes one million "a" (NIST long message)', () => {
    expect(digestOf(repeat(0x61, 1000000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('handles lengths around the padding boundary', () => {
    expect(digestOf(repeat(0x61, 55))).toBe('9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318');
    expect(digestOf(repeat(0x61, 56))).toBe('b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a');
    expect(digestOf(repeat(0x61, 63))).toBe('7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34');
    expect(digestOf(repeat(0x61, 64))).toBe('ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb');
  });

  it('does not confuse messages that differ in one bit', () => {
    expect(digestOf(text('abd'))).not.toBe(digestOf(text('abc')));
  });
});
