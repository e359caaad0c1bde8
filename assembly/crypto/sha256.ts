// SHA-256 (FIPS 180-4) over raw linear memory. No allocation: the message schedule and the padding
// block live in static scratch memory, and callers pass pointers, so hashing never touches the heap.

// @ts-ignore: decorator
@lazy const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

// @ts-ignore: decorator
@lazy const IV: StaticArray<u32> = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/** Size in bytes of a SHA-256 chaining state (8 words) and of a digest. */
export const SHA256_STATE_BYTES: i32 = 32;
export const SHA256_BLOCK_BYTES: i32 = 64;

// Scratch shared by every call: the 64-word schedule and one block for the padded tail.
// @ts-ignore: decorator
@lazy const W: usize = memory.data(256, 16);
// @ts-ignore: decorator
@lazy const TAIL: usize = memory.data(128, 16);
// @ts-ignore: decorator
@lazy const WORK_STATE: usize = memory.data(32, 16);

/** Writes the initial hash value into `state` (32 bytes). */
export function sha256Init(state: usize): void {
  memory.copy(state, changetype<usize>(IV), 32);
}

// @ts-ignore: decorator
@inline function ror(x: u32, n: u32): u32 {
  return rotr<u32>(x, n);
}

/** Big-endian word swap, inlined (the standard bswap stays a call at this shrink level). */
// @ts-ignore: decorator
@inline function be32(x: u32): u32 {
  return (rotl<u32>(x, 8) & 0x00ff00ff) | (rotr<u32>(x, 8) & 0xff00ff00);
}

/** Runs the compression function on one 64-byte block, updating `state` in place. */
export function sha256Compress(state: usize, block: usize): void {
  const k = changetype<usize>(K);
  for (let i: usize = 0; i < 16; i++) {
    store<u32>(W + (i << 2), be32(load<u32>(block + (i << 2))));
  }
  for (let i: usize = 16; i < 64; i++) {
    const w15 = load<u32>(W + ((i - 15) << 2));
    const w2 = load<u32>(W + ((i - 2) << 2));
    const s0 = ror(w15, 7) ^ ror(w15, 18) ^ (w15 >>> 3);
    const s1 = ror(w2, 17) ^ ror(w2, 19) ^ (w2 >>> 10);
    store<u32>(W + (i << 2), load<u32>(W + ((i - 16) << 2)) + s0 + load<u32>(W + ((i - 7) << 2)) + s1);
  }
  let a = load<u32>(state, 0);
  let b = load<u32>(state, 4);
  let c = load<u32>(state, 8);
  let d = load<u32>(state, 12);
  let e = load<u32>(state, 16);
  let f = load<u32>(state, 20);
  let g = load<u32>(state, 24);
  let h = load<u32>(state, 28);
  for (let i: usize = 0; i < 64; i++) {
    const S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = h + S1 + ch + load<u32>(k + (i << 2)) + load<u32>(W + (i << 2));
    const S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = S0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(state, load<u32>(state, 0) + a, 0);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
  store<u32>(state, load<u32>(state, 20) + f, 20);
  store<u32>(state, load<u32>(state, 24) + g, 24);
  store<u32>(state, load<u32>(state, 28) + h, 28);
}

/**
 * Hashes `len` bytes at `message` on top of `startState`, which already absorbed `prefixBytes`
 * bytes (a multiple of 64: 0 for a plain hash, 64 for an HMAC pad). Writes the 32-byte digest to
 * `out`; `startState` is left untouched so precomputed HMAC states can be reused.
 */
export function sha256From(startState: usize, prefixBytes: u64, message: usize, len: i32, out: usize): void {
  const state = WORK_STATE;
  memory.copy(state, startState, 32);
  let offset: i32 = 0;
  while (len - offset >= 64) {
    sha256Compress(state, message + <usize>offset);
    offset += 64;
  }
  const rest = len - offset;
  memory.copy(TAIL, message + <usize>offset, <usize>rest);
  store<u8>(TAIL + <usize>rest, 0x80);
  // One tail block if the 0x80 byte and the 8-byte length fit, else two.
  const tailBytes: i32 = rest < 56 ? 64 : 128;
  memory.fill(TAIL + <usize>rest + 1, 0, <usize>(tailBytes - rest - 1));
  const bits: u64 = (prefixBytes + <u64>len) << 3;
  store<u32>(TAIL + <usize>tailBytes - 8, be32(<u32>(bits >>> 32)));
  store<u32>(TAIL + <usize>tailBytes - 4, be32(<u32>bits));
  sha256Compress(state, TAIL);
  if (tailBytes == 128) sha256Compress(state, TAIL + 64);
  for (let i: usize = 0; i < 8; i++) {
    store<u32>(out + (i << 2), be32(load<u32>(state + (i << 2))));
  }
}

/** SHA-256 of `len` bytes at `message`, digest (32 bytes) written to `out`. */
export function sha256(message: usize, len: i32, out: usize): void {
  sha256From(changetype<usize>(IV), 0, message, len, out);
}
