// The AI's view of an image: VOI, polarity, orientation, crop and resampling, and the exact map back
// to stored pixels. Drawn images with marks at known places, stored every way a modality may store
// them (display-ready, mirrored, turned a quarter), in both polarities; the generator's images
// with their ground-truth lesions; the real, turned L-CC OutOfBoundsOverlay.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { applyAffine, compose, mapBox } from '../../main/dicom/pixels/affine.ts';
import type { Box, Point } from '../../main/dicom/pixels/affine.ts';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { fillOutputRows, outputRowsOf, planModelInput, prepareModelInput } from '../../main/dicom/pixels/model-input.ts';
import type { ModelInput } from '../../main/dicom/pixels/model-input.ts';
import { windowFunction } from '../../main/dicom/pixels/voi.ts';
import { DEFAULT_DEMO_OPTIONS, planPatient } from '../../main/synth/plan.ts';
import { produceImage } from '../../main/synth/produce.ts';
import { SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';
import { writeTestImage } from '../helpers/pixel-files.ts';

const dir = tempDir('pixels-transform');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// A drawn breast, display-ready for a right breast (chest wall on the right edge, nipple left, the
// image's top toward the head or, in a CC, the lateral side), with three marks at known places.
const W = 160, H = 200, SPACING = 0.2, AIR = 100, TISSUE = 1500, MARK = 3800;
const MARKS: Point[] = [[70, 60], [120, 150], [140, 100]];

function displayReadyRight(): Uint16Array {
  const pixels = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const inside = ((x - (W - 1)) / (0.8 * W)) ** 2 + ((y - H / 2) / (0.42 * H)) ** 2 < 1;
    pixels[y * W + x] = inside ? TISSUE + ((x * 7 + y * 13) % 40) : AIR;
  }
  for (const [mx, my] of MARKS) for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) pixels[(my + dy) * W + mx + dx] = MARK;
  return pixels;
}

type Storage = 'display-ready' | 'mirrored' | 'turned';
interface Variant { side: 'R' | 'L'; view: 'CC' | 'MLO'; storage: Storage; photometric: 'MONOCHROME1' | 'MONOCHROME2' }

const OPPOSITE: Record<string, string> = { A: 'P', P: 'A', L: 'R', R: 'L', F: 'H', H: 'F' };
const reverse = (letters: string) => [...letters].map((c) => OPPOSITE[c]).join('');

/**
 * Stores the drawn breast as a variant: a left breast is the right one mirrored; then mirrored once
 * more, or turned a quarter clockwise (as the real OutOfBoundsOverlay is). Returns the stored file
 * and where a point of the right-breast drawing went in it.
 */
function storeVariant(v: Variant): { file: string; storedPoint: (p: Point) => Point } {
  const ready = displayReadyRight();
  const target: Record<string, [string, string]> = { RCC: ['P', 'L'], LCC: ['A', 'R'], RMLO: ['P', 'FL'], LMLO: ['A', 'FR'] };
  let [row, column] = target[`${v.side}${v.view}`]!;
  // This side's display-ready image: the left breast is the right one mirrored.
  const mirrorForSide = v.side === 'L';
  const sideImage = (x: number, y: number) => ready[y * W + (mirrorForSide ? W - 1 - x : x)]!;
  const sidePoint = (p: Point): Point => (mirrorForSide ? [W - 1 - p[0], p[1]] : p);
  // How it is stored: display-ready point → stored point.
  let storage: (p: Point) => Point = (p) => p;
  let width = W, height = H;
  if (v.storage === 'turned') {
    // Turned a quarter clockwise: display (x, y) → stored (H − 1 − y, x); the stored row runs along the display's column.
    storage = ([x, y]) => [H - 1 - y, x];
    [width, height] = [H, W];
    [row, column] = [reverse(column), row];
  } else if (v.storage === 'mirrored') {
    storage = ([x, y]) => [W - 1 - x, y];
    row = reverse(row);
  }
  const stored = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const [sx, sy] = storage([x, y]);
    stored[sy * width + sx] = v.photometric === 'MONOCHROME1' ? 4095 - sideImage(x, y) : sideImage(x, y);
  }
  const storedPoint = (mark: Point) => storage(sidePoint(mark));
  const file = path.join(dir, `${v.side}${v.view}-${v.storage}-${v.photometric}.dcm`);
  const center = v.photometric === 'MONOCHROME1' ? 4095 - 2000 : 2000;
  writeTestImage(file, {
    rows: height, columns: width, bitsAllocated: 16, bitsStored: 12, pixels: stored, photometric: v.photometric,
    attributes: {
      ImageLaterality: v.side, ViewPosition: v.view, PatientOrientation: [row, column],
      ImagerPixelSpacing: [SPACING, SPACING], EstimatedRadiographicMagnificationFactor: 1,
      WindowCenter: [center], WindowWidth: [4000], VOILUTFunction: 'SIGMOID',
      PresentationLUTShape: v.photometric === 'MONOCHROME1' ? 'INVERSE' : 'IDENTITY',
    },
  });
  return { file, storedPoint };
}

/** The centre of the bright mark near `near` in the output (within `radius` pixels), weighting what rises above `floor`. */
function markCentroid(m: ModelInput, near: Point, radius: number, floor: number): { centre: Point; peak: number } {
  let sx = 0, sy = 0, sw = 0, peak = 0;
  for (let v = Math.floor(near[1] - radius); v <= Math.ceil(near[1] + radius); v++) {
    for (let u = Math.floor(near[0] - radius); u <= Math.ceil(near[0] + radius); u++) {
      if (u < 0 || v < 0 || u >= m.width || v >= m.height) continue;
      const value = m.pixels[v * m.width + u]!;
      peak = Math.max(peak, value);
      const w = Math.max(0, value - floor);
      sx += w * u; sy += w * v; sw += w;
    }
  }
  return { centre: sw ? [sx / sw, sy / sw] : [NaN, NaN], peak };
}

const VARIANTS: Variant[] = (['R', 'L'] as const).flatMap((side) => (['CC', 'MLO'] as const).flatMap((view) =>
  (['display-ready', 'mirrored', 'turned'] as const).flatMap((storage) => (['MONOCHROME2', 'MONOCHROME1'] as const).map((photometric) => ({ side, view, storage, photometric })))));

test('round trip: marks land where the map says and map back within one stored pixel; all views, storage flips, quarter turns, both polarities', async () => {
  const sigmoid = windowFunction({ center: 2000, width: 4000, function: 'SIGMOID' });
  const tissue = sigmoid(TISSUE), air = sigmoid(AIR), markLevel = sigmoid(MARK);
  for (const v of VARIANTS) {
    const label = `${v.side}${v.view} ${v.storage} ${v.photometric}`;
    const { file, storedPoint } = storeVariant(v);
    for (const chestWall of ['left', 'right'] as const) {
      const m = prepareModelInput(await decodeFrame(file), { chestWall, pixelSizeMm: 0.5 });
      assert.equal(m.orientationFrom, 'header', label);
      // exact inverse
      const identity = compose(m.toStored, m.fromStored);
      for (const [k, expected] of [['a', 1], ['b', 0], ['c', 0], ['d', 0], ['e', 1], ['f', 0]] as const) assert.ok(Math.abs(identity[k] - expected) < 1e-9, `${label}: ${k}`);
      // the chest wall (tissue across the whole edge column) on the requested side; air on the other
      const column = (u: number) => Array.from({ length: m.height }, (_, y) => m.pixels[y * m.width + u]!);
      const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const wall = chestWall === 'left' ? 0 : m.width - 1, nipple = chestWall === 'left' ? m.width - 1 : 0;
      assert.ok(meanOf(column(wall)) > 0.8 * tissue, `${label} → ${chestWall}: chest-wall edge ${meanOf(column(wall))}`);
      assert.ok(meanOf(column(nipple)) < 0.5 * tissue, `${label} → ${chestWall}: nipple edge ${meanOf(column(nipple))}`);
      // air as dark in both polarities (the bottom corner on the nipple side is air)
      assert.ok(Math.abs(m.pixels[m.width * (m.height - 1) + nipple]! - air) < 0.01, `${label}: air is not as dark as in MONOCHROME2`);
      const placed = MARKS.map((mark) => {
        const stored = storedPoint(mark);
        const expected = applyAffine(m.fromStored, stored);
        const found = markCentroid(m, expected, 3, tissue + 0.05);
        assert.ok(found.peak > markLevel - 0.01, `${label} → ${chestWall}: mark at ${mark} is not where the map puts it (peak ${found.peak})`);
        const back = applyAffine(m.toStored, found.centre);
        assert.ok(Math.hypot(back[0] - stored[0], back[1] - stored[1]) <= 1, `${label} → ${chestWall}: mark at ${mark} maps back to ${back}, not ${stored}`);
        // a point rounded to its output pixel comes back within that pixel
        const rounded = applyAffine(m.toStored, [Math.round(expected[0]), Math.round(expected[1])]);
        assert.ok(Math.abs(rounded[0] - stored[0]) <= 0.5 * 0.5 / SPACING + 1e-9 && Math.abs(rounded[1] - stored[1]) <= 0.5 * 0.5 / SPACING + 1e-9, label);
        return found.centre;
      });
      // head (MLO) or lateral side (CC) up, as in the display-ready drawing: marks keep their vertical order
      assert.ok(placed[0]![1] < placed[2]![1] && placed[2]![1] < placed[1]![1], `${label}: vertical order ${JSON.stringify(placed)}`);
      assert.deepEqual(m.pixelSizeMm, [0.5, 0.5]);
    }
  }
});

test('made in pieces of rows (as the AI thread and its helpers make it), cut anywhere: the same to the bit as in one pass; every storage and polarity', async () => {
  let cutRuns = 0;
  const flips = new Set<string>();
  // and a right CC stored upside down (its columns run toward the right, not the left): rows read from the bottom
  const ready = displayReadyRight();
  const upsideDown = Uint16Array.from(ready, (_, i) => ready[(H - 1 - Math.floor(i / W)) * W + (i % W)]!);
  const upsideDownFile = path.join(dir, 'RCC-upside-down.dcm');
  writeTestImage(upsideDownFile, {
    rows: H, columns: W, bitsAllocated: 16, bitsStored: 12, pixels: upsideDown,
    attributes: { ImageLaterality: 'R', ViewPosition: 'CC', PatientOrientation: ['P', 'R'], ImagerPixelSpacing: [SPACING, SPACING], WindowCenter: [2000], WindowWidth: [4000] },
  });
  for (const v of [...VARIANTS, { side: 'R', view: 'CC', storage: 'upside down', photometric: 'MONOCHROME2' } as const]) {
    const file = v.storage === 'upside down' ? upsideDownFile : storeVariant(v).file;
    const frame = await decodeFrame(file);
    for (const chestWall of ['left', 'right'] as const) {
      const options = { chestWall, pixelSizeMm: 0.3 };
      const whole = prepareModelInput(frame, options);
      const { input, fill } = planModelInput(frame, options);
      assert.deepEqual({ width: input.width, height: input.height, toStored: input.toStored }, { width: whole.width, height: whole.height, toStored: whole.toStored });
      if (fill.turned) {
        // an image stored turned is made whole: no cut but the whole is accepted
        assert.throws(() => fillOutputRows(frame.pixels, frame.header.columns, fill, new Float32Array(whole.pixels.length), 0, fill.rows - 1), /turned is resampled whole/);
        continue;
      }
      flips.add(`x ${fill.target.reverseX}, y ${fill.target.reverseY}`);
      // cuts at every row, in threes, and one odd cut; made in reverse order (as a slow helper would)
      for (const cuts of [[...Array(fill.rows + 1).keys()], [0, 1, 2, 3, fill.rows >> 1, fill.rows], [0, fill.rows - 1, fill.rows]]) {
        const pixels = new Float32Array(whole.pixels.length);
        for (let i = cuts.length - 2; i >= 0; i--) fillOutputRows(frame.pixels, frame.header.columns, fill, pixels, cuts[i]!, cuts[i + 1]!);
        assert.ok(Buffer.from(pixels.buffer).equals(Buffer.from(whole.pixels.buffer, whole.pixels.byteOffset, whole.pixels.byteLength)),
          `${v.side}${v.view} ${v.storage} ${v.photometric}, chest wall ${chestWall}: cut at ${cuts.length - 1} places, not the same`);
        // the rows a piece writes are the output rows outputRowsOf names, and no other
        const [r0, r1] = outputRowsOf(fill, cuts[0]!, cuts[1]!);
        const one = new Float32Array(whole.pixels.length);
        fillOutputRows(frame.pixels, frame.header.columns, fill, one, cuts[0]!, cuts[1]!);
        for (let i = 0; i < one.length; i++) if (one[i] !== 0) assert.ok(i >= r0 * whole.width && i < r1 * whole.width, `a value written at ${i}, outside rows ${r0}–${r1}`);
        cutRuns++;
      }
    }
  }
  assert.equal(cutRuns, 17 * 2 * 3);
  // rows and columns written forwards and backwards, each
  assert.deepEqual([...flips].sort(), ['x false, y false', 'x false, y true', 'x true, y false', 'x true, y true']);
});

test('a matrix: the breast fitted into it against the chest-wall side, padded with air; with a pixel size too, cut where it does not fit', async () => {
  const { file } = storeVariant({ side: 'R', view: 'MLO', storage: 'display-ready', photometric: 'MONOCHROME2' });
  const frame = await decodeFrame(file);
  const fitted = prepareModelInput(frame, { chestWall: 'right', size: { width: 64, height: 64 } });
  assert.equal(fitted.width, 64);
  assert.equal(fitted.height, 64);
  assert.equal(fitted.clipped, false);
  assert.equal(fitted.breastCut, false);
  assert.ok(fitted.pixelSizeMm![0] === fitted.pixelSizeMm![1], 'square output pixels');
  // padding on the nipple side (left), the breast against the right edge
  assert.ok(fitted.pixels[32 * 64 + 63]! > 0.2 && fitted.pixels[32 * 64]! < 0.2, `chest-wall edge ${fitted.pixels[32 * 64 + 63]}, nipple-side edge ${fitted.pixels[32 * 64]}`);
  const cut = prepareModelInput(frame, { chestWall: 'left', pixelSizeMm: 0.25, size: { width: 64, height: 64 } });
  assert.equal(cut.clipped, true);
  assert.equal(cut.breastCut, true, 'a 16 mm matrix cuts the breast itself');
  assert.deepEqual(cut.pixelSizeMm, [0.25, 0.25]);
  const plain = prepareModelInput(frame, { chestWall: 'left', size: { width: 64, height: 64 } });
  const normalized = prepareModelInput(frame, { chestWall: 'left', size: { width: 64, height: 64 }, normalize: { mean: 0.5, std: 0.25 } });
  for (const i of [0, 100, 2080, 4095]) assert.ok(Math.abs(normalized.pixels[i]! - (plain.pixels[i]! - 0.5) / 0.25) < 1e-6, `normalised pixel ${i}`);
  // an input of gigabytes is refused before anything is allocated, saying how large it would be
  assert.throws(() => prepareModelInput(frame, { chestWall: 'left', pixelSizeMm: 0.0005 }), /the model's input would be \d+ × \d+ pixels \(at most 67108864\)/);
});

test('a letterbox (a YOLO model\'s input): the content centred as ultralytics rounds it, grey around it, the breast\'s own air left as air, the map shifted with it; cut evenly where it does not fit; every storage and polarity', async () => {
  const GREY = Math.fround(114 / 255);
  for (const v of VARIANTS) {
    const label = `${v.side}${v.view} ${v.storage} ${v.photometric}`;
    const frame = await decodeFrame(storeVariant(v).file);
    for (const chestWall of ['left', 'right'] as const) {
      // the content alone (no padding at all), then in a box 31 wider and 20 taller, and in one 11 narrower and 6 shorter
      const content = prepareModelInput(frame, { chestWall, pixelSizeMm: 0.5 });
      assert.ok(content.pixels.some((p) => p < 0.3), `${label}: the content has air beside the breast (darker than the grey)`);
      for (const [extraX, extraY, shiftX, shiftY] of [[31, 20, 15, 10], [-11, -6, -6, -3]] as const) {
        const boxed = prepareModelInput(frame, {
          chestWall, pixelSizeMm: 0.5, size: { width: content.width + extraX, height: content.height + extraY }, padding: { placement: 'centred', value: 114 / 255 },
        });
        assert.equal(boxed.clipped, extraX < 0, label);
        // 11 and 6 output pixels of 0.5 mm fewer, cut evenly: 3 mm of the breast at the chest wall, where
        // it meets the image's edge (the nipple's side loses margin alone), 1.5 mm at the top and bottom
        assert.equal(boxed.breastCut, false, `${label}: at most 5 mm of the breast cut`);
        let padded = 0;
        for (let v2 = 0; v2 < boxed.height; v2++) for (let u = 0; u < boxed.width; u++) {
          const cu = u - shiftX, cv = v2 - shiftY;
          const value = boxed.pixels[v2 * boxed.width + u]!;
          if (cu >= 0 && cv >= 0 && cu < content.width && cv < content.height) {
            assert.equal(value, content.pixels[cv * content.width + cu], `${label} → ${chestWall}: content pixel (${cu}, ${cv}) at (${u}, ${v2})`);
          } else {
            assert.equal(value, GREY, `${label} → ${chestWall}: padding at (${u}, ${v2})`);
            padded++;
          }
        }
        assert.equal(padded, extraX > 0 ? boxed.width * boxed.height - content.width * content.height : 0, label);
        // the same stored point under the same pixel, shifted
        for (const p of [[0, 0], [7, 3], [content.width - 1, content.height - 1]] as Point[]) {
          const [a, b] = [applyAffine(content.toStored, p), applyAffine(boxed.toStored, [p[0] + shiftX, p[1] + shiftY])];
          assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1]) < 1e-9, `${label} → ${chestWall}: ${p} maps to ${b}, not ${a}`);
        }
      }
    }
  }
});

test('a letterbox fitted into a square (size without a pixel size): scaled to fit, centred along the shorter side only', async () => {
  const frame = await decodeFrame(storeVariant({ side: 'R', view: 'MLO', storage: 'display-ready', photometric: 'MONOCHROME2' }).file);
  const m = prepareModelInput(frame, { chestWall: 'left', size: { width: 64, height: 64 }, padding: { placement: 'centred', value: 0.5 } });
  // the crop is taller than wide: full height, grey columns on both sides, as many on each (± 1)
  const column = (u: number) => Array.from({ length: 64 }, (_, y) => m.pixels[y * 64 + u]!);
  const grey = (u: number) => column(u).every((p) => p === 0.5);
  assert.ok(!Array.from({ length: 64 }, (_, y) => m.pixels[y * 64 + 32] === 0.5).some(Boolean), 'the middle column is content');
  let left = 0, right = 0;
  while (grey(left)) left++;
  while (grey(63 - right)) right++;
  assert.ok(left > 2 && Math.abs(left - right) <= 1, `grey columns: ${left} on the left, ${right} on the right`);
  assert.ok(!m.pixels.subarray(0, 64).every((p) => p === 0.5), 'no grey rows at the top');
});

/** A `w` × `h` image (a ramp along its rows, no air) letterboxed whole into 640 × 640, grey 0.5 around it. */
async function letterboxed640(w: number, h: number): Promise<ModelInput> {
  const file = path.join(dir, `letterbox-${w}x${h}.dcm`);
  writeTestImage(file, {
    rows: h, columns: w, bitsAllocated: 16, bitsStored: 12, pixels: Uint16Array.from({ length: w * h }, (_, i) => 1000 + (i % w)),
    attributes: { ImageLaterality: 'R', ViewPosition: 'CC', PatientOrientation: ['P', 'L'], ImagerPixelSpacing: [0.1, 0.1], WindowCenter: [2048], WindowWidth: [4096] },
  });
  return prepareModelInput(await decodeFrame(file), { chestWall: 'left', crop: false, size: { width: 640, height: 640 }, padding: { placement: 'centred', value: 0.5 } });
}

test('a letterbox rounds as ultralytics does (Python\'s round: halves to even): a 1001 × 1280 image in 640 × 640 is 500 columns from column 70, not 501 from 69', async () => {
  const w = 1001;
  const m = await letterboxed640(w, 1280);
  const grey = (u: number) => Array.from({ length: 640 }, (_, v) => m.pixels[v * 640 + u]).every((p) => p === 0.5);
  const greyColumns = Array.from({ length: 640 }, (_, u) => u).filter(grey);
  assert.deepEqual([greyColumns.length, greyColumns[69], greyColumns[70]], [140, 69, 570]);
  // the stored image's left edge under output column 70's left edge
  assert.ok(Math.abs(applyAffine(m.toStored, [69.5, 0])[0] - -0.5) < 1e-9 || Math.abs(applyAffine(m.toStored, [69.5, 0])[0] - (w - 0.5)) < 1e-9, String(applyAffine(m.toStored, [69.5, 0])));
});

test('a letterbox\'s size computed as ultralytics computes it (round(w · min(W / w, H / h))): a 1267 × 1792 image in 640 × 640 is 452 columns wide (w · r is 452.5 there, 452.50000000000006 as w / (h / H))', async () => {
  const m = await letterboxed640(1267, 1792);
  const content = Array.from({ length: 640 }, (_, u) => u).filter((u) => m.pixels[320 * 640 + u] !== 0.5);
  // ultralytics: 452 columns from round((640 − 452) / 2 − 0.1) = 94
  assert.deepEqual([content.length, content[0]], [452, 94]);
});

test('the crop keeps the breast with its margin and drops the air', async () => {
  const { file, storedPoint } = storeVariant({ side: 'L', view: 'CC', storage: 'display-ready', photometric: 'MONOCHROME2' });
  const m = prepareModelInput(await decodeFrame(file), { chestWall: 'left', pixelSizeMm: SPACING, crop: { marginMm: 2 } });
  const [x0, y0, x1, y1] = m.cropStored;
  // the drawn ellipse (a left breast: chest wall at x = 0) reaches 0.8·W in, and 0.42·H above and
  // below the middle; the margin is 2 mm = 10 pixels
  const margin = 2 / SPACING;
  assert.equal(x0, -0.5, `crop ${m.cropStored}`);
  for (const [edge, expected] of [[x1, 0.8 * W + margin], [y0, H / 2 - 0.42 * H - margin], [y1, H / 2 + 0.42 * H + margin]]) {
    assert.ok(Math.abs(edge! - expected!) <= 2, `crop ${m.cropStored}: ${edge} is not ${expected}`);
  }
  assert.ok(m.width < W && m.height < H, `${m.width}×${m.height} is not cropped`);
  // every mark is inside the crop
  for (const mark of MARKS) {
    const [px, py] = storedPoint(mark);
    assert.ok(px > x0 && px < x1 && py > y0 && py < y1, `mark ${mark} outside the crop`);
  }
});

test('generator images: ground-truth lesion boxes land on the lesions (standard, MONOCHROME1 + SIGMOID, right breast stored mirrored)', async () => {
  const options = { ...DEFAULT_DEMO_OPTIONS, seed: 'pixels-38', abnormalRate: 1, contrast: [1.5, 1.5] as [number, number], priors: 0, size: 'reduced' as const, transferSyntax: 'explicit' as const };
  let checked = 0;
  for (const index of [0, 1, 2]) {
    const patient = planPatient(options, index);
    const exam = patient.exams[0]!;
    const lesionSide = (['R', 'L'] as const).find((side) => patient.woman.breasts[side].lesions.length)!;
    for (const image of exam.images.filter((i) => i.side === lesionSide && !i.forProcessing)) {
      const truth = await produceImage(patient, exam, image, dir);
      const m = prepareModelInput(await decodeFrame(path.join(dir, truth.file)), { chestWall: 'left', pixelSizeMm: 0.4 });
      const label = `${patient.variant} ${truth.viewLabel}${truth.storedFlipped ? ' (stored mirrored)' : ''} ${truth.photometric}`;
      // the chest wall on the left: more breast along the left edge than along the right
      const edgeMean = (u: number) => Array.from({ length: m.height }, (_, v) => m.pixels[v * m.width + u]!).reduce((a, b) => a + b, 0) / m.height;
      assert.ok(edgeMean(0) > edgeMean(m.width - 1) + 0.1, `${label}: chest wall not on the left (${edgeMean(0)}, ${edgeMean(m.width - 1)})`);
      for (const lesion of truth.lesions) {
        const [u0, v0, u1, v1] = mapBox(m.fromStored, lesion.bboxPx as Box);
        const inside = meanIn(m, [u0, v0, u1, v1]);
        const pad = Math.max(u1 - u0, v1 - v0) / 2;
        const ring = meanIn(m, [u0 - pad, v0 - pad, u1 + pad, v1 + pad], [u0, v0, u1, v1]);
        assert.ok(inside > ring + 0.03, `${label} ${lesion.class}: box mean ${inside.toFixed(3)}, surroundings ${ring.toFixed(3)}`);
        // and the box mirrored left–right (where it would be with a wrong flip) is not the lesion
        const mirrored: Box = [m.width - 1 - u1, v0, m.width - 1 - u0, v1];
        assert.ok(meanIn(m, mirrored) < inside, `${label}: the mirrored box is as bright`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 6, `only ${checked} lesion boxes checked`);
});

test('the nipple found as the breast\'s point farthest from its chest wall: near the generator\'s own nipple in every view, stored mirrored or turned, either polarity, whichever way the model wants the breast', async () => {
  const options = { ...DEFAULT_DEMO_OPTIONS, seed: 'pixels-nipple', abnormalRate: 0, priors: 0, size: 'reduced' as const, transferSyntax: 'explicit' as const };
  const errors: number[] = [];
  for (const index of [0, 1, 2, 3]) {
    const patient = planPatient(options, index);
    const exam = patient.exams[0]!;
    for (const image of exam.images.filter((i) => !i.forProcessing)) {
      const truth = await produceImage(patient, exam, image, dir);
      const frame = await decodeFrame(path.join(dir, truth.file));
      for (const chestWall of ['left', 'right'] as const) {
        const m = prepareModelInput(frame, { chestWall, pixelSizeMm: 0.4 });
        const label = `${patient.variant} ${truth.viewLabel}${truth.storedFlipped ? ' (stored mirrored)' : ''} ${truth.photometric}, chest wall ${chestWall}`;
        assert.ok(m.nippleStored, `${label}: no nipple`);
        const mm = Math.hypot(m.nippleStored[0] - truth.nipplePx[0], m.nippleStored[1] - truth.nipplePx[1]) * truth.imagerPixelSpacing;
        // the mask's blocks are about a millimetre (reduced images: several); an MLO's farthest point may lie below the nipple
        assert.ok(mm < (/MLO/.test(truth.viewLabel) ? 15 : 8), `${label}: ${mm.toFixed(1)} mm from the generator's nipple`);
        errors.push(mm);
      }
    }
  }
  assert.ok(errors.length >= 32, `only ${errors.length} images`);
});

/** Mean output value over the image's pixels whose centres fall in a box, less those in `hole`. */
function meanIn(m: ModelInput, [x0, y0, x1, y1]: Box, hole?: Box): number {
  let sum = 0, n = 0;
  for (let v = Math.max(0, Math.ceil(y0)); v <= Math.min(m.height - 1, Math.floor(y1)); v++) {
    for (let u = Math.max(0, Math.ceil(x0)); u <= Math.min(m.width - 1, Math.floor(x1)); u++) {
      if (hole && u >= hole[0] && u <= hole[2] && v >= hole[1] && v <= hole[3]) continue;
      sum += m.pixels[v * m.width + u]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

test('the real L-CC stored turned a quarter (OutOfBoundsOverlay, R\\P) faces the way the viewer shows it', { skip: SKIP_NO_SHARED }, async () => {
  const frame = await decodeFrame(path.join(SHARED_DICOM, 'fo-dicom', 'OutOfBoundsOverlay.dcm'));
  assert.deepEqual(frame.header.patientOrientation, ['R', 'P']);
  const m = prepareModelInput(frame, { chestWall: 'left', pixelSizeMm: 0.5 });
  assert.equal(m.toStored.a, 0, 'a quarter turn swaps the axes');
  // the stored bottom edge (P: the chest wall) is now the left edge
  const bottomMiddle = applyAffine(m.fromStored, [frame.header.columns / 2, frame.header.rows - 1]);
  assert.ok(bottomMiddle[0] < 1, `stored chest wall at output x ${bottomMiddle[0]}`);
});
