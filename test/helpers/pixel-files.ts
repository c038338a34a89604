// Small images for the pixel pipeline's tests: written native with dcmjs, converted to other
// transfer syntaxes and decoded by dcmtk (an independent implementation), read back with
// dicom-parser (the viewer's parser), and JPEG 2000 / HTJ2K codestreams encoded with the codec
// packages (dcmtk has no JPEG 2000).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import dicomParser from 'dicom-parser';
import { writePart10 } from '../../main/dicom/write.ts';
import type { NaturalDataset } from '../../main/dicom/write.ts';
import { derivedUid } from '../../main/dicom/uid.ts';

const require = createRequire(import.meta.url);

export const HAS_DCMTK = ['dcmconv', 'dcmcjpeg', 'dcmdjpeg', 'dcmcjpls', 'dcmdjpls', 'dcmcrle', 'dcmdrle'].every((tool) => spawnSync(tool, ['--version']).status === 0);
export const SKIP_NO_DCMTK = HAS_DCMTK ? false : 'dcmtk is not installed (apt-get install dcmtk)';

/** Runs a dcmtk tool; throws with its output when it fails. */
export function dcmtk(tool: string, ...args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr || r.stdout}`);
}

export interface TestImageSpec {
  rows: number;
  columns: number;
  frames?: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed?: boolean;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  /** Values, row by row, frame after frame. */
  pixels: Uint8Array | Int8Array | Uint16Array | Int16Array;
  attributes?: NaturalDataset;
}

/** A smooth, noisy test pattern with edges and a bright disc, in [min, max]: what codecs find hard enough. */
export function testPattern(rows: number, columns: number, min: number, max: number, seed = 1): number[] {
  let state = seed * 2654435761 >>> 0;
  const noise = () => { state = (state * 1664525 + 1013904223) >>> 0; return state / 2 ** 32 - 0.5; };
  const values: number[] = [];
  for (let y = 0; y < rows; y++) for (let x = 0; x < columns; x++) {
    const ramp = (x / columns) * 0.6 + (y / rows) * 0.2;
    const disc = (x - columns * 0.6) ** 2 + (y - rows * 0.4) ** 2 < (Math.min(rows, columns) * 0.2) ** 2 ? 0.25 : 0;
    const stripe = (x >> 3) % 2 === 0 && y > rows * 0.7 ? 0.1 : 0;
    const v = Math.min(1, Math.max(0, ramp + disc + stripe + noise() * 0.06));
    values.push(Math.round(min + v * (max - min)));
  }
  return values;
}

/** Writes a native (Explicit VR Little Endian) Digital Mammography image. */
/** The UIDs (derived from the file's path) and the Image Pixel Module of a one-sample MG test image. */
function mgImageHeader(file: string, spec: Omit<TestImageSpec, 'pixels'>, signed: boolean): NaturalDataset {
  const uid = derivedUid('pixels-test', file);
  return {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.2',
    SOPInstanceUID: uid,
    StudyInstanceUID: derivedUid(uid, 'study'),
    SeriesInstanceUID: derivedUid(uid, 'series'),
    Modality: 'MG',
    SamplesPerPixel: 1,
    PhotometricInterpretation: spec.photometric ?? 'MONOCHROME2',
    Rows: spec.rows,
    Columns: spec.columns,
    BitsAllocated: spec.bitsAllocated,
    BitsStored: spec.bitsStored,
    HighBit: spec.bitsStored - 1,
    PixelRepresentation: signed ? 1 : 0,
  };
}

export function writeTestImage(file: string, spec: TestImageSpec): void {
  const dataset: NaturalDataset = {
    ...mgImageHeader(file, spec, spec.signed ?? false),
    PatientID: 'PIXELS',
    PatientName: 'Pixels^Test',
    ImageType: ['ORIGINAL', 'PRIMARY'],
    ...(spec.frames && spec.frames > 1 ? { NumberOfFrames: spec.frames } : {}),
    ...spec.attributes,
    PixelData: [spec.pixels.buffer.slice(spec.pixels.byteOffset, spec.pixels.byteOffset + spec.pixels.byteLength)],
    _vrMap: { PixelData: spec.bitsAllocated === 16 ? 'OW' : 'OB' },
  };
  fs.writeFileSync(file, writePart10(dataset));
}

/** The pixel values of a native little-endian file as dicom-parser (the viewer's parser) reads them. */
export function nativePixels(file: string): Uint8Array | Int8Array | Uint16Array | Int16Array {
  const bytes = fs.readFileSync(file);
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements['x7fe00010']!;
  const sampleBytes = ds.uint16('x00280100') === 8 ? 1 : 2;
  // the value, without the pad byte that makes an odd length even
  const length = ds.uint16('x00280010')! * ds.uint16('x00280011')! * Number(ds.string('x00280008') ?? 1) * sampleBytes;
  const raw = bytes.buffer.slice(bytes.byteOffset + el.dataOffset, bytes.byteOffset + el.dataOffset + length);
  const signed = ds.uint16('x00280103') === 1;
  if (sampleBytes === 1) return signed ? new Int8Array(raw) : new Uint8Array(raw);
  return signed ? new Int16Array(raw) : new Uint16Array(raw);
}

interface WasmEncoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean; isUsingColorTransform: boolean }): Uint8Array;
  setQuality?(lossless: boolean, quantizationStep: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}
type EncoderModule = Record<string, new () => WasmEncoder>;
type EncoderFactory = (overrides: { print(text: string): void; printErr(text: string): void }) => Promise<EncoderModule>;

/** A lossless JPEG 2000 (OpenJPEG) or HTJ2K (OpenJPH) codestream of a 16-bit grey frame. */
export async function encodeJ2k(kind: 'j2k' | 'htj2k', pixels: Uint16Array, width: number, height: number, bitsStored: number): Promise<Uint8Array> {
  const factory = (kind === 'j2k' ? require('@cornerstonejs/codec-openjpeg/wasmjs') : require('@cornerstonejs/codec-openjph/wasmjs')) as EncoderFactory;
  // a fresh overrides object each time: Emscripten writes the module's exports onto it
  const module = await factory({ print: () => {}, printErr: () => {} });
  const encoder = new module[kind === 'j2k' ? 'J2KEncoder' : 'HTJ2KEncoder']!();
  try {
    encoder.getDecodedBuffer({ width, height, bitsPerSample: bitsStored, componentCount: 1, isSigned: false, isUsingColorTransform: false })
      .set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    encoder.setQuality?.(true, 0);
    encoder.encode();
    return encoder.getEncodedBuffer().slice();
  } finally {
    encoder.delete();
  }
}

/** Writes an image whose pixel data is one encapsulated codestream per frame. */
export function writeEncapsulated(file: string, spec: Omit<TestImageSpec, 'pixels'>, transferSyntaxUid: string, codestreams: Uint8Array[]): void {
  const head = writePart10(mgImageHeader(file, spec, false), transferSyntaxUid);
  const item = (tag: number, length: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(0xfffe, 0);
    b.writeUInt16LE(tag, 2);
    b.writeUInt32LE(length, 4);
    return b;
  };
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OB', 4, 'latin1');
  pixelHeader.writeUInt32LE(0xffffffff, 8);
  const parts: Uint8Array[] = [head, pixelHeader, item(0xe000, 0)];
  for (const c of codestreams) {
    const pad = c.length % 2;
    parts.push(item(0xe000, c.length + pad), c, new Uint8Array(pad));
  }
  parts.push(item(0xe0dd, 0));
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** The largest absolute difference between two arrays of values, and the mean difference (a − b). */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d;
    if (Math.abs(d) > max) max = Math.abs(d);
  }
  return { max, mean: sum / a.length };
}
