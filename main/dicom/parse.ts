// Reads the attributes Binome needs from a DICOM Part 10 file, with dicom-parser. Pixel data is
// never decoded or copied here: dicom-parser walks over it by length, which is also how a file cut
// short is detected.

import { TextDecoder } from 'node:util';
import dicomParser from 'dicom-parser';
import type { CodedConcept, InstanceAttributes, Laterality, PresentationIntent } from '../../common/domain.ts';
import { acrViewLabel, MAMMOGRAPHY_SOP_CLASSES } from '../../common/mammo-views.ts';

export const MEDIA_STORAGE_DIRECTORY_SOP_CLASS = '1.2.840.10008.1.3.10';

export class DicomParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomParseError';
  }
}

export interface ParsedInstance extends InstanceAttributes {
  kind: 'instance';
}

export interface ParsedDicomDir {
  kind: 'dicomdir';
  /** Referenced File IDs, each as its path components (e.g. ['77654033', 'CR1', '6154']). */
  referencedFiles: string[][];
}

export type ParsedDicom = ParsedInstance | ParsedDicomDir;

type DataSet = dicomParser.DataSet;

/** Decodes text values in the file's Specific Character Set (only the common single-set cases). */
function textDecoderFor(specificCharacterSet: string | undefined): TextDecoder {
  const first = (specificCharacterSet ?? '').split('\\').map((s) => s.trim()).find((s) => s.length > 0) ?? '';
  switch (first) {
    case 'ISO_IR 192': return new TextDecoder('utf-8');
    case 'ISO_IR 100': return new TextDecoder('latin1');
    case 'ISO_IR 101': return new TextDecoder('iso-8859-2');
    case 'ISO_IR 144': return new TextDecoder('iso-8859-5');
    case 'ISO_IR 148': return new TextDecoder('iso-8859-9');
    case 'GB18030': return new TextDecoder('gb18030');
    default: return new TextDecoder('latin1'); // ASCII is a subset; stray 8-bit bytes stay visible
  }
}

class Reader {
  constructor(private readonly ds: DataSet, private readonly decoder: TextDecoder) {}

  /** A text value decoded in the file's character set, trimmed; null when absent or empty. */
  text(tag: string): string | null {
    const el = this.ds.elements[tag];
    if (!el || el.length === 0) return null;
    const bytes = this.ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
    const value = this.decoder.decode(bytes).replace(/\0+$/, '').trim();
    return value.length ? value : null;
  }

  /** An ASCII value (UI, CS, DA, TM, IS, DS), trimmed; null when absent or empty. */
  ascii(tag: string): string | null {
    const v = this.ds.string(tag);
    const t = v?.replace(/\0+$/, '').trim();
    return t ? t : null;
  }

  values(tag: string): string[] {
    const v = this.ascii(tag);
    return v ? v.split('\\').map((s) => s.trim()) : [];
  }

  numbers(tag: string): number[] {
    return this.values(tag).map(Number).filter((n) => Number.isFinite(n));
  }

  number(tag: string): number | null {
    return this.numbers(tag)[0] ?? null;
  }

  uint16(tag: string): number | null {
    const el = this.ds.elements[tag];
    if (!el || el.length < 2) return null;
    return this.ds.uint16(tag) ?? null;
  }

  yesNo(tag: string): boolean | null {
    const v = this.ascii(tag)?.toUpperCase();
    return v === 'YES' ? true : v === 'NO' ? false : null;
  }

  pair(tag: string): [number, number] | null {
    const n = this.numbers(tag);
    return n.length >= 2 && n[0]! > 0 && n[1]! > 0 ? [n[0]!, n[1]!] : null;
  }

  items(tag: string): Reader[] {
    const el = this.ds.elements[tag];
    return (el?.items ?? []).flatMap((item) => (item.dataSet ? [new Reader(item.dataSet, this.decoder)] : []));
  }

  has(tag: string): boolean {
    return tag in this.ds.elements;
  }
}

function codedConcept(r: Reader): CodedConcept | null {
  const value = r.ascii('x00080100') ?? r.ascii('x00080119') ?? r.ascii('x00080120');
  const scheme = r.ascii('x00080102');
  if (!value || !scheme) return null;
  return { value, scheme, meaning: r.text('x00080104') ?? '' };
}

function laterality(value: string | null): Laterality | null {
  const v = value?.toUpperCase();
  return v === 'R' || v === 'L' || v === 'B' || v === 'U' ? v : null;
}

/** Thrown when the bytes given are a prefix of the file that ends before the pixel data. */
export class NeedMoreBytesError extends Error {}

const PIXEL_DATA = 'x7fe00010';

function parseDataSet(bytes: Uint8Array, fileSize: number): DataSet {
  const hasPreamble = bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  if (!hasPreamble) throw new DicomParseError('not a DICOM Part 10 file (no "DICM" prefix at byte 128)');
  try {
    // Everything Binome reads comes before the pixel data, so parsing stops at its element.
    return dicomParser.parseDicom(bytes, { untilTag: PIXEL_DATA });
  } catch (error) {
    // dicom-parser throws strings, Errors, or { exception, dataSet } when the data ends early
    const inner = typeof error === 'object' && error !== null && 'exception' in error ? (error as { exception: unknown }).exception : error;
    const message = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : String(inner);
    if (/past end of buffer|eof encountered|buffer overr(un|ead)|maxP ?osition/i.test(message)) {
      if (bytes.length < fileSize) throw new NeedMoreBytesError();
      throw new DicomParseError('the file is truncated: an element runs past the end of the file');
    }
    throw new DicomParseError(`malformed DICOM: ${message.replace(/^dicomParser[.:]\w+: /, '')}`);
  }
}

export interface ParseOptions {
  /** The whole file's size when `bytes` is only its beginning (the importer reads headers only). */
  fileSize?: number;
  /** Reads `length` bytes at `offset` of the whole file (to walk compressed pixel data past `bytes`). */
  readAt?: (offset: number, length: number) => Uint8Array;
}

/**
 * Walks the items of encapsulated (compressed) pixel data, from the first item header to the
 * sequence delimiter, by their lengths only: a cut file ends before the delimiter.
 */
function encapsulatedPixelDataComplete(start: number, fileSize: number, readAt: (offset: number, length: number) => Uint8Array): boolean {
  let position = start;
  for (let items = 0; items < 10_000_000; items++) {
    if (position + 8 > fileSize) return false;
    const header = readAt(position, 8);
    if (header.length < 8) return false;
    const view = new DataView(header.buffer, header.byteOffset, 8);
    const group = view.getUint16(0, true);
    const element = view.getUint16(2, true);
    const length = view.getUint32(4, true);
    if (group !== 0xfffe) return false;
    if (element === 0xe0dd) return true;
    if (element !== 0xe000 || length === 0xffffffff) return false;
    position += 8 + length;
  }
  return false;
}

/**
 * Parses a Part 10 file, or the beginning of one (with `fileSize`): throws NeedMoreBytesError when
 * that beginning ends before the pixel data, DicomParseError with a reason when the file is bad.
 */
export function parseDicom(bytes: Uint8Array, options: ParseOptions = {}): ParsedDicom {
  const fileSize = options.fileSize ?? bytes.length;
  const readAt = options.readAt ?? ((offset: number, length: number) => bytes.subarray(offset, offset + length));
  const ds = parseDataSet(bytes, fileSize);
  const r = new Reader(ds, textDecoderFor(ds.string('x00080005')));
  const transferSyntaxUid = r.ascii('x00020010');
  if (!transferSyntaxUid) throw new DicomParseError('no Transfer Syntax UID in the file meta information');
  const sopClassUid = r.ascii('x00080016') ?? r.ascii('x00020002');

  if (sopClassUid === MEDIA_STORAGE_DIRECTORY_SOP_CLASS) {
    const referencedFiles = r
      .items('x00041220')
      .map((item) => item.text('x00041500'))
      .filter((v): v is string => v !== null)
      .map((v) => v.split('\\').map((s) => s.trim()).filter(Boolean));
    return { kind: 'dicomdir', referencedFiles };
  }

  const sopInstanceUid = r.ascii('x00080018') ?? r.ascii('x00020003');
  const studyUid = r.ascii('x0020000d');
  const seriesUid = r.ascii('x0020000e');
  const missing = [
    ['SOP Class UID', sopClassUid], ['SOP Instance UID', sopInstanceUid],
    ['Study Instance UID', studyUid], ['Series Instance UID', seriesUid],
  ].filter(([, v]) => !v).map(([name]) => name);
  if (missing.length) throw new DicomParseError(`missing required attribute${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);

  const pixelData = ds.elements['x7fe00010'];
  const rows = r.uint16('x00280010');
  const columns = r.uint16('x00280011');
  if (pixelData?.hadUndefinedLength) {
    if (!encapsulatedPixelDataComplete(pixelData.dataOffset, fileSize, readAt)) {
      throw new DicomParseError('the file is truncated: the compressed pixel data has no end');
    }
  } else if (pixelData && pixelData.dataOffset + pixelData.length > fileSize) {
    throw new DicomParseError('the file is truncated: pixel data runs past the end of the file');
  }
  const isImage = Boolean(pixelData && rows && columns);

  const viewItem = r.items('x00540220')[0] ?? null;
  const viewCode = viewItem ? codedConcept(viewItem) : null;
  // Modifiers belong inside the View Code Sequence item; some writers put them at the top level.
  const modifierItems = [...(viewItem?.items('x00540222') ?? []), ...r.items('x00540222')];
  const viewModifierCodes = modifierItems.map(codedConcept).filter((c): c is CodedConcept => c !== null);
  const viewPosition = r.ascii('x00185101');
  const imageLaterality = laterality(r.ascii('x00200062')) ?? laterality(r.ascii('x00200060'));
  const intent = r.ascii('x00080068')?.toUpperCase();
  const presentationIntent: PresentationIntent | null =
    intent === 'FOR PRESENTATION' || intent === 'FOR PROCESSING' ? intent : null;
  const orientation = r.values('x00200020');

  return {
    kind: 'instance',
    transferSyntaxUid,
    sopClassUid: sopClassUid!,
    sopInstanceUid: sopInstanceUid!,
    patient: {
      id: r.text('x00100020') ?? '',
      issuer: r.text('x00100021') ?? '',
      name: r.text('x00100010') ?? '',
      birthDate: r.ascii('x00100030'),
      sex: r.ascii('x00100040'),
    },
    study: {
      uid: studyUid!,
      date: r.ascii('x00080020'),
      time: r.ascii('x00080030'),
      accession: r.text('x00080050'),
      description: r.text('x00081030'),
    },
    series: {
      uid: seriesUid!,
      modality: r.ascii('x00080060'),
      number: r.number('x00200011'),
      description: r.text('x0008103e'),
      bodyPart: r.ascii('x00180015'),
    },
    instanceNumber: r.number('x00200013'),
    rows,
    columns,
    bitsAllocated: r.uint16('x00280100'),
    bitsStored: r.uint16('x00280101'),
    photometricInterpretation: r.ascii('x00280004'),
    numberOfFrames: r.number('x00280008'),
    imageLaterality,
    viewCode,
    viewModifierCodes,
    viewPosition,
    viewLabel: isImage ? acrViewLabel(imageLaterality, viewCode, viewModifierCodes, viewPosition) : null,
    presentationIntent,
    forProcessing: presentationIntent === 'FOR PROCESSING' || sopClassUid === MAMMOGRAPHY_SOP_CLASSES.forProcessing,
    isImage,
    pixelSpacing: r.pair('x00280030'),
    imagerPixelSpacing: r.pair('x00181164'),
    estimatedRadiographicMagnificationFactor: r.number('x00181114'),
    patientOrientation: orientation.length === 2 ? [orientation[0]!, orientation[1]!] : null,
    windowCenters: r.numbers('x00281050'),
    windowWidths: r.numbers('x00281051'),
    windowExplanations: r.text('x00281055')?.split('\\') ?? [],
    voiLutFunction: r.ascii('x00281056'),
    breastImplantPresent: r.yesNo('x00281300'),
    partialView: r.yesNo('x00281350'),
  };
}
