// The one check every incoming file goes through before it is stored: is it DICOM, is it whole and
// well formed, and can the viewer and the AI use its pixels? The answer is an Inspection: an
// instance (with warnings), a DICOMDIR, a file that is not DICOM (skipped), or a damaged one
// (quarantined, with a problem code and the exam it belongs to when its header could be read).
//
// Reads are bounded: a file is read in chunks (16 KiB first, then up to 1 MiB), bulk values and
// pixel data are skipped by their lengths, and every count a crafted file could inflate (nesting,
// elements, fragments, header bytes) has a limit. Synchronous reads: this runs in a worker thread.

import fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import type { ProblemRef } from '../../common/import-problems.ts';
import { errorForLog, log } from '../base/log.ts';
import { instanceAttributes, KEPT_TAGS, MEDIA_STORAGE_DIRECTORY_SOP_CLASS, Reader, referencedFiles, TAGS } from './attributes.ts';
import type { ParsedInstance, ReferencedFile } from './attributes.ts';
import { checkCodestream, endsWithEndMarker, formatName } from './codestream.ts';
import { frameOffsets, groupFragments, tailOf } from './pixels/frame-layout.ts';
import type { FrameBytes } from './pixels/frame-layout.ts';
import { Damage, damage, isKnownVr, Parser, PIXEL_DATA, tagName, vrCode } from './dataset.ts';
import type { DataSet, Element, Encoding, FragmentWalk, StructureLimits } from './dataset.ts';
import { FileSource, MemorySource } from './source.ts';
import { NotRegularFileError, openRegularFileSync } from '../base/regular-file.ts';
import type { ByteSource } from './source.ts';
import { TRANSFER_SYNTAXES } from './transfer-syntax.ts';
import type { TransferSyntax } from './transfer-syntax.ts';

export type Inspection =
  | {
    kind: 'instance';
    instance: ParsedInstance;
    warnings: ProblemRef[];
    /**
     * The bytes a reader needs: the file's size, or less when unreadable bytes follow the pixel
     * data ('trailing_bytes'). dicom-parser, the viewer's parser, throws on such a file as a whole
     * but reads its first `contentLength` bytes.
     */
    contentLength: number;
  }
  | { kind: 'dicomdir'; referencedFiles: ReferencedFile[] }
  /** Not DICOM at all (a licence, a JSON file): skipped, not quarantined. */
  | { kind: 'not-dicom'; problem: ProblemRef }
  /** Damaged DICOM: quarantined; the UIDs when the header could be read, so that the exam can be flagged incomplete. */
  | { kind: 'damaged'; problem: ProblemRef; ids: { studyUid: string | null; sopInstanceUid: string | null } };

export interface InspectLimits extends StructureLimits {
  /** Rows and Columns above this are refused (16384: the largest texture WebGL gives on most GPUs). */
  maxDimension: number;
  maxFrames: number;
  /** Decoded size of all frames (rows × columns × samples × bytes × frames). */
  maxPixelBytes: number;
  /** A file without pixel data larger than this is refused. */
  maxNonImageBytes: number;
  /** Bytes after the pixel data that are parsed to tell elements from garbage. */
  maxTrailerBytes: number;
  /** A deflated data set may inflate to this many bytes. */
  maxInflatedBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INSPECT_LIMITS: Readonly<InspectLimits> = {
  // Encoders write one fragment per frame, or split frames into fragments of 64 KiB at the least:
  // 100,000 fragments of 64 KiB is over 6 GiB of compressed pixel data.
  maxFragments: 100_000,
  // SRs, dose reports, presentation states and PDF reports weigh kilobytes to a few megabytes.
  maxNonImageBytes: 64 * MiB,
  maxHeaderBytes: 64 * MiB,
  maxDimension: 16384,
  // A tomosynthesis volume has under 200 slices, an ultrasound cine a few thousand frames.
  maxFrames: 10_000,
  maxPixelBytes: 4 * 1024 * MiB,
  // CAD and dose SR content trees nest about ten levels; dicom-parser recurses once per level.
  maxDepth: 64,
  // A large DICOMDIR (100,000 records) or SR holds a few hundred thousand.
  maxElements: 2_000_000,
  maxTrailerBytes: 1 * MiB,
  maxInflatedBytes: 512 * MiB,
};

/** Storage SOP classes of images: one of these without pixel data is damaged. */
const IMAGE_SOP_CLASSES: ReadonlySet<string> = new Set([
  '1', '1.1', '1.1.1', '1.2', '1.2.1', '1.3', '1.3.1', // CR, DX, MG, intra-oral
  '2', '2.1', '2.2', // CT
  '3', '3.1', '6', '6.1', '6.2', // ultrasound
  '4', '4.1', '4.3', '4.4', // MR
  '5', '20', '128', '128.1', '130', // NM, PET
  '7', '7.1', '7.2', '7.3', '7.4', // secondary capture
  '12.1', '12.1.1', '12.2', '12.2.1', // XA, RF
  '13.1.1', '13.1.2', '13.1.3', '13.1.4', '13.1.5', // 3D X-ray, breast tomosynthesis and projection
  '66.4', '481.1', // segmentation, RT image
  '77.1.1', '77.1.1.1', '77.1.2', '77.1.2.1', '77.1.3', '77.1.4', '77.1.4.1', '77.1.5.1', '77.1.5.2', '77.1.5.4', '77.1.6', // visible light
].map((s) => `1.2.840.10008.5.1.4.1.1.${s}`));

/** A UID from the file, or null when it is absent or not a UID (params and ids never carry free text). */
function uid(value: string | null): string | null {
  return value && /^[0-9.]{1,64}$/.test(value) ? value : null;
}

/** Stands for a value from the file that is not shown (params never carry free text). */
const UNSHOWN = '…';

/** A number from the file as a parameter: digits only, or UNSHOWN. */
function numberParam(value: string | number | null): string | number {
  if (typeof value === 'number') return value;
  return value && /^[-+0-9.eE ]{1,16}$/.test(value) ? value.trim() : UNSHOWN;
}

function idsOf(meta: DataSet, top: DataSet, le: boolean): { studyUid: string | null; sopInstanceUid: string | null } {
  const m = new Reader(meta, null, true);
  const t = new Reader(top, null, le);
  return { studyUid: uid(t.ascii(TAGS.studyInstanceUid)), sopInstanceUid: uid(t.ascii(TAGS.sopInstanceUid)) ?? uid(m.ascii(TAGS.mediaStorageSopInstanceUid)) };
}

const DICM = [0x44, 0x49, 0x43, 0x4d];

export function inspectBytes(bytes: Uint8Array, limits: Partial<InspectLimits> = {}): Inspection {
  return inspectSource(new MemorySource(bytes), { ...DEFAULT_INSPECT_LIMITS, ...limits });
}

/**
 * Inspects a file on disk, reading only what it needs. I/O errors (ENOENT, EACCES, EISDIR, …) are
 * thrown as they come, for the caller to report as 'read_error'; anything but a regular file
 * (a pipe, a socket, a device) is refused before a byte is read, as ENOTREG (main/base/regular-file.ts).
 */
export async function inspectFile(file: string, limits: Partial<InspectLimits> = {}): Promise<Inspection> {
  let opened: { fd: number; stat: fs.Stats };
  try {
    opened = openRegularFileSync(file, { followLinks: true });
  } catch (error) {
    if (error instanceof NotRegularFileError && error.kind === 'directory') {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: 'EISDIR', errno: -21, syscall: 'read' });
    }
    throw error;
  }
  try {
    return inspectSource(new FileSource(opened.fd, opened.stat.size), { ...DEFAULT_INSPECT_LIMITS, ...limits });
  } finally {
    fs.closeSync(opened.fd);
  }
}

export function inspectSource(src: ByteSource, limits: InspectLimits): Inspection {
  try {
    return inspect(src, limits);
  } catch (error) {
    if (error instanceof Damage) return { kind: 'damaged', problem: error.problem, ids: { studyUid: null, sopInstanceUid: null } };
    if ((error as NodeJS.ErrnoException)?.syscall) throw error; // an I/O error: the caller says 'read_error'
    // A fault of this code, not of the file: never shown as it is (its text is no reason a user can act on).
    log.debug(`inspect: unexpected failure: ${errorForLog(error)}`);
    return { kind: 'damaged', problem: { code: 'inspection_failed' }, ids: { studyUid: null, sopInstanceUid: null } };
  }
}

function inspect(src: ByteSource, limits: InspectLimits): Inspection {
  let parser = new Parser(src, limits, KEPT_TAGS);
  const preamble = parser.bytes(128, 4);
  if (!preamble || !DICM.every((v, i) => preamble[i] === v)) return headerless(src, limits);

  const meta: DataSet = new Map();
  const top: DataSet = new Map();
  let le = true;
  const damaged = (problem: ProblemRef): Inspection => ({ kind: 'damaged', problem, ids: idsOf(meta, top, le) });
  try {
    let pos = parser.meta(132, meta);
    const metaReader = new Reader(meta, null, true);
    const syntaxUid = metaReader.ascii(TAGS.transferSyntaxUid);
    if (!syntaxUid) return damaged({ code: 'missing_attribute', params: { names: `${tagName(TAGS.transferSyntaxUid)} TransferSyntaxUID` } });
    const ts = TRANSFER_SYNTAXES.get(syntaxUid);
    if (!ts) return damaged({ code: 'unknown_transfer_syntax', params: { uid: uid(syntaxUid) ?? UNSHOWN } });
    le = ts.littleEndian;
    const enc: Encoding = { explicitVr: ts.explicitVr, littleEndian: ts.littleEndian };

    let contentLength: number | null = null;
    if (ts.deflated) {
      const inflated = inflateDataSet(parser, pos, limits);
      contentLength = src.size;
      src = new MemorySource(inflated);
      parser = new Parser(src, limits, KEPT_TAGS);
      pos = 0;
    }
    parser.dataSet(pos, src.size, 0, enc, top, 'top');
    return validate(parser, src, limits, ts, enc, meta, top, contentLength);
  } catch (error) {
    if (error instanceof Damage) return damaged(error.problem);
    throw error;
  }
}

function inflateDataSet(parser: Parser, pos: number, limits: InspectLimits): Uint8Array {
  const size = parser.src.size - pos;
  if (size > limits.maxInflatedBytes) throw damage('too_large', { size: parser.src.size, limit: limits.maxInflatedBytes });
  const deflated = parser.bytes(pos, size);
  if (!deflated) throw damage('truncated', { tag: tagName(TAGS.transferSyntaxUid) });
  try {
    return inflateRawSync(deflated, { maxOutputLength: limits.maxInflatedBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') throw damage('too_large', { size: limits.maxInflatedBytes + 1, limit: limits.maxInflatedBytes });
    throw damage('deflate_failed');
  }
}

function validate(parser: Parser, src: ByteSource, limits: InspectLimits, ts: TransferSyntax, enc: Encoding, meta: DataSet, top: DataSet, deflatedSize: number | null): Inspection {
  const r = Reader.of(top, enc.littleEndian);
  const m = new Reader(meta, null, true);
  const sopClassUid = r.ascii(TAGS.sopClassUid) ?? m.ascii(TAGS.mediaStorageSopClassUid);
  const pixel = top.get(PIXEL_DATA) ?? null;
  const warnings: ProblemRef[] = [];

  if (sopClassUid === MEDIA_STORAGE_DIRECTORY_SOP_CLASS) {
    if (src.size > limits.maxNonImageBytes) throw damage('too_large', { size: src.size, limit: limits.maxNonImageBytes });
    return { kind: 'dicomdir', referencedFiles: referencedFiles(r) };
  }

  const uids = {
    sopClassUid, sopInstanceUid: r.ascii(TAGS.sopInstanceUid) ?? m.ascii(TAGS.mediaStorageSopInstanceUid),
    studyUid: r.ascii(TAGS.studyInstanceUid), seriesUid: r.ascii(TAGS.seriesInstanceUid),
  };
  const missing = ([
    [TAGS.sopClassUid, 'SOPClassUID', uids.sopClassUid], [TAGS.sopInstanceUid, 'SOPInstanceUID', uids.sopInstanceUid],
    [TAGS.studyInstanceUid, 'StudyInstanceUID', uids.studyUid], [TAGS.seriesInstanceUid, 'SeriesInstanceUID', uids.seriesUid],
  ] as const).filter(([, , v]) => !v).map(([tag, keyword]) => `${tagName(tag)} ${keyword}`);
  if (missing.length) throw damage('missing_attribute', { names: missing.join(', ') });
  // PS3.10 7.1: the File Meta Information names the data set it heads. A file where they differ was
  // written by a broken sender (a C-STORE whose request named another instance or class than its
  // data set: the station's meta is the request's) or pieced together: which one is the image?
  const metaInstance = m.ascii(TAGS.mediaStorageSopInstanceUid), metaClass = m.ascii(TAGS.mediaStorageSopClassUid);
  // (shown as UIDs: digits and dots, anything else as '_', at most 64 characters)
  const shownUid = (v: string) => v.slice(0, 64).replace(/[^0-9.]/g, '_');
  if (metaInstance && r.ascii(TAGS.sopInstanceUid) && metaInstance !== uids.sopInstanceUid) throw damage('meta_instance_mismatch', { meta: shownUid(metaInstance), dataset: shownUid(uids.sopInstanceUid!) });
  if (metaClass && r.ascii(TAGS.sopClassUid) && metaClass !== sopClassUid) throw damage('meta_class_mismatch', { meta: shownUid(metaClass), dataset: shownUid(sopClassUid!) });

  let contentLength = src.size;
  let isImage = false;
  if (!pixel) {
    const rows = r.uint16(TAGS.rows), columns = r.uint16(TAGS.columns);
    const floatPixels = top.has(TAGS.floatPixelData) || top.has(TAGS.doubleFloatPixelData);
    if (!floatPixels && (IMAGE_SOP_CLASSES.has(sopClassUid!) || (rows !== null && columns !== null))) throw damage('no_pixel_data');
    if (src.size > limits.maxNonImageBytes) throw damage('too_large', { size: src.size, limit: limits.maxNonImageBytes });
  } else {
    const end = checkPixelData(parser, limits, ts, r, pixel, top, warnings);
    if (end < src.size) {
      const good = parser.trailer(end, enc, top, limits.maxTrailerBytes, 10_000);
      if (good < src.size) {
        warnings.push({ code: 'trailing_bytes', params: { count: src.size - good } });
        contentLength = good;
      }
    }
    isImage = r.uint16(TAGS.rows) !== null && r.uint16(TAGS.columns) !== null;
  }
  if (parser.outOfOrder) warnings.unshift({ code: 'tags_out_of_order', params: { tag: tagName(parser.outOfOrder.tag), count: parser.outOfOrder.count } });
  const instance = instanceAttributes(Reader.of(top, enc.littleEndian), {
    transferSyntaxUid: ts.uid, sopClassUid: uids.sopClassUid!, sopInstanceUid: uids.sopInstanceUid!, studyUid: uids.studyUid!, seriesUid: uids.seriesUid!,
  }, isImage);
  return { kind: 'instance', instance, warnings, contentLength: deflatedSize ?? contentLength };
}

/** The photometric interpretations of PS3.3 C.7.6.3.1.2 that viewers read, and their samples per pixel. */
const SAMPLES_OF_PHOTOMETRIC: Readonly<Record<string, number>> = {
  'MONOCHROME1': 1, 'MONOCHROME2': 1, 'PALETTE COLOR': 1,
  'RGB': 3, 'YBR_FULL': 3, 'YBR_FULL_422': 3, 'YBR_PARTIAL_422': 3, 'YBR_PARTIAL_420': 3, 'YBR_ICT': 3, 'YBR_RCT': 3,
};
/** A photometric interpretation is a defined term: a value that looks like one is shown, anything else is not. */
const PHOTOMETRIC_SHOWN = /^[A-Z0-9_ ]{1,16}$/;
const OB = vrCode('OB'), OW = vrCode('OW');
const vrName = (code: number): string => (/^[A-Z]{2}$/.test(String.fromCharCode(code >> 8, code & 0xff)) ? String.fromCharCode(code >> 8, code & 0xff) : `0x${code.toString(16).padStart(4, '0')}`);

/** Checks the top-level pixel data against the image attributes; returns the offset just after it. */
function checkPixelData(parser: Parser, limits: InspectLimits, ts: TransferSyntax, r: Reader, pixel: Element, top: DataSet, warnings: ProblemRef[]): number {
  const rows = r.uint16(TAGS.rows), columns = r.uint16(TAGS.columns), bitsAllocated = r.uint16(TAGS.bitsAllocated);
  const missing = ([[TAGS.rows, 'Rows', rows], [TAGS.columns, 'Columns', columns], [TAGS.bitsAllocated, 'BitsAllocated', bitsAllocated]] as const)
    .filter(([, , v]) => v === null).map(([tag, keyword]) => `${tagName(tag)} ${keyword}`);
  if (missing.length) throw damage('missing_attribute', { names: missing.join(', ') });

  const framesText = r.ascii(TAGS.numberOfFrames);
  const frames = framesText === null ? 1 : Number(framesText);
  if (!Number.isInteger(frames)) throw damage('invalid_attribute', { tag: tagName(TAGS.numberOfFrames), value: numberParam(framesText) });
  if (rows! < 1 || columns! < 1 || rows! > limits.maxDimension || columns! > limits.maxDimension || frames < 1 || frames > limits.maxFrames) {
    throw damage('absurd_dimensions', { rows: rows!, columns: columns!, frames });
  }
  // Pixel Data is OB or OW (PS3.5 8.2); a reader refuses it under any other VR (OF, OD, UN: float
  // or unknown data), even where the bytes are all there.
  if (pixel.vr !== 0 && pixel.vr !== OB && pixel.vr !== OW) throw damage('pixel_data_vr', { vr: vrName(pixel.vr) });
  const photometric = r.ascii(TAGS.photometricInterpretation)?.toUpperCase() ?? '';
  if (!photometric) throw damage('missing_attribute', { names: `${tagName(TAGS.photometricInterpretation)} PhotometricInterpretation` });
  const expectedSamples = SAMPLES_OF_PHOTOMETRIC[photometric];
  if (expectedSamples === undefined) throw damage('unknown_photometric', { value: PHOTOMETRIC_SHOWN.test(photometric) ? photometric : UNSHOWN });
  // Type 1 in the Image Pixel Module (PS3.3 C.7.6.3): decoders refuse a frame without them
  const type1 = ([[TAGS.samplesPerPixel, 'SamplesPerPixel'], [TAGS.bitsStored, 'BitsStored'], [TAGS.highBit, 'HighBit'], [TAGS.pixelRepresentation, 'PixelRepresentation']] as const)
    .filter(([tag]) => r.uint16(tag) === null).map(([tag, keyword]) => `${tagName(tag)} ${keyword}`);
  if (type1.length) throw damage('missing_attribute', { names: type1.join(', ') });
  const samples = r.uint16(TAGS.samplesPerPixel) ?? expectedSamples;
  if (samples !== expectedSamples) throw damage('photometric_samples', { photometric, samples });
  // colour pixels say how their samples are laid out; palette colour, where its colours are
  if (samples === 3 && r.uint16(TAGS.planarConfiguration) === null) throw damage('missing_attribute', { names: `${tagName(TAGS.planarConfiguration)} PlanarConfiguration` });
  if (photometric === 'PALETTE COLOR') {
    const lacking = ([[TAGS.redPaletteDescriptor, 'RedPaletteColorLookupTableDescriptor'], [TAGS.greenPaletteDescriptor, 'GreenPaletteColorLookupTableDescriptor'],
      [TAGS.bluePaletteDescriptor, 'BluePaletteColorLookupTableDescriptor']] as const).filter(([tag]) => !top.has(tag));
    if (!top.has(TAGS.redPaletteData) && !top.has(TAGS.segmentedRedPaletteData)) lacking.push([TAGS.redPaletteData, 'RedPaletteColorLookupTableData'] as never);
    if (lacking.length) throw damage('missing_attribute', { names: lacking.map(([tag, keyword]) => `${tagName(tag)} ${keyword}`).join(', ') });
  }
  if (![1, 8, 16, 32, 64].includes(bitsAllocated!)) throw damage('invalid_attribute', { tag: tagName(TAGS.bitsAllocated), value: bitsAllocated! });
  const bitsStored = r.uint16(TAGS.bitsStored) ?? bitsAllocated!;
  if (bitsStored < 1 || bitsStored > bitsAllocated!) throw damage('invalid_attribute', { tag: tagName(TAGS.bitsStored), value: bitsStored });
  // High Bit: the stored bits lie within the allocated ones (PS3.5 8.1.1)
  const highBit = r.uint16(TAGS.highBit);
  if (highBit !== null && (highBit >= bitsAllocated! || highBit + 1 < bitsStored)) throw damage('invalid_attribute', { tag: tagName(TAGS.highBit), value: highBit });
  const bytesPerSample = Math.ceil(bitsAllocated! / 8);
  if (rows! * columns! * samples * bytesPerSample * frames > limits.maxPixelBytes) throw damage('absurd_dimensions', { rows: rows!, columns: columns!, frames });

  const size = parser.src.size;
  if (!ts.codestream) {
    if (pixel.undefinedLength) throw damage('encapsulated_in_native', { uid: ts.uid });
    const end = pixel.offset + pixel.length;
    if (end > size) throw damage('truncated', { tag: tagName(PIXEL_DATA) });
    // Native YBR_FULL_422 keeps two samples per pixel (PS3.3 C.7.6.3.1.2); one bit per sample packs eight to a byte.
    const perPixel = /^YBR_(FULL|PARTIAL)_422$/.test(photometric) ? 2 : samples;
    const expected = bitsAllocated === 1 ? Math.ceil((rows! * columns! * frames * perPixel) / 8) : rows! * columns! * frames * perPixel * bytesPerSample;
    const params = { actual: pixel.length, expected, rows: rows!, columns: columns!, frames, samples, bitsAllocated: bitsAllocated! };
    if (pixel.length < expected) throw damage('pixel_data_length', params);
    // Longer: every declared pixel is there and readers (Cornerstone, dcmtk, pydicom) take the
    // declared frames and ignore the rest; kept, with the reservation shown.
    if (pixel.length > expected + 1) warnings.push({ code: 'pixel_data_longer', params: { actual: pixel.length, expected } });
    return end;
  }

  if (!pixel.undefinedLength) throw damage('native_in_encapsulated', { uid: ts.uid });
  const le = ts.littleEndian;
  // The Basic Offset Table, checked against the fragments where frames are more than one (the
  // viewer finds frames by it) and no Extended Offset Table replaces it.
  let offsets: number[] | null = null;
  const head = parser.bytes(pixel.offset, 8);
  if (head && frames > 1 && !top.has(TAGS.extendedOffsetTable)) {
    const tableLength = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, le);
    if (tableLength > 0 && tableLength !== 0xffffffff) {
      const table = tableLength === frames * 4 ? parser.bytes(pixel.offset + 8, tableLength) : null;
      if (!table) throw damage('bad_offset_table', { count: Math.floor(tableLength / 4), frames });
      const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
      offsets = Array.from({ length: frames }, (_, k) => view.getUint32(4 * k, le));
      if (offsets[0] !== 0 || offsets.some((o, k) => k > 0 && o <= offsets![k - 1]!)) throw damage('bad_offset_table', { count: frames, frames });
    }
  }
  const walk = parser.fragments(pixel.offset, PIXEL_DATA, le, offsets);
  if (walk.items.length < frames) throw damage('fragment_count', { count: walk.items.length, frames });
  if (!walk.offsetsMatch) throw damage('bad_offset_table', { count: frames, frames });

  const first = walk.items[0]!;
  const declared = { rows: rows!, columns: columns!, samples, bitsAllocated: bitsAllocated!, bitsStored };
  for (const cap of [4096, 1024 * 1024]) {
    const n = Math.min(first.length, cap);
    const bytes = parser.bytes(first.offset, n, n);
    if (!bytes) throw damage('truncated', { tag: tagName(PIXEL_DATA) });
    const verdict = checkCodestream(bytes, n === first.length, first.length, ts, declared);
    if (verdict === 'need-more') continue; // a header past 1 MiB is left unchecked: the decoder will say
    if (verdict) throw new Damage(verdict);
    break;
  }
  if (ts.codestream !== 'rle') checkFrameEnds(parser, walk, pixel, top, frames, ts);
  return walk.end;
}

/**
 * Refuses a JPEG-family or JPEG 2000 frame whose codestream does not end with its end marker (a
 * file cut short inside its pixel data, whose item lengths were then written to fit: a partial
 * sender, a careless anonymiser). Frames are found as the pixel pipeline finds them
 * (`groupFragments`: the offset tables, one fragment per frame, or codestream starts); where they
 * cannot be, the last frame's end is still checked (a cut file is cut there).
 */
function checkFrameEnds(parser: Parser, walk: FragmentWalk, pixel: Element, top: DataSet, frames: number, ts: TransferSyntax): void {
  if (walk.items.length === 0) return;
  const firstItem = walk.table.offset + walk.table.length;
  const fragments = walk.items.map(({ offset, length }) => ({ relative: offset - 8 - firstItem, offset, length }));
  let layout: FrameBytes[];
  try {
    layout = groupFragments(parser, fragments, frames, frames > 1 ? frameOffsets(parser, pixel, top, walk.table.length, frames, ts.littleEndian) : null);
  } catch {
    layout = [];
  }
  const checked: [ranges: FrameBytes, frame: number][] = layout.length === frames
    ? layout.map((ranges, k) => [ranges, k + 1])
    : [[walk.items, frames]]; // the last frame's start unknown: its end read across the fragments before it if need be
  for (const [ranges, frame] of checked) {
    const readTail = (n: number) => tailOf(ranges, n, (offset, length) => {
      const bytes = parser.bytes(offset, length, length);
      if (!bytes) throw damage('truncated', { tag: tagName(PIXEL_DATA) });
      return bytes;
    });
    if (!endsWithEndMarker(readTail)) throw damage('codestream_truncated', { format: formatName(ts), frame });
  }
}

/**
 * A file without "DICM" at byte 128: a DICOM data set written without the Part 10 header (raw
 * C-STORE dumps, ACR-NEMA) is damaged and says so; anything else is not DICOM.
 */
function headerless(src: ByteSource, limits: InspectLimits): Inspection {
  const notDicom: Inspection = { kind: 'not-dicom', problem: { code: 'not_dicom' } };
  const head = new Parser(src, limits).bytes(0, Math.min(src.size, 144));
  if (!head || head.length < 8) return notDicom;
  const u16 = (i: number, le: boolean) => (le ? head[i]! | (head[i + 1]! << 8) : (head[i]! << 8) | head[i + 1]!);
  const candidates: { start: number; enc: Encoding }[] = [];
  const plausible = (start: number, le: boolean) => {
    if (head.length < start + 8) return;
    const group = u16(start, le), element = u16(start + 2, le);
    if ((group !== 0x0002 && group !== 0x0008) || element > 0x0fff) return;
    const explicitVr = isKnownVr((head[start + 4]! << 8) | head[start + 5]!);
    if (!le && !explicitVr) return;
    candidates.push({ start, enc: { explicitVr, littleEndian: le } });
  };
  if (DICM.every((v, i) => head[i] === v)) plausible(4, true); // "DICM" without its preamble
  plausible(0, true);
  plausible(0, false);
  plausible(128, true); // a preamble, then a data set where "DICM" should be
  plausible(132, true); // a preamble and something else than "DICM"
  for (const { start, enc } of candidates) {
    const meta: DataSet = new Map();
    const top: DataSet = new Map();
    const parser = new Parser(src, { ...limits, maxElements: 100_000 }, KEPT_TAGS);
    try {
      let pos = start;
      let dataSetEnc = enc;
      if (u16(start, enc.littleEndian) === 0x0002) {
        pos = parser.meta(start, meta);
        const ts = TRANSFER_SYNTAXES.get(new Reader(meta, null, true).ascii(TAGS.transferSyntaxUid) ?? '');
        if (ts && !ts.deflated) dataSetEnc = { explicitVr: ts.explicitVr, littleEndian: ts.littleEndian };
      }
      parser.dataSet(pos, src.size, 0, dataSetEnc, top, 'top');
    } catch (error) {
      if (!(error instanceof Damage)) throw error;
    }
    // A few elements in ascending order are no accident of a text file.
    if (parser.elements >= 3 && !parser.outOfOrder) {
      return { kind: 'damaged', problem: { code: 'no_part10_header' }, ids: idsOf(meta, top, enc.littleEndian) };
    }
  }
  return notDicom;
}
