// Decoders for the compressed transfer syntaxes, the same libraries the viewer's loader
// (@cornerstonejs/dicom-image-loader 5.14) decodes with: its WASM codec packages in their
// decode-only builds (CharLS, OpenJPEG, libjpeg-turbo; OpenJPH has one build), the JPEG Lossless
// decoder it imports, and for 12-bit DCT JPEG its own JavaScript decoder (the only one it has).
//
// The loader's decoder modules are not used for the WASM codecs: in Node they look for their .wasm
// beside themselves (a bundler's URL idiom), keep one decoder per thread in module state, print
// OpenJPEG's [INFO] chatter with no way to silence it, and hand JPEG-LS pixels out as a view on
// WASM memory. Here each codec module is loaded once per thread with its own print overrides (never
// a shared object: Emscripten writes its exports onto the object it is given), and each frame gets
// its own decoder instance, deleted once its caller is done with the pixels: a caller that only
// reads them (a display rendition averages them down) reads them where the codec left them, in WASM
// memory, rather than from a second full-size copy.

import { createRequire } from 'node:module';
import { log } from '../../base/log.ts';
import { PixelDataError } from './image-file.ts';

const require = createRequire(import.meta.url);

interface FrameInfo { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean }
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
type CodecModule = Record<string, new () => WasmDecoder>;
type Factory = (overrides: { print(text: string): void; printErr(text: string): void }) => Promise<CodecModule>;

export type WasmCodec = 'jpeg-ls' | 'j2k' | 'htj2k' | 'jpeg-8bit';

// Required by literal names, so that bundlers and the import rule (scripts/layers.ts) see them.
const CODECS: Record<WasmCodec, { factory: () => Factory; decoder: string }> = {
  'jpeg-ls': { factory: () => require('@cornerstonejs/codec-charls/decodewasmjs') as Factory, decoder: 'JpegLSDecoder' },
  j2k: { factory: () => require('@cornerstonejs/codec-openjpeg/decodewasmjs') as Factory, decoder: 'J2KDecoder' },
  htj2k: { factory: () => require('@cornerstonejs/codec-openjph/wasmjs') as Factory, decoder: 'HTJ2KDecoder' },
  'jpeg-8bit': { factory: () => require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as Factory, decoder: 'JPEGDecoder' },
};

const modules = new Map<WasmCodec, Promise<CodecModule>>();

/** Loads a codec's WASM module (once per thread); codec output other than its progress goes to the debug log. */
function loadCodec(codec: WasmCodec): Promise<CodecModule> {
  let loading = modules.get(codec);
  if (!loading) {
    // its progress lines ("[INFO] Start to read j2k main header", several an image) not even there: they
    // were most of a debug log (an IT probe); its warnings and errors are kept
    const quiet = (text: string) => { if (!/^\s*\[INFO\]/.test(text)) log.debug(`codec ${codec}: ${text}`); };
    loading = CODECS[codec].factory()({ print: quiet, printErr: quiet });
    modules.set(codec, loading);
  }
  return loading;
}

/** Decoded samples as the codec gives them, with its view of the frame. */
export interface CodecOutput {
  /** The samples' bytes (little-endian, 1 or 2 bytes per sample): a view on WASM memory, valid only until `use` returns. */
  bytes: Uint8Array;
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}

/**
 * Decodes a codestream and hands the output to `use` while the decoder still holds it (`use` may
 * change the bytes in place; it must copy what it keeps, and must not wait: the decoder is deleted
 * when it returns).
 */
export async function decodeWithWasm<T>(codec: WasmCodec, encoded: Uint8Array, use: (out: CodecOutput) => T): Promise<T> {
  const module = await loadCodec(codec);
  const decoder = new module[CODECS[codec].decoder]!();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    try {
      decoder.decode();
    } catch (error) {
      // Emscripten throws numbers (C++ exception pointers) or strings: say which codec failed.
      throw new PixelDataError(`${codec} decoder failed (${typeof error === 'number' ? 'codec exception' : String(error)})`);
    }
    const info = decoder.getFrameInfo();
    return use({ bytes: decoder.getDecodedBuffer(), width: info.width, height: info.height, bitsPerSample: info.bitsPerSample, componentCount: info.componentCount });
  } finally {
    decoder.delete();
  }
}

interface LosslessDecoder { decode(buffer: ArrayBufferLike, offset: number, length: number, bytesPerSample: number): Uint8Array | Uint16Array }
type LosslessModule = { Decoder: new () => LosslessDecoder };

/** JPEG Lossless (process 14, SV1 or any predictor), with the loader's pure-JavaScript decoder. */
export function decodeJpegLossless(encoded: Uint8Array, bytesPerSample: 1 | 2): Uint8Array | Uint16Array {
  const { Decoder } = require('@cornerstonejs/jpeg-lossless-decoder-js') as LosslessModule;
  return new Decoder().decode(encoded.buffer, encoded.byteOffset, encoded.length, bytesPerSample);
}

interface Loader12Bit {
  decoders: { JPEGBaseline12Bit(frame: { rows: number; columns: number; bitsAllocated: number; pixelData?: Uint8Array | Uint16Array }, encoded: Uint8Array): Promise<{ pixelData: Uint8Array | Uint16Array }> };
}

/**
 * 12-bit DCT JPEG (extended, process 4) with the loader's own decoder (a pdf.js derivative), the
 * only one it has. Its package exports it only from its root, which also loads @cornerstonejs/core
 * (seconds, once per thread): it is loaded here only when such a file comes, which is rare.
 */
export async function decodeJpeg12Bit(encoded: Uint8Array, rows: number, columns: number): Promise<Uint16Array> {
  const loader = (await import('@cornerstonejs/dicom-image-loader')) as unknown as Loader12Bit;
  let frame: Awaited<ReturnType<Loader12Bit['decoders']['JPEGBaseline12Bit']>>;
  try {
    frame = await loader.decoders.JPEGBaseline12Bit({ rows, columns, bitsAllocated: 16 }, encoded);
  } catch (error) {
    // the decoder throws bare values (undefined, a string) for a codestream it cannot read
    throw new PixelDataError(`12-bit JPEG decoder failed${error instanceof Error ? `: ${error.message}` : typeof error === 'string' ? `: ${error.slice(0, 200)}` : ''}`);
  }
  if (!(frame.pixelData instanceof Uint16Array)) throw new PixelDataError('12-bit JPEG decoder gave no 16-bit samples');
  return frame.pixelData;
}

/** The sample precision (P) of a DCT JPEG codestream's frame header (SOF0/SOF1), or null when none is found. */
export function jpegSamplePrecision(encoded: Uint8Array): number | null {
  let i = 2; // after SOI
  while (i + 4 < encoded.length) {
    if (encoded[i] !== 0xff) return null;
    const marker = encoded[i + 1]!;
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return encoded[i + 4] ?? null;
    i += 2 + ((encoded[i + 2]! << 8) | encoded[i + 3]!);
  }
  return null;
}

/**
 * RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits segment per
 * byte of a sample, most significant byte first. Returns the samples' bytes in little-endian order.
 */
export function decodeRle(encoded: Uint8Array, pixels: number, bytesPerSample: 1 | 2): Uint8Array {
  if (encoded.length < 64) throw new PixelDataError('RLE header truncated');
  const header = new DataView(encoded.buffer, encoded.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== bytesPerSample) throw new PixelDataError(`RLE frame has ${segments} segments, expected ${bytesPerSample}`);
  const out = new Uint8Array(pixels * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = header.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? header.getUint32(8 + 4 * s, true) : encoded.length;
    if (start < 64 || end > encoded.length || end < start) throw new PixelDataError('RLE segment offsets out of range');
    // Segment s holds byte (bytesPerSample - 1 - s) of each little-endian sample.
    const stride = bytesPerSample;
    let o = bytesPerSample - 1 - s;
    const limit = out.length;
    let i = start;
    while (i < end && o < limit) {
      const n = (encoded[i++]! << 24) >> 24;
      if (n >= 0) {
        for (let k = 0; k <= n && i < end && o < limit; k++, o += stride) out[o] = encoded[i++]!;
      } else if (n !== -128) {
        const value = encoded[i++]!;
        for (let k = 0; k <= -n && o < limit; k++, o += stride) out[o] = value;
      }
    }
    if (o < limit) throw new PixelDataError('RLE segment shorter than the frame');
  }
  return out;
}
