// A boxes output read in the layout its manifest names (common/ai/model-manifest.ts, output.boxes.format):
//  - 'xyxy-score-class': rows of x0, y0, x1, y1, score, class index ([N, 6] or [1, N, 6]): a
//    detector that does its own post-processing (non-maximum suppression in its graph);
//  - 'cxcywh-class-scores': [1, 4 + classes, N], N candidates of centre x, centre y, width, height
//    and one score per class, channels first: what a YOLOv8 to YOLO11 detector gives exported
//    without its suppression (the ultralytics default);
//  - 'cxcywh-objectness-class-scores': [1, N, 5 + classes], N candidates of centre x, centre y,
//    width, height, objectness and one probability per class: YOLOv5's export;
//  - 'xyxy-scores-labels': three tensors, boxes [N, 4], scores [N] and integer labels [N] (the first
//    class is label `firstLabel`, 1 by default: 0 is the background): torchvision's detectors.
// A YOLO candidate scores its best class (YOLO's own rule: one class per candidate; YOLOv5 multiplies
// by its objectness); the station suppresses overlapping boxes of a class afterwards
// (image-analysis.ts). Coordinates are input pixel edges: the input's top-left corner is (0, 0).

import type { ModelManifest } from '../../common/ai/model-manifest.ts';

export type BoxesOutput = NonNullable<ModelManifest['output']['boxes']>;
export type BoxesFormat = BoxesOutput['format'];
type Shape = readonly (number | string)[];

export interface BoxCandidate {
  /** x0, y0, x1, y1 as the model gave them (not yet cut to its input). */
  box: [number, number, number, number];
  score: number;
  /** The class index the model gave (any number: checked by the caller). */
  cls: number;
  /** Its row (candidate) in the tensor. */
  row: number;
}

/** One tensor a boxes output is read from: its name, what it holds, and the shape it must have. */
export interface BoxTensor {
  name: string;
  role: 'boxes' | 'scores' | 'labels';
  /** The shape written out for a person ("[1, N, 6]"). */
  expected: string;
  /** Whether a shape (fixed sizes, or names and -1 where the file leaves a size open) can be it: false only where a fixed size says otherwise. */
  fits: (shape: Shape) => boolean;
}

/** A size that is `size`, or left open. */
const is = (dim: number | string | undefined, size: number) => typeof dim !== 'number' || dim <= 0 || dim === size;

/** The values per candidate of a one-tensor format, with `classes` classes. */
function fieldsOf(format: Exclude<BoxesFormat, 'xyxy-scores-labels'>, classes: number): number {
  return format === 'xyxy-score-class' ? 6 : format === 'cxcywh-class-scores' ? 4 + classes : 5 + classes;
}

/** The tensors of a boxes output, in the order the manifest names them. */
export function boxTensors(boxes: BoxesOutput): BoxTensor[] {
  if (boxes.format === 'xyxy-scores-labels') {
    const list = (shape: Shape) => shape.length === 1;
    return [
      { name: boxes.tensor, role: 'boxes', expected: '[N, 4]', fits: (shape) => shape.length === 2 && is(shape[1], 4) },
      { name: boxes.scores, role: 'scores', expected: '[N]', fits: list },
      { name: boxes.labels, role: 'labels', expected: '[N]', fits: list },
    ];
  }
  const { format } = boxes;
  const fields = fieldsOf(format, boxes.classes.length);
  const fits = (shape: Shape) => {
    if (format === 'xyxy-score-class') return (shape.length === 2 || (shape.length === 3 && is(shape[0], 1))) && is(shape.at(-1), fields);
    if (shape.length !== 3 || !is(shape[0], 1)) return false;
    return format === 'cxcywh-class-scores' ? is(shape[1], fields) : is(shape[2], fields);
  };
  const expected = format === 'xyxy-score-class' ? '[N, 6] or [1, N, 6]' : format === 'cxcywh-class-scores' ? `[1, ${fields}, N]` : `[1, N, ${fields}]`;
  return [{ name: boxes.tensor, role: 'boxes', expected, fits }];
}

/**
 * Why a candidate's class is none of the manifest's, said as the analysis and the check say it, or
 * null where it is one of them.
 */
export function classOutOfRange(boxes: BoxesOutput, cls: number): { label: number; first: number } | null {
  if (Number.isInteger(cls) && cls >= 0 && cls < boxes.classes.length) return null;
  const first = boxes.format === 'xyxy-scores-labels' ? (boxes.firstLabel ?? 1) : 0;
  return { label: cls + first, first };
}

type Values = Float32Array | Float64Array | Int32Array | BigInt64Array;
/** An output as a run gave it. */
export interface OutputValues { data: Values; dims: readonly number[] }

function checkedShape(tensor: BoxTensor, out: OutputValues): void {
  if (!tensor.fits(out.dims)) throw new Error(`output "${tensor.name}" is [${out.dims.join(', ')}]; it should be ${tensor.expected}`);
}

/**
 * Which values of each of a boxes output's tensors are scores (checked against the manifest's scale:
 * objectness and class scores too); labels are not numbers to check (integers, possibly 64-bit).
 */
export function boxScoreValues(boxes: BoxesOutput, output: (name: string) => OutputValues): { name: string; isScore: (index: number) => boolean }[] {
  const tensors = boxTensors(boxes);
  for (const t of tensors) checkedShape(t, output(t.name));
  if (boxes.format === 'xyxy-scores-labels') return [{ name: boxes.tensor, isScore: () => false }, { name: boxes.scores, isScore: () => true }];
  const out = output(boxes.tensor);
  const fields = fieldsOf(boxes.format, boxes.classes.length);
  const count = out.data.length / fields;
  const fieldOf = boxes.format === 'cxcywh-class-scores' ? (i: number) => Math.floor(i / count) : (i: number) => i % fields;
  return [{ name: boxes.tensor, isScore: boxes.format === 'xyxy-score-class' ? (i) => fieldOf(i) === 4 : (i) => fieldOf(i) >= 4 }];
}

/** The candidates scoring at least `floor`, in the tensors' order. */
export function boxCandidates(boxes: BoxesOutput, output: (name: string) => OutputValues, floor: number): BoxCandidate[] {
  for (const t of boxTensors(boxes)) checkedShape(t, output(t.name));
  const found: BoxCandidate[] = [];
  const data = output(boxes.tensor).data as Float32Array | Float64Array;
  if (boxes.format === 'xyxy-scores-labels') {
    const scores = output(boxes.scores).data as Float32Array | Float64Array;
    const labels = output(boxes.labels).data;
    if (scores.length * 4 !== data.length || labels.length !== scores.length) {
      throw new Error(`outputs "${boxes.tensor}", "${boxes.scores}" and "${boxes.labels}" hold ${data.length / 4}, ${scores.length} and ${labels.length} boxes`);
    }
    const first = boxes.firstLabel ?? 1;
    for (let n = 0; n < scores.length; n++) {
      const score = scores[n]!;
      // rows under the floor are not read further (a model pads its list with them)
      if (!(score >= floor)) continue;
      found.push({ box: [data[4 * n]!, data[4 * n + 1]!, data[4 * n + 2]!, data[4 * n + 3]!], score, cls: Number(labels[n]!) - first, row: n });
    }
    return found;
  }
  const { format } = boxes;
  const classes = boxes.classes.length;
  const fields = fieldsOf(format, classes);
  const count = data.length / fields;
  const at = format === 'cxcywh-class-scores' ? (n: number, f: number) => data[f * count + n]! : (n: number, f: number) => data[n * fields + f]!;
  for (let n = 0; n < count; n++) {
    let score: number, cls: number;
    if (format === 'xyxy-score-class') {
      score = at(n, 4);
      cls = at(n, 5);
    } else {
      const first = format === 'cxcywh-class-scores' ? 4 : 5;
      cls = 0;
      score = at(n, first);
      for (let c = 1; c < classes; c++) {
        const s = at(n, first + c);
        if (s > score) { score = s; cls = c; }
      }
      if (format === 'cxcywh-objectness-class-scores') score *= at(n, 4);
    }
    // under the floor: not read further (a YOLO head's thousands of candidates are mostly there)
    if (!(score >= floor)) continue;
    const [a, b, c, d] = [at(n, 0), at(n, 1), at(n, 2), at(n, 3)];
    const box: BoxCandidate['box'] = format === 'xyxy-score-class' ? [a, b, c, d] : [a - c / 2, b - d / 2, a + c / 2, b + d / 2];
    found.push({ box, score, cls, row: n });
  }
  return found;
}

const hasArea = (b: readonly number[]) => b[2]! > b[0]! && b[3]! > b[1]!;

/**
 * Where a model's box lies on its input of `width` × `height` pixels: cut to the input (null where,
 * cut, it has no area: a box the model cut to its edge itself marks nothing), or why it is no finding
 * of this input. Turned inside out; reaching more than half the input's size past its edges, or lying
 * wholly outside it: coordinates in another unit or another image's pixels (a vendor's probe: a box
 * of ±1e30 marked the whole breast at 0.9; one beside the input was dropped at 0.95, and the exam read
 * as nothing found; a box of [−190, −250, 380, 510] on a 192 × 256 input marked the whole image).
 */
export function placeBox(given: readonly [number, number, number, number], width: number, height: number):
  { box: [number, number, number, number] | null } | { problem: 'inside_out' | 'far_beyond' | 'outside' } {
  if (given[2] < given[0] || given[3] < given[1]) return { problem: 'inside_out' };
  if (given[0] < -width / 2 || given[1] < -height / 2 || given[2] > 1.5 * width || given[3] > 1.5 * height) return { problem: 'far_beyond' };
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const box: [number, number, number, number] = [clip(given[0], width), clip(given[1], height), clip(given[2], width), clip(given[3], height)];
  if (hasArea(given) && !hasArea(box)) return { problem: 'outside' };
  return { box: hasArea(box) ? box : null };
}
