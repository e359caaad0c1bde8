// Comparison whose running time depends only on the length, never on where the bytes differ, so a
// client cannot learn a valid signature (or a cached cookie) byte by byte from response times.

/**
 * True when the `len` bytes at `a` and `b` are equal; always reads all of them. Sixteen bytes at a
 * time with Wasm SIMD, the differences OR-ed together; the last sixteen end at `len` (overlapping
 * bytes already compared, which changes nothing), so there is no tail loop from 16 bytes up.
 */
export function constantTimeEqual(a: usize, b: usize, len: i32): bool {
  if (len >= 16) {
    let diff = v128.xor(v128.load(a + <usize>len - 16), v128.load(b + <usize>len - 16));
    for (let i: i32 = 0; i + 16 < len; i += 16) {
      diff = v128.or(diff, v128.xor(v128.load(a + <usize>i), v128.load(b + <usize>i)));
    }
    return !v128.any_true(diff);
  }
  let diff: u32 = 0;
  for (let i: usize = 0; i < <usize>len; i++) {
    diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  }
  return diff == 0;
}
