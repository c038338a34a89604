// Reading an ONNX model's bytes (main/ai/onnx-file.ts): its default opset, which its manifest must
// name, and the tensors it keeps outside its file, which the contract refuses: in the graph's initializers, in a subgraph (an If's branch), in a node's tensor
// attribute and in a function; none in a model that holds every weight; and bytes that are not a
// model (garbage, a model cut short) said as unreadable, not as "no external data".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { defaultOpset, externalTensors } from '../../main/ai/onnx-file.ts';
import { runtimeWords } from '../../main/ai/runtime-words.ts';
import { tinyDetectorModel } from '../helpers/onnx-models.ts';
import { ROOT } from '../helpers/paths.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;
const external = (name: string): onnxProto.onnx.ITensorProto =>
  ({ name, dataType: FLOAT, dims: [1], dataLocation: EXTERNAL, externalData: [{ key: 'location', value: 'weights.bin' }] });
const inline = (name: string): onnxProto.onnx.ITensorProto => ({ name, dataType: FLOAT, dims: [1], floatData: [1] });
const encode = (model: onnxProto.onnx.IModelProto) => onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], ...model }).finish();

test('tensors kept outside the file are found wherever a model holds tensors; none in a model that holds its weights', () => {
  assert.deepEqual(externalTensors(fs.readFileSync(path.join(ROOT, 'models/binome-synth-detector/model.onnx'))), { count: 0, names: [] });
  assert.deepEqual(externalTensors(tinyDetectorModel()), { count: 0, names: [] });
  assert.deepEqual(externalTensors(tinyDetectorModel({ externalData: 'model.onnx.data' })), { count: 2, names: ['w', 'b'] });

  // an If whose then-branch holds an external initializer, a Constant whose value is external, and
  // only the location field set (no data_location), as some exporters write it
  const branch: onnxProto.onnx.IGraphProto = { name: 'then', initializer: [external('in_branch')], node: [], output: [{ name: 'in_branch' }] };
  const nested = encode({ graph: {
    name: 'g',
    initializer: [inline('kept')],
    node: [
      { opType: 'If', input: ['cond'], output: ['y'], attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch }] },
      { opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { name: 'constant', dataType: FLOAT, dims: [1], externalData: [{ key: 'location', value: 'c.bin' }] } }] },
    ],
  } });
  assert.deepEqual(externalTensors(nested), { count: 2, names: ['in_branch', 'constant'] });
  // in a function's body
  const inFunction = encode({ graph: { name: 'g', node: [] }, functions: [{ name: 'f', domain: 'x', node: [
    { opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: external('in_function') }] },
  ] }] });
  assert.deepEqual(externalTensors(inFunction), { count: 1, names: ['in_function'] });
  // many: the first three named, all counted
  assert.deepEqual(externalTensors(encode({ graph: { name: 'g', initializer: Array.from({ length: 40 }, (_, i) => external(`t${i}`)) } })), { count: 40, names: ['t0', 't1', 't2'] });
});

test('a group field (in no onnx.proto message, stepped over by the runtime\'s parser) is stepped over, its fields unread: the tensors after it are still found (the walk gave up there, and the runtime read the model: a vendor\'s probe)', () => {
  const model = tinyDetectorModel({ externalData: 'model.onnx.data' });
  // field 99 as an empty group (start 0x9b 0x06, end 0x9c 0x06), before the model's fields and after them;
  // a group holding fields and a group within it: none of their fields is read as the model's
  const empty = Uint8Array.of(0x9b, 0x06, 0x9c, 0x06);
  const nested = Uint8Array.of(0x9b, 0x06, 0x08, 0x01, 0xa3, 0x06, 0x12, 0x01, 0x41, 0xa4, 0x06, 0x9c, 0x06);
  for (const bytes of [Buffer.concat([empty, model]), Buffer.concat([model, empty]), Buffer.concat([model, nested])]) {
    assert.deepEqual(externalTensors(bytes), { count: 2, names: ['w', 'b'] });
    assert.equal(defaultOpset(bytes), 13);
  }
  // a group never closed, an end that opened none, or closed by another field's end: not a protocol buffer
  assert.equal(externalTensors(Buffer.concat([model, Uint8Array.of(0x9b, 0x06)])), null, 'never closed');
  assert.equal(externalTensors(Buffer.concat([model, Uint8Array.of(0x9c, 0x06)])), null, 'an end alone');
  assert.equal(externalTensors(Buffer.concat([model, Uint8Array.of(0x9b, 0x06, 0xa4, 0x06)])), null, 'another field\'s end');
});

test('bytes that are not a model are unreadable (null), not a model without external data', () => {
  const model = tinyDetectorModel({ externalData: 'model.onnx.data' });
  assert.equal(externalTensors(new Uint8Array(0)), null, 'empty');
  assert.equal(externalTensors(Buffer.from('{"not": "onnx"}')), null, 'JSON');
  assert.equal(externalTensors(model.subarray(0, model.length - 7)), null, 'cut short');
  assert.equal(externalTensors(Uint8Array.of(0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f)), null, 'a length past the end');
  // a file of zeros (a copy that failed, a sparse file): unreadable at its first byte, not walked whole as
  // empty fields numbered 0 (3 s per 100 MB, minutes for a 2 GB one: a vendor's probe)
  const zeros = new Uint8Array(64 * 1024 * 1024);
  // (walked whole, they read as a model without external data: { count: 0 })
  assert.equal(externalTensors(zeros), null, 'zeros');
  assert.equal(defaultOpset(zeros), null, 'zeros: no opset');
  // a model followed by zeros: a field 0 is no field of any message (walked, it read as a model without external data)
  assert.equal(externalTensors(Buffer.concat([Buffer.from(tinyDetectorModel()), Buffer.alloc(16)])), null);
  // subgraphs nested deeper than any exporter writes: given up, not a stack overflow
  let graph: onnxProto.onnx.IGraphProto = { name: 'leaf', node: [] };
  for (let i = 0; i < 200; i++) graph = { name: `g${i}`, node: [{ opType: 'If', attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: graph }] }] };
  assert.equal(externalTensors(encode({ graph })), null);
});

test('the default opset is read from the file (domain "" or "ai.onnx", beside other domains); none named, or not a model: null', () => {
  assert.equal(defaultOpset(fs.readFileSync(path.join(ROOT, 'models/binome-synth-detector/model.onnx'))), 17);
  assert.equal(defaultOpset(tinyDetectorModel()), 13);
  const graph = { name: 'g', node: [] };
  assert.equal(defaultOpset(onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: 'com.microsoft', version: 1 }, { domain: 'ai.onnx', version: 11 }], graph }).finish()), 11);
  assert.equal(defaultOpset(onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: 'ai.onnx.ml', version: 3 }], graph }).finish()), null);
  assert.equal(defaultOpset(Buffer.from('{"not": "onnx"}')), null);
});

test('the runtime\'s words for a model it refuses, as the station keeps them: no C++ source path, the station\'s own paths cut to their file names, cut at a word', () => {
  assert.equal(runtimeWords('[ONNXRuntimeError] : 1 : FAIL : Load model from memory failed:External data path validation failed: path "/tmp/station/work dir/weights.bin" escapes working directory "/tmp/p42i" or does not exist: "/tmp/p42i/weights.bin"', 400),
    '[ONNXRuntimeError] : 1 : FAIL : Load model from memory failed:External data path validation failed: path "weights.bin" escapes working directory "p42i" or does not exist: "weights.bin"');
  assert.equal(runtimeWords('/onnxruntime_src/onnxruntime/core/providers/cpu/math/gemm.cc:123 void onnxruntime::Gemm::Compute(int) const Gemm: dims do not match', 400), 'Gemm: dims do not match');
  assert.equal(runtimeWords('failed at "C:\\Program Files\\Binome\\models\\x\\model.onnx" (D:\\models\\y.onnx), 2 / 3 done', 400), 'failed at "model.onnx" (y.onnx), 2 / 3 done');
  assert.equal(runtimeWords(`${'word '.repeat(100)}end`, 40), `${'word '.repeat(8).trim()}…`);
  // a source file named alone, the function's bare name after it (a vendor's probe)
  assert.equal(runtimeWords('External data path validation failed for initializer: w. Error: tensorprotoutils.cc:434 ValidateExternalDataPathFromDir Absolute path not allowed', 400),
    'External data path validation failed for initializer: w. Error: Absolute path not allowed');
  // cut after the source path is out, at a word, its end kept where it fits (it lost "max supported IR version: 13", cut at 300 first)
  const long = `[ONNXRuntimeError] : 1 : FAIL : Load model from memory failed:/onnxruntime_src/onnxruntime/core/graph/model.cc:180 onnxruntime::Model::Model(onnx::ModelProto&&, const PathString&, const IOnnxRuntimeOpSchemaRegistryList*, const onnxruntime::logging::Logger&, const onnxruntime::ModelOptions&) Unsupported model IR version: 99, max supported IR version: 13`;
  assert.equal(runtimeWords(long, 300), '[ONNXRuntimeError] : 1 : FAIL : Load model from memory failed:Unsupported model IR version: 99, max supported IR version: 13');
});
