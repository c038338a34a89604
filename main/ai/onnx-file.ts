// What an ONNX model's bytes say that the runtime does not tell: whether it keeps tensors outside
// its file (external data: `model.onnx.data` or any file its tensors name; the contract's checksum
// covers model.onnx alone: weights in another file could be swapped or damaged unseen, so such a model
// is refused, model-package.ts), and which version of the ONNX operators it imports (its opset, which
// its manifest's runtime.opset must name).
//
// A walk over the protocol buffer's wire format that follows only the messages needed (ModelProto →
// its opset imports; GraphProto → initializers, nodes' attributes, subgraphs, functions) and steps
// over everything else unread. A full decode (onnx-proto, a test dependency) would turn a model's
// weights stored as repeated floats into JavaScript arrays: gigabytes for a large model.

/** Field numbers of onnx.proto (IR version 10), of the messages walked. */
const MODEL = { graph: 7, opsetImport: 8, trainingInfo: 20, functions: 25 } as const;
const OPERATOR_SET_ID = { domain: 1, version: 2 } as const;
const TRAINING_INFO = { initialization: 1, algorithm: 2 } as const;
const GRAPH = { node: 1, initializer: 5, sparseInitializer: 15 } as const;
const NODE = { attribute: 5 } as const;
const ATTRIBUTE = { t: 5, g: 6, tensors: 10, graphs: 11, sparseTensor: 22, sparseTensors: 23 } as const;
const SPARSE_TENSOR = { values: 1, indices: 2 } as const;
const FUNCTION = { node: 7, attributeProto: 11 } as const;
const TENSOR = { name: 8, externalData: 13, dataLocation: 14 } as const;
/** TensorProto.DataLocation.EXTERNAL */
const EXTERNAL = 1;
/** Subgraphs within subgraphs deeper than this are not a model anyone exports: the walk gives up (unknown). */
const MAX_DEPTH = 32;

class Malformed extends Error {}

/** One protocol buffer message's fields: number, wire type, and for length-delimited ones where the bytes lie. */
function* fields(bytes: Uint8Array, start: number, end: number): Generator<{ field: number; wire: number; value: number; from: number; to: number }> {
  let at = start;
  const varint = (): number => {
    let result = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= end) throw new Malformed();
      const b = bytes[at++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new Malformed();
  };
  // Groups (wire types 3 and 4) are in no onnx.proto message, but the runtime's parser steps over one as an
  // unknown field: stepped over here too, their fields unread. A walk that gave up at one left the file to
  // the runtime, which then read a model whose external data the walk had not seen (a vendor's probe).
  const groups: number[] = [];
  while (at < end) {
    const key = varint();
    const field = Math.floor(key / 8), wire = key % 8;
    // no message has a field 0: a file of zeros read as billions of empty fields, walked whole (a 2 GB
    // one for minutes before its check's time ran out: a vendor's probe); the runtime says what it is
    if (field === 0) throw new Malformed();
    if (wire === 0) {
      const value = varint();
      if (!groups.length) yield { field, wire, value, from: at, to: at };
    } else if (wire === 2) {
      const length = varint();
      if (length > end - at) throw new Malformed();
      if (!groups.length) yield { field, wire, value: length, from: at, to: at + length };
      at += length;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > end) throw new Malformed();
    } else if (wire === 3) {
      if (groups.length >= MAX_DEPTH) throw new Malformed();
      groups.push(field);
    } else if (wire === 4 && groups.at(-1) === field) {
      groups.pop();
    } else {
      // a group's end that opened none, or wire types 6 and 7: not a protocol buffer
      throw new Malformed();
    }
  }
  if (groups.length) throw new Malformed();
}

/**
 * How many tensors a model stores outside its file, and the names of the first few (`max`); null
 * when the bytes are not a model this walk can read (the runtime then says why).
 */
export function externalTensors(bytes: Uint8Array, max = 3): { count: number; names: string[] } | null {
  const names: string[] = [];
  let count = 0;
  const decoder = new TextDecoder();
  const lengthDelimited = (f: { wire: number }) => f.wire === 2;

  const tensor = (from: number, to: number) => {
    let name = '', external = false;
    for (const f of fields(bytes, from, to)) {
      if (f.field === TENSOR.name && lengthDelimited(f)) name = decoder.decode(bytes.subarray(f.from, f.to));
      else if (f.field === TENSOR.externalData && lengthDelimited(f)) external = true;
      else if (f.field === TENSOR.dataLocation && f.wire === 0 && f.value === EXTERNAL) external = true;
    }
    if (!external) return;
    count++;
    if (names.length < max) names.push(name);
  };
  const sparseTensor = (from: number, to: number) => {
    for (const f of fields(bytes, from, to)) if ((f.field === SPARSE_TENSOR.values || f.field === SPARSE_TENSOR.indices) && lengthDelimited(f)) tensor(f.from, f.to);
  };
  const attribute = (from: number, to: number, depth: number) => {
    for (const f of fields(bytes, from, to)) {
      if (!lengthDelimited(f)) continue;
      if (f.field === ATTRIBUTE.t || f.field === ATTRIBUTE.tensors) tensor(f.from, f.to);
      else if (f.field === ATTRIBUTE.sparseTensor || f.field === ATTRIBUTE.sparseTensors) sparseTensor(f.from, f.to);
      else if (f.field === ATTRIBUTE.g || f.field === ATTRIBUTE.graphs) graph(f.from, f.to, depth + 1);
    }
  };
  const node = (from: number, to: number, depth: number) => {
    for (const f of fields(bytes, from, to)) if (f.field === NODE.attribute && lengthDelimited(f)) attribute(f.from, f.to, depth);
  };
  const graph = (from: number, to: number, depth: number): void => {
    if (depth > MAX_DEPTH) throw new Malformed();
    for (const f of fields(bytes, from, to)) {
      if (!lengthDelimited(f)) continue;
      if (f.field === GRAPH.initializer) tensor(f.from, f.to);
      else if (f.field === GRAPH.sparseInitializer) sparseTensor(f.from, f.to);
      else if (f.field === GRAPH.node) node(f.from, f.to, depth);
    }
  };

  try {
    let sawGraph = false;
    for (const f of fields(bytes, 0, bytes.length)) {
      if (!lengthDelimited(f)) continue;
      if (f.field === MODEL.graph) {
        sawGraph = true;
        graph(f.from, f.to, 0);
      } else if (f.field === MODEL.functions) {
        for (const g of fields(bytes, f.from, f.to)) {
          if (g.field === FUNCTION.node && lengthDelimited(g)) node(g.from, g.to, 1);
          else if (g.field === FUNCTION.attributeProto && lengthDelimited(g)) attribute(g.from, g.to, 1);
        }
      } else if (f.field === MODEL.trainingInfo) {
        for (const g of fields(bytes, f.from, f.to)) {
          if ((g.field === TRAINING_INFO.initialization || g.field === TRAINING_INFO.algorithm) && lengthDelimited(g)) graph(g.from, g.to, 1);
        }
      }
    }
    return sawGraph ? { count, names } : null;
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}

/**
 * The version of the default ONNX operator set (domain "" or "ai.onnx") the model imports; null when
 * it names none or the bytes are not a model this walk can read (the runtime then says why).
 */
export function defaultOpset(bytes: Uint8Array): number | null {
  const decoder = new TextDecoder();
  try {
    let opset: number | null = null;
    for (const f of fields(bytes, 0, bytes.length)) {
      if (f.field !== MODEL.opsetImport || f.wire !== 2) continue;
      let domain = '', version: number | null = null;
      for (const g of fields(bytes, f.from, f.to)) {
        if (g.field === OPERATOR_SET_ID.domain && g.wire === 2) domain = decoder.decode(bytes.subarray(g.from, g.to));
        else if (g.field === OPERATOR_SET_ID.version && g.wire === 0) version = g.value;
      }
      if ((domain === '' || domain === 'ai.onnx') && version !== null) opset = version;
    }
    return opset;
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}
