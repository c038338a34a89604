// Separable resampling on a pixel grid. Output sample k along an axis sits at input coordinate
// `scale·k + offset` (pixel centres at integers) and covers `|scale|` input pixels: where it covers
// more than one (a reduction) its value is the area-weighted mean of the input pixels its cell
// overlaps (area averaging: no aliasing, and a constant region keeps its value); where it covers
// less (an enlargement) it is interpolated linearly between the two nearest input pixels. Input
// coordinates outside the image take the nearest edge pixel.

import { errorForLog, log } from '../../base/log.ts';
import { resampleKernelWasm } from './wasm/resample-kernel.wasm.ts';

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
  // each sample's contributions by input index from its first (indices outside the image folded
  // onto the edge pixel), added up in increasing index order; clamping keeps the indices a sample
  // reaches consecutive, so `taps` slots hold them (a Map per sample cost a millisecond a model input)
  const contributions = new Float64Array(taps);
  for (let k = 0; k < count; k++) {
    const centre = scale * k + offset;
    contributions.fill(0);
    let start = -1, last = -1;
    if (width > 1) {
      const lo = centre - width / 2, hi = centre + width / 2;
      for (let i = Math.floor(lo + 0.5); i <= Math.ceil(hi - 0.5); i++) {
        const overlap = Math.min(hi, i + 0.5) - Math.max(lo, i - 0.5);
        if (!(overlap > 0)) continue;
        last = clamp(i);
        if (start < 0) start = last;
        contributions[last - start] += overlap;
      }
    } else {
      const i = Math.floor(centre), t = centre - i;
      start = clamp(i);
      last = clamp(i + 1);
      contributions[0] = 1 - t;
      contributions[last - start] += t;
    }
    let total = 0;
    for (let j = 0; j <= last - start; j++) total += contributions[j]!;
    first[k] = start;
    for (let j = 0; j <= last - start; j++) weights[k * taps + j] = contributions[j]! / total;
  }
  return { count, first, taps, weights };
}

/** What a source value becomes before it is averaged: a lookup table (value v at `table[v - offset]`), or the value itself. */
export interface ValueTable {
  table: Float32Array;
  offset: number;
}

/**
 * Where resample writes: into `pixels`, zeros there (the WebAssembly path writes the output's rows
 * whole, the JavaScript path adds to the samples it reaches: the same over zeros), rows that do not
 * overlap (stride ≥ the output's width), output sample (k, j) at
 * `offset + row·stride + column`, rows and/or columns in reverse order where the image is shown
 * mirrored (the model's input written in place, without a resampled copy to rearrange).
 */
export interface ResampleTarget {
  pixels: Float32Array;
  offset: number;
  stride: number;
  reverseX: boolean;
  reverseY: boolean;
}

/**
 * Resamples a `width`-column image (row-major values) with weights along x and y, into a
 * Float32Array of `xw.count × yw.count` samples (or into `target`), mapping each source value
 * through `values` first. Only the source rows the y weights reach are read. 16-bit values through
 * a table (the AI's input) are resampled in WebAssembly (resampleInWasm), others here
 * (resampleInJs): the same output to the bit.
 */
export function resample(source: ArrayLike<number>, width: number, xw: AxisWeights, yw: AxisWeights, values: ValueTable | null, target?: ResampleTarget): Float32Array {
  const into = target ?? { pixels: new Float32Array(xw.count * yw.count), offset: 0, stride: xw.count, reverseX: false, reverseY: false };
  const kernel = values && coversEveryValue(source, values) ? wasmKernel() : null;
  return kernel ? resampleInWasm(kernel, source as Uint16Array | Int16Array, width, xw, yw, values!, into) : resampleInJs(source, width, xw, yw, values, into);
}

/**
 * 16-bit values, every one of which the table maps (as presentationLut's do: one entry per value of
 * Bits Allocated): the kernel reads the table without a bounds test, where JavaScript would read
 * `undefined` (NaN) past its end.
 */
function coversEveryValue(source: ArrayLike<number>, values: ValueTable): boolean {
  const [lo, hi] = source instanceof Uint16Array ? [0, 65535] : source instanceof Int16Array ? [-32768, 32767] : [1, 0];
  return lo <= hi && values.offset <= lo && values.offset + values.table.length - 1 >= hi;
}

/** The source columns the x weights reach: from `colLo`, `columns` of them (within the image). */
function reachedColumns(xw: AxisWeights, width: number): { colLo: number; columns: number } {
  let colLo = Infinity, colHi = -1;
  for (let k = 0; k < xw.count; k++) {
    colLo = Math.min(colLo, xw.first[k]!);
    colHi = Math.max(colHi, xw.first[k]! + xw.taps - 1);
  }
  return { colLo, columns: Math.min(colHi, width - 1) - colLo + 1 };
}

/** resample in JavaScript: any values, with or without a table. */
export function resampleInJs(source: ArrayLike<number>, width: number, xw: AxisWeights, yw: AxisWeights, values: ValueTable | null, into: ResampleTarget): Float32Array {
  const outWidth = xw.count, outHeight = yw.count;
  const sourceRows = Math.floor(source.length / width);
  // Which output rows each source row feeds, and with what weight: pass 2 (along y) then runs as the
  // rows come out of pass 1 (along x), so that a full-size image needs one row of intermediate
  // values, not a whole intermediate image (about 18 MB for a mammogram: allocating and first
  // touching that much costs more than the arithmetic on some machines). Each output row still sums
  // its source rows in the same order, so the result is the same to the bit.
  const feeds = rowFeeds(yw, sourceRows);
  // Pass 1, along x: each needed source row → outWidth samples. Only the columns the x weights
  // reach are read (a crop leaves the air out), mapped through the table once each, into a line
  // padded with zeros so that every output sample runs all its taps without a bounds test.
  // Values the table maps to 0 at either end of a row (the air beside a breast, through a window
  // that clips it: a third of a cropped mammogram) are not averaged: the samples whose taps reach
  // only them are 0, as their sums would be, and add nothing to the output rows.
  const { colLo, columns } = reachedColumns(xw, width);
  const horizontal = new Float32Array(outWidth);
  const taps = xw.taps, xWeights = xw.weights;
  const starts = Int32Array.from(xw.first, (f) => f - colLo);
  const line = new Float32Array(columns + taps);
  const result = into.pixels, reverseX = into.reverseX;
  for (let r = feeds.rowLo; r <= feeds.rowHi; r++) {
    const from = feeds.start[r - feeds.rowLo]!, to = feeds.start[r - feeds.rowLo + 1]!;
    if (from === to) continue; // a row no output sample reaches (weight 0)
    const base = r * width + colLo;
    let lo = 0, hi = columns - 1;
    if (values) {
      [lo, hi] = mapThroughTable(source, base, columns, values, line);
      if (lo > hi) continue; // all 0: nothing to add
      // the line beyond the values just read still holds another row's: zeros where taps may reach
      line.fill(0, Math.max(0, lo - taps), lo);
      line.fill(0, hi + 1, hi + 1 + taps);
    } else {
      for (let x = 0; x < columns; x++) line[x] = source[base + x]!;
    }
    // the samples with a tap in [lo, hi]; the others are 0
    const kLo = firstReaching(starts, taps, lo), kHi = firstAfter(starts, hi) - 1;
    if (kLo > kHi) continue;
    // the usual tap counts written out (2: an enlargement; 3: a reduction by up to 2, as 0.07 to
    // 0.1 mm): a fifth of the pipeline's time went to the general loop's bookkeeping. The sums are
    // the same to the bit (the same products added in the same order, in doubles).
    if (taps === 3) {
      for (let k = kLo; k <= kHi; k++) {
        const start = starts[k]!, wBase = k * 3;
        horizontal[reverseX ? outWidth - 1 - k : k] = xWeights[wBase]! * line[start]! + xWeights[wBase + 1]! * line[start + 1]! + xWeights[wBase + 2]! * line[start + 2]!;
      }
    } else if (taps === 2) {
      for (let k = kLo; k <= kHi; k++) {
        const start = starts[k]!, wBase = k * 2;
        horizontal[reverseX ? outWidth - 1 - k : k] = xWeights[wBase]! * line[start]! + xWeights[wBase + 1]! * line[start + 1]!;
      }
    } else {
      for (let k = kLo; k <= kHi; k++) {
        const start = starts[k]!, wBase = k * taps;
        let sum = 0;
        for (let t = 0; t < taps; t++) sum += xWeights[wBase + t]! * line[start + t]!;
        horizontal[reverseX ? outWidth - 1 - k : k] = sum;
      }
    }
    // Pass 2, along y: this row's share of each output row it feeds, over the samples written.
    const xLo = reverseX ? outWidth - 1 - kHi : kLo, xHi = reverseX ? outWidth - 1 - kLo : kHi;
    for (let f = from; f < to; f++) {
      const k = feeds.outRow[f]!;
      const w = feeds.weight[f]!, out = into.offset + (into.reverseY ? outHeight - 1 - k : k) * into.stride;
      for (let x = xLo; x <= xHi; x++) result[out + x] += w * horizontal[x]!;
    }
  }
  return result;
}

/** The first output sample whose taps (`taps` from `starts[k]`, non-decreasing in k) reach `index` or beyond. */
function firstReaching(starts: Int32Array, taps: number, index: number): number {
  let lo = 0, hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! + taps - 1 < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first output sample whose taps start after `index`. */
function firstAfter(starts: Int32Array, index: number): number {
  let lo = 0, hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The y weights turned around: for each source row from `rowLo` to `rowHi`, the output rows it feeds
 * and their weights, at `start[row − rowLo]` up to `start[row − rowLo + 1]` in `outRow` and `weight`,
 * output rows in increasing order (as each output row's taps run in increasing source rows).
 */
function rowFeeds(yw: AxisWeights, sourceRows: number): { rowLo: number; rowHi: number; start: Int32Array; outRow: Int32Array; weight: Float32Array } {
  let rowLo = Infinity, rowHi = -1;
  for (let k = 0; k < yw.count; k++) {
    rowLo = Math.min(rowLo, yw.first[k]!);
    rowHi = Math.max(rowHi, yw.first[k]! + yw.taps - 1);
  }
  rowHi = Math.min(rowHi, sourceRows - 1);
  const rows = Math.max(0, rowHi - rowLo + 1);
  const count = new Int32Array(rows + 1);
  const each = (visit: (row: number, k: number, w: number) => void) => {
    for (let k = 0; k < yw.count; k++) {
      for (let t = 0; t < yw.taps; t++) {
        const w = yw.weights[k * yw.taps + t]!, row = yw.first[k]! + t;
        if (w !== 0 && row <= rowHi) visit(row, k, w);
      }
    }
  };
  each((row) => count[row - rowLo + 1]!++);
  for (let i = 0; i < rows; i++) count[i + 1]! += count[i]!;
  const start = Int32Array.from(count);
  const outRow = new Int32Array(count[rows]!), weight = new Float32Array(count[rows]!);
  const next = count.subarray(0, rows);
  each((row, k, w) => {
    const at = next[row - rowLo]!++;
    outRow[at] = k;
    weight[at] = w;
  });
  return { rowLo, rowHi, start, outRow, weight };
}

/**
 * `count` source values from `base`, each through the table, into `line`, leaving out the runs that
 * the table maps to 0 at either end: returns the first and last index of what lies between them
 * (written), or lo > hi when the whole row maps to 0 (nothing written).
 */
function mapThroughTable(source: ArrayLike<number>, base: number, count: number, values: ValueTable, line: Float32Array): [number, number] {
  const { table, offset } = values;
  let lo = 0, hi = count - 1;
  while (lo <= hi && table[source[base + lo]! - offset] === 0) lo++;
  while (hi > lo && table[source[base + hi]! - offset] === 0) hi--;
  for (let x = lo; x <= hi; x++) line[x] = table[source[base + x]! - offset]!;
  return [lo, hi];
}

/** The little of the WebAssembly API used here (main's types are ES2022 and Node's, which leave it out). */
interface WasmApi { Module: new (bytes: Uint8Array) => object; Instance: new (module: object) => { exports: object } }
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }

/** The WebAssembly kernel's exports (wasm/resample-kernel.as.ts). */
interface ResampleKernel {
  memory: WasmMemory;
  heapBase(): number;
  resampleChunk(source: number, signed: number, rows: number, columns: number, table: number, tableOffset: number,
    starts: number, xWeights: number, taps: number, outWidth: number, reverseX: number,
    feedStart: number, feedOut: number, feedWeight: number, line: number, horizontal: number, out: number): void;
}

/** This thread's instance of the kernel, made on first use (a thread's memory is its own); null where it cannot be made. */
let kernel: ResampleKernel | null | undefined;

export function wasmKernel(): ResampleKernel | null {
  if (kernel === undefined) {
    try {
      const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      kernel = new wasm.Instance(new wasm.Module(Buffer.from(resampleKernelWasm, 'base64'))).exports as ResampleKernel;
    } catch (error) {
      // not expected (Node 20 and Electron have WebAssembly SIMD): resampled in JavaScript, slower, and said once
      log.warn(`the resampling kernel could not be loaded: resampling in JavaScript (${errorForLog(error)})`);
      kernel = null;
    }
  }
  return kernel;
}

/** Output rows resampled per call of the kernel: the chunk's source rows (about 100 of a mammogram's) and output rows lie in its memory at once. */
const CHUNK_ROWS = 64;

/**
 * resample in the WebAssembly kernel, a chunk of output rows at a time: the chunk's source rows
 * (the columns the x weights reach), the table and the weights copied into the kernel's memory, the
 * chunk's output rows copied out whole. Each output row sums the same products in the same order
 * as resampleInJs (the kernel's arithmetic is JavaScript's: f64, rounded to f32 where it stores).
 */
export function resampleInWasm(k: ResampleKernel, source: Uint16Array | Int16Array, width: number, xw: AxisWeights, yw: AxisWeights, values: ValueTable, into: ResampleTarget): Float32Array {
  const outWidth = xw.count, outHeight = yw.count, taps = xw.taps;
  // its rows are written whole (resampleInJs adds to the samples it reaches): the same where rows do not overlap, over zeros
  if (into.stride < outWidth) throw new Error(`a resampled row of ${outWidth} samples does not fit a stride of ${into.stride}`);
  const sourceRows = Math.floor(source.length / width);
  const { colLo, columns } = reachedColumns(xw, width);
  if (outWidth === 0 || outHeight === 0 || columns <= 0) return into.pixels;
  // the kernel's memory, from the end of its static data: what is the same for every chunk, then the chunk's
  const at = new Layout(k.heapBase());
  const table = at.take(values.table.length * 4), starts = at.take(outWidth * 4), xWeights = at.take(xw.weights.length * 4);
  const line = at.take((columns + taps) * 4), horizontal = at.take(outWidth * 4);
  const chunkBase = at.end;
  ensureMemory(k.memory, chunkBase);
  new Float32Array(k.memory.buffer, table, values.table.length).set(values.table);
  new Int32Array(k.memory.buffer, starts, outWidth).set(xw.first.map((f) => f - colLo));
  new Float32Array(k.memory.buffer, xWeights, xw.weights.length).set(xw.weights);
  const signed = source instanceof Int16Array;
  for (let k0 = 0; k0 < outHeight; k0 += CHUNK_ROWS) {
    const k1 = Math.min(outHeight, k0 + CHUNK_ROWS), count = k1 - k0;
    const feeds = rowFeeds({ count, first: yw.first.subarray(k0, k1), taps: yw.taps, weights: yw.weights.subarray(k0 * yw.taps, k1 * yw.taps) }, sourceRows);
    const rows = Math.max(0, feeds.rowHi - feeds.rowLo + 1);
    const chunk = new Layout(chunkBase);
    const feedStart = chunk.take((rows + 1) * 4), feedOut = chunk.take(feeds.outRow.length * 4), feedWeight = chunk.take(feeds.weight.length * 4);
    const out = chunk.take(count * outWidth * 4), staged = chunk.take(rows * columns * 2);
    ensureMemory(k.memory, chunk.end);
    const memory = k.memory.buffer;
    const outRows = new Float32Array(memory, out, count * outWidth).fill(0);
    if (rows > 0) {
      new Int32Array(memory, feedStart, rows + 1).set(feeds.start);
      new Int32Array(memory, feedOut, feeds.outRow.length).set(feeds.outRow);
      new Float32Array(memory, feedWeight, feeds.weight.length).set(feeds.weight);
      const stage = signed ? new Int16Array(memory, staged, rows * columns) : new Uint16Array(memory, staged, rows * columns);
      for (let r = 0; r < rows; r++) {
        const base = (feeds.rowLo + r) * width + colLo;
        stage.set(source.subarray(base, base + columns), r * columns);
      }
      k.resampleChunk(staged, signed ? 1 : 0, rows, columns, table, values.offset, starts, xWeights, taps, outWidth, into.reverseX ? 1 : 0,
        feedStart, feedOut, feedWeight, line, horizontal, out);
    }
    for (let j = 0; j < count; j++) {
      const row = into.reverseY ? outHeight - 1 - (k0 + j) : k0 + j;
      into.pixels.set(outRows.subarray(j * outWidth, (j + 1) * outWidth), into.offset + row * into.stride);
    }
  }
  return into.pixels;
}

/** Consecutive regions of the kernel's memory, each on a 16-byte boundary. */
class Layout {
  constructor(public end: number) {}
  take(bytes: number): number {
    const start = Math.ceil(this.end / 16) * 16;
    this.end = start + bytes;
    return start;
  }
}

function ensureMemory(memory: WasmMemory, bytes: number): void {
  const short = bytes - memory.buffer.byteLength;
  if (short > 0) memory.grow(Math.ceil(short / 65536));
}
