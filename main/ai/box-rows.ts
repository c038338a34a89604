// A boxes output read in the layout its manifest names (common/ai/model-manifest.ts, output.boxes.format):
//  - 'xyxy-score-class': rows of x0, y0, x1, y1, score, class index ([N, 6] or [1, N, 6]): a
//    detector that does its own post-processing (non-maximum suppression in its graph);
//  - 'cxcywh-class-scores': [1, 4 + classes, N], N candidates of centre x, centre y, width, height
//    and one score per class, channels first: what a YOLOv8 to YOLO11 detector gives exported
//    without its suppression (the ultralytics default);
//  - 'cxcywh-objectness-class-scores': [1, N, 5 + classes], N candidates of centre x, centre y,
//    width, height, objectness and one probability per class: YOLOv5's export.
// A candidate of the last two scores its best class (YOLO's own rule: one class per candidate; YOLOv5
// multiplies by its objectness); the station suppresses overlapping boxes of a class afterwards
// (image-analysis.ts). Coordinates are input pixel edges: the input's top-left corner is (0, 0).

import type { ModelManifest } from '../../common/ai/model-manifest.ts';

type BoxesOutput = NonNullable<ModelManifest['output']['boxes']>;
export type BoxesFormat = BoxesOutput['format'];

export interface BoxCandidate {
  /** x0, y0, x1, y1 as the model gave them (not yet cut to its input). */
  box: [number, number, number, number];
  score: number;
  /** The class index the model gave (for 'xyxy-score-class' any number: checked by the caller). */
  cls: number;
  /** Its row (candidate) in the tensor. */
  row: number;
}

/** How a boxes tensor is laid out: `count` candidates, `fields` values each, `channelsFirst` where field f of candidate n lies at f·count + n. */
interface Layout { count: number; fields: number; channelsFirst: boolean }

/** The values per candidate of a format, with `classes` classes. */
export function boxFields(format: BoxesFormat, classes: number): number {
  return format === 'xyxy-score-class' ? 6 : format === 'cxcywh-class-scores' ? 4 + classes : 5 + classes;
}

/** What a boxes tensor's shape should be, written out for a person ("[1, N, 6]"). */
export function boxShapeExpected(format: BoxesFormat, classes: number): string {
  const fields = boxFields(format, classes);
  return format === 'xyxy-score-class' ? '[N, 6] or [1, N, 6]' : format === 'cxcywh-class-scores' ? `[1, ${fields}, N]` : `[1, N, ${fields}]`;
}

/**
 * Whether a shape (fixed sizes, or names and -1 for sizes the file leaves open) can be the format's
 * with `classes` classes: false only where a fixed size says otherwise.
 */
export function boxShapeFits(format: BoxesFormat, classes: number, shape: readonly (number | string)[]): boolean {
  const fields = boxFields(format, classes);
  const is = (dim: number | string | undefined, size: number) => typeof dim !== 'number' || dim <= 0 || dim === size;
  if (format === 'xyxy-score-class') return (shape.length === 2 || (shape.length === 3 && is(shape[0], 1))) && is(shape.at(-1), fields);
  if (shape.length !== 3 || !is(shape[0], 1)) return false;
  return format === 'cxcywh-class-scores' ? is(shape[1], fields) : is(shape[2], fields);
}

function layoutOf(format: BoxesFormat, classes: number, dims: readonly number[], length: number): Layout {
  if (!boxShapeFits(format, classes, dims)) throw new Error(`boxes of ${format} are ${boxShapeExpected(format, classes)}, not [${dims.join(', ')}]`);
  const fields = boxFields(format, classes);
  return { count: length / fields, fields, channelsFirst: format === 'cxcywh-class-scores' };
}

/** Which values of a boxes tensor are scores (checked against the manifest's scale): objectness and class scores too. */
export function boxScoreIndex(format: BoxesFormat, classes: number, dims: readonly number[], length: number): (index: number) => boolean {
  const { count, fields, channelsFirst } = layoutOf(format, classes, dims, length);
  const fieldOf = channelsFirst ? (i: number) => Math.floor(i / count) : (i: number) => i % fields;
  return format === 'xyxy-score-class' ? (i) => fieldOf(i) === 4 : (i) => fieldOf(i) >= 4;
}

/** The candidates scoring at least `floor`, in the tensor's order. */
export function boxCandidates(format: BoxesFormat, classes: number, data: Float32Array | Float64Array, dims: readonly number[], floor: number): BoxCandidate[] {
  const { count, fields, channelsFirst } = layoutOf(format, classes, dims, data.length);
  const at = channelsFirst ? (n: number, f: number) => data[f * count + n]! : (n: number, f: number) => data[n * fields + f]!;
  const found: BoxCandidate[] = [];
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
    // rows under the floor are not read further (a model pads its list with them; a YOLO head's thousands of candidates are mostly there)
    if (!(score >= floor)) continue;
    const [a, b, c, d] = [at(n, 0), at(n, 1), at(n, 2), at(n, 3)];
    const box: BoxCandidate['box'] = format === 'xyxy-score-class' ? [a, b, c, d] : [a - c / 2, b - d / 2, a + c / 2, b + d / 2];
    found.push({ box, score, cls, row: n });
  }
  return found;
}
