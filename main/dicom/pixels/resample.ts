// Separable resampling on a pixel grid. Output sample k along an axis sits at input coordinate
// `scale·k + offset` (pixel centres at integers) and covers `|scale|` input pixels: where it covers
// more than one (a reduction) its value is the area-weighted mean of the input pixels its cell
// overlaps (area averaging: no aliasing, and a constant region keeps its value); where it covers
// less (an enlargement) it is interpolated linearly between the two nearest input pixels. Input
// coordinates outside the image take the nearest edge pixel.

/** For each output sample along one axis: the first input index and the weights of the inputs from there. */
export interface AxisWeights {
  count: number;
  first: Int32Array;
  taps: number;
  /** `taps` weights per output sample (zeros past its last input), summing to 1. */
  weights: Float32Array;
}

export function axisWeights(count: number, scale: number, offset: number, inputLength: number): AxisWeights {
  const width = Math.abs(scale);
  const taps = width > 1 ? Math.ceil(width) + 1 : 2;
  const first = new Int32Array(count);
  const weights = new Float32Array(count * taps);
  const clamp = (i: number) => (i < 0 ? 0 : i >= inputLength ? inputLength - 1 : i);
  for (let k = 0; k < count; k++) {
    const centre = scale * k + offset;
    const w = weights.subarray(k * taps, (k + 1) * taps);
    // The taps cover consecutive input indices from `start`; indices outside the image are folded
    // onto the edge pixel below by accumulating into a per-sample map first.
    const contributions = new Map<number, number>();
    if (width > 1) {
      const lo = centre - width / 2, hi = centre + width / 2;
      for (let i = Math.floor(lo + 0.5); i <= Math.ceil(hi - 0.5); i++) {
        const overlap = Math.min(hi, i + 0.5) - Math.max(lo, i - 0.5);
        if (overlap > 0) contributions.set(clamp(i), (contributions.get(clamp(i)) ?? 0) + overlap);
      }
    } else {
      const i = Math.floor(centre);
      const t = centre - i;
      contributions.set(clamp(i), (contributions.get(clamp(i)) ?? 0) + (1 - t));
      contributions.set(clamp(i + 1), (contributions.get(clamp(i + 1)) ?? 0) + t);
    }
    const indices = [...contributions.keys()];
    const start = Math.min(...indices);
    let total = 0;
    for (const v of contributions.values()) total += v;
    first[k] = start;
    for (const [i, v] of contributions) w[i - start] = v / total;
  }
  return { count, first, taps, weights };
}

/** What a source value becomes before it is averaged: a lookup table (value v at `table[v - offset]`), or the value itself. */
export interface ValueTable {
  table: Float32Array;
  offset: number;
}

/**
 * Resamples a `width`-column image (row-major values) with weights along x and y, into a
 * Float32Array of `xw.count × yw.count` samples, mapping each source value through `values` first.
 * Only the source rows the y weights reach are read.
 */
export function resample(source: ArrayLike<number>, width: number, xw: AxisWeights, yw: AxisWeights, values: ValueTable | null): Float32Array {
  const outWidth = xw.count, outHeight = yw.count;
  let rowLo = Infinity, rowHi = -1;
  for (let k = 0; k < outHeight; k++) {
    rowLo = Math.min(rowLo, yw.first[k]!);
    rowHi = Math.max(rowHi, yw.first[k]! + yw.taps - 1);
  }
  const sourceRows = Math.floor(source.length / width);
  rowHi = Math.min(rowHi, sourceRows - 1);
  // Pass 1, along x: each needed source row → outWidth samples. Only the columns the x weights
  // reach are read (a crop leaves the air out), mapped through the table once each, into a line
  // padded with zeros so that every output sample runs all its taps without a bounds test.
  let colLo = Infinity, colHi = -1;
  for (let k = 0; k < outWidth; k++) {
    colLo = Math.min(colLo, xw.first[k]!);
    colHi = Math.max(colHi, xw.first[k]! + xw.taps - 1);
  }
  colHi = Math.min(colHi, width - 1);
  const columns = colHi - colLo + 1;
  const rows = rowHi - rowLo + 1;
  const horizontal = new Float32Array(rows * outWidth);
  const taps = xw.taps, xWeights = xw.weights;
  const starts = Int32Array.from(xw.first, (f) => f - colLo);
  const line = new Float32Array(columns + taps);
  for (let r = 0; r < rows; r++) {
    const base = (rowLo + r) * width + colLo;
    if (values) mapThroughTable(source, base, columns, values, line);
    else for (let x = 0; x < columns; x++) line[x] = source[base + x]!;
    const out = r * outWidth;
    for (let k = 0; k < outWidth; k++) {
      const start = starts[k]!, wBase = k * taps;
      let sum = 0;
      for (let t = 0; t < taps; t++) sum += xWeights[wBase + t]! * line[start + t]!;
      horizontal[out + k] = sum;
    }
  }
  // Pass 2, along y.
  const result = new Float32Array(outWidth * outHeight);
  for (let k = 0; k < outHeight; k++) {
    const start = yw.first[k]! - rowLo, wBase = k * yw.taps, out = k * outWidth;
    for (let t = 0; t < yw.taps; t++) {
      const w = yw.weights[wBase + t]!;
      if (w === 0) continue;
      const row = (start + t) * outWidth;
      for (let x = 0; x < outWidth; x++) result[out + x] += w * horizontal[row + x]!;
    }
  }
  return result;
}

/** `count` source values from `base`, each through the table, into `line`. */
function mapThroughTable(source: ArrayLike<number>, base: number, count: number, values: ValueTable, line: Float32Array): void {
  const { table, offset } = values;
  for (let x = 0; x < count; x++) line[x] = table[source[base + x]! - offset]!;
}
