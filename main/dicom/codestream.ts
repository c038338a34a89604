// Reads the first bytes of a compressed frame to check that it holds the codestream its transfer
// syntax declares, with the size the data set declares: JPEG (SOI, then a frame header SOFn giving
// precision, height, width and components), JPEG 2000 and HTJ2K (SOC then SIZ, or a JP2 file whose
// jp2c box holds them) and RLE (a 64-byte header with one segment per byte of each sample).
// A vendor's tomosynthesis slice whose pixel data did not match its syntax once showed as a blank
// tile: such files are refused at import with what was found instead.

import type { ProblemRef } from '../../common/import-problems.ts';
import { CODESTREAM_NAMES } from './transfer-syntax.ts';
import type { TransferSyntax } from './transfer-syntax.ts';

export interface CodedImage {
  precision: number;
  /** 0 where a JPEG defers the height to a DNL marker. */
  rows: number;
  columns: number;
  components: number;
}

export type JpegProbe =
  | { kind: 'frame'; marker: number; image: CodedImage }
  | { kind: 'not-jpeg' }
  | { kind: 'no-frame' }
  | { kind: 'need-more' };

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const u32le = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

const isFrameMarker = (m: number) => (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7;

/** Names of JPEG processes by frame marker, as shown to users (format names, the same in every language). */
export function jpegProcessName(marker: number): string {
  if (marker === 0xc0) return 'JPEG baseline';
  if (marker === 0xc1) return 'JPEG extended';
  if (marker === 0xc2) return 'JPEG progressive';
  if (marker === 0xc3) return 'JPEG Lossless';
  if (marker === 0xf7) return 'JPEG-LS';
  if (marker >= 0xc9 && marker <= 0xcb) return 'JPEG arithmetic';
  return 'JPEG hierarchical';
}

/** Walks JPEG marker segments from SOI to the first frame header (SOFn, or SOF55 for JPEG-LS). */
export function probeJpeg(b: Uint8Array): JpegProbe {
  const n = b.length;
  if (n < 2) return { kind: 'need-more' };
  if (b[0] !== 0xff || b[1] !== 0xd8) return { kind: 'not-jpeg' };
  let p = 2;
  for (let segments = 0; segments < 4096; segments++) {
    while (p < n && b[p] !== 0xff) p++; // extraneous bytes: decoders skip them with a warning
    while (p < n && b[p] === 0xff) p++; // fill bytes
    if (p >= n) return { kind: 'need-more' };
    const marker = b[p++]!;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // no length: TEM, RSTn, SOI
    if (marker === 0xd9 || marker === 0xda) return { kind: 'no-frame' }; // EOI or scan before any frame header
    if (p + 2 > n) return { kind: 'need-more' };
    const length = u16be(b, p);
    if (isFrameMarker(marker)) {
      if (p + 8 > n) return { kind: 'need-more' };
      return { kind: 'frame', marker, image: { precision: b[p + 2]!, rows: u16be(b, p + 3), columns: u16be(b, p + 5), components: b[p + 7]! } };
    }
    if (length < 2) return { kind: 'no-frame' };
    p += length;
  }
  return { kind: 'no-frame' };
}

export type J2kProbe = { kind: 'image'; image: CodedImage; htj2k: boolean } | { kind: 'not-j2k' } | { kind: 'no-frame' } | { kind: 'need-more' };

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const JP2C = 0x6a703263;

/** Reads the SIZ segment of a JPEG 2000 codestream (or of the codestream box of a JP2 file). */
export function probeJ2k(b: Uint8Array): J2kProbe {
  const n = b.length;
  if (n < 12) return { kind: 'need-more' };
  let p = 0;
  if (JP2_SIGNATURE.every((v, i) => b[i] === v)) {
    let found = false;
    for (let boxes = 0; boxes < 64 && !found; boxes++) {
      if (p + 8 > n) return { kind: 'need-more' };
      let length = u32be(b, p);
      const type = u32be(b, p + 4);
      let header = 8;
      if (length === 1) {
        if (p + 16 > n) return { kind: 'need-more' };
        length = u32be(b, p + 8) * 2 ** 32 + u32be(b, p + 12);
        header = 16;
      }
      if (type === JP2C) { p += header; found = true; break; }
      if (length === 0) return { kind: 'no-frame' }; // the last box, and not the codestream
      if (length < header) return { kind: 'not-j2k' };
      p += length;
    }
    if (!found) return p >= n ? { kind: 'need-more' } : { kind: 'no-frame' };
  }
  if (p + 4 > n) return { kind: 'need-more' };
  if (b[p] !== 0xff || b[p + 1] !== 0x4f) return { kind: 'not-j2k' };
  const m = p + 2; // SIZ must follow SOC
  if (b[m] !== 0xff || b[m + 1] !== 0x51) return { kind: 'no-frame' };
  if (m + 41 > n) return { kind: 'need-more' };
  const rsiz = u16be(b, m + 4);
  const xsiz = u32be(b, m + 6), ysiz = u32be(b, m + 10), xosiz = u32be(b, m + 14), yosiz = u32be(b, m + 18);
  const components = u16be(b, m + 38);
  const ssiz = b[m + 40]!;
  return {
    kind: 'image',
    htj2k: (rsiz & 0x4000) !== 0,
    image: { precision: (ssiz & 0x7f) + 1, rows: ysiz - yosiz, columns: xsiz - xosiz, components },
  };
}

/** The segment count of an RLE frame's 64-byte header, or null when it is not one (PS3.5 G.3.1). */
export function probeRle(b: Uint8Array, fragmentLength: number): number | null {
  if (b.length < 64 || fragmentLength < 64) return null;
  const segments = u32le(b, 0);
  if (segments < 1 || segments > 15 || u32le(b, 4) !== 64) return null;
  let previous = 64;
  for (let k = 1; k < segments; k++) {
    const offset = u32le(b, 4 + 4 * k);
    if (offset < previous || offset >= fragmentLength) return null;
    previous = offset;
  }
  return segments;
}

/** What a compressed frame holds, by its first bytes: a format name, or null when none is recognised. */
export function identifyCodestream(b: Uint8Array, fragmentLength: number): string | null {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) {
    const jpeg = probeJpeg(b);
    return jpeg.kind === 'frame' ? jpegProcessName(jpeg.marker) : 'JPEG';
  }
  const j2k = probeJ2k(b);
  if (j2k.kind === 'image') return j2k.htj2k ? 'HTJ2K' : 'JPEG 2000';
  if (j2k.kind === 'no-frame' || (b.length >= 2 && b[0] === 0xff && b[1] === 0x4f)) return 'JPEG 2000';
  if (probeRle(b, fragmentLength) !== null) return 'RLE';
  return null;
}

/** How far before a frame's last bytes (its zero padding left aside) its end marker is looked for. */
const END_MARKER_SPAN = 64;
/** The most zero bytes of padding looked past at a frame's end. */
const MAX_ZERO_PADDING = 1024 * 1024;

/**
 * Whether a JPEG, JPEG-LS, JPEG 2000 or HTJ2K frame ends with its end marker (EOI or EOC, both
 * FF D9), from its last bytes: `readTail(n)` gives the frame's last n bytes (all of it when shorter).
 * Each format keeps FF D9 out of its coded data (JPEG stuffs a 00 after FF, JPEG-LS and JPEG 2000 a
 * byte under 0x90), so it is there only when the codestream ends whole. A frame cut short is not
 * always refused by its decoder: OpenJPH (HTJ2K) and the JPEG Lossless decoder return the part they
 * read as a whole image (a blurred or partly blank mammogram), hence this check before any decoder
 * sees it. After the marker: zero padding (DICOM pads an odd codestream with one 00, PS3.5 A.4;
 * some writers pad more, up to MAX_ZERO_PADDING is looked past), or a few other bytes.
 */
export function endsWithEndMarker(readTail: (n: number) => Uint8Array): boolean {
  for (const n of [2 * END_MARKER_SPAN, MAX_ZERO_PADDING + END_MARKER_SPAN]) {
    const tail = readTail(n);
    let end = tail.length;
    while (end > 0 && tail[end - 1] === 0) end--;
    if (end >= END_MARKER_SPAN || tail.length < n) {
      for (let i = end - 2; i >= 0 && i >= end - END_MARKER_SPAN; i--) {
        if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
      }
      return false;
    }
  }
  return false; // more zeros than any writer pads with
}

/** A compressed syntax's format as the reader's sentences name it (HTJ2K apart from JPEG 2000). */
export function formatName(ts: TransferSyntax): string {
  return ts.uid.startsWith('1.2.840.10008.1.2.4.20') ? 'HTJ2K' : CODESTREAM_NAMES[ts.codestream!];
}

/** The image attributes a frame must agree with. */
export interface DeclaredImage {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  bitsStored: number;
}

/**
 * Checks the first bytes of a frame (`complete`: they are the whole fragment) against the syntax and
 * the declared image. Returns a problem, null when it agrees, or 'need-more' when the bytes end
 * before the header that says it.
 */
export function checkCodestream(b: Uint8Array, complete: boolean, fragmentLength: number, ts: TransferSyntax, declared: DeclaredImage): ProblemRef | null | 'need-more' {
  const codestream = ts.codestream!;
  const mismatch = (): ProblemRef => {
    const found = identifyCodestream(b, fragmentLength);
    const expected = CODESTREAM_NAMES[codestream];
    return found ? { code: 'codestream_mismatch', params: { expected, uid: ts.uid, found } } : { code: 'codestream_unknown', params: { expected, uid: ts.uid } };
  };
  const compare = (coded: CodedImage): ProblemRef | null => {
    const agrees = (coded.rows === 0 || coded.rows === declared.rows) && coded.columns === declared.columns
      && coded.components === declared.samples
      // Encoders write the stored depth or the allocated one: dcmtk's lossless JPEG and JPEG-LS, and
      // both real GE and Siemens mammograms here, say 16 for 12 bits stored in 16.
      && coded.precision >= declared.bitsStored && coded.precision <= declared.bitsAllocated;
    return agrees ? null : {
      code: 'codestream_dimensions',
      params: {
        codedColumns: coded.columns, codedRows: coded.rows, codedComponents: coded.components, codedBits: coded.precision,
        columns: declared.columns, rows: declared.rows, samples: declared.samples, bitsStored: declared.bitsStored, bitsAllocated: declared.bitsAllocated,
      },
    };
  };

  if (codestream === 'rle') {
    if (!complete && b.length < 64) return 'need-more';
    const segments = probeRle(b, fragmentLength);
    if (segments === null) return mismatch();
    const expected = declared.samples * Math.ceil(declared.bitsAllocated / 8);
    return segments === expected ? null : { code: 'rle_segments', params: { count: segments, expected, samples: declared.samples, bitsAllocated: declared.bitsAllocated } };
  }
  if (codestream === 'j2k') {
    const probe = probeJ2k(b);
    if (probe.kind === 'need-more') return complete ? mismatch() : 'need-more';
    if (probe.kind !== 'image') return mismatch();
    return compare(probe.image);
  }
  const probe = probeJpeg(b);
  if (probe.kind === 'need-more') return complete ? mismatch() : 'need-more';
  if (probe.kind !== 'frame') return mismatch();
  const allowed = ts.jpegFrames?.[probe.marker];
  if (!allowed) return mismatch();
  const problem = compare(probe.image);
  if (problem) return problem;
  if (allowed !== 'any' && !allowed.includes(probe.image.precision)) {
    return { code: 'codestream_mismatch', params: { expected: CODESTREAM_NAMES[codestream], uid: ts.uid, found: `${jpegProcessName(probe.marker)} (P=${probe.image.precision})` } };
  }
  return null;
}
