// Comparison whose running time depends only on the length, never on where the bytes differ, so a
// client cannot learn a valid signature byte by byte from response times.

/** True when the `len` bytes at `a` and `b` are equal; always reads all of them. */
export function constantTimeEqual(a: usize, b: usize, len: i32): bool {
  let diff: u32 = 0;
  for (let i: usize = 0; i < <usize>len; i++) {
    diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  }
  return diff == 0;
}
