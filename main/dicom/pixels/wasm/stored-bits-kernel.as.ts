// AssemblyScript, not TypeScript: `node scripts/build-wasm.mjs` builds it into stored-bits-kernel.wasm.ts.
//
// Whether a native frame's 16-bit values have bits set above Bits Stored (nearly never: they are
// looked for so that they can be cleared, decode.ts). A read-only pass over the whole frame, 17 MB
// for a mammogram: about 3.7 ms in JavaScript (32 bits at a time), 0.7 ms here (128 bits at a time).
// Its memory is imported, and shared: the frame is read from the file straight into it, the same
// memory the AI thread's preprocessing helpers read the frame from (stored-bits.ts).

/** Whether any of the `count` 16-bit values at byte `at` has a bit set outside `mask`. */
export function anyOutside(at: usize, count: usize, mask: u32): bool {
  const end = at + (count << 1);
  // 16 values at a time over four vectors, then one vector at a time, then one value at a time
  const vectors = at + ((count >> 3) << 4);
  let acc = i16x8.splat(0);
  let p = at;
  for (; p + 64 <= vectors; p += 64) {
    acc = v128.or(acc, v128.or(v128.or(v128.load(p), v128.load(p, 16)), v128.or(v128.load(p, 32), v128.load(p, 48))));
  }
  for (; p < vectors; p += 16) acc = v128.or(acc, v128.load(p));
  let bits: u32 = 0;
  bits |= <u32>i16x8.extract_lane_u(acc, 0) | <u32>i16x8.extract_lane_u(acc, 1) | <u32>i16x8.extract_lane_u(acc, 2) | <u32>i16x8.extract_lane_u(acc, 3);
  bits |= <u32>i16x8.extract_lane_u(acc, 4) | <u32>i16x8.extract_lane_u(acc, 5) | <u32>i16x8.extract_lane_u(acc, 6) | <u32>i16x8.extract_lane_u(acc, 7);
  for (; p < end; p += 2) bits |= <u32>load<u16>(p);
  return (bits & ~mask) != 0;
}
