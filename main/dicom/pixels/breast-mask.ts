// Where the breast is in a stored image: the air background thresholded on a small copy of the
// presentation image (air is dark there whatever the photometric interpretation), the largest
// connected region kept (labels, markers and paddle edges are small and apart from it), and its
// bounding box. Also, which vertical edge the breast leans on (its chest wall), for images whose
// header does not say.

import type { Box } from './affine.ts';
import type { StoredPixels } from './decode.ts';
import type { ValueTable } from './resample.ts';

/** The presentation image reduced by a whole factor (block means), with the breast mask on it. */
export interface BreastMask {
  factor: number;
  width: number;
  height: number;
  mask: Uint8Array;
  /** The largest region's bounding box in small-image pixels, inclusive; null when there is no clear breast. */
  box: Box | null;
  threshold: number;
}

/** Below this range of its block means (0–1, as presented), an image has no contrast: no breast. */
const FLAT_RANGE = 0.01;

/** Small images are enough to find a breast: about 256 pixels along the longer side. */
const TARGET_SIDE = 256;

export function breastMask(pixels: StoredPixels, width: number, height: number, lut: ValueTable): BreastMask {
  const grid = maskGrid(width, height);
  const sums = new Float32Array(grid.width * grid.height);
  sampleBlockRows(pixels, width, lut, grid, 0, grid.height, sums);
  return maskFromBlockSums(grid, sums);
}

/**
 * How far above the air's level the mask's threshold lies, as a share of the way to Otsu's split
 * (which tends to fall between fat and dense tissue: air, fat and dense tissue make three classes).
 * Near the air, so that the breast's whole outline is in the mask down to its skin line, where it
 * thins to nothing: the AI's crop and the viewer's fit must leave no breast out. A quarter of the
 * way (until 2026-12-07) left up to 15 mm of a fatty breast's nipple outside the mask (the nipple
 * outside the AI's crop, 5 mm margin and all, in 36 of 155 images of one evaluation set), the
 * nipple found on it short of the true one, and the crop's edge cutting through the breast.
 */
export const AIR_REACH = 0.05;

/** The small image's blocks: `factor` stored pixels a side, each sampled every `step` pixels along both axes. */
export interface MaskGrid {
  factor: number;
  width: number;
  height: number;
  step: number;
}

export function maskGrid(width: number, height: number): MaskGrid {
  const factor = Math.max(1, Math.floor(Math.max(width, height) / TARGET_SIDE));
  // Each block's mean from a grid of samples in it, every `step` pixels (about 4 × 4 per block):
  // air and tissue differ by far more than the noise, and reading every stored pixel here cost as
  // much as the resampling itself.
  return { factor, width: Math.floor(width / factor), height: Math.floor(height / factor), step: Math.max(1, Math.floor(factor / 4)) };
}

/**
 * The sums of the samples of block rows [by0, by1), added into `sums` (zeros there): rows cut in
 * bands make the same sums as one pass (each block's samples are added in the same order).
 */
export function sampleBlockRows(pixels: StoredPixels, width: number, lut: ValueTable, grid: MaskGrid, by0: number, by1: number, sums: Float32Array): void {
  const { factor, width: w, step } = grid;
  const { table, offset } = lut;
  for (let by = by0; by < by1; by++) {
    const out = by * w;
    for (let dy = 0; dy < factor; dy += step) {
      const row = (by * factor + dy) * width;
      for (let bx = 0; bx < w; bx++) {
        let sum = 0;
        for (let dx = 0, x = row + bx * factor; dx < factor; dx += step, x += step) sum += table[pixels[x]! - offset]!;
        sums[out + bx]! += sum;
      }
    }
  }
}

/** The mask made from the block sums of the whole small image (`sums` becomes its block means). */
export function maskFromBlockSums(grid: MaskGrid, sums: Float32Array): BreastMask {
  const { factor, width: w, height: h, step } = grid;
  const small = sums;
  const perSide = Math.ceil(factor / step);
  const area = perSide * perSide;
  for (let i = 0; i < small.length; i++) small[i] = small[i]! / area;

  // Otsu's split of this histogram tends to fall between fat and dense tissue: come down from it
  // most of the way toward the air's level (AIR_REACH)
  const airLevel = percentile(small, 0.01);
  const threshold = airLevel + AIR_REACH * (otsu(small) - airLevel);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < small.length; i++) mask[i] = small[i]! > threshold ? 1 : 0;
  // an image without contrast (blank, one value, a single pixel) holds no breast: every block above a
  // threshold at its own level made the whole image "breast"
  let low = Infinity, high = -Infinity;
  for (let i = 0; i < small.length; i++) { low = Math.min(low, small[i]!); high = Math.max(high, small[i]!); }
  const box = high - low >= FLAT_RANGE ? largestRegionBox(mask, w, h) : null;
  return { factor, width: w, height: h, mask, box, threshold };
}

/**
 * The mask's box without the thin strips at its top and bottom ends: rows of the box holding under a
 * twentieth of its widest row's blocks (and at most two blocks in any case). A prior of the generator
 * carries a bright column 1–3 blocks wide down the whole chest-wall edge, joined to the breast, and
 * its box ran the image's full height (a probe: 12 of 51 prior images; every step beside one fitted
 * the whole detector again). A breast's own outline is that narrow for under a block at its ends (a
 * half disc of radius R is under R/20 wide only within R/3200 of its end), which the viewer's margin
 * gives back many times over.
 */
export function boxWithoutEdgeStrips(m: BreastMask): Box | null {
  if (!m.box) return null;
  const [x0, y0, x1, y1] = m.box;
  const counts = new Int32Array(y1 - y0 + 1);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) counts[y - y0]! += m.mask[y * m.width + x]!;
  const narrow = Math.max(2, Math.max(...counts) / 20);
  const thin = (y: number) => counts[y - y0]! <= narrow;
  let top = y0, bottom = y1;
  while (top < bottom && thin(top)) top++;
  while (bottom > top && thin(bottom)) bottom--;
  return [x0, top, x1, bottom];
}

/**
 * The breast's bounding box in stored pixels: columns [c0, c1) and rows [r0, r1), whole blocks of the
 * small image (a box reaching its last block reaches the image's edge: the small image drops the
 * last partial block). Null when the mask found no clear breast. The AI's crop and the viewer's
 * fit-to-breast both start from it.
 */
export function storedBreastBox(mask: BreastMask, columns: number, rows: number): [number, number, number, number] | null {
  if (!mask.box) return null;
  const [bx0, by0, bx1, by1] = mask.box;
  const f = mask.factor;
  return [bx0 * f, by0 * f, bx1 === mask.width - 1 ? columns : (bx1 + 1) * f, by1 === mask.height - 1 ? rows : (by1 + 1) * f];
}

/**
 * The value of rank ⌊p·n⌋ among the values (as sorting them would give): a histogram finds the bin
 * holding that rank, and the value of that rank among that bin's is selected (not sorted: the bin
 * asked for is the air's, a third of the image or more, and sorting it cost as much as sampling).
 */
export function percentile(values: Float32Array, p: number): number {
  const rank = Math.min(values.length - 1, Math.floor(p * values.length));
  // the minimum and how often it occurs: where it fills the rank asked for (the air of a breast
  // image, mapped to exactly 0 by a window that clips it: three quarters of the small image), it is
  // the answer, without selecting among tens of thousands of equal values
  let min = Infinity, max = -Infinity, atMin = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) { min = v; atMin = 1; } else if (v === min) atMin++;
    if (v > max) max = v;
  }
  if (!(max > min) || atMin > rank) return min;
  const bins = 1024;
  const scale = bins / (max - min);
  const binOf = (v: number) => Math.min(bins - 1, Math.floor((v - min) * scale));
  const counts = new Int32Array(bins);
  for (let i = 0; i < values.length; i++) counts[binOf(values[i]!)]!++;
  let bin = 0, below = 0;
  while (below + counts[bin]! <= rank) below += counts[bin++]!;
  const inBin = new Float32Array(counts[bin]!);
  for (let i = 0, n = 0; i < values.length; i++) if (binOf(values[i]!) === bin) inBin[n++] = values[i]!;
  return select(inBin, rank - below);
}

/** The value of rank `k` among `a` (Hoare's selection: `a` is reordered). */
function select(a: Float32Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    // the median of three as the pivot; runs of equal values stop both scans, which keeps ties balanced
    const x = a[lo]!, y = a[(lo + hi) >>> 1]!, z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Otsu's threshold over 256 bins of [0, 1]: the split that best separates air from tissue. */
function otsu(values: Float32Array): number {
  const bins = new Float64Array(256);
  for (let i = 0; i < values.length; i++) bins[Math.min(255, Math.max(0, Math.floor(values[i]! * 256)))]++;
  const total = values.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * bins[i]!;
  let best = 0, bestVariance = -1, countBelow = 0, sumBelow = 0;
  for (let t = 0; t < 255; t++) {
    countBelow += bins[t]!;
    sumBelow += t * bins[t]!;
    const countAbove = total - countBelow;
    if (countBelow === 0 || countAbove === 0) continue;
    const meanBelow = sumBelow / countBelow, meanAbove = (sumAll - sumBelow) / countAbove;
    const variance = countBelow * countAbove * (meanBelow - meanAbove) ** 2;
    if (variance > bestVariance) { bestVariance = variance; best = t; }
  }
  return (best + 1) / 256;
}

/** The bounding box of the largest 4-connected region of the mask; null when it covers under 1 % of the image. */
function largestRegionBox(mask: Uint8Array, w: number, h: number): Box | null {
  const label = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  let next = 0, bestSize = 0;
  let best: Box | null = null;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    next++;
    let top = 0, size = 0;
    let x0 = w, y0 = h, x1 = -1, y1 = -1;
    stack[top++] = start;
    label[start] = next;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % w, y = (i - x) / w;
      size++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      // the four neighbours, written out: a closure made per pixel cost more than the labelling
      if (x > 0 && mask[i - 1] && !label[i - 1]) { label[i - 1] = next; stack[top++] = i - 1; }
      if (x < w - 1 && mask[i + 1] && !label[i + 1]) { label[i + 1] = next; stack[top++] = i + 1; }
      if (y > 0 && mask[i - w] && !label[i - w]) { label[i - w] = next; stack[top++] = i - w; }
      if (y < h - 1 && mask[i + w] && !label[i + w]) { label[i + w] = next; stack[top++] = i + w; }
    }
    if (size > bestSize) { bestSize = size; best = [x0, y0, x1, y1]; }
  }
  return bestSize >= 0.01 * w * h ? best : null;
}

/**
 * The side of the stored image where the breast meets the edge (its chest wall): the edge column
 * band holding more breast. Null when neither does clearly.
 */
export function chestWallEdge(m: BreastMask): 'left' | 'right' | null {
  const band = Math.max(1, Math.round(m.width * 0.03));
  let left = 0, right = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < band; x++) {
      left += m.mask[y * m.width + x]!;
      right += m.mask[y * m.width + m.width - 1 - x]!;
    }
  }
  if (left === right) return null;
  return left > right ? 'left' : 'right';
}
