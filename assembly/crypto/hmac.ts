// HMAC-SHA256 (RFC 2104) with the key's inner and outer chaining states computed once, when the
// key is configured: signing a short message then costs two or three compressions, never four.
import { sha256, sha256Compress, sha256Init, sha256From } from './sha256';

// @ts-ignore: decorator
@lazy const PAD: usize = memory.data(64, 16);
// @ts-ignore: decorator
@lazy const INNER_DIGEST: usize = memory.data(32, 16);

/** XORs the 64-byte block at `pad` with `value` (one loop for both pads keeps the module small). */
function xorPad(pad: usize, value: u8): void {
  for (let i: usize = 0; i < 64; i++) store<u8>(pad + i, load<u8>(pad + i) ^ value);
}

/** A configured HMAC-SHA256 key: only the two precomputed states are kept, not the key itself. */
export class HmacKey {
  // 32 bytes inner state then 32 bytes outer state.
  readonly states: StaticArray<u8> = new StaticArray<u8>(64);

  constructor(key: usize, keyLen: i32) {
    const pad = PAD;
    memory.fill(pad, 0, 64);
    if (keyLen > 64) {
      sha256(key, keyLen, pad);
    } else {
      memory.copy(pad, key, <usize>keyLen);
    }
    const inner = changetype<usize>(this.states);
    const outer = inner + 32;
    xorPad(pad, 0x36);
    sha256Init(inner);
    sha256Compress(inner, pad);
    // 0x36 ^ 0x5c turns the inner pad into the outer pad without keeping the key around.
    xorPad(pad, 0x36 ^ 0x5c);
    sha256Init(outer);
    sha256Compress(outer, pad);
    memory.fill(pad, 0, 64);
  }

  static fromBytes(key: StaticArray<u8>): HmacKey {
    return new HmacKey(changetype<usize>(key), key.length);
  }

  /** Writes HMAC-SHA256(key, message) (32 bytes) to `out`. */
  sign(message: usize, len: i32, out: usize): void {
    const inner = changetype<usize>(this.states);
    sha256From(inner, 64, message, len, INNER_DIGEST);
    sha256From(inner + 32, 64, INNER_DIGEST, 32, out);
  }
}
