// Tiny ONNX models built in JavaScript (onnx-proto), for tests of the model contract: one float32
// input image [1, 1, H, W] and the outputs a detector has, a per-class heatmap and an image score.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
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
}

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
      { opType: 'Sigmoid', input: ['logits'], output: [heatmap], name: 'heat' },
      { opType: 'GlobalAveragePool', input: [input], output: ['mean'], name: 'pool' },
      { opType: 'Sigmoid', input: ['mean'], output: [score], name: 'score' },
    ],
    initializer: [
      { name: 'w', dataType: FLOAT, dims: [classes, 1, 1, 1], floatData: Array.from({ length: classes }, () => 1) },
      { name: 'b', dataType: FLOAT, dims: [classes], floatData: Array.from({ length: classes }, () => 0) },
    ],
    input: [valueInfo(input, options.inputShape ?? [1, 1, 'H', 'W'])],
    output: [valueInfo(heatmap, [1, classes, 'H', 'W']), valueInfo(score, [1, 1, 1, 1])],
  };
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'binome-tests', graph }).finish();
}
