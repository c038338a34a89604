// AssemblyScript, not TypeScript: `node scripts/build-wasm.mjs` builds it into resample-kernel.wasm.ts.
//
// The inner loops of resample.ts's area averaging, for a chunk of output rows, in WebAssembly: the
// pipeline's hottest code, at about 10 ns a source pixel in JavaScript. The JavaScript driver
// (resample.ts resampleInWasm) copies the chunk's source rows, the lookup table and the weights
// into this module's memory and the chunk's output rows out of it.
//
// The arithmetic is JavaScript's, step for step: products and sums in f64 (a product of two f32 is
// exact there), rounded to f32 where resample.ts stores into a Float32Array. So the output is the
// same to the bit as the JavaScript path's, which the tests check; SIMD (f64x2) only does two
// samples of an output row at once in the second pass.

/** Where this module's static data ends: the driver lays its arrays out from here. */
export function heapBase(): usize {
  return __heap_base;
}

@inline function lookup(table: usize, tableOffset: i32, source: usize, index: i32, signed: bool): f32 {
  const at = source + (<usize>index << 1);
  const value: i32 = signed ? <i32>load<i16>(at) : <i32>load<u16>(at);
  return load<f32>(table + (<usize>(value - tableOffset) << 2));
}

/** The first output sample whose taps (`taps` from starts[k], non-decreasing in k) reach `index` or beyond. */
function firstReaching(starts: usize, count: i32, taps: i32, index: i32): i32 {
  let lo = 0, hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<i32>(starts + (<usize>mid << 2)) + taps - 1 < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first output sample whose taps start after `index`. */
function firstAfter(starts: usize, count: i32, index: i32): i32 {
  let lo = 0, hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<i32>(starts + (<usize>mid << 2)) <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `rows` source rows of `columns` values (u16, or i16 where `signed`) at `source`, each mapped
 * through `table` (value v at table[v − tableOffset]), the runs it maps to 0 at either end left
 * out; along x, output sample k of `outWidth` sums `taps` weights (xWeights, k·taps on) times the
 * mapped values from starts[k], written at k (or outWidth − 1 − k where `reverseX`); along y, row r
 * adds its share to the output rows feedOut[f] with feedWeight[f], f from feedStart[r] to
 * feedStart[r + 1]. `out` holds the chunk's output rows (zeros: it adds), `line` columns + taps
 * floats, `horizontal` outWidth floats.
 */
export function resampleChunk(
  source: usize, signed: bool, rows: i32, columns: i32,
  table: usize, tableOffset: i32,
  starts: usize, xWeights: usize, taps: i32, outWidth: i32, reverseX: bool,
  feedStart: usize, feedOut: usize, feedWeight: usize,
  line: usize, horizontal: usize, out: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const from = load<i32>(feedStart + (<usize>r << 2)), to = load<i32>(feedStart + (<usize>(r + 1) << 2));
    if (from == to) continue; // a row no output sample reaches
    const row = source + (<usize>r * <usize>columns << 1);
    // along the row, through the table, without the 0s at its ends
    let lo = 0, hi = columns - 1;
    while (lo <= hi && lookup(table, tableOffset, row, lo, signed) == 0) lo++;
    while (hi > lo && lookup(table, tableOffset, row, hi, signed) == 0) hi--;
    if (lo > hi) continue;
    for (let x = lo; x <= hi; x++) store<f32>(line + (<usize>x << 2), lookup(table, tableOffset, row, x, signed));
    // the line beyond the values just read still holds another row's: zeros where taps may reach
    for (let x = max(0, lo - taps); x < lo; x++) store<f32>(line + (<usize>x << 2), 0);
    for (let x = hi + 1; x < hi + 1 + taps; x++) store<f32>(line + (<usize>x << 2), 0);
    const kLo = firstReaching(starts, outWidth, taps, lo), kHi = firstAfter(starts, outWidth, hi) - 1;
    if (kLo > kHi) continue;
    // pass 1, along x: the sum in f64 in tap order, stored as f32 (JavaScript's Float32Array store);
    // the usual tap counts written out, as in resample.ts (3: a reduction by up to 2, as 0.07 to 0.1 mm)
    for (let k = kLo; k <= kHi; k++) {
      const start = load<i32>(starts + (<usize>k << 2));
      const w = xWeights + (<usize>(k * taps) << 2), l = line + (<usize>start << 2);
      let sum: f64;
      if (taps == 3) {
        sum = <f64>load<f32>(w) * <f64>load<f32>(l) + <f64>load<f32>(w, 4) * <f64>load<f32>(l, 4) + <f64>load<f32>(w, 8) * <f64>load<f32>(l, 8);
      } else if (taps == 2) {
        sum = <f64>load<f32>(w) * <f64>load<f32>(l) + <f64>load<f32>(w, 4) * <f64>load<f32>(l, 4);
      } else {
        sum = 0;
        for (let t = 0; t < taps; t++) sum += <f64>load<f32>(w + (<usize>t << 2)) * <f64>load<f32>(l + (<usize>t << 2));
      }
      store<f32>(horizontal + (<usize>(reverseX ? outWidth - 1 - k : k) << 2), <f32>sum);
    }
    // pass 2, along y: out += w · horizontal over the samples written, two at a time in f64
    const xLo = reverseX ? outWidth - 1 - kHi : kLo, xHi = reverseX ? outWidth - 1 - kLo : kHi;
    for (let f = from; f < to; f++) {
      const k = load<i32>(feedOut + (<usize>f << 2));
      const weight = <f64>load<f32>(feedWeight + (<usize>f << 2));
      const w2 = f64x2.splat(weight);
      const target = out + (<usize>k * <usize>outWidth << 2);
      let x = xLo;
      for (; x + 1 <= xHi; x += 2) {
        const at = target + (<usize>x << 2), h = horizontal + (<usize>x << 2);
        const sum = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(at)), f64x2.mul(w2, f64x2.promote_low_f32x4(v128.load64_zero(h))));
        v128.store64_lane(at, f32x4.demote_f64x2_zero(sum), 0);
      }
      if (x <= xHi) {
        const at = target + (<usize>x << 2);
        store<f32>(at, <f32>(<f64>load<f32>(at) + weight * <f64>load<f32>(horizontal + (<usize>x << 2))));
      }
    }
  }
}
