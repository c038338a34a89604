// Opens a stored DICOM image for its pixels: parses the header up to the Pixel Data element (bulk
// values skipped by their lengths, as inspection does), reads the attributes the pixel pipeline
// needs, and finds each frame's bytes, native (by arithmetic) or encapsulated (fragments grouped
// into frames by the Basic or Extended Offset Table, or by walking them). A frame's bytes are then
// read once, by position, straight into the buffer the decoder gets.
//
// Synchronous reads: this runs in a worker thread (the caller's task), like inspection.

import fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { acrViewLabel, viewFromCode } from '../../../common/mammo-views.ts';
import { Reader, TAGS } from '../attributes.ts';
import { Damage, ITEM, Parser, PIXEL_DATA, SEQUENCE_END } from '../dataset.ts';
import type { DataSet, Element, Encoding } from '../dataset.ts';
import { DEFAULT_INSPECT_LIMITS } from '../inspect.ts';
import { FileSource, MemorySource } from '../source.ts';
import { frameOffsets, groupFragments, PixelDataError, tailOf } from './frame-layout.ts';
import type { Fragment, FrameBytes } from './frame-layout.ts';
import { openRegularFileSync } from '../../base/regular-file.ts';
import type { RegularFileOptions } from '../../base/regular-file.ts';
import type { ByteSource } from '../source.ts';
import { TRANSFER_SYNTAXES } from '../transfer-syntax.ts';
import type { TransferSyntax } from '../transfer-syntax.ts';

export { PixelDataError };

const T = (group: number, element: number) => ((group << 16) | element) >>> 0;
/** Tags read here beyond those inspection keeps (main/dicom/attributes.ts). */
export const PIXEL_TAGS = {
  highBit: T(0x0028, 0x0102),
  pixelRepresentation: T(0x0028, 0x0103),
  planarConfiguration: T(0x0028, 0x0006),
  rescaleIntercept: T(0x0028, 0x1052),
  rescaleSlope: T(0x0028, 0x1053),
  extendedOffsetTableLengths: T(0x7fe0, 0x0002),
} as const;

const HEADER_TAGS: ReadonlySet<number> = new Set([...Object.values(TAGS), ...Object.values(PIXEL_TAGS)]);

export interface WindowPreset {
  center: number;
  width: number;
  explanation: string | null;
}

/** What the pixel pipeline needs to know about an image, read from its header. */
export interface ImageHeader {
  transferSyntax: TransferSyntax;
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  highBit: number;
  /** 0: unsigned, 1: two's complement. */
  pixelRepresentation: 0 | 1;
  photometricInterpretation: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  windows: WindowPreset[];
  /** VOI LUT Function (0028,1056), upper case; LINEAR when absent. */
  voiLutFunction: string;
  /** Row spacing then column spacing, in mm, as the attributes say (null when absent). */
  pixelSpacing: [number, number] | null;
  imagerPixelSpacing: [number, number] | null;
  estimatedRadiographicMagnificationFactor: number | null;
  /** Patient Orientation (0020,0020): the row direction, then the column direction (e.g. ['P', 'FL']). */
  patientOrientation: [string, string] | null;
  /** Image Laterality, else the series' Laterality. */
  laterality: 'R' | 'L' | 'B' | 'U' | null;
  /** The mammography view without side or modifiers (CC, MLO, XCCL, …), as the viewer reads it; null when none. */
  view: string | null;
}

/** The view as common/hanging/images.ts takes it: the View Code Sequence's, else View Position's. */
function viewOf(r: Reader): string | null {
  const item = r.items(TAGS.viewCodeSequence)[0];
  const value = item?.ascii(TAGS.codeValue), scheme = item?.ascii(TAGS.codingSchemeDesignator);
  const code = value && scheme ? { value, scheme, meaning: item!.text(TAGS.codeMeaning) ?? '' } : null;
  return viewFromCode(code)?.label ?? acrViewLabel(null, null, [], r.ascii(TAGS.viewPosition));
}

function readHeader(r: Reader, meta: Reader, ts: TransferSyntax): ImageHeader {
  const rows = r.uint16(TAGS.rows);
  const columns = r.uint16(TAGS.columns);
  const bitsAllocated = r.uint16(TAGS.bitsAllocated);
  if (!rows || !columns || !bitsAllocated) throw new PixelDataError('Rows, Columns or Bits Allocated missing');
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw new PixelDataError(`Bits Allocated ${bitsAllocated} is not supported (8 or 16 only)`);
  const samplesPerPixel = r.uint16(TAGS.samplesPerPixel) ?? 1;
  const photometricInterpretation = r.ascii(TAGS.photometricInterpretation)?.toUpperCase() ?? 'MONOCHROME2';
  if (samplesPerPixel !== 1 || !/^MONOCHROME[12]$/.test(photometricInterpretation)) {
    throw new PixelDataError(`${photometricInterpretation} with ${samplesPerPixel} samples per pixel is not supported (greyscale only)`);
  }
  const bitsStored = r.uint16(TAGS.bitsStored) ?? bitsAllocated;
  const highBit = r.uint16(PIXEL_TAGS.highBit) ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new PixelDataError(`Bits Stored ${bitsStored} / High Bit ${highBit} do not fit Bits Allocated ${bitsAllocated}`);
  }
  const framesText = r.ascii(TAGS.numberOfFrames);
  const frames = framesText === null ? 1 : Number(framesText);
  if (!Number.isInteger(frames) || frames < 1) throw new PixelDataError('Number of Frames is not a positive integer');
  const centers = r.numbers(TAGS.windowCenter);
  const widths = r.numbers(TAGS.windowWidth);
  const explanations = r.text(TAGS.windowExplanation)?.split('\\') ?? [];
  const windows = centers.slice(0, widths.length).map((center, i) => ({ center, width: widths[i]!, explanation: explanations[i]?.trim() || null }));
  const orientation = r.values(TAGS.patientOrientation);
  const laterality = (r.ascii(TAGS.imageLaterality) ?? r.ascii(TAGS.laterality))?.toUpperCase() ?? null;
  return {
    transferSyntax: ts,
    sopClassUid: r.ascii(TAGS.sopClassUid) ?? meta.ascii(TAGS.mediaStorageSopClassUid),
    sopInstanceUid: r.ascii(TAGS.sopInstanceUid) ?? meta.ascii(TAGS.mediaStorageSopInstanceUid),
    rows, columns, frames, samplesPerPixel, bitsAllocated, bitsStored, highBit,
    pixelRepresentation: r.uint16(PIXEL_TAGS.pixelRepresentation) === 1 ? 1 : 0,
    photometricInterpretation,
    rescaleSlope: r.number(PIXEL_TAGS.rescaleSlope) ?? 1,
    rescaleIntercept: r.number(PIXEL_TAGS.rescaleIntercept) ?? 0,
    windows: windows.filter((w) => w.width > 0),
    voiLutFunction: r.ascii(TAGS.voiLutFunction)?.toUpperCase() ?? 'LINEAR',
    pixelSpacing: r.pair(TAGS.pixelSpacing),
    imagerPixelSpacing: r.pair(TAGS.imagerPixelSpacing),
    estimatedRadiographicMagnificationFactor: r.number(TAGS.estimatedRadiographicMagnificationFactor),
    patientOrientation: orientation.length === 2 ? [orientation[0]!.toUpperCase(), orientation[1]!.toUpperCase()] : null,
    laterality: laterality === 'R' || laterality === 'L' || laterality === 'B' || laterality === 'U' ? laterality : null,
    view: viewOf(r),
  };
}

/** An open image file: its header, and its frames' encoded (or native) bytes on demand. */
export class ImageFile {
  private constructor(
    readonly header: ImageHeader,
    /**
     * Where the data set's elements before the Pixel Data end: the offset of its element header in
     * the file, or null for a deflated data set (whose file offsets mean nothing once inflated).
     */
    readonly pixelDataStart: number | null,
    /** Where each frame's bytes lie in `source`. */
    private readonly frameBytes: FrameBytes[],
    private readonly source: { fd: number } | { bytes: Uint8Array },
    /** The file, open until close() (a deflated data set's frames are read from its inflated copy, `source`). */
    private readonly file: { fd: number; size: number },
  ) {}

  /**
   * Opens a file and reads its header and frame layout. Throws PixelDataError when the file has no
   * pixel data this pipeline reads; I/O errors are thrown as they come (NotRegularFileError for a
   * FIFO, a device or, without `followLinks`, a link: main/base/regular-file.ts). Close it when done.
   */
  static open(file: string, options: RegularFileOptions = { followLinks: true }): ImageFile {
    const { fd, stat } = openRegularFileSync(file, options);
    try {
      return ImageFile.parse(new FileSource(fd, stat.size), { fd }, { fd, size: stat.size });
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  private static parse(src: ByteSource, source: { fd: number } | { bytes: Uint8Array }, file: { fd: number; size: number }): ImageFile {
    try {
      return ImageFile.parseOrThrow(src, source, file);
    } catch (error) {
      // The station's parser says what is damaged as a problem code; zlib, what it could not inflate.
      if (error instanceof Damage) throw new PixelDataError(`damaged file (${error.problem.code})`);
      if ((error as NodeJS.ErrnoException)?.code?.startsWith('Z_')) throw new PixelDataError('deflated data set cannot be inflated');
      throw error;
    }
  }

  private static parseOrThrow(src: ByteSource, source: { fd: number } | { bytes: Uint8Array }, file: { fd: number; size: number }): ImageFile {
    const limits = DEFAULT_INSPECT_LIMITS;
    let parser = new Parser(src, limits, HEADER_TAGS);
    const magic = parser.bytes(128, 4);
    if (!magic || String.fromCharCode(...magic) !== 'DICM') throw new PixelDataError('not a DICOM Part 10 file');
    const meta: DataSet = new Map();
    let pos = parser.meta(132, meta);
    const metaReader = new Reader(meta, null, true);
    const ts = TRANSFER_SYNTAXES.get(metaReader.ascii(TAGS.transferSyntaxUid) ?? '');
    if (!ts) throw new PixelDataError('transfer syntax not accepted by the station');
    if (ts.deflated) {
      // The whole data set is deflated (PS3.5 A.5): inflate it, then read it like any other.
      const deflated = parser.bytes(pos, src.size - pos);
      if (!deflated) throw new PixelDataError('deflated data set truncated');
      const inflated = inflateRawSync(deflated, { maxOutputLength: limits.maxInflatedBytes });
      source = { bytes: inflated };
      src = new MemorySource(inflated);
      parser = new Parser(src, limits, HEADER_TAGS);
      pos = 0;
    }
    const enc: Encoding = { explicitVr: ts.explicitVr, littleEndian: ts.littleEndian };
    const top: DataSet = new Map();
    parser.dataSet(pos, src.size, 0, enc, top, 'top');
    const pixel = top.get(PIXEL_DATA);
    if (!pixel) throw new PixelDataError('no pixel data');
    const header = readHeader(Reader.of(top, ts.littleEndian), metaReader, ts);
    const frameBytes = ts.codestream ? encapsulatedFrames(parser, pixel, top, header, ts.littleEndian) : nativeFrames(pixel, header, src.size);
    // The Pixel Data header: tag, then (explicit VR) VR and two reserved bytes, then a 4-byte length.
    const pixelDataStart = ts.deflated ? null : pixel.offset - (ts.explicitVr ? 12 : 8);
    return new ImageFile(header, pixelDataStart, frameBytes, source, file);
  }

  /**
   * The file's bytes up to and including the Pixel Data tag (where a reader of the header stops),
   * or the whole file when its data set is deflated (its offsets mean nothing before inflation).
   */
  headerBytes(): Uint8Array {
    const length = this.pixelDataStart === null ? this.file.size : Math.min(this.file.size, this.pixelDataStart + 4);
    const out = Buffer.allocUnsafe(length);
    for (let done = 0; done < length;) {
      const n = fs.readSync(this.file.fd, out, done, length - done, done);
      if (n === 0) throw new PixelDataError('file shorter than its header says');
      done += n;
    }
    return out;
  }

  /** How many bytes frame `index` (0-based) has as stored (0 for a frame that does not exist). */
  frameByteLength(index: number): number {
    return (this.frameBytes[index] ?? []).reduce((n, r) => n + r.length, 0);
  }

  /**
   * The bytes of frame `index` (0-based) as stored (native pixel data or a whole codestream), the
   * caller's to keep or change; read into the start of `into` where it is large enough (and then
   * valid as long as the caller leaves `into` alone), else into a new array.
   */
  frameData(index: number, into?: Uint8Array): Uint8Array {
    const ranges = this.frameBytes[index];
    if (!ranges) throw new PixelDataError(`frame ${index + 1} of ${this.header.frames} does not exist`);
    const total = ranges.reduce((n, r) => n + r.length, 0);
    const lent = into && into.length >= total ? into.subarray(0, total) : null;
    if ('bytes' in this.source) {
      const bytes = this.source.bytes;
      if (ranges.length === 1 && !lent) return bytes.slice(ranges[0]!.offset, ranges[0]!.offset + total);
      const out = lent ?? new Uint8Array(total);
      let at = 0;
      for (const r of ranges) { out.set(bytes.subarray(r.offset, r.offset + r.length), at); at += r.length; }
      return out;
    }
    const out = lent ?? Buffer.allocUnsafe(total);
    let at = 0;
    for (const r of ranges) {
      let done = 0;
      while (done < r.length) {
        const n = fs.readSync(this.source.fd, out, at + done, r.length - done, r.offset + done);
        if (n === 0) throw new PixelDataError('file shorter than its pixel data says');
        done += n;
      }
      at += r.length;
    }
    return out;
  }

  /** The last `n` bytes of frame `index` as stored (all of them when it has fewer), read across its fragments. */
  frameTail(index: number, n: number): Uint8Array {
    const ranges = this.frameBytes[index];
    if (!ranges) throw new PixelDataError(`frame ${index + 1} of ${this.header.frames} does not exist`);
    return tailOf(ranges, n, (offset, length) => {
      if ('bytes' in this.source) return this.source.bytes.subarray(offset, offset + length);
      const out = Buffer.allocUnsafe(length);
      if (fs.readSync(this.source.fd, out, 0, length, offset) !== length) throw new PixelDataError('file shorter than its pixel data says');
      return out;
    });
  }

  close(): void {
    fs.closeSync(this.file.fd);
  }
}

function nativeFrames(pixel: Element, h: ImageHeader, size: number): FrameBytes[] {
  if (pixel.undefinedLength) throw new PixelDataError('encapsulated pixel data in a native transfer syntax');
  const frameLength = h.rows * h.columns * h.samplesPerPixel * (h.bitsAllocated / 8);
  if (pixel.length < frameLength * h.frames || pixel.offset + frameLength * h.frames > size) {
    throw new PixelDataError('pixel data shorter than Rows × Columns × frames');
  }
  return Array.from({ length: h.frames }, (_, k) => [{ offset: pixel.offset + k * frameLength, length: frameLength }]);
}

function encapsulatedFrames(parser: Parser, pixel: Element, top: DataSet, h: ImageHeader, le: boolean): FrameBytes[] {
  if (!pixel.undefinedLength) throw new PixelDataError('native pixel data in an encapsulated transfer syntax');
  const header = (pos: number) => {
    const b = parser.bytes(pos, 8, 16 * 1024);
    if (!b) throw new PixelDataError('pixel data truncated');
    const v = new DataView(b.buffer, b.byteOffset, 8);
    return { tag: ((v.getUint16(0, le) << 16) | v.getUint16(2, le)) >>> 0, length: v.getUint32(4, le) };
  };
  const table = header(pixel.offset);
  if (table.tag !== ITEM || table.length % 4 !== 0) throw new PixelDataError('malformed Basic Offset Table');
  let pos = pixel.offset + 8 + table.length;
  const firstItem = pos;
  const fragments: Fragment[] = [];
  for (;;) {
    const item = header(pos);
    if (item.tag === SEQUENCE_END) break;
    if (item.tag !== ITEM || item.length === 0xffffffff) throw new PixelDataError('malformed pixel data fragment');
    if (fragments.length >= DEFAULT_INSPECT_LIMITS.maxFragments) throw new PixelDataError('too many fragments');
    fragments.push({ relative: pos - firstItem, offset: pos + 8, length: item.length });
    pos += 8 + item.length;
    if (pos > parser.src.size) throw new PixelDataError('pixel data truncated');
  }
  return groupFragments(parser, fragments, h.frames, h.frames === 1 ? null : frameOffsets(parser, pixel, top, table.length, h.frames, le));
}

