// Decodes a frame of a stored image into its stored values: a typed array as Bits Allocated and
// Pixel Representation say (Uint8/Int8 for 8 bits, Uint16/Int16 for 16), one value per pixel, row
// by row. No Modality LUT, no VOI: what the file holds, as the viewer's loader reads it.

import { endsWithEndMarker, formatName } from '../codestream.ts';
import { decodeJpeg12Bit, decodeJpegLossless, decodeRle, decodeWithWasm, jpegSamplePrecision } from './decoders.ts';
import type { CodecOutput } from './decoders.ts';
import { ImageFile, PixelDataError } from './image-file.ts';
import type { ImageHeader } from './image-file.ts';
import { anyBitsOutside } from './stored-bits.ts';

export type StoredPixels = Uint8Array | Int8Array | Uint16Array | Int16Array;

export interface DecodedFrame {
  header: ImageHeader;
  pixels: StoredPixels;
}

/** Decodes frame `index` (0-based) of a file. For several frames, open an ImageFile and call decodeImageFrame. */
export async function decodeFrame(file: string, index = 0): Promise<DecodedFrame> {
  const image = ImageFile.open(file);
  try {
    return { header: image.header, pixels: await decodeImageFrame(image, index) };
  } finally {
    image.close();
  }
}

/** Decodes frame `index` (0-based) of an open image into stored values of the caller's own. */
export function decodeImageFrame(image: ImageFile, index: number): Promise<StoredPixels> {
  return decode(image, index, (pixels, borrowed) => (borrowed ? pixels.slice() : pixels));
}

/**
 * Decodes frame `index` (0-based) and hands its stored values to `use` without copying them where
 * they lie in a codec's memory: they are valid only until `use` returns (`use` must copy what it
 * keeps). One full-size copy of a frame at a time, for callers that only read it (renditions, the
 * AI). `scratch`: where to read the frame's bytes when it is large enough (a buffer kept from frame
 * to frame: a new 17 MB array for each full-size frame costs more to allocate than to fill); the
 * caller leaves it alone until `use` returns, since native values lie in it.
 */
export function withDecodedFrame<T>(image: ImageFile, index: number, use: (pixels: StoredPixels) => T, scratch?: Uint8Array): Promise<T> {
  return decode(image, index, (pixels) => use(pixels), scratch);
}

/** `use` gets the stored values, and whether they are borrowed from a codec's memory (else they are the caller's). */
async function decode<T>(image: ImageFile, index: number, use: (pixels: StoredPixels, borrowed: boolean) => T, scratch?: Uint8Array): Promise<T> {
  const h = image.header;
  const data = image.frameData(index, scratch);
  const count = h.rows * h.columns;
  const bytesPerSample = h.bitsAllocated === 8 ? 1 : 2;
  const codestream = h.transferSyntax.codestream;
  // Import refuses a frame cut short; a file stored before it did is refused here, not shown or
  // analysed as the part its decoder could read (see endsWithEndMarker).
  if (codestream && codestream !== 'rle' && !endsWithEndMarker((n) => data.subarray(Math.max(0, data.length - n)))) {
    throw new PixelDataError(`the ${formatName(h.transferSyntax)} image of frame ${index + 1} ends before its end marker: the file was cut short or damaged`);
  }
  switch (codestream) {
    case null: {
      // Native: the values sit at High Bit; the bits above and below Bits Stored are not part of them.
      const pixels = fromBytes(data, h, !h.transferSyntax.littleEndian);
      return use(fitStoredBits(pixels, h, h.highBit + 1 - h.bitsStored, true), false);
    }
    case 'rle':
      return use(fitStoredBits(fromBytes(decodeRle(data, count, bytesPerSample), h, false), h, 0, false), false);
    case 'jpeg-lossless': {
      const samples = decodeJpegLossless(data, bytesPerSample);
      checkCount(samples.length, count);
      return use(fitStoredBits(retype(samples, h), h, 0, false), false);
    }
    case 'jpeg-dct': {
      const precision = jpegSamplePrecision(data);
      if (precision === 12) {
        if (h.bitsAllocated !== 16) throw new PixelDataError('12-bit JPEG in an 8-bit image');
        const samples = await decodeJpeg12Bit(data, h.rows, h.columns);
        checkCount(samples.length, count);
        return use(fitStoredBits(retype(samples, h), h, 0, false), false);
      }
      return decodeWithWasm('jpeg-8bit', data, (out) => use(fromCodec(out, h), true));
    }
    case 'jpeg-ls':
      return decodeWithWasm('jpeg-ls', data, (out) => use(fromCodec(out, h), true));
    case 'j2k':
      // JPEG 2000 and HTJ2K share the j2k codestream family; the syntax says which decoder the viewer uses.
      return decodeWithWasm(isHtj2k(h.transferSyntax.uid) ? 'htj2k' : 'j2k', data, (out) => use(fromCodec(out, h), true));
  }
}

const isHtj2k = (uid: string) => uid.startsWith('1.2.840.10008.1.2.4.20');

function checkCount(actual: number, expected: number): void {
  if (actual < expected) throw new PixelDataError(`decoder gave ${actual} samples for ${expected} pixels`);
}

function fromCodec(out: CodecOutput, h: ImageHeader): StoredPixels {
  if (out.width !== h.columns || out.height !== h.rows || out.componentCount !== 1) {
    throw new PixelDataError(`codestream is ${out.width}×${out.height}×${out.componentCount}, header says ${h.columns}×${h.rows}×1`);
  }
  if ((out.bitsPerSample > 8) !== (h.bitsAllocated === 16)) throw new PixelDataError(`codestream has ${out.bitsPerSample}-bit samples for Bits Allocated ${h.bitsAllocated}`);
  return fitStoredBits(fromBytes(out.bytes, h, false), h, 0, false);
}

/** The frame's bytes as the typed array of its values (little-endian unless `bigEndian`); the bytes become the caller's. */
function fromBytes(bytes: Uint8Array, h: ImageHeader, bigEndian: boolean): StoredPixels {
  const count = h.rows * h.columns;
  checkCount(bytes.length / (h.bitsAllocated / 8), count);
  if (h.bitsAllocated === 8) return h.pixelRepresentation ? new Int8Array(bytes.buffer, bytes.byteOffset, count) : new Uint8Array(bytes.buffer, bytes.byteOffset, count);
  // A 16-bit view needs an even offset; copy the rare unaligned frame.
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const values = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
  if (bigEndian) for (let i = 0; i < count; i++) { const v = values[i]!; values[i] = ((v & 0xff) << 8) | (v >>> 8); }
  return h.pixelRepresentation ? new Int16Array(values.buffer, values.byteOffset, count) : values;
}

/** A decoder's output array as the header's type (same bytes, no copy). */
function retype(samples: Uint8Array | Uint16Array, h: ImageHeader): StoredPixels {
  const count = h.rows * h.columns;
  if (h.bitsAllocated === 8) {
    if (samples.BYTES_PER_ELEMENT !== 1) throw new PixelDataError('16-bit samples in an 8-bit image');
    return h.pixelRepresentation ? new Int8Array(samples.buffer, samples.byteOffset, count) : new Uint8Array(samples.buffer, samples.byteOffset, count);
  }
  if (samples.BYTES_PER_ELEMENT !== 2) throw new PixelDataError('8-bit samples in a 16-bit image');
  return h.pixelRepresentation ? new Int16Array(samples.buffer, samples.byteOffset, count) : new Uint16Array(samples.buffer, samples.byteOffset, count);
}

/**
 * Keeps only the Bits Stored bits of each value, shifted down by `shift` (native data whose High
 * Bit is not Bits Stored − 1), sign-extended when signed. Unsigned codec output is left as the codec
 * gave it (the viewer does not mask it either); native data is masked, since its unused bits may
 * hold anything (old overlays).
 */
function fitStoredBits(pixels: StoredPixels, h: ImageHeader, shift: number, native: boolean): StoredPixels {
  const unused = h.bitsAllocated - h.bitsStored;
  if (unused === 0 && shift === 0) return pixels;
  const n = pixels.length;
  if (h.pixelRepresentation) {
    // Sign-extend from Bits Stored: move the sign bit to bit 31, then shift back arithmetically.
    const up = 32 - h.bitsStored - shift;
    const down = 32 - h.bitsStored;
    for (let i = 0; i < n; i++) pixels[i] = (pixels[i]! << up) >> down;
  } else if (native) {
    const mask = (1 << h.bitsStored) - 1;
    if (shift === 0 && pixels instanceof Uint16Array && pixels.byteOffset % 4 === 0) maskPairs(pixels, mask);
    else for (let i = 0; i < n; i++) pixels[i] = (pixels[i]! >>> shift) & mask;
  }
  return pixels;
}

/**
 * Masks 16-bit values two at a time (a 32-bit word holds two): half the loads and stores of a
 * full-size frame. The bits above Bits Stored are nearly always zero: they are looked for first
 * (stored-bits.ts: in WebAssembly where the frame lies in a frame memory), and the frame is written
 * only when some are set (a read-only pass costs about half of one that also writes).
 */
function maskPairs(pixels: Uint16Array, mask: number): void {
  if (!anyBitsOutside(pixels, mask)) return;
  const words = new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length >>> 1);
  const both = (mask | (mask << 16)) >>> 0;
  for (let i = 0; i < words.length; i++) words[i] = (words[i]! & both) >>> 0;
  if (pixels.length % 2) pixels[pixels.length - 1] = pixels[pixels.length - 1]! & mask;
}
