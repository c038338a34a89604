// Broken DICOM files, one kind at a time, each made from a valid base file: the header written by
// dcmjs (main/dicom/write.ts), the pixel data element and anything around it written by hand here
// (PS3.5 7.1.2 for elements, A.4 for encapsulated fragments), so that each file is wrong in exactly
// one way. Used by the inspection tests; the large ones are written to disk (sparse where possible).

import fs from 'node:fs';
import { writePart10 } from '../../main/dicom/write.ts';
import type { NaturalDataset } from '../../main/dicom/write.ts';

export const TS = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  bigEndian: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  jpegLsNear: '1.2.840.10008.1.2.4.81',
  j2k: '1.2.840.10008.1.2.4.90',
  htj2k: '1.2.840.10008.1.2.4.201',
  rle: '1.2.840.10008.1.2.5',
} as const;

export const UIDS = {
  study: '1.2.826.0.1.3680043.10.1417.99.1',
  series: '1.2.826.0.1.3680043.10.1417.99.2',
  sop: '1.2.826.0.1.3680043.10.1417.99.3',
} as const;

export const SOP_CLASSES = {
  mgForPresentation: '1.2.840.10008.5.1.4.1.1.1.2',
  ct: '1.2.840.10008.5.1.4.1.1.2',
  encapsulatedPdf: '1.2.840.10008.5.1.4.1.1.104.1',
  basicTextSr: '1.2.840.10008.5.1.4.1.1.88.11',
} as const;

export interface ImageShape {
  rows?: number;
  columns?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  samples?: number;
  frames?: number;
  sopClassUid?: string;
}

/** A mammography data set (no pixel data) with the given image shape; `extra` adds or, with undefined, removes attributes. */
export function baseDataset(shape: ImageShape = {}, extra: Record<string, unknown> = {}): NaturalDataset {
  const bitsAllocated = shape.bitsAllocated ?? 16;
  const samples = shape.samples ?? 1;
  const ds: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: shape.sopClassUid ?? SOP_CLASSES.mgForPresentation,
    SOPInstanceUID: UIDS.sop,
    StudyDate: '20250101',
    Modality: 'MG',
    PresentationIntentType: 'FOR PRESENTATION',
    PatientName: 'CRAFTED^FILE',
    PatientID: 'CRAFT001',
    StudyInstanceUID: UIDS.study,
    SeriesInstanceUID: UIDS.series,
    ImageLaterality: 'L',
    SamplesPerPixel: samples,
    PhotometricInterpretation: samples === 3 ? 'RGB' : 'MONOCHROME2',
    ...(samples === 3 ? { PlanarConfiguration: 0 } : {}),
    ...(shape.frames ? { NumberOfFrames: shape.frames } : {}),
    Rows: shape.rows ?? 64,
    Columns: shape.columns ?? 48,
    BitsAllocated: bitsAllocated,
    BitsStored: shape.bitsStored ?? (bitsAllocated === 16 ? 12 : bitsAllocated),
    HighBit: (shape.bitsStored ?? (bitsAllocated === 16 ? 12 : bitsAllocated)) - 1,
    PixelRepresentation: 0,
    ...extra,
  };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete ds[k];
  return ds;
}

/** A gradient of `frames` frames, little endian, in `bitsAllocated` (8 or 16) bits per sample. */
export function gradient(rows: number, columns: number, options: { frames?: number; samples?: number; bitsAllocated?: number; maxValue?: number } = {}): Uint8Array {
  const frames = options.frames ?? 1, samples = options.samples ?? 1, bits = options.bitsAllocated ?? 16;
  const max = options.maxValue ?? (bits === 8 ? 255 : 4095);
  const n = rows * columns * samples * frames;
  const out = new Uint8Array(n * (bits / 8));
  for (let i = 0; i < n; i++) {
    const pixel = Math.floor(i / samples) % (rows * columns);
    const v = Math.round(((pixel % columns) / columns) * max * 0.7 + ((Math.floor(pixel / columns) / rows) * max * 0.3));
    if (bits === 8) out[i] = v & 0xff;
    else { out[2 * i] = v & 0xff; out[2 * i + 1] = v >> 8; }
  }
  return out;
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** An element in Explicit VR Little Endian. */
export function element(group: number, elementNumber: number, vr: string, value: Uint8Array | string): Uint8Array {
  let bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.length % 2) bytes = concat(bytes, new Uint8Array([typeof value === 'string' ? 0x20 : 0]));
  const long = ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elementNumber, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(bytes.length, 8); else head.writeUInt16LE(bytes.length, 6);
  return concat(head, bytes);
}

/** An element header alone (explicit VR, long form), for values written separately or never. */
export function elementHeader(group: number, elementNumber: number, vr: string, length: number): Uint8Array {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elementNumber, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt32LE(length >>> 0, 8);
  return head;
}

/** An item header (FFFE,E000), undefined length by default. */
export function itemHeader(length = 0xffffffff): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(0xe000, 2);
  b.writeUInt32LE(length >>> 0, 4);
  return b;
}

export const ITEM_DELIMITER = new Uint8Array([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
export const SEQUENCE_DELIMITER = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);

/** Native pixel data (Explicit VR Little Endian), padded to even length. */
export function nativePixelData(bytes: Uint8Array, vr: 'OB' | 'OW' = 'OW'): Uint8Array {
  return element(0x7fe0, 0x0010, vr, bytes);
}

/** Encapsulated pixel data: Basic Offset Table (the offsets given, or empty), fragments, delimiter (unless left out). */
export function encapsulatedPixelData(fragments: Uint8Array[], options: { offsets?: number[]; delimiter?: boolean } = {}): Uint8Array {
  const table = new Uint8Array((options.offsets ?? []).length * 4);
  (options.offsets ?? []).forEach((o, i) => new DataView(table.buffer).setUint32(4 * i, o, true));
  const parts = [elementHeader(0x7fe0, 0x0010, 'OB', 0xffffffff), itemHeader(table.length), table];
  for (const f of fragments) {
    const padded = f.length % 2 ? concat(f, new Uint8Array(1)) : f;
    parts.push(itemHeader(padded.length), padded);
  }
  if (options.delimiter !== false) parts.push(SEQUENCE_DELIMITER);
  return concat(...parts);
}

/** The offsets of each fragment's item from the first one, for a Basic Offset Table of one fragment per frame. */
export function offsetsOf(fragments: Uint8Array[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const f of fragments) { out.push(at); at += 8 + f.length + (f.length % 2); }
  return out;
}

/**
 * A Part 10 file: the data set's header by dcmjs in `transferSyntax` (Explicit VR Little Endian
 * encoding unless implicit), then `beforePixelData`, `pixelData` (whole element bytes) and `after`.
 */
export function assemble(dataset: NaturalDataset, transferSyntax: string, parts: { beforePixelData?: Uint8Array; pixelData?: Uint8Array | null; after?: Uint8Array } = {}): Uint8Array {
  const head = writePart10(dataset, transferSyntax);
  return concat(head, parts.beforePixelData ?? new Uint8Array(0), parts.pixelData ?? new Uint8Array(0), parts.after ?? new Uint8Array(0));
}

/** A valid base file: 64 × 48, 12 bits in 16, native Explicit VR Little Endian. */
export function validNative(shape: ImageShape = {}, transferSyntax: string = TS.explicit): Uint8Array {
  const ds = baseDataset(shape);
  const pixels = gradient(shape.rows ?? 64, shape.columns ?? 48, { frames: shape.frames, samples: shape.samples, bitsAllocated: shape.bitsAllocated });
  const vr = (shape.bitsAllocated ?? 16) > 8 ? 'OW' : 'OB';
  // Implicit VR has no VR field: dcmjs writes the whole file.
  if (transferSyntax === TS.implicit) return writePart10({ ...ds, PixelData: [pixels.slice().buffer], _vrMap: { PixelData: vr } }, transferSyntax);
  return assemble(ds, transferSyntax, { pixelData: nativePixelData(pixels, vr) });
}

/** Where the File Meta Information ends (the data set starts) in a Part 10 file. */
export function metaEnd(file: Uint8Array): number {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let pos = 132;
  while (pos + 8 <= file.length && view.getUint16(pos, true) === 0x0002) {
    const vr = String.fromCharCode(file[pos + 4]!, file[pos + 5]!);
    pos += ['OB', 'OW', 'UN', 'SQ', 'UT', 'UC', 'UR'].includes(vr) ? 12 + view.getUint32(pos + 8, true) : 8 + view.getUint16(pos + 6, true);
  }
  return pos;
}

// ---- the broken kinds ----

/** Nested sequences, each an undefined-length (5200,9229) SQ holding one undefined-length item, closed properly. */
export function deeplyNested(levels: number): Uint8Array {
  const open = concat(elementHeader(0x5200, 0x9229, 'SQ', 0xffffffff), itemHeader());
  const close = concat(ITEM_DELIMITER, SEQUENCE_DELIMITER);
  const out = new Uint8Array(levels * (open.length + close.length));
  for (let i = 0; i < levels; i++) out.set(open, i * open.length);
  for (let i = 0; i < levels; i++) out.set(close, levels * open.length + i * close.length);
  return out;
}

/** An undefined-length sequence with one item and no sequence delimiter. */
export function unclosedSequence(): Uint8Array {
  const inner = element(0x0008, 0x1150, 'UI', SOP_CLASSES.mgForPresentation);
  return concat(elementHeader(0x5200, 0x9229, 'SQ', 0xffffffff), itemHeader(inner.length), inner);
}

/** Writes a file with `count` empty fragments after an empty offset table (JPEG Lossless SV1 declared). */
export function writeManyFragments(file: string, count: number): void {
  const head = assemble(baseDataset(), TS.jpegLosslessSv1, { pixelData: concat(elementHeader(0x7fe0, 0x0010, 'OB', 0xffffffff), itemHeader(0)) });
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head);
    const perChunk = 1 << 20;
    const chunk = Buffer.alloc(perChunk * 8);
    chunk.fill(Buffer.from(itemHeader(0)));
    for (let written = 0; written < count; written += perChunk) {
      const n = Math.min(perChunk, count - written);
      fs.writeSync(fd, chunk, 0, n * 8);
    }
    fs.writeSync(fd, SEQUENCE_DELIMITER);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a non-image object (an encapsulated PDF) whose document element claims the rest of a
 * `size`-byte file, made sparse with truncate so that the test writes kilobytes, not gigabytes.
 */
export function writeHugeNonImage(file: string, size: number): void {
  const ds = baseDataset({}, {
    SOPClassUID: SOP_CLASSES.encapsulatedPdf, Modality: 'DOC', MIMETypeOfEncapsulatedDocument: 'application/pdf',
    SamplesPerPixel: undefined, PhotometricInterpretation: undefined, Rows: undefined, Columns: undefined,
    BitsAllocated: undefined, BitsStored: undefined, HighBit: undefined, PixelRepresentation: undefined, ImageLaterality: undefined,
  });
  const head = writePart10(ds, TS.explicit);
  const length = (size - head.length - 12) & ~1;
  fs.writeFileSync(file, concat(head, elementHeader(0x0042, 0x0011, 'OB', length)));
  fs.truncateSync(file, head.length + 12 + length);
}

/** Deterministic pseudo-random bytes (xorshift), for garbage and mutations. */
export function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/** PackBits literal runs (PS3.5 G.3.1), padded to even length. */
function packBits(plane: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < plane.length; i += 128) {
    const run = plane.subarray(i, i + 128);
    out.push(run.length - 1, ...run);
  }
  if (out.length % 2) out.push(0x80); // a no-op byte
  return new Uint8Array(out);
}

/**
 * An RLE Lossless frame (PS3.5 G.2): one segment per byte of each sample, most significant first,
 * behind the 64-byte header. `segments` overrides the count written in the header.
 */
export function rleFrame(pixels: Uint8Array, bytesPerSample: number, segments?: number): Uint8Array {
  const count = pixels.length / bytesPerSample;
  const planes: Uint8Array[] = [];
  for (let b = bytesPerSample - 1; b >= 0; b--) {
    const plane = new Uint8Array(count);
    for (let i = 0; i < count; i++) plane[i] = pixels[i * bytesPerSample + b]!;
    planes.push(packBits(plane));
  }
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments ?? planes.length, true);
  let offset = 64;
  planes.forEach((p, k) => { header.setUint32(4 + 4 * k, offset, true); offset += p.length; });
  return concat(new Uint8Array(header.buffer), ...planes);
}
