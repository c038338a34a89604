// Where each frame of encapsulated pixel data lies among its fragments, as the pixel pipeline and
// import's checks both find it, and the error of pixels the pipeline cannot read.

import { TAGS } from '../attributes.ts';
import type { Parser } from '../dataset.ts';
import type { DataSet, Element } from '../dataset.ts';

/**
 * A file whose pixels this pipeline cannot read: the message says why, without patient data. `code`
 * sets apart what is not damage (crosses worker threads with the error): an image without a pixel
 * spacing asked for in millimetres, a model input that would be too large, an image with no breast in
 * it, a breast larger than a model's fixed input.
 */
export class PixelDataError extends Error {
  constructor(message: string, readonly code?: 'no_spacing' | 'input_too_large' | 'no_breast' | 'breast_cut') {
    super(message);
    this.name = 'PixelDataError';
  }
}

/** The bytes of the file holding one frame's pixel data: one range (native), or its fragments. */
export type FrameBytes = { offset: number; length: number }[];

export interface Fragment {
  /** Offset of the fragment's item header, relative to the first fragment's (as offset tables count). */
  relative: number;
  offset: number;
  length: number;
}

/** Starts of a JPEG (SOI) or JPEG 2000 (SOC) codestream: where a frame begins when no table says. */
const startsCodestream = (b: Uint8Array | null) => !!b && b[0] === 0xff && (b[1] === 0xd8 || (b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51));

/**
 * The fragments of each frame: all of them for one frame; else by the offset table given (Extended
 * or Basic, `frameOffsets`), one fragment per frame, or a frame starting at each fragment that opens
 * a codestream. Throws PixelDataError where they do not add up to the frames.
 */
export function groupFragments(parser: Parser, fragments: readonly Fragment[], frames: number, offsets: readonly number[] | null): FrameBytes[] {
  if (fragments.length < frames) throw new PixelDataError(`${fragments.length} fragments for ${frames} frames`);
  if (frames === 1) return [fragments.map(({ offset, length }) => ({ offset, length }))];
  if (offsets) {
    return offsets.map((start, k) => {
      const end = offsets[k + 1] ?? Infinity;
      const mine = fragments.filter((f) => f.relative >= start && f.relative < end);
      if (!mine.length || mine[0]!.relative !== start) throw new PixelDataError('offset table does not match the fragments');
      return mine.map(({ offset, length }) => ({ offset, length }));
    });
  }
  if (fragments.length === frames) return fragments.map(({ offset, length }) => [{ offset, length }]);
  // More fragments than frames and no table: a frame starts at each fragment opening a codestream.
  const found: FrameBytes[] = [];
  for (const f of fragments) {
    if (!found.length || startsCodestream(parser.bytes(f.offset, Math.min(4, f.length)))) found.push([]);
    found[found.length - 1]!.push({ offset: f.offset, length: f.length });
  }
  if (found.length !== frames) throw new PixelDataError(`found ${found.length} codestreams for ${frames} frames`);
  return found;
}

/** The frames' offsets from the Extended Offset Table, else the Basic one; null when neither is given. */
export function frameOffsets(parser: Parser, pixel: Element, top: DataSet, tableLength: number, frames: number, le: boolean): number[] | null {
  const extended = top.get(TAGS.extendedOffsetTable);
  if (extended?.value && extended.value.length === frames * 8) {
    const v = new DataView(extended.value.buffer, extended.value.byteOffset, extended.value.byteLength);
    return Array.from({ length: frames }, (_, k) => Number(v.getBigUint64(8 * k, le)));
  }
  if (tableLength === 0) return null;
  if (tableLength !== frames * 4) throw new PixelDataError('Basic Offset Table does not have one entry per frame');
  const bytes = parser.bytes(pixel.offset + 8, tableLength);
  if (!bytes) throw new PixelDataError('pixel data truncated');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: frames }, (_, k) => v.getUint32(4 * k, le));
}

/** The last `n` bytes of a frame stored in `ranges` (fewer when it is shorter), each range's part read by `read`. */
export function tailOf(ranges: FrameBytes, n: number, read: (offset: number, length: number) => Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let wanted = n;
  for (let k = ranges.length - 1; k >= 0 && wanted > 0; k--) {
    const { offset, length } = ranges[k]!;
    const take = Math.min(length, wanted);
    if (take === 0) continue;
    parts.unshift(read(offset + length - take, take));
    wanted -= take;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

