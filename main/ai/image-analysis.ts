// One stored image through a model, as its manifest asks (common/ai/model-manifest.ts): decoded,
// made into the model's input by the pixel pipeline (main/dicom/pixels/model-input.ts: VOI,
// MONOCHROME1 inverted, turned and mirrored so the breast faces the manifest's way, cropped unless
// asked not to, resampled to its pixel size and/or fitted to its matrix, padded or letterboxed),
// run, and its heatmap's peaks (calcifications clustered) or boxes mapped back onto the stored
// image's pixels through the pipeline's exact inverse. Runs on an AI worker thread.

import type { InferenceSession } from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import { inputAxes, inputChannels, readsImageScore } from '../../common/ai/model-manifest.ts';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import { boxOnImage, centreOnImage } from '../../common/ai/mark-geometry.ts';
import { withDecodedFrame } from '../dicom/pixels/decode.ts';
import { ImageFile, PixelDataError } from '../dicom/pixels/image-file.ts';
import { ScratchArrays } from '../dicom/pixels/scratch.ts';
import type { ModelInput, ModelInputOptions } from '../dicom/pixels/model-input.ts';
import { applyAffine, compose, mapBox } from '../dicom/pixels/affine.ts';
import { clusterPeaks, heatmapPeaks } from './heatmap-peaks.ts';
import { PreprocessBands } from './preprocess-bands.ts';
import { boxCandidates, boxScoreValues, boxTensors, classOutOfRange, placeBox } from './box-rows.ts';
import type { BoxesOutput, OutputValues } from './box-rows.ts';
import { runtimeWords } from './runtime-words.ts';

export interface ImageFinding {
  class: string;
  score: number;
  /** Centre and box in stored pixel coordinates. */
  x: number;
  y: number;
  box: [number, number, number, number];
  /** Its distance from the nipple in mm (the breast's point farthest from its chest wall); null where the image has no pixel spacing or no clear breast. */
  nippleMm: number | null;
}

export interface ImageAnalysis {
  findings: ImageFinding[];
  /** The image's score: its image-score output where the model has one, else its best finding's (0 with none). */
  imageScore: number;
  timings: { decodeMs: number; preprocessMs: number; modelMs: number; postprocessMs: number };
  input: { width: number; height: number };
}

/** The pixel pipeline's options for a manifest (the breast faces `faceDirection`: its chest wall is on the other side). */
export function pipelineOptions(manifest: ModelManifest): ModelInputOptions {
  const input = manifest.input;
  const options: ModelInputOptions = {
    chestWall: input.faceDirection === 'right' ? 'left' : 'right',
    voi: input.pixels.voi === 'dicom-default' ? 'preset' : 'full-range',
  };
  if (input.spacingMm !== null) options.pixelSizeMm = input.spacingMm;
  if (input.size.mode === 'fixed') options.size = { width: input.size.width, height: input.size.height };
  else options.multipleOf = input.size.multiple;
  if (input.padding) options.padding = input.padding;
  if (input.crop === 'none') options.crop = false;
  // one channel: normalised as the pipeline writes it; three: as modelTensor copies it into each
  const { count, meanStd } = inputChannels(input);
  if (count === 1 && meanStd) options.normalize = meanStd[0]!;
  return options;
}

/** Where a three-channel model's tensor is made, kept from image to image (as the pipeline's). */
const channelScratch = new ScratchArrays();

/**
 * The tensor a model is given, from the pipeline's image (made with pipelineOptions): z-scored where
 * the manifest asks; for a model of three channels, the same grey levels in each, normalised by the
 * channel's mean and standard deviation (networks pretrained on colour photographs take three).
 * `done` gives the arrays back once the model has read them.
 */
export function modelTensor(grey: Float32Array, width: number, height: number, manifest: ModelManifest): { data: Float32Array; dims: number[]; done: () => void } {
  if (manifest.input.normalize.type === 'per-image-zscore') zscore(grey);
  const { count, meanStd } = inputChannels(manifest.input);
  // N, C, H, W; or C, H, W where the model takes one image without the batch axis
  const dims = [...(inputAxes(manifest.input.tensor.shape).batched ? [1] : []), count, height, width];
  if (count === 1) return { data: grey, dims, done: () => undefined };
  const n = width * height;
  const lent = channelScratch.borrow(0);
  const data = lent.values?.(count * n) ?? new Float32Array(count * n);
  for (let c = 0; c < count; c++) {
    const plane = data.subarray(c * n, (c + 1) * n);
    if (!meanStd) { plane.set(grey); continue; }
    const { mean, std } = meanStd[c]!;
    for (let i = 0; i < n; i++) plane[i] = (grey[i]! - mean) / std;
  }
  return { data, dims, done: lent.giveBack };
}

/** The manifest's per-image-zscore: the image's own mean 0 and standard deviation 1 (padding included). */
export function zscore(pixels: Float32Array): void {
  let sum = 0, sumSq = 0;
  for (const p of pixels) { sum += p; sumSq += p * p; }
  const mean = sum / pixels.length;
  const std = Math.sqrt(Math.max(1e-12, sumSq / pixels.length - mean * mean));
  for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i]! - mean) / std;
}

/** This thread's arrays for a frame's bytes (shared with its preprocessing helpers) and for the model's input, kept from image to image. */
const scratch = new ScratchArrays({ shared: true });
/** This thread's preprocessing helpers (started on first use). */
let bands: PreprocessBands | undefined;

/**
 * The most values a model's outputs may hold for one image together (256 MB in float32): a model whose
 * boxes output was [1, 40,000,000, 6] passed its check and took the station's process to 2.9 GB an
 * image (a vendor's probe); more would have ended it, the station with it. A heatmap of four classes at
 * the input's own pixels on a whole breast at 0.1 mm holds about 30 million; a detector's boxes, thousands.
 */
export const MAX_OUTPUT_VALUES = 64 * 1024 * 1024;

/**
 * Two peaks of one class nearer than this are one finding, the stronger kept. At 5 mm, three
 * distortion stars 0.18, 0.16 and 0.16 lay over one another on one place, two of them 6.8 mm apart,
 * and no score could be told from another (a radiologist's probe); its marks enclose 10 to 14 mm
 * around a finding, so two findings this near are one place to her.
 */
export const PEAK_MIN_DISTANCE_MM = 8;
/**
 * Calcification peaks stay 5 mm apart: those within 10 mm of one another, through a chain, are one
 * cluster (clusterPeaks), and a peak dropped at 8 mm broke a chain (on 60 fresh women, one cluster
 * view fewer found at 4 false marks per image).
 */
const CALCIFICATION_PEAK_MIN_DISTANCE_MM = 5;

/** The outputs the station reads of a model (its manifest's): the only ones it asks the runtime for. */
export function manifestOutputs(manifest: ModelManifest): string[] {
  const { heatmap, boxes, imageScore } = manifest.output;
  return [...new Set([heatmap?.tensor, ...(boxes ? boxTensors(boxes).map((t) => t.name) : []), imageScore?.tensor].filter((t): t is string => Boolean(t)))];
}

/** The number of values of a shape whose every dimension is known, else null. */
export function shapeValues(shape: readonly (number | string)[]): number | null {
  return shape.every((d) => typeof d === 'number' && d >= 0) ? shape.reduce<number>((n, d) => n * (d as number), 1) : null;
}

export async function analyzeImage(file: string, manifest: ModelManifest, session: InferenceSession, options: { floor: number; maxPerClass?: number }): Promise<ImageAnalysis> {
  const t0 = performance.now();
  let t1 = t0, t2 = t0;
  const pipeline = pipelineOptions(manifest);
  const image = ImageFile.open(file);
  const lent = scratch.borrow(image.frameByteLength(0));
  let prepared: ModelInput;
  let outputs: InferenceSession.OnnxValueMapType;
  try {
    // the stored values are read where they lie (the scratch array, a codec's memory): no copy of the frame
    bands ??= new PreprocessBands();
    prepared = await withDecodedFrame(image, 0, (pixels) => {
      t1 = performance.now();
      // made before this callback returns: values in a codec's memory are read only meanwhile
      return bands!.prepare({ header: image.header, pixels }, { ...pipeline, into: lent.values });
    }, lent.frame);
    // no breast in the image (blank, air only, a 1 × 1 image): not "nothing found", which would rank it
    // as the least suspicious exam of the list (an IT probe); said as an image not read
    if (!prepared.nippleStored) throw new PixelDataError('no breast was found in the image (blank or air only)', 'no_breast');
    // a fixed matrix at a fixed pixel size that cuts the breast: not read, rather than "nothing found"
    // of the part the model never saw (a vendor's probe: the lower 95 mm of each MLO, its lesions with it)
    if (prepared.breastCut) {
      throw new PixelDataError(`the breast is larger than the model's fixed input (${prepared.width} × ${prepared.height} pixels of ${prepared.pixelSizeMm?.map((v) => v.toFixed(2)).join(' × ') ?? '?'} mm): part of it would go unread`, 'breast_cut');
    }
    const tensor = modelTensor(prepared.pixels, prepared.width, prepared.height, manifest);
    t2 = performance.now();
    try {
      // the manifest's outputs only: another the model gives (a debugging layer, its features) is not kept
      outputs = await session.run({ [manifest.input.tensor.name]: new Tensor('float32', tensor.data, tensor.dims) }, manifestOutputs(manifest));
    } catch (error) {
      throw modelRunError(error);
    } finally {
      tensor.done();
    }
  } finally {
    image.close();
    // the input may lie in the scratch array: given back only once the model has read it
    lent.giveBack();
  }
  const t3 = performance.now();
  // (made already: what the model asks of memory for one image is refused before it is read, and the image fails)
  const values = Object.values(outputs).reduce((n, o) => n + ((o as Tensor).data?.length ?? 0), 0);
  if (values > MAX_OUTPUT_VALUES) throw new ModelOutputError(`the outputs hold ${values} values for one image: more than the station reads (${MAX_OUTPUT_VALUES})`);

  // what the model gave is checked before it is used: numbers, and scores on the manifest's scale
  // (a NaN or an infinity became a score nobody could show, an exam triaged as 0.00, an SR not written)
  const scale = manifest.output.scoreScale;
  const checkOutput = (tensor: string, isScore: (index: number) => boolean) => {
    const values = outputs[tensor]!.data as Float32Array;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) throw new ModelOutputError(`output "${tensor}" holds ${v} at ${i}: not a finite number`);
      if (isScore(i) && (v < scale.min || v > scale.max)) throw new ModelOutputError(`output "${tensor}" holds the score ${v} at ${i}, outside the manifest's scale ${scale.min}–${scale.max}`);
    }
  };
  // a heatmap's values are scores unless the station applies the sigmoid (then they are logits)
  if (manifest.output.heatmap) checkOutput(manifest.output.heatmap.tensor, () => manifest.output.heatmap!.activation === 'none');
  const boxes = manifest.output.boxes;
  const output = (name: string) => outputs[name] as unknown as OutputValues;
  if (boxes) for (const { name, isScore } of boxScoreValues(boxes, output)) checkOutput(name, isScore);
  if (manifest.output.imageScore) checkOutput(manifest.output.imageScore.tensor, () => true);

  const { columns, rows } = image.header;
  const findings: ImageFinding[] = [];
  const heatmap = manifest.output.heatmap;
  if (heatmap) {
    const out = outputs[heatmap.tensor]!;
    const stride = heatmap.stride;
    // 1/stride of this input, its classes, checked at every run and not only on the trial run at load:
    // a model whose output is cut to a fixed size (it read the top-left corner only) or grows with its
    // input (rows that do not exist, marked at the image's edge) gave findings stored as the exam's (a probe)
    const fits = (got: number | undefined, side: number) => got === Math.floor(side / stride) || got === Math.ceil(side / stride);
    if (out.dims.length !== 4 || out.dims[0] !== 1 || out.dims[1] !== heatmap.classes.length || !fits(out.dims[2], prepared.height) || !fits(out.dims[3], prepared.width)) {
      throw new ModelOutputError(`output "${heatmap.tensor}" is [${out.dims.join(', ')}] for an input of ${prepared.width} × ${prepared.height}: not [1, ${heatmap.classes.length}, ${Math.ceil(prepared.height / stride)}, ${Math.ceil(prepared.width / stride)}] (1/${stride} of it)`);
    }
    // peaks of one class within PEAK_MIN_DISTANCE_MM (calcifications CALCIFICATION_PEAK_MIN_DISTANCE_MM; or 3 heatmap pixels) are one finding
    const mmPerHeatmapPixel = (prepared.pixelSizeMm?.[0] ?? 0.1) * stride;
    let peaks = heatmapPeaks(out.data as Float32Array, out.dims, {
      floor: options.floor, maxPerChannel: options.maxPerClass ?? 10, activation: heatmap.activation,
      minDistance: heatmap.classes.map((c) => Math.max(3, (c === 'calcification' ? CALCIFICATION_PEAK_MIN_DISTANCE_MM : PEAK_MIN_DISTANCE_MM) / mmPerHeatmapPixel)),
      // a peak within a centimetre of one scoring twice its own is part of that finding (a spiculated mass's spicule)
      satelliteDistance: 10 / mmPerHeatmapPixel,
    });
    // calcifications within about a centimetre of one another are one cluster, marked once
    const calcification = heatmap.classes.indexOf('calcification');
    if (calcification >= 0) peaks = clusterPeaks(peaks, calcification, 10 / mmPerHeatmapPixel);
    // heatmap pixel (u, v) covers input pixels [u·stride, (u + 1)·stride): its centre is input (u + 0.5)·stride − 0.5
    const inputOf = { a: stride, b: 0, c: stride / 2 - 0.5, d: 0, e: stride, f: stride / 2 - 0.5 };
    const toStored = compose(prepared.toStored, inputOf);
    for (const p of peaks) {
      const [x, y] = applyAffine(toStored, [p.u, p.v]);
      findings.push({ class: heatmap.classes[p.channel] ?? `class ${p.channel}`, score: p.score, x, y, box: mapBox(toStored, p.extent), nippleMm: null });
    }
  }
  if (boxes) {
    const candidates = boxRows(boxes, output, options.floor, [prepared.width, prepared.height]);
    // box coordinates are pixel edges (the input's top-left corner is 0, 0): centres sit half a pixel in
    const toStored = compose(prepared.toStored, { a: 1, b: 0, c: -0.5, d: 0, e: 1, f: -0.5 });
    for (const r of suppressOverlaps(candidates, options.maxPerClass ?? 10, boxes.nmsIou ?? 0.5)) {
      // cut to the stored image first, its mark at the centre of what is left (as ultralytics'
      // scale_boxes clips): a box reaching into the padding beside the image's edge (a letterbox
      // pads the chest-wall side too) keeps its mark on the image; one wholly in the padding marks nothing
      const box = boxOnImage(mapBox(toStored, r.box), columns, rows);
      if (!(box[2] > box[0] && box[3] > box[1])) continue;
      findings.push({ class: boxes.classes[r.cls]!, score: r.score, x: (box[0] + box[2]) / 2, y: (box[1] + box[3]) / 2, box, nippleMm: null });
    }
  }
  // a mark stays on the stored image: the model's input is padded beside the image (to its stride, a
  // fixed matrix, a letterbox), and what it marks in the padding lies off the image (not drawn by any
  // viewer, and not written in an SR); a box reaching past the image is cut to it
  // the distance from the nipple, measured in the model's input (millimetres along both axes): a
  // lesion lies about as far from the nipple in the CC and the MLO view, where a false mark seldom
  // has a partner (two-view.ts)
  const nipple = prepared.nippleStored && prepared.pixelSizeMm ? applyAffine(prepared.fromStored, prepared.nippleStored) : null;
  const nippleMm = (x: number, y: number) => {
    if (!nipple) return null;
    const [u, v] = applyAffine(prepared.fromStored, [x, y]);
    return Math.hypot((u - nipple[0]) * prepared.pixelSizeMm![0], (v - nipple[1]) * prepared.pixelSizeMm![1]);
  };
  const onImage = findings.filter((f) => centreOnImage(f.x, f.y, columns, rows)).map((f) => ({ ...f, box: boxOnImage(f.box, columns, rows), nippleMm: nippleMm(f.x, f.y) }));
  // the image's score: the model's own where the manifest reads it (breastScore "max-over-views"),
  // else its best finding's ("max-over-findings": an image score given beside it was read instead, and
  // an exam marked at 0.72 scored 0.05, unflagged, at the bottom of the triage: a probe)
  const scoreTensor = readsImageScore(manifest.output) ? outputs[manifest.output.imageScore!.tensor] : undefined;
  if (scoreTensor && scoreTensor.data.length !== 1) throw new ModelOutputError(`output "${manifest.output.imageScore!.tensor}" is [${scoreTensor.dims.join(', ')}]: an image score is one number`);
  const imageScore = scoreTensor ? Number((scoreTensor.data as Float32Array)[0]) : onImage.reduce((m, f) => Math.max(m, f.score), scale.min);
  const t4 = performance.now();
  return { findings: onImage, imageScore, timings: { decodeMs: t1 - t0, preprocessMs: t2 - t1, modelMs: t3 - t2, postprocessMs: t4 - t3 }, input: { width: prepared.width, height: prepared.height } };
}

interface BoxRow { box: [number, number, number, number]; score: number; cls: number }

/**
 * A boxes tensor (box-rows.ts reads its format) read into rows at or above the floor, each box cut
 * to the model's input (`size`: its width and height; a box beyond it put its mark's centre
 * anywhere, off the image even); a box wholly outside it, or reaching far beyond it, is an error.
 */
function boxRows(boxes: BoxesOutput, output: (name: string) => OutputValues, floor: number, [width, height]: [number, number]): BoxRow[] {
  const classes = boxes.classes.length;
  const rows: BoxRow[] = [];
  const candidates = boxCandidates(boxes, output, floor);
  // every box within the input's first pixel: coordinates as fractions of the image (a TensorFlow
  // detector's), which the contract takes in input pixels. The check at load sees this only where its
  // trial image gets a box, and a detector finds nothing on a ramp: such a model passed, and every
  // exam was "done", flagged by its image score, without a mark (a vendor's probe)
  if (candidates.length > 0 && width > 2 && height > 2 && candidates.every(({ box }) => box.every((v) => Math.abs(v) <= 1))) {
    throw new ModelOutputError(`every box of output "${boxes.tensor}" (${candidates.length}) lies within the first pixel of the model's ${width} × ${height} input: are its coordinates fractions of the image rather than the input's pixels?`);
  }
  for (const { box: given, score, cls, row } of candidates) {
    // a finding the manifest cannot name, or a box turned inside out, is a model that does not do
    // what its manifest says (a class index off by one lost its best finding without a word): the
    // analysis fails saying so, rather than showing the rest as if it were all
    const outOfRange = classOutOfRange(boxes, cls);
    if (outOfRange) {
      const { label, first } = outOfRange;
      if (boxes.format !== 'xyxy-scores-labels') throw new ModelOutputError(`boxes row ${row}: class ${label} is not one of the manifest's ${classes} classes (0 to ${classes - 1})`);
      throw new ModelOutputError(`boxes row ${row}: label ${label} is not one of the manifest's ${classes} classes (labels ${first} to ${first + classes - 1})`);
    }
    const placed = placeBox(given, width, height);
    if ('problem' in placed) {
      throw new ModelOutputError(`boxes row ${row}: [${given.join(', ')}] ${{
        inside_out: 'is turned inside out (x1 < x0 or y1 < y0)',
        far_beyond: `reaches far beyond the model's ${width} × ${height} input: are its coordinates the input's pixels?`,
        outside: `lies wholly outside the model's ${width} × ${height} input`,
      }[placed.problem]}`);
    }
    const { box } = placed;
    // of no area (a box a model cut to its input's edge itself): it marks nothing
    if (!box) continue;
    rows.push({ box, score, cls });
  }
  return rows;
}

/** The model's output is not what its manifest says: values that are not numbers, scores off its scale, a class it does not name, a heatmap of the wrong size. */
export class ModelOutputError extends Error {
  override readonly name = 'ModelOutputError';
  readonly code = 'model_output_invalid';
}

/**
 * The model stopped with an error inside its own run on this image (a node that cannot take the
 * input's size, an operator its graph misuses): a fault of the model, said as one with the view and
 * the runtime's own words for its supplier. It passed its trial runs and failed every real image of a
 * vendor's probe as "analysis_failed", the runtime's C++ source path cut mid-word for its reason.
 */
export class ModelRunError extends Error {
  override readonly name = 'ModelRunError';
  readonly code = 'model_run_failed';
}

/** How much of the runtime's message is kept (it is stored with the failure and shown to IT). */
const RUN_ERROR_CHARS = 240;

/** session.run's error as the model's fault, in the runtime's words as the station keeps them (runtimeWords); the machine's lack of memory passes as it is. */
function modelRunError(error: unknown): unknown {
  const message = String((error as Error)?.message ?? error);
  if (/bad_alloc|failed to allocate|out of memory/i.test(message)) return error;
  return new ModelRunError(runtimeWords(message, RUN_ERROR_CHARS) || 'the runtime gave no reason');
}

/** Per class, a box overlapping a better one by more than `iouLimit` (intersection over union) is dropped. */
function suppressOverlaps(rows: BoxRow[], maxPerClass: number, iouLimit: number): BoxRow[] {
  const iou = (a: BoxRow['box'], b: BoxRow['box']) => {
    const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]), h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
    if (w <= 0 || h <= 0) return 0;
    const inter = w * h;
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
  };
  const kept: BoxRow[] = [];
  for (const r of [...rows].sort((a, b) => b.score - a.score)) {
    if (kept.filter((k) => k.cls === r.cls).length >= maxPerClass) continue;
    if (kept.some((k) => k.cls === r.cls && iou(k.box, r.box) > iouLimit)) continue;
    kept.push(r);
  }
  return kept;
}
