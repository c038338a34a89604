// A stored frame made into a model's input: Modality LUT and VOI, MONOCHROME1 inverted (air dark),
// turned as the viewer shows it and mirrored if the model wants the chest wall on the other side,
// cropped to the breast (unless asked not to), resampled to a pixel size in millimetres and/or
// fitted into a matrix, placed in it (against the chest-wall side, or centred: a letterbox) and
// padded, as float32. With the pixels comes the exact affine map from output pixel coordinates to
// stored pixel coordinates (and back), so that whatever the model finds lands on the stored image.
//
// Coordinates are (x, y) = (column, row) with pixel centres at integers (see affine.ts). The output
// is the oriented, cropped image scaled about pixel edges: output pixel u covers the oriented
// interval [x0 + (u − shift)·s, x0 + (u − shift + 1)·s] (x0 the crop's left edge, s the input pixels
// per output pixel, shift the content's first column in the output), so its centre is oriented
// x = s·(u − shift) + x0 + s/2, and so on through the orientation to stored pixels.

import { breastPlaneSpacing } from '../../../common/hanging/scale.ts';
import type { Affine, Box } from './affine.ts';
import { compose, invert, mapBox } from './affine.ts';
import { breastMask, chestWallEdge, storedBreastBox } from './breast-mask.ts';
import type { BreastMask } from './breast-mask.ts';
import type { DecodedFrame, StoredPixels } from './decode.ts';
import { PixelDataError } from './image-file.ts';
import { displayOrientation, mirrorX } from './orientation.ts';
import { axisWeights, resample } from './resample.ts';
import type { AxisWeights, ResampleTarget, ValueTable } from './resample.ts';
import type { AppliedWindow, PresentationLut, VoiChoice } from './voi.ts';
import { presentationLut } from './voi.ts';

export interface ModelInputOptions {
  /** Where the chest wall must be in the output (the nipple points the other way). */
  chestWall: 'left' | 'right';
  /** Output pixel size in mm (square pixels), in the breast plane. */
  pixelSizeMm?: number;
  /**
   * Output matrix. With a pixel size: the resampled breast is placed in it (as `padding` says:
   * by default chest wall against its side, top against the top), padded or cut on the nipple side
   * and the bottom (centred: on every side). Without: the breast (or the whole image, uncropped) is
   * scaled to fit it, keeping its shape.
   */
  size?: { width: number; height: number };
  /**
   * Without a matrix: the output is the content rounded up to a multiple of this along each axis (a
   * fully convolutional model's stride), padded as `padding` says (by default with air on the
   * nipple side and at the bottom).
   */
  multipleOf?: number;
  /**
   * Where the content sits in the output: against the chest-wall side and the top (default), or
   * centred (a YOLO letterbox: the padding shared on both sides, the odd pixel after, as
   * ultralytics places it), and the padding's value in [0, 1] before normalisation (default 0, air;
   * ultralytics pads with grey 114/255). The breast's own air inside the content stays as it is.
   */
  padding?: { placement: 'chest-wall-side' | 'centred'; value: number };
  /** Default 'preset' (the first window through the image's VOI LUT Function). */
  voi?: VoiChoice;
  /** Crop to the breast with this margin (default 5 mm); false keeps the whole image. */
  crop?: false | { marginMm: number };
  /** Applied last, padding included: (value − mean) / std, value in [0, 1] with air 0. */
  normalize?: { mean: number; std: number };
  /**
   * Where to write the pixels: an array of the `count` values asked for (zeroed here), or undefined
   * for a new one. For a caller that runs one input at a time and keeps the array from run to run.
   */
  into?: (count: number) => Float32Array | undefined;
}

export interface ModelInput {
  pixels: Float32Array;
  width: number;
  height: number;
  /** Output pixel coordinates → stored pixel coordinates. */
  toStored: Affine;
  /** Stored pixel coordinates → output pixel coordinates. */
  fromStored: Affine;
  /** Output pixel size in mm along x and y in the breast plane; null when the image has no spacing (pixels then). */
  pixelSizeMm: [number, number] | null;
  /** The breast box kept, in stored pixel coordinates (pixel edges). */
  cropStored: Box;
  /** True when the output matrix cut off part of the crop. */
  clipped: boolean;
  /**
   * True when it cut off more than 5 mm of the breast itself (as much as the crop's margin; where the
   * breast meets the image's edge, an MLO's axilla, a letterbox a little short cuts a few millimetres of
   * tissue the detector's field cut already): a fixed matrix at a fixed pixel size smaller than the breast. The model
   * would not see that part, and "nothing found" would be said of tissue never looked at (a vendor's
   * probe: a 512 × 512 input at 0.2 mm left the lower 95 mm of each MLO unread, its lesions with it).
   */
  breastCut: boolean;
  window: AppliedWindow;
  /** 'header': from Patient Orientation and laterality, as the viewer; 'pixels': from where the breast meets the edge (the header does not say). */
  orientationFrom: 'header' | 'pixels';
  /**
   * The breast's point farthest from its chest wall, in stored pixel coordinates (about a millimetre,
   * from the breast mask): the nipple's place where it is in profile. Null without a clear breast.
   */
  nippleStored: [number, number] | null;
}

/** The largest model input made: 64 M pixels (256 MB of float32; a full-size mammogram at 0.05 mm is about 29 M). */
const MAX_MODEL_INPUT_PIXELS = 64 * 1024 * 1024;

export function prepareModelInput(frame: DecodedFrame, options: ModelInputOptions): ModelInput {
  const { input, fill } = planModelInput(frame, options);
  const pixels = options.into?.(input.width * input.height)?.fill(0) ?? new Float32Array(input.width * input.height);
  fillOutputRows(frame.pixels, frame.header.columns, fill, pixels, 0, fill.rows);
  finishModelInput(pixels, options, fill);
  return { pixels, ...input };
}

/**
 * How the output is made from the stored frame (what prepareModelInput does after planning), so
 * that its rows can be made in bands on several threads: `rows` bands of consecutive resampled rows
 * (fillOutputRows), each summing the same products in the same order as one pass would, so the
 * result is the same to the bit however it is cut.
 */
export interface OutputFill {
  lut: ValueTable;
  /** The image is stored turned a quarter: resampled as a whole, then copied in with its axes swapped (not cut in bands). */
  turned: boolean;
  xw: AxisWeights;
  yw: AxisWeights;
  /** Rows of the resampled grid (yw.count), each one output row (or column, turned). */
  rows: number;
  target: Omit<ResampleTarget, 'pixels'>;
  /** The content region of the output: columns [u0, u1), rows [v0, v1) (the rest is padding). */
  region: { u0: number; u1: number; v0: number; v1: number };
  xScale: number;
  yScale: number;
}

/**
 * Everything prepareModelInput decides before it writes a pixel: the output's size and maps, and how
 * to fill it. `made`: the presentation table and the breast mask where the caller made them already
 * (as presentationLut and breastMask make them).
 */
export function planModelInput(frame: DecodedFrame, options: ModelInputOptions, made?: { lut: PresentationLut; mask: BreastMask }): { input: Omit<ModelInput, 'pixels'>; fill: OutputFill } {
  const h = frame.header;
  const lut = made?.lut ?? presentationLut(h, frame.pixels, options.voi ?? 'preset');
  // Orientation: the viewer's, mirrored if the model wants the chest wall on the other side.
  const mask = made?.mask ?? breastMask(frame.pixels, h.columns, h.rows, lut);
  const oriented = displayOrientation(h);
  let orientedFromStored = oriented.fromStored;
  let chestWall = oriented.chestWall;
  const orientationFrom = chestWall ? 'header' : 'pixels';
  if (!chestWall) {
    // The header does not say: find the chest wall in the image as the viewer shows it.
    const edge = chestWallEdge(mask) ?? 'left';
    const edgeX = edge === 'left' ? -0.5 : h.columns - 0.5;
    const shownX = orientedFromStored.a * edgeX + orientedFromStored.b * (h.rows / 2) + orientedFromStored.c;
    chestWall = shownX < oriented.width / 2 ? 'left' : 'right';
  }
  if (chestWall !== options.chestWall) orientedFromStored = compose(mirrorX(oriented.width), orientedFromStored);

  // Spacing of the oriented image: a quarter turn swaps the stored row and column spacings.
  const spacing = breastPlaneSpacing(h);
  const turned = orientedFromStored.a === 0;
  const spacingX = spacing ? (turned ? spacing.row : spacing.column) : null;
  const spacingY = spacing ? (turned ? spacing.column : spacing.row) : null;

  // Crop, in stored pixel edges, then in oriented ones.
  let cropStored: Box = [-0.5, -0.5, h.columns - 0.5, h.rows - 0.5];
  const breast = options.crop !== false ? storedBreastBox(mask, h.columns, h.rows) : null;
  if (breast) {
    const margin = options.crop ? options.crop.marginMm : 5;
    const mx = spacing ? margin / spacing.column : margin, my = spacing ? margin / spacing.row : margin;
    const [c0, r0, c1, r1] = breast;
    cropStored = [
      Math.max(-0.5, Math.floor(c0 - mx) - 0.5), Math.max(-0.5, Math.floor(r0 - my) - 0.5),
      Math.min(h.columns - 0.5, Math.ceil(c1 + mx) - 0.5), Math.min(h.rows - 0.5, Math.ceil(r1 + my) - 0.5),
    ];
  }
  const [ox0, oy0, ox1, oy1] = mapBox(orientedFromStored, cropStored);
  const cropWidth = ox1 - ox0, cropHeight = oy1 - oy0;

  // Input pixels per output pixel along oriented x and y; and for a letterbox fitted into a matrix,
  // its size as ultralytics' LetterBox makes it: round(w · r), r = min(W / w, H / h), in that order
  // of operations (w / (w / W)-style arithmetic lands one ulp off at halves, and one pixel off after)
  const centred = options.padding?.placement === 'centred';
  let sx: number, sy: number;
  let fitted: { width: number; height: number } | null = null;
  if (options.pixelSizeMm !== undefined) {
    if (!spacingX || !spacingY) throw new PixelDataError('the image has no usable pixel spacing (none, or one no breast image has): it cannot be resampled to millimetres', 'no_spacing');
    sx = options.pixelSizeMm / spacingX;
    sy = options.pixelSizeMm / spacingY;
  } else if (options.size) {
    // Fit, keeping physical proportions: square output pixels, sy·spacingY = sx·spacingX.
    const ratio = spacingX && spacingY ? spacingX / spacingY : 1;
    const s = Math.max(cropWidth / options.size.width, cropHeight / ratio / options.size.height);
    sx = s;
    sy = s * ratio;
    if (centred) {
      const r = Math.min(options.size.width / cropWidth, (options.size.height * ratio) / cropHeight);
      fitted = { width: roundHalfToEven(cropWidth * r), height: roundHalfToEven((cropHeight * r) / ratio) };
    }
  } else {
    throw new PixelDataError('a model input needs a pixel size, a matrix, or both');
  }
  // a letterbox's size rounded as ultralytics rounds it (Python's round: halves to even), so that
  // its model's boxes land where its own scale_boxes would put them (a half rounded up put them 2
  // stored pixels off: a probe)
  const round = centred ? roundHalfToEven : Math.round;
  const contentWidth = Math.max(1, fitted?.width ?? round(cropWidth / sx));
  const contentHeight = Math.max(1, fitted?.height ?? round(cropHeight / sy));
  const multiple = options.size ? 1 : options.multipleOf ?? 1;
  const width = options.size?.width ?? Math.ceil(contentWidth / multiple) * multiple;
  const height = options.size?.height ?? Math.ceil(contentHeight / multiple) * multiple;
  // the manifest's schema bounds a fixed matrix and the pixel size; this bounds what they make of an
  // unusual image (a small pixel size on a large detector): a model input is never gigabytes
  if (width * height > MAX_MODEL_INPUT_PIXELS) {
    throw new PixelDataError(`the model's input would be ${width} × ${height} pixels (at most ${MAX_MODEL_INPUT_PIXELS})`, 'input_too_large');
  }
  const clipped = contentWidth > width || contentHeight > height;
  // The content's place in the output: against the chest-wall side, at the top; or centred (cut
  // evenly where it does not fit), rounded as ultralytics' letterbox rounds (round(d / 2 − 0.1))
  const shiftX = centred ? letterboxShift(width - contentWidth) : options.chestWall === 'left' ? 0 : width - contentWidth;
  const shiftY = centred ? letterboxShift(height - contentHeight) : 0;

  // Output pixel (u, v) → oriented (sx·(u − shiftX) + ox0 + sx/2, sy·(v − shiftY) + oy0 + sy/2) → stored.
  const outputToOriented: Affine = { a: sx, b: 0, c: ox0 + sx / 2 - sx * shiftX, d: 0, e: sy, f: oy0 + sy / 2 - sy * shiftY };
  const toStored = compose(invert(orientedFromStored), outputToOriented);
  const fromStored = invert(toStored);
  const pixelSizeMm = spacingX && spacingY ? [sx * spacingX, sy * spacingY] as [number, number] : null;
  let breastCut = false;
  const breastBox = clipped ? breast ?? storedBreastBox(mask, h.columns, h.rows) : null;
  if (breastBox) {
    // the breast's box (pixel edges) in output pixel edges, against the matrix's
    const [u0, v0, u1, v1] = mapBox(fromStored, [breastBox[0] - 0.5, breastBox[1] - 0.5, breastBox[2] - 0.5, breastBox[3] - 0.5]);
    const slack = pixelSizeMm ? Math.max(2, 5 / Math.min(...pixelSizeMm)) : 2;
    breastCut = u0 < -0.5 - slack || v0 < -0.5 - slack || u1 > width - 0.5 + slack || v1 > height - 0.5 + slack;
  }

  const input = {
    width, height, toStored, fromStored,
    pixelSizeMm,
    cropStored, clipped, breastCut, window: lut.window, orientationFrom,
    nippleStored: farthestFromChestWall(mask, orientedFromStored, options.chestWall),
  } satisfies Omit<ModelInput, 'pixels'>;
  const region = { u0: Math.max(0, shiftX), u1: Math.min(width, shiftX + contentWidth), v0: Math.max(0, shiftY), v1: Math.min(height, shiftY + contentHeight) };
  return { input, fill: outputFill(frame, lut, toStored, width, region) };
}

/**
 * The breast's point farthest from its chest wall (the image turned and mirrored as the model sees
 * it, its chest wall on `chestWall`'s side): the centre of the mask's blocks, in the largest region's
 * box, within a block and a half of the farthest one; in stored pixel coordinates.
 */
function farthestFromChestWall(mask: BreastMask, orientedFromStored: Affine, chestWall: 'left' | 'right'): [number, number] | null {
  if (!mask.box) return null;
  const [bx0, by0, bx1, by1] = mask.box;
  const f = mask.factor;
  const sign = chestWall === 'left' ? 1 : -1;
  // the distance from the chest wall grows along oriented x (or against it): a linear function of the stored position
  const along = (x: number, y: number) => sign * (orientedFromStored.a * x + orientedFromStored.b * y);
  let farthest = -Infinity;
  for (let by = by0; by <= by1; by++) {
    for (let bx = bx0, at = by * mask.width + bx0; bx <= bx1; bx++, at++) {
      if (mask.mask[at]) farthest = Math.max(farthest, along((bx + 0.5) * f - 0.5, (by + 0.5) * f - 0.5));
    }
  }
  if (farthest === -Infinity) return null;
  const near = farthest - 1.5 * f;
  let sumX = 0, sumY = 0, n = 0;
  for (let by = by0; by <= by1; by++) {
    for (let bx = bx0, at = by * mask.width + bx0; bx <= bx1; bx++, at++) {
      if (!mask.mask[at]) continue;
      const x = (bx + 0.5) * f - 0.5, y = (by + 0.5) * f - 0.5;
      if (along(x, y) >= near) { sumX += x; sumY += y; n++; }
    }
  }
  return [sumX / n, sumY / n];
}

/** Where a letterbox puts content `spare` pixels smaller than its box (negative: larger, cut evenly): ultralytics' round(spare / 2 − 0.1). */
function letterboxShift(spare: number): number {
  return roundHalfToEven(spare / 2 - 0.1);
}

/** Python's round(): to the nearest integer, halves to the even one. */
function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Applied once every row is written (zeros outside the content): the padding's value where it is not
 * air, then the optional normalisation (padding included).
 */
export function finishModelInput(pixels: Float32Array, options: Pick<ModelInputOptions, 'normalize' | 'padding'>, fill?: Pick<OutputFill, 'region' | 'target'>): void {
  const padValue = options.padding?.value ?? 0;
  if (padValue !== 0 && fill) {
    const { u0, u1, v0, v1 } = fill.region, width = fill.target.stride, height = pixels.length / width;
    pixels.fill(padValue, 0, v0 * width);
    if (u1 > u0) {
      for (let v = v0; v < v1; v++) {
        pixels.fill(padValue, v * width, v * width + u0);
        pixels.fill(padValue, v * width + u1, (v + 1) * width);
      }
    } else {
      pixels.fill(padValue, v0 * width, v1 * width);
    }
    pixels.fill(padValue, Math.max(v0, v1) * width, height * width);
  }
  if (!options.normalize) return;
  const { mean, std } = options.normalize;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i]! - mean) / std;
}

/**
 * How to resample the content region [u0, u1) × [v0, v1) of the output from the stored frame. The map
 * keeps axes parallel, so each output axis runs along one stored axis: resample along the stored
 * axes (area averaging), written in place (reversed as the map says) or, for an image stored
 * turned a quarter, resampled then copied in with its axes swapped.
 */
function outputFill(frame: DecodedFrame, lut: ValueTable, toStored: Affine, width: number, region: OutputFill['region']): OutputFill {
  const h = frame.header;
  const turned = toStored.a === 0;
  const nu = Math.max(0, region.u1 - region.u0), nv = Math.max(0, region.v1 - region.v0);
  // Stored x as a function of the output axis that drives it, from that axis's first content sample.
  const xScale = turned ? toStored.b : toStored.a;
  const yScale = turned ? toStored.d : toStored.e;
  const xFirst = turned ? toStored.b * region.v0 + toStored.c : toStored.a * region.u0 + toStored.c;
  const yFirst = turned ? toStored.d * region.u0 + toStored.f : toStored.e * region.v0 + toStored.f;
  const xCount = turned ? nv : nu, yCount = turned ? nu : nv;
  // Resample along increasing stored coordinates; reversed axes are read back to front below.
  const xw = axisWeights(xCount, Math.abs(xScale), xScale > 0 ? xFirst : xFirst + xScale * (xCount - 1), h.columns);
  const yw = axisWeights(yCount, Math.abs(yScale), yScale > 0 ? yFirst : yFirst + yScale * (yCount - 1), h.rows);
  return {
    lut, turned, xw, yw, rows: nu > 0 && nv > 0 ? yw.count : 0, region, xScale, yScale,
    target: { offset: region.v0 * width + region.u0, stride: width, reverseX: xScale < 0, reverseY: yScale < 0 },
  };
}

/**
 * Writes resampled rows [k0, k1) (of `fill.rows`, in increasing stored y) into `out` (zeros there:
 * resampling adds), where prepareModelInput would put them. A turned image is written whole (k0 = 0,
 * k1 = rows).
 */
export function fillOutputRows(source: StoredPixels, columns: number, fill: OutputFill, out: Float32Array, k0: number, k1: number): void {
  const { xw, yw, lut, target } = fill;
  if (k1 <= k0) return;
  if (!fill.turned) {
    // output row v is resampled row v (or from the bottom), its columns forwards or backwards: written in place
    const band: AxisWeights = { count: k1 - k0, first: yw.first.subarray(k0, k1), taps: yw.taps, weights: yw.weights.subarray(k0 * yw.taps, k1 * yw.taps) };
    const firstRow = target.reverseY ? yw.count - k1 : k0;
    resample(source, columns, xw, band, lut, { ...target, pixels: out, offset: target.offset + firstRow * target.stride });
    return;
  }
  if (k0 !== 0 || k1 !== fill.rows) throw new Error('an image stored turned is resampled whole');
  const { region, xScale, yScale } = fill;
  const width = target.stride, nu = region.u1 - region.u0, nv = region.v1 - region.v0;
  const xCount = xw.count, yCount = yw.count;
  const grid = resample(source, columns, xw, yw, lut);
  for (let v = 0; v < nv; v++) {
    // content row v is grid column gx, read down or up
    const row = target.offset + v * width;
    const gx = xScale > 0 ? v : xCount - 1 - v;
    for (let k = 0; k < nu; k++) out[row + k] = grid[(yScale > 0 ? k : yCount - 1 - k) * xCount + gx]!;
  }
}

/** The output rows (of the model's input) that resampled rows [k0, k1) are written to: [first, last + 1). */
export function outputRowsOf(fill: OutputFill, k0: number, k1: number): [number, number] {
  const v0 = fill.region.v0;
  return fill.target.reverseY ? [v0 + fill.yw.count - k1, v0 + fill.yw.count - k0] : [v0 + k0, v0 + k1];
}
