// The attributes Binome indexes, read from a parsed data set (main/dicom/dataset.ts): patient,
// study, series and the image attributes a mammography viewer and the AI need.

import { TextDecoder } from 'node:util';
import type { CodedConcept, InstanceAttributes, Laterality, PresentationIntent } from '../../common/domain.ts';
import { acrViewLabel, MAMMOGRAPHY_SOP_CLASSES } from '../../common/mammo-views.ts';
import type { DataSet } from './dataset.ts';

export const MEDIA_STORAGE_DIRECTORY_SOP_CLASS = '1.2.840.10008.1.3.10';

export interface ParsedInstance extends InstanceAttributes {
  kind: 'instance';
}

export interface ParsedDicomDir {
  kind: 'dicomdir';
  /** The files it lists: each Referenced File ID as its path components (e.g. ['77654033', 'CR1', '6154']), with the exam and instance its records name. */
  referencedFiles: ReferencedFile[];
}

export type ParsedDicom = ParsedInstance | ParsedDicomDir;

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** Decodes text values in the file's Specific Character Set (the common single-set cases, and Japanese ISO 2022 IR 87). */
function textDecoderFor(specificCharacterSet: string | null): TextDecoder | null {
  const terms = (specificCharacterSet ?? '').split('\\').map((s) => s.trim());
  // Japanese with code extensions (PS3.5 H.3.1: "\\ISO 2022 IR 87", ASCII and JIS X 0208 switched by ESC $ B / ESC ( B):
  // ISO-2022-JP's decoder reads exactly these; read as Latin-1, the names kept their raw ESC bytes
  // ("Yamada^Tarou=\x1b$B;3ED\x1b(B…", a probe). Other sets mixed in (katakana IR 13, IR 159) it cannot read: left as before.
  if (terms.includes('ISO 2022 IR 87') && terms.every((t) => t === '' || t === 'ISO 2022 IR 6' || t === 'ISO 2022 IR 87')) return new TextDecoder('iso-2022-jp');
  const first = terms.find((s) => s.length > 0) ?? '';
  switch (first) {
    case 'ISO_IR 192': return new TextDecoder('utf-8');
    case 'ISO_IR 101': return new TextDecoder('iso-8859-2');
    case 'ISO_IR 144': return new TextDecoder('iso-8859-5');
    case 'ISO_IR 148': return new TextDecoder('iso-8859-9');
    case 'GB18030': return new TextDecoder('gb18030');
    default: return null; // ASCII and ISO_IR 100 (Latin-1): stray 8-bit bytes stay visible
  }
}

/** Tags as numbers: (group << 16 | element) >>> 0. */
const T = (group: number, element: number) => ((group << 16) | element) >>> 0;
export const TAGS = {
  transferSyntaxUid: T(0x0002, 0x0010),
  mediaStorageSopClassUid: T(0x0002, 0x0002),
  mediaStorageSopInstanceUid: T(0x0002, 0x0003),
  specificCharacterSet: T(0x0008, 0x0005),
  sopClassUid: T(0x0008, 0x0016),
  sopInstanceUid: T(0x0008, 0x0018),
  studyDate: T(0x0008, 0x0020),
  studyTime: T(0x0008, 0x0030),
  accessionNumber: T(0x0008, 0x0050),
  modality: T(0x0008, 0x0060),
  presentationIntentType: T(0x0008, 0x0068),
  codeValue: T(0x0008, 0x0100),
  codingSchemeDesignator: T(0x0008, 0x0102),
  codeMeaning: T(0x0008, 0x0104),
  longCodeValue: T(0x0008, 0x0119),
  urnCodeValue: T(0x0008, 0x0120),
  studyDescription: T(0x0008, 0x1030),
  seriesDescription: T(0x0008, 0x103e),
  patientName: T(0x0010, 0x0010),
  patientId: T(0x0010, 0x0020),
  issuerOfPatientId: T(0x0010, 0x0021),
  patientBirthDate: T(0x0010, 0x0030),
  patientSex: T(0x0010, 0x0040),
  bodyPartExamined: T(0x0018, 0x0015),
  estimatedRadiographicMagnificationFactor: T(0x0018, 0x1114),
  imagerPixelSpacing: T(0x0018, 0x1164),
  viewPosition: T(0x0018, 0x5101),
  studyInstanceUid: T(0x0020, 0x000d),
  seriesInstanceUid: T(0x0020, 0x000e),
  seriesNumber: T(0x0020, 0x0011),
  instanceNumber: T(0x0020, 0x0013),
  patientOrientation: T(0x0020, 0x0020),
  laterality: T(0x0020, 0x0060),
  imageLaterality: T(0x0020, 0x0062),
  samplesPerPixel: T(0x0028, 0x0002),
  photometricInterpretation: T(0x0028, 0x0004),
  planarConfiguration: T(0x0028, 0x0006),
  numberOfFrames: T(0x0028, 0x0008),
  rows: T(0x0028, 0x0010),
  columns: T(0x0028, 0x0011),
  pixelSpacing: T(0x0028, 0x0030),
  bitsAllocated: T(0x0028, 0x0100),
  bitsStored: T(0x0028, 0x0101),
  highBit: T(0x0028, 0x0102),
  pixelRepresentation: T(0x0028, 0x0103),
  redPaletteDescriptor: T(0x0028, 0x1101),
  greenPaletteDescriptor: T(0x0028, 0x1102),
  bluePaletteDescriptor: T(0x0028, 0x1103),
  redPaletteData: T(0x0028, 0x1201),
  greenPaletteData: T(0x0028, 0x1202),
  bluePaletteData: T(0x0028, 0x1203),
  segmentedRedPaletteData: T(0x0028, 0x1221),
  windowCenter: T(0x0028, 0x1050),
  windowWidth: T(0x0028, 0x1051),
  windowExplanation: T(0x0028, 0x1055),
  voiLutFunction: T(0x0028, 0x1056),
  breastImplantPresent: T(0x0028, 0x1300),
  partialView: T(0x0028, 0x1350),
  viewCodeSequence: T(0x0054, 0x0220),
  viewModifierCodeSequence: T(0x0054, 0x0222),
  directoryRecordSequence: T(0x0004, 0x1220),
  referencedFileId: T(0x0004, 0x1500),
  directoryRecordType: T(0x0004, 0x1430),
  referencedSopInstanceUidInFile: T(0x0004, 0x1511),
  extendedOffsetTable: T(0x7fe0, 0x0001),
  floatPixelData: T(0x7fe0, 0x0008),
  doubleFloatPixelData: T(0x7fe0, 0x0009),
} as const;

/** The tags inspection keeps when it parses a file: those read here, and those its checks read. */
export const KEPT_TAGS: ReadonlySet<number> = new Set(Object.values(TAGS));

export class Reader {
  constructor(private readonly ds: DataSet, private readonly decoder: TextDecoder | null, private readonly littleEndian: boolean) {}

  static of(ds: DataSet, littleEndian: boolean): Reader {
    const probe = new Reader(ds, null, littleEndian);
    return new Reader(ds, textDecoderFor(probe.ascii(TAGS.specificCharacterSet)), littleEndian);
  }

  /** Whether its text is read as Japanese with code extensions (ISO 2022 IR 87), read as Latin-1 until 2026-12-07. */
  get decodesJapanese(): boolean {
    return this.decoder?.encoding === 'iso-2022-jp';
  }

  /** A text value decoded in the file's character set (or as Latin-1, `asLatin1`), trimmed; null when absent or empty. */
  text(tag: number, { asLatin1 = false } = {}): string | null {
    const bytes = this.ds.get(tag)?.value;
    if (!bytes || bytes.length === 0) return null;
    const value = (this.decoder && !asLatin1 ? this.decoder.decode(bytes) : latin1(bytes)).replace(/\0+$/, '').trim();
    return value.length ? value : null;
  }

  /** An ASCII value (UI, CS, DA, TM, IS, DS), up to its first NUL, trimmed; null when absent or empty. */
  ascii(tag: number): string | null {
    const bytes = this.ds.get(tag)?.value;
    if (!bytes || bytes.length === 0) return null;
    const nul = bytes.indexOf(0);
    const t = latin1(nul >= 0 ? bytes.subarray(0, nul) : bytes).trim();
    return t ? t : null;
  }

  values(tag: number): string[] {
    const v = this.ascii(tag);
    return v ? v.split('\\').map((s) => s.trim()) : [];
  }

  numbers(tag: number): number[] {
    return this.values(tag).map(Number).filter((n) => Number.isFinite(n));
  }

  number(tag: number): number | null {
    return this.numbers(tag)[0] ?? null;
  }

  uint16(tag: number): number | null {
    const b = this.ds.get(tag)?.value;
    if (!b || b.length < 2) return null;
    return this.littleEndian ? b[0]! | (b[1]! << 8) : (b[0]! << 8) | b[1]!;
  }

  yesNo(tag: number): boolean | null {
    const v = this.ascii(tag)?.toUpperCase();
    return v === 'YES' ? true : v === 'NO' ? false : null;
  }

  pair(tag: number): [number, number] | null {
    const n = this.numbers(tag);
    return n.length >= 2 && n[0]! > 0 && n[1]! > 0 ? [n[0]!, n[1]!] : null;
  }

  items(tag: number): Reader[] {
    return (this.ds.get(tag)?.items ?? []).map((item) => new Reader(item, this.decoder, this.littleEndian));
  }

  has(tag: number): boolean {
    return this.ds.has(tag);
  }
}

function codedConcept(r: Reader): CodedConcept | null {
  const value = r.ascii(TAGS.codeValue) ?? r.ascii(TAGS.longCodeValue) ?? r.ascii(TAGS.urnCodeValue);
  const scheme = r.ascii(TAGS.codingSchemeDesignator);
  if (!value || !scheme) return null;
  return { value, scheme, meaning: r.text(TAGS.codeMeaning) ?? '' };
}

function laterality(value: string | null): Laterality | null {
  const v = value?.toUpperCase();
  return v === 'R' || v === 'L' || v === 'B' || v === 'U' ? v : null;
}

/** A file a DICOMDIR lists: its path components, and the exam and instance its records name (where they do). */
export interface ReferencedFile {
  components: string[];
  studyUid: string | null;
  sopInstanceUid: string | null;
}

/**
 * The files a DICOMDIR lists, in record order. Records follow their parents (PATIENT, STUDY,
 * SERIES, then the IMAGE records that reference files), so each file belongs to the STUDY record
 * read last before it: the exam a missing file leaves incomplete.
 */
export function referencedFiles(r: Reader): ReferencedFile[] {
  const files: ReferencedFile[] = [];
  let studyUid: string | null = null;
  for (const item of r.items(TAGS.directoryRecordSequence)) {
    if (item.ascii(TAGS.directoryRecordType)?.toUpperCase() === 'STUDY') studyUid = item.ascii(TAGS.studyInstanceUid);
    const id = item.text(TAGS.referencedFileId);
    if (id === null) continue;
    files.push({ components: id.split('\\').map((s) => s.trim()).filter(Boolean), studyUid, sopInstanceUid: item.ascii(TAGS.referencedSopInstanceUidInFile) });
  }
  return files;
}

/** The indexed attributes of an instance whose UIDs were checked present; `isImage` as inspection found it. */
export function instanceAttributes(r: Reader, uids: { transferSyntaxUid: string; sopClassUid: string; sopInstanceUid: string; studyUid: string; seriesUid: string }, isImage: boolean): ParsedInstance {
  const viewItem = r.items(TAGS.viewCodeSequence)[0] ?? null;
  const viewCode = viewItem ? codedConcept(viewItem) : null;
  // Modifiers belong inside the View Code Sequence item; some writers put them at the top level.
  const modifierItems = [...(viewItem?.items(TAGS.viewModifierCodeSequence) ?? []), ...r.items(TAGS.viewModifierCodeSequence)];
  const viewModifierCodes = modifierItems.map(codedConcept).filter((c): c is CodedConcept => c !== null);
  const viewPosition = r.ascii(TAGS.viewPosition);
  const imageLaterality = laterality(r.ascii(TAGS.imageLaterality)) ?? laterality(r.ascii(TAGS.laterality));
  const intent = r.ascii(TAGS.presentationIntentType)?.toUpperCase();
  const presentationIntent: PresentationIntent | null =
    intent === 'FOR PRESENTATION' || intent === 'FOR PROCESSING' ? intent : null;
  const orientation = r.values(TAGS.patientOrientation);
  const name = r.text(TAGS.patientName) ?? '';
  // (only Japanese names are read otherwise than before: the other sets decoded were decoded from the first)
  const nameAsLatin1 = r.decodesJapanese ? r.text(TAGS.patientName, { asLatin1: true }) ?? '' : name;

  return {
    kind: 'instance',
    transferSyntaxUid: uids.transferSyntaxUid,
    sopClassUid: uids.sopClassUid,
    sopInstanceUid: uids.sopInstanceUid,
    patient: {
      id: r.text(TAGS.patientId) ?? '',
      issuer: r.text(TAGS.issuerOfPatientId) ?? '',
      name,
      birthDate: r.ascii(TAGS.patientBirthDate),
      sex: r.ascii(TAGS.patientSex),
      // a library filed her, before her name was decoded, under its Latin-1 reading: the exam's later
      // files must still be hers (refused as another woman's, where no birth date told her: a probe)
      ...(nameAsLatin1 !== name ? { nameAsLatin1 } : {}),
    },
    study: {
      uid: uids.studyUid,
      date: r.ascii(TAGS.studyDate),
      time: r.ascii(TAGS.studyTime),
      accession: r.text(TAGS.accessionNumber),
      description: r.text(TAGS.studyDescription),
    },
    series: {
      uid: uids.seriesUid,
      modality: r.ascii(TAGS.modality),
      number: r.number(TAGS.seriesNumber),
      description: r.text(TAGS.seriesDescription),
      bodyPart: r.ascii(TAGS.bodyPartExamined),
    },
    instanceNumber: r.number(TAGS.instanceNumber),
    rows: r.uint16(TAGS.rows),
    columns: r.uint16(TAGS.columns),
    bitsAllocated: r.uint16(TAGS.bitsAllocated),
    bitsStored: r.uint16(TAGS.bitsStored),
    photometricInterpretation: r.ascii(TAGS.photometricInterpretation),
    numberOfFrames: r.number(TAGS.numberOfFrames),
    imageLaterality,
    viewCode,
    viewModifierCodes,
    viewPosition,
    viewLabel: isImage ? acrViewLabel(imageLaterality, viewCode, viewModifierCodes, viewPosition) : null,
    presentationIntent,
    forProcessing: presentationIntent === 'FOR PROCESSING' || uids.sopClassUid === MAMMOGRAPHY_SOP_CLASSES.forProcessing,
    isImage,
    pixelSpacing: r.pair(TAGS.pixelSpacing),
    imagerPixelSpacing: r.pair(TAGS.imagerPixelSpacing),
    estimatedRadiographicMagnificationFactor: r.number(TAGS.estimatedRadiographicMagnificationFactor),
    patientOrientation: orientation.length === 2 ? [orientation[0]!, orientation[1]!] : null,
    windowCenters: r.numbers(TAGS.windowCenter),
    windowWidths: r.numbers(TAGS.windowWidth),
    windowExplanations: r.text(TAGS.windowExplanation)?.split('\\') ?? [],
    voiLutFunction: r.ascii(TAGS.voiLutFunction),
    breastImplantPresent: r.yesNo(TAGS.breastImplantPresent),
    partialView: r.yesNo(TAGS.partialView),
  };
}
