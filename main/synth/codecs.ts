// Lossless encoders from Cornerstone's WASM codec packages (the same libraries whose decoders the
// viewer uses): JPEG-LS (CharLS), HTJ2K (OpenJPH) and JPEG 2000 (OpenJPEG).

import { createRequire } from 'node:module';
import type { TransferSyntaxName } from './plan.ts';

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

const modules = new Map<string, Promise<CodecModule>>();

function load(file: string): Promise<CodecModule> {
  let m = modules.get(file);
  if (!m) {
    const factory = require(file) as () => Promise<CodecModule>;
    m = factory();
    modules.set(file, m);
  }
  return m;
}

const CODECS: Record<Exclude<TransferSyntaxName, 'explicit'>, { file: string; encoder: string; decoder: string }> = {
  'jpeg-ls': { file: '@cornerstonejs/codec-charls/wasmjs', encoder: 'JpegLSEncoder', decoder: 'JpegLSDecoder' },
  htj2k: { file: '@cornerstonejs/codec-openjph/wasmjs', encoder: 'HTJ2KEncoder', decoder: 'HTJ2KDecoder' },
  j2k: { file: '@cornerstonejs/codec-openjpeg/wasmjs', encoder: 'J2KEncoder', decoder: 'J2KDecoder' },
};

/** Encodes one 16-bit grey frame losslessly. */
export async function encodeLossless(syntax: Exclude<TransferSyntaxName, 'explicit'>, pixels: Uint16Array, width: number, height: number, bitsStored: number): Promise<Uint8Array> {
  const codec = CODECS[syntax];
  const module = await load(codec.file);
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
export async function decodeLossless(syntax: Exclude<TransferSyntaxName, 'explicit'>, encoded: Uint8Array): Promise<Uint16Array> {
  const codec = CODECS[syntax];
  const module = await load(codec.file);
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
