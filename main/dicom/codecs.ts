// Lossless encoders from Cornerstone's WASM codec packages (the same libraries whose decoders the
// viewer uses): JPEG-LS (CharLS), HTJ2K (OpenJPH) and JPEG 2000 (OpenJPEG).

import { createRequire } from 'node:module';
import { log } from '../base/log.ts';

const require = createRequire(import.meta.url);

interface FrameInfo { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean; isUsingColorTransform?: boolean }
interface WasmEncoder {
  getDecodedBuffer(info: FrameInfo): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
  setNearLossless?(n: number): void;
  setQuality?(lossless: boolean, quantizationStep: number): void;
  setDecompositions?(n: number): void;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
type CodecModule = Record<string, new () => WasmEncoder | WasmDecoder>;

/** The lossless codecs the station writes (synthetic exams) and checks. */
export type LosslessCodec = 'jpeg-ls' | 'htj2k' | 'j2k';

// Each codec's Emscripten factory, required by a literal name so that bundlers and the import
// rule (scripts/layers.ts) see which packages this file uses.
type Factory = (overrides: { print(text: string): void; printErr(text: string): void }) => Promise<CodecModule>;
const FACTORIES: Record<LosslessCodec, () => Factory> = {
  'jpeg-ls': () => require('@cornerstonejs/codec-charls/wasmjs') as Factory,
  htj2k: () => require('@cornerstonejs/codec-openjph/wasmjs') as Factory,
  j2k: () => require('@cornerstonejs/codec-openjpeg/wasmjs') as Factory,
};

// OpenJPEG prints "[INFO] Main header has been correctly decoded." on every frame: codec chatter
// goes to the debug log, never to stdout. A fresh object per module: Emscripten builds the module
// on the object it is given, so two codecs sharing one would register their classes twice.
const quiet = () => ({ print: (text: string) => log.debug(`codec: ${text}`), printErr: (text: string) => log.debug(`codec: ${text}`) });

const modules = new Map<LosslessCodec, Promise<CodecModule>>();

function load(codec: LosslessCodec): Promise<CodecModule> {
  let m = modules.get(codec);
  if (!m) {
    m = FACTORIES[codec]()(quiet());
    modules.set(codec, m);
  }
  return m;
}

const CODECS: Record<LosslessCodec, { encoder: string; decoder: string }> = {
  'jpeg-ls': { encoder: 'JpegLSEncoder', decoder: 'JpegLSDecoder' },
  htj2k: { encoder: 'HTJ2KEncoder', decoder: 'HTJ2KDecoder' },
  j2k: { encoder: 'J2KEncoder', decoder: 'J2KDecoder' },
};

/** Encodes one 16-bit grey frame losslessly. */
export async function encodeLossless(syntax: LosslessCodec, pixels: Uint16Array, width: number, height: number, bitsStored: number): Promise<Uint8Array> {
  const codec = CODECS[syntax];
  const module = await load(syntax);
  const encoder = new module[codec.encoder]!() as WasmEncoder;
  try {
    const input = encoder.getDecodedBuffer({ width, height, bitsPerSample: bitsStored, componentCount: 1, isSigned: false, isUsingColorTransform: false });
    input.set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    encoder.setNearLossless?.(0);
    encoder.setQuality?.(true, 0);
    encoder.encode();
    const encoded = encoder.getEncodedBuffer().slice(); // some codecs hand out a Uint8ClampedArray
    return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  } finally {
    encoder.delete();
  }
}

/** Decodes a frame (used by tests to check that encoding lost nothing). */
export async function decodeLossless(syntax: LosslessCodec, encoded: Uint8Array): Promise<Uint16Array> {
  const codec = CODECS[syntax];
  const module = await load(syntax);
  const decoder = new module[codec.decoder]!() as WasmDecoder;
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const bytes = decoder.getDecodedBuffer().slice();
    return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  } finally {
    decoder.delete();
  }
}
