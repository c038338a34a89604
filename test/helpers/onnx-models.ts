// Tiny ONNX models built in JavaScript (onnx-proto), for tests of the model contract: one float32
// input image [1, 1, H, W] and the outputs a detector has, a per-class heatmap and an image score.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import { threadsLeftInsideTasks } from '../../main/workers/pool.ts';

const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function valueInfo(name: string, dims: (number | string)[], elemType: number = FLOAT): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export interface TinyModelOptions {
  inputName?: string;
  /** The input's shape as the model declares it (default [1, 1, 'H', 'W']). */
  inputShape?: (number | string)[];
  heatmapName?: string;
  /** Heatmap channels: one per class (default 2). */
  classes?: number;
  scoreName?: string;
  /** The image score as an integer tensor (a vendor's slip: values no score can be), cast from the float one. */
  integerScore?: boolean;
  /** Outputs no image's: the heatmap twice along the batch axis ([2, classes, H, W]), the image score twice ([1, 2]). */
  doubled?: 'heatmap' | 'score';
  /**
   * The weights kept in another file (ONNX external data, as onnx.save_model(..., save_as_external_data=True)
   * writes them): its name beside model.onnx; tinyDetectorWeights gives its bytes.
   */
  externalData?: string;
}

/** The bytes of tinyDetectorModel's weights file (externalData): the conv's weights (1), then its biases (0), float32. */
export function tinyDetectorWeights(classes = 2): Uint8Array {
  const values = new Float32Array(2 * classes);
  values.fill(1, 0, classes);
  return new Uint8Array(values.buffer);
}

const externalAt = (location: string, offset: number, length: number) =>
  [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) }];

/**
 * heatmap = Sigmoid(Conv1x1(image)) with `classes` channels (weights 1, biases 0: each channel is
 * Sigmoid(pixel)); image_score = Sigmoid(GlobalAveragePool(image)). Opset 13.
 */
export function tinyDetectorModel(options: TinyModelOptions = {}): Uint8Array {
  const input = options.inputName ?? 'image';
  const heatmap = options.heatmapName ?? 'heatmap';
  const score = options.scoreName ?? 'image_score';
  const classes = options.classes ?? 2;
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'tiny-detector',
    node: [
      { opType: 'Conv', input: [input, 'w', 'b'], output: ['logits'], name: 'conv' },
      ...(options.doubled === 'heatmap'
        ? [{ opType: 'Sigmoid', input: ['logits'], output: ['one_heatmap'], name: 'heat' },
          { opType: 'Concat', input: ['one_heatmap', 'one_heatmap'], output: [heatmap], name: 'twice', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }]
        : [{ opType: 'Sigmoid', input: ['logits'], output: [heatmap], name: 'heat' }]),
      { opType: 'GlobalAveragePool', input: [input], output: ['mean'], name: 'pool' },
      ...(options.integerScore
        ? [{ opType: 'Sigmoid', input: ['mean'], output: ['score_float'], name: 'score' },
          { opType: 'Cast', input: ['score_float'], output: [score], name: 'to_int', attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: INT64 }] }]
        : options.doubled === 'score'
          ? [{ opType: 'Sigmoid', input: ['mean'], output: ['one_score'], name: 'score' },
            { opType: 'Concat', input: ['one_score', 'one_score'], output: [score], name: 'twice', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }]
          : [{ opType: 'Sigmoid', input: ['mean'], output: [score], name: 'score' }]),
    ],
    initializer: options.externalData
      ? [
          { name: 'w', dataType: FLOAT, dims: [classes, 1, 1, 1], dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: externalAt(options.externalData, 0, 4 * classes) },
          { name: 'b', dataType: FLOAT, dims: [classes], dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: externalAt(options.externalData, 4 * classes, 4 * classes) },
        ]
      : [
          { name: 'w', dataType: FLOAT, dims: [classes, 1, 1, 1], floatData: Array.from({ length: classes }, () => 1) },
          { name: 'b', dataType: FLOAT, dims: [classes], floatData: Array.from({ length: classes }, () => 0) },
        ],
    input: [valueInfo(input, options.inputShape ?? [1, 1, 'H', 'W'])],
    output: [valueInfo(heatmap, [options.doubled === 'heatmap' ? 2 : 1, classes, 'H', 'W']), valueInfo(score, [1, options.doubled === 'score' ? 2 : 1, 1, 1], options.integerScore ? INT64 : FLOAT)],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}


const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []): onnxProto.onnx.INodeProto => ({ opType, input, output: [output], name: output, attribute });
const INT_ATTRIBUTE = onnx.AttributeProto.AttributeType.INT;

/**
 * Nodes finding the brightest pixel of `image` ([1, 1, H, W]; the first in row order), as [1, 1]
 * tensors: its column `x` and row `y` (float) and its value `best`. `darkest`: the last darkest
 * pixel instead, `best` then Sigmoid of its value.
 */
function brightestPixel(image: string, darkest = false): { node: onnxProto.onnx.INodeProto[]; initializer: onnxProto.onnx.ITensorProto[] } {
  const INT = INT_ATTRIBUTE;
  return {
    node: [
      ...(darkest ? [node('Neg', [image], 'negated')] : []),
      node('Shape', [image], 'shape'),
      node('Gather', ['shape', 'three'], 'width'),
      node('Reshape', [darkest ? 'negated' : image, 'flat_shape'], 'flat'),
      node('ArgMax', ['flat'], 'index', [{ name: 'axis', type: INT, i: 1 }, { name: 'keepdims', type: INT, i: 1 }, ...(darkest ? [{ name: 'select_last_index', type: INT, i: 1 }] : [])]),
      node('ReduceMax', ['flat'], darkest ? 'darkest' : 'best', [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }, { name: 'keepdims', type: INT, i: 1 }]),
      ...(darkest ? [node('Sigmoid', ['darkest'], 'best')] : []),
      node('Mod', ['index', 'width'], 'column'),
      node('Div', ['index', 'width'], 'row'),
      node('Cast', ['column'], 'x', [{ name: 'to', type: INT, i: FLOAT }]),
      node('Cast', ['row'], 'y', [{ name: 'to', type: INT, i: FLOAT }]),
    ],
    initializer: [
      { name: 'three', dataType: INT64, dims: [], int64Data: [3] },
      { name: 'flat_shape', dataType: INT64, dims: [2], int64Data: [1, -1] },
    ],
  };
}

/**
 * A boxes-only model: one box, 5 × 5 input pixels around the brightest input pixel (the first one
 * in row order), scored by its value, of class 0, as [1, 1, 6] rows of x0, y0, x1, y1, score,
 * class in pixel edges. Built like a vendor's detector that does its own post-processing.
 * `channel`: the input has three channels ([1, 3, H, W], as a network pretrained on colour
 * photographs takes) and the model reads that one only.
 */
export function brightestBoxModel(options: { darkestLast?: boolean; classIndex?: number; insideOut?: boolean; channel?: 0 | 1 | 2 } = {}): Uint8Array {
  // darkestLast: the last darkest pixel in row order instead (the bottom-right corner of a padded
  // input: padding is 0, darker than any image), scored Sigmoid(0) = 0.5
  const dark = options.darkestLast ?? false;
  const channel = options.channel;
  // the channel read, [1, 1, H, W] (a Gather along C with one index keeps that axis)
  const image = channel === undefined ? 'image' : 'one_channel';
  const found = brightestPixel(image, dark);
  const graph: onnxProto.onnx.IGraphProto = {
    name: dark ? 'darkest-last-box' : 'brightest-box',
    node: [
      ...(channel === undefined ? [] : [node('Gather', ['image', 'channel'], 'one_channel', [{ name: 'axis', type: INT_ATTRIBUTE, i: 1 }])]),
      ...found.node,
      node('Sub', ['x', 'two'], 'x0'), node('Sub', ['y', 'two'], 'y0'), node('Add', ['x', 'three_f'], 'x1'), node('Add', ['y', 'three_f'], 'y1'),
      // insideOut: x0 and x1 swapped (a box turned inside out); classIndex: the class it gives (0)
      node('Concat', [options.insideOut ? 'x1' : 'x0', 'y0', options.insideOut ? 'x0' : 'x1', 'y1', 'best', 'class0'], 'row6', [{ name: 'axis', type: INT_ATTRIBUTE, i: 1 }]),
      node('Reshape', ['row6', 'boxes_shape'], 'boxes'),
    ],
    initializer: [
      ...found.initializer,
      { name: 'boxes_shape', dataType: INT64, dims: [3], int64Data: [1, 1, 6] },
      { name: 'two', dataType: FLOAT, dims: [], floatData: [2] },
      { name: 'three_f', dataType: FLOAT, dims: [], floatData: [3] },
      { name: 'class0', dataType: FLOAT, dims: [1, 1], floatData: [options.classIndex ?? 0] },
      ...(channel === undefined ? [] : [{ name: 'channel', dataType: INT64, dims: [1], int64Data: [channel] }]),
    ],
    input: [valueInfo('image', [1, channel === undefined ? 1 : 3, 'H', 'W'])],
    output: [valueInfo('boxes', [1, 1, 6])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * A YOLO head's candidates before suppression, around the brightest input pixel (x, y) of value b:
 * candidate 0 a 5 × 5 box centred on it, class scores [0.2·b, b] (its best class the second);
 * candidate 1 the same box one pixel to the right, [0.18·b, 0.9·b] (overlapping the first by 2/3,
 * suppressed at the default 0.5); candidate 2 a box at the input's origin scoring 0.01 (under any
 * floor). 'v8': [1, 4 + 2, 3] of cx, cy, w, h, scores, channels first (YOLOv8 to YOLO11);
 * 'v5': [1, 3, 5 + 2] of cx, cy, w, h, objectness 0.5, class probabilities (YOLOv5).
 */
export function yoloHeadModel(layout: 'v8' | 'v5'): Uint8Array {
  const scalar = (name: string, v: number): onnxProto.onnx.ITensorProto => ({ name, dataType: FLOAT, dims: [1, 1], floatData: [v] });
  // fields of each candidate, each a [1, 1] tensor
  const objectness = layout === 'v5' ? ['half'] : [];
  const candidates = [
    ['cx', 'cy', 'five', 'five', ...objectness, 's00', 'best'],
    ['cx1', 'cy', 'five', 'five', ...objectness, 's10', 's11'],
    ['zero', 'zero', 'five', 'five', ...objectness, 'low', 'low'],
  ];
  const fields = candidates[0]!.length;
  const order = layout === 'v8' ? candidates[0]!.flatMap((_, f) => candidates.map((c) => c[f]!)) : candidates.flat();
  const shape = layout === 'v8' ? [1, fields, 3] : [1, 3, fields];
  const found = brightestPixel('image');
  const graph: onnxProto.onnx.IGraphProto = {
    name: `yolo-${layout}-head`,
    node: [
      ...found.node,
      // pixel x covers [x, x + 1): its centre is x + 0.5 in pixel edges
      node('Add', ['x', 'half'], 'cx'), node('Add', ['y', 'half'], 'cy'), node('Add', ['cx', 'one'], 'cx1'),
      node('Mul', ['best', 'f020'], 's00'), node('Mul', ['best', 'f018'], 's10'), node('Mul', ['best', 'f090'], 's11'),
      node('Concat', order, 'flat_out', [{ name: 'axis', type: INT_ATTRIBUTE, i: 1 }]),
      node('Reshape', ['flat_out', 'out_shape'], 'boxes'),
    ],
    initializer: [
      ...found.initializer,
      { name: 'out_shape', dataType: INT64, dims: [3], int64Data: shape },
      scalar('half', 0.5), scalar('one', 1), scalar('five', 5), scalar('zero', 0), scalar('low', 0.01),
      scalar('f020', 0.2), scalar('f018', 0.18), scalar('f090', 0.9),
    ],
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('boxes', shape)],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * A detector exported as torchvision's are: one image [3, H, W] without the batch axis in, three
 * outputs: boxes [2, 4] (x0, y0, x1, y1), scores [2] and labels [2] (int64; 0 is the background).
 * Box 0 is 5 × 5 input pixels around the brightest pixel of the first channel, scored by its
 * value, label 2; box 1 sits at the input's origin, scoring 0.01, label 1.
 */
export function torchvisionDetectorModel(): Uint8Array {
  const found = brightestPixel('one_image');
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'torchvision-like-detector',
    node: [
      node('Gather', ['image', 'channel0'], 'one_channel', [{ name: 'axis', type: INT_ATTRIBUTE, i: 0 }]),
      node('Unsqueeze', ['one_channel', 'axis0'], 'one_image'),
      ...found.node,
      node('Sub', ['x', 'two'], 'x0'), node('Sub', ['y', 'two'], 'y0'), node('Add', ['x', 'three_f'], 'x1'), node('Add', ['y', 'three_f'], 'y1'),
      node('Concat', ['x0', 'y0', 'x1', 'y1'], 'box0', [{ name: 'axis', type: INT_ATTRIBUTE, i: 1 }]),
      node('Concat', ['box0', 'box1'], 'boxes', [{ name: 'axis', type: INT_ATTRIBUTE, i: 0 }]),
      node('Reshape', ['best', 'one_d'], 'score0'),
      node('Concat', ['score0', 'score1'], 'scores', [{ name: 'axis', type: INT_ATTRIBUTE, i: 0 }]),
      node('Identity', ['label_values'], 'labels'),
    ],
    initializer: [
      ...found.initializer,
      { name: 'channel0', dataType: INT64, dims: [1], int64Data: [0] },
      { name: 'axis0', dataType: INT64, dims: [1], int64Data: [0] },
      { name: 'one_d', dataType: INT64, dims: [1], int64Data: [1] },
      { name: 'two', dataType: FLOAT, dims: [], floatData: [2] },
      { name: 'three_f', dataType: FLOAT, dims: [], floatData: [3] },
      { name: 'box1', dataType: FLOAT, dims: [1, 4], floatData: [0, 0, 5, 5] },
      { name: 'score1', dataType: FLOAT, dims: [1], floatData: [0.01] },
      { name: 'label_values', dataType: INT64, dims: [2], int64Data: [2, 1] },
    ],
    input: [valueInfo('image', [3, 'H', 'W'])],
    output: [valueInfo('boxes', [2, 4]), valueInfo('scores', [2]), valueInfo('labels', [2], INT64)],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * A manifest that matches the tiny model's bytes: `classes` heatmap classes (mass, then
 * calcification), an image score when `imageScore`, the breast facing right, 0.8 mm pixels padded to
 * a multiple of 8, one operating point at `threshold`; `change` edits it before it is returned.
 */
export function fixtureManifest(bytes: Uint8Array, options: { id?: string; name?: string; classes?: 1 | 2; imageScore?: boolean; spacingMm?: number; multiple?: number; threshold?: number } = {},
  change: (m: ModelManifest) => void = () => undefined): ModelManifest {
  const manifest: ModelManifest = {
    contractVersion: '1.0', id: options.id ?? 'org.binome.tests.bright-spots', name: options.name ?? 'Bright spots (test fixture)', version: '0.1.0',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    intendedUse: { purpose: 'research-demo', limits: ['tests only: marks bright places, not lesions'], notForDiagnosticUse: true },
    training: { data: 'synthetic', trainedOn: 'nothing: fixed weights', validatedOn: 'nothing' },
    input: {
      presentationIntent: ['FOR PRESENTATION'], views: ['CC', 'MLO'], faceDirection: 'right',
      pixels: { voi: 'dicom-default', invertMonochrome1: true, range: 'float01' },
      spacingMm: options.spacingMm ?? 0.8, size: { mode: 'pad-to-multiple', multiple: options.multiple ?? 8 }, normalize: { type: 'none' }, priors: 'none',
      tensor: { name: 'image', dtype: 'float32', shape: [1, 1, 'H', 'W'] },
    },
    output: {
      heatmap: { tensor: 'heatmap', classes: options.classes === 2 ? ['mass', 'calcification'] : ['mass'], stride: 1, activation: 'none' },
      ...(options.imageScore ? { imageScore: { tensor: 'image_score' } } : {}),
      // the image score read where there is one (the breast's score its views' best), else the best finding's
      breastScore: options.imageScore ? 'max-over-views' : 'max-over-findings', examScore: 'max-over-breasts', scoreScale: { semantics: 'uncalibrated', min: 0, max: 1 },
    },
    calibration: { operatingPoints: [{ name: 'default', threshold: options.threshold ?? 0.7, falseMarksPerImage: 1, dataset: 'none' }], defaultOperatingPoint: 'default' },
    runtime: { opset: 13, providers: ['cpu'] },
  };
  const { id, name } = manifest;
  change(manifest);
  // two fixtures of one name under different ids are refused as indistinguishable (duplicate_name):
  // a fixture given another id and not another name says its id in its name
  if (manifest.name === name && manifest.id !== id) manifest.name = name.endsWith(')') ? `${name.slice(0, -1)}, ${manifest.id})` : `${name} (${manifest.id})`;
  return manifest;
}

/**
 * A model folder holding the tiny model with one class (or two: mass and calcification, the same
 * heatmap twice, so that every bright place is marked once per class), as a test's "bright spots"
 * detector: its heatmap is the sigmoid of each pixel, so bright places score highest (a fixture, not
 * a detector).
 */
export function writeTinyModel(root: string, change: (m: ModelManifest) => void = () => undefined, options: { classes?: 1 | 2 } = {}): string {
  const folder = path.join(root, 'tiny');
  fs.mkdirSync(folder, { recursive: true });
  const bytes = tinyDetectorModel({ classes: options.classes ?? 1 });
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { classes: options.classes ?? 1 }, change)));
  return folder;
}

/**
 * A model slow in proportion to its input: `layers` 3 × 3 convolutions of 16 channels at the input's
 * size (fast on a contract check's small trial, seconds on a 2048 × 2048 image), then the tiny
 * detector's outputs (one class). For tests of a run that overruns its time.
 */
export function slowModel(layers = 12): Uint8Array {
  const node: onnxProto.onnx.INodeProto[] = [{ opType: 'Conv', input: ['image', 'w0', 'b0'], output: ['x0'], name: 'conv0', attribute: [{ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] }];
  const initializer: onnxProto.onnx.ITensorProto[] = [
    { name: 'w0', dataType: FLOAT, dims: [16, 1, 3, 3], floatData: Array.from({ length: 16 * 9 }, (_, i) => ((i * 7) % 11) / 100) },
    { name: 'b0', dataType: FLOAT, dims: [16], floatData: Array.from({ length: 16 }, () => 0) },
  ];
  for (let l = 1; l <= layers; l++) {
    node.push({ opType: 'Conv', input: [`x${l - 1}`, `w${l}`, `b${l}`], output: [`x${l}`], name: `conv${l}`, attribute: [{ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] });
    initializer.push({ name: `w${l}`, dataType: FLOAT, dims: [16, 16, 3, 3], floatData: Array.from({ length: 16 * 16 * 9 }, (_, i) => ((i * 13) % 17 - 8) / 400) },
      { name: `b${l}`, dataType: FLOAT, dims: [16], floatData: Array.from({ length: 16 }, () => 0) });
  }
  node.push({ opType: 'Conv', input: [`x${layers}`, 'wh', 'bh'], output: ['logits'], name: 'head' },
    { opType: 'Sigmoid', input: ['logits'], output: ['heatmap'], name: 'heat' },
    { opType: 'GlobalAveragePool', input: ['image'], output: ['mean'], name: 'pool' },
    { opType: 'Sigmoid', input: ['mean'], output: ['image_score'], name: 'score' });
  initializer.push({ name: 'wh', dataType: FLOAT, dims: [1, 16, 1, 1], floatData: Array.from({ length: 16 }, () => 1 / 16) }, { name: 'bh', dataType: FLOAT, dims: [1], floatData: [0] });
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'slow-detector', node, initializer,
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('heatmap', [1, 1, 'H', 'W']), valueInfo('image_score', [1, 1, 1, 1])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * A model whose outputs break its manifest: 'not-finite' gives heatmap = image / 0 (infinities, and
 * NaN where the image is 0); 'off-scale' gives an image score of 1000 × the image's mean (scores on
 * a 0–1 scale). Outputs as the tiny detector's (one class, an image score).
 */
/** A model that gives the same boxes whatever the image: rows of x0, y0, x1, y1, score, class ([N, 6], 'xyxy-score-class'). */
export function fixedBoxesModel(rows: number[][]): Uint8Array {
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'fixed-boxes',
    node: [{ opType: 'Identity', input: ['rows'], output: ['boxes'], name: 'given' }],
    initializer: [{ name: 'rows', dataType: FLOAT, dims: [rows.length, 6], floatData: rows.flat() }],
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('boxes', [rows.length, 6])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/** A model whose boxes output is `rows` rows of zeros ([rows, 6], declared so in the file): a size no detector gives, made by Expand (nothing that large in the file). */
export function manyBoxesModel(rows: number): Uint8Array {
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'many-boxes',
    node: [node('Expand', ['zero_row', 'rows_shape'], 'boxes')],
    initializer: [
      { name: 'zero_row', dataType: FLOAT, dims: [1, 6], floatData: [0, 0, 0, 0, 0, 0] },
      { name: 'rows_shape', dataType: INT64, dims: [2], int64Data: [rows, 6] },
    ],
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('boxes', [rows, 6])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

export function brokenOutputModel(kind: 'not-finite' | 'not-finite-bright' | 'not-finite-large' | 'not-finite-wide' | 'not-finite-dark' | 'off-scale'): Uint8Array {
  const score: onnxProto.onnx.INodeProto[] = [{ opType: 'GlobalAveragePool', input: ['image'], output: ['mean'], name: 'pool' }, { opType: 'Sigmoid', input: ['mean'], output: ['image_score'], name: 'score' }];
  const node: onnxProto.onnx.INodeProto[] = kind === 'not-finite-wide'
    // sigmoid(image) + √(−clip(columns − rows, 0, 1)): the sigmoid on inputs taller than wide, NaN on wider ones
    ? [{ opType: 'Shape', input: ['image'], output: ['shape'], name: 'shape' },
      { opType: 'Gather', input: ['shape', 'rows_at'], output: ['rows'], name: 'rows', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Gather', input: ['shape', 'columns_at'], output: ['columns'], name: 'columns', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Sub', input: ['columns', 'rows'], output: ['wider'], name: 'wider' },
      { opType: 'Cast', input: ['wider'], output: ['over'], name: 'over', attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
      { opType: 'Clip', input: ['over', 'zero', 'one'], output: ['over01'], name: 'clip' },
      { opType: 'Neg', input: ['over01'], output: ['minus'], name: 'neg' },
      { opType: 'Sqrt', input: ['minus'], output: ['nan_if_wide'], name: 'sqrt' },
      { opType: 'Sigmoid', input: ['image'], output: ['heat'], name: 'heat' },
      { opType: 'Add', input: ['heat', 'nan_if_wide'], output: ['heatmap'], name: 'add' }, ...score]
    : kind === 'not-finite-large'
    // sigmoid(image) + √(−clip(rows − 511, 0, 1)): the sigmoid on inputs of fewer than 512 rows, NaN from 512
    ? [{ opType: 'Shape', input: ['image'], output: ['shape'], name: 'shape' },
      { opType: 'Gather', input: ['shape', 'rows_at'], output: ['rows'], name: 'rows', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Cast', input: ['rows'], output: ['rows_float'], name: 'rows_float', attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
      { opType: 'Sub', input: ['rows_float', 'k'], output: ['over'], name: 'over' },
      { opType: 'Clip', input: ['over', 'zero', 'one'], output: ['over01'], name: 'clip' },
      { opType: 'Neg', input: ['over01'], output: ['minus'], name: 'neg' },
      { opType: 'Sqrt', input: ['minus'], output: ['nan_from_512'], name: 'sqrt' },
      { opType: 'Sigmoid', input: ['image'], output: ['heat'], name: 'heat' },
      { opType: 'Add', input: ['heat', 'nan_from_512'], output: ['heatmap'], name: 'add' }, ...score]
    : kind === 'not-finite-dark'
    // sigmoid(image) + 0 × √(mean − 0.2): the sigmoid on images of mean 0.2 or more (a ramp's is 0.5), NaN on a
    // darker one, as a mammogram is (0.16–0.30 cropped to the breast: a re-probe's model failing under 0.2 passed a first breast-like trial)
    ? [{ opType: 'GlobalAveragePool', input: ['image'], output: ['image_mean'], name: 'image_mean' },
      { opType: 'Sub', input: ['image_mean', 'k'], output: ['over'], name: 'over' },
      { opType: 'Sqrt', input: ['over'], output: ['root'], name: 'sqrt' },
      { opType: 'Mul', input: ['root', 'zero'], output: ['nan_if_dark'], name: 'nothing' },
      { opType: 'Sigmoid', input: ['image'], output: ['heat'], name: 'heat' },
      { opType: 'Add', input: ['heat', 'nan_if_dark'], output: ['heatmap'], name: 'add' }, ...score]
    : kind === 'not-finite'
    ? [{ opType: 'Sub', input: ['image', 'image'], output: ['zero'], name: 'zero' }, { opType: 'Div', input: ['image', 'zero'], output: ['heatmap'], name: 'div' }, ...score]
    // log(1 − value): finite on a blank image, −∞ where a pixel is at its brightest
    : kind === 'not-finite-bright'
    ? [{ opType: 'Sub', input: ['k', 'image'], output: ['rest'], name: 'rest' }, { opType: 'Log', input: ['rest'], output: ['heatmap'], name: 'log' }, ...score]
    : [{ opType: 'Sigmoid', input: ['image'], output: ['heatmap'], name: 'heat' },
      { opType: 'GlobalAveragePool', input: ['image'], output: ['mean'], name: 'pool' }, { opType: 'Mul', input: ['mean', 'k'], output: ['image_score'], name: 'scale' }];
  const graph: onnxProto.onnx.IGraphProto = {
    name: `broken-${kind}`, node,
    initializer: kind === 'off-scale' ? [{ name: 'k', dataType: FLOAT, dims: [1], floatData: [1000] }] : kind === 'not-finite-dark' ? [{ name: 'k', dataType: FLOAT, dims: [1], floatData: [0.2] }, { name: 'zero', dataType: FLOAT, dims: [], floatData: [0] }] : kind === 'not-finite-bright' ? [{ name: 'k', dataType: FLOAT, dims: [1], floatData: [1] }]
      : kind === 'not-finite-wide' ? [{ name: 'rows_at', dataType: INT64, dims: [1], int64Data: [2] }, { name: 'columns_at', dataType: INT64, dims: [1], int64Data: [3] },
        { name: 'zero', dataType: FLOAT, dims: [], floatData: [0] }, { name: 'one', dataType: FLOAT, dims: [], floatData: [1] }]
      : kind === 'not-finite-large' ? [{ name: 'rows_at', dataType: INT64, dims: [1], int64Data: [2] }, { name: 'k', dataType: FLOAT, dims: [1], floatData: [511] },
        { name: 'zero', dataType: FLOAT, dims: [], floatData: [0] }, { name: 'one', dataType: FLOAT, dims: [], floatData: [1] }] : [],
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('heatmap', [1, 1, 'H', 'W']), valueInfo('image_score', [1, 1, 1, 1])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * heatmap = Sigmoid(image) cut to its top-left `side` × `side` (Slice): the size of a small input,
 * as the load's trial run gives it, and a fixed size on a mammogram (it reads one corner only).
 */
export function cutHeatmapModel(side: number): Uint8Array {
  const ints = (name: string, values: number[]): onnxProto.onnx.ITensorProto => ({ name, dataType: INT64, dims: [values.length], int64Data: values });
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'cut-heatmap',
    node: [
      { opType: 'Sigmoid', input: ['image'], output: ['whole'], name: 'heat' },
      { opType: 'Slice', input: ['whole', 'starts', 'ends', 'axes'], output: ['heatmap'], name: 'cut' },
      { opType: 'GlobalAveragePool', input: ['image'], output: ['mean'], name: 'pool' },
      { opType: 'Sigmoid', input: ['mean'], output: ['image_score'], name: 'score' },
    ],
    initializer: [ints('starts', [0, 0]), ints('ends', [side, side]), ints('axes', [2, 3])],
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('heatmap', [1, 1, 'h', 'w']), valueInfo('image_score', [1, 1, 1, 1])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * A model that fails inside its own run on any input but one of `side` × `side` pixels: its heatmap
 * reshaped to that fixed size (onnxruntime: "The input tensor cannot be reshaped to the requested
 * shape"), as a vendor's graph fails on a size its trials did not have.
 */
export function reshapeFailsModel(side: number): Uint8Array {
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'reshape-fails',
    node: [
      { opType: 'Sigmoid', input: ['image'], output: ['whole'], name: 'heat' },
      { opType: 'Reshape', input: ['whole', 'fixed'], output: ['heatmap'], name: 'fixed_size' },
      { opType: 'GlobalAveragePool', input: ['image'], output: ['mean'], name: 'pool' },
      { opType: 'Sigmoid', input: ['mean'], output: ['image_score'], name: 'score' },
    ],
    initializer: [{ name: 'fixed', dataType: INT64, dims: [4], int64Data: [1, 1, side, side] }],
    input: [valueInfo('image', [1, 1, 'H', 'W'])],
    output: [valueInfo('heatmap', [1, 1, side, side]), valueInfo('image_score', [1, 1, 1, 1])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}

/**
 * For the `after` of a test file whose stations close while a slow model overruns: waits until the
 * runs they could not wait for (still inside session.run on their threads) have returned. A test
 * process that exits meanwhile is aborted by onnxruntime, and the whole file fails with no test named
 * (a clean-clone run on a loaded machine: a run past the close's 15 s wait).
 */
export async function modelRunsLeftReturned(limitMs = 300_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (threadsLeftInsideTasks() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
  if (threadsLeftInsideTasks() > 0) throw new Error(`${threadsLeftInsideTasks()} model run(s) still inside session.run ${limitMs / 1000} s after the tests: the process will be aborted at exit`);
}
