// Small synthetic mammography DICOM files for tests of import, the worklist and the transports.
// (The realistic exam generator is its own module; these only need valid, distinct headers.)

import fs from 'node:fs';
import path from 'node:path';
import { writePart10 } from '../../main/dicom/write.ts';
import { derivedUid as testUid } from '../../main/dicom/uid.ts';

const VIEW_CODES = {
  CC: { CodeValue: '399162004', CodingSchemeDesignator: 'SCT', CodeMeaning: 'cranio-caudal' },
  MLO: { CodeValue: '399368009', CodingSchemeDesignator: 'SCT', CodeMeaning: 'medio-lateral oblique' },
} as const;

export interface TestImage {
  patientId: string;
  patientName: string;
  studyUid: string;
  studyDate: string;
  /** B (both) or null (none said): images the AI reads no breast of. */
  laterality: 'R' | 'L' | 'B' | null;
  view: 'CC' | 'MLO';
  instanceNumber: number;
  rows?: number;
  columns?: number;
  forProcessing?: boolean;
  /** Extra bytes of pixel data to make files larger (for import benchmarks and kill tests). */
  padTo?: number;
  /** Without Pixel Spacing and Imager Pixel Spacing (an image that does not say its millimetres). */
  noSpacing?: boolean;
  /** Pixel Spacing and Imager Pixel Spacing in mm (default 0.1). */
  spacingMm?: number;
}

export function makeMammoFile(img: TestImage): Uint8Array {
  const rows = img.rows ?? 64;
  const columns = img.columns ?? 48;
  const pixels = new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) for (let x = 0; x < columns; x++) {
    pixels[y * columns + x] = (x * 4000 / columns + y * 37 + img.instanceNumber * 101) & 0x0fff;
  }
  const sopUid = testUid(img.studyUid, img.laterality ?? 'none', img.view, img.instanceNumber, img.forProcessing ? 'proc' : 'pres');
  const orientation = ({ RCC: 'P\\L', LCC: 'A\\R', RMLO: 'P\\F', LMLO: 'A\\F' } as Record<string, string>)[`${img.laterality}${img.view}`];
  return writePart10({
    SOPClassUID: img.forProcessing ? '1.2.840.10008.5.1.4.1.1.1.2.1' : '1.2.840.10008.5.1.4.1.1.1.2',
    SOPInstanceUID: sopUid,
    StudyInstanceUID: img.studyUid,
    SeriesInstanceUID: testUid(img.studyUid, 'series', img.forProcessing ? 'proc' : 'pres'),
    Modality: 'MG',
    PatientID: img.patientId,
    PatientName: img.patientName,
    PatientBirthDate: '19600101',
    PatientSex: 'F',
    StudyDate: img.studyDate,
    StudyTime: '101010',
    AccessionNumber: `ACC${img.patientId}`,
    StudyDescription: 'Screening mammography',
    SeriesNumber: img.forProcessing ? 2 : 1,
    InstanceNumber: img.instanceNumber,
    ...(img.laterality ? { ImageLaterality: img.laterality } : {}),
    ViewPosition: img.view,
    ViewCodeSequence: [{ ...VIEW_CODES[img.view], ViewModifierCodeSequence: [] }],
    ...(orientation ? { PatientOrientation: orientation } : {}),
    PresentationIntentType: img.forProcessing ? 'FOR PROCESSING' : 'FOR PRESENTATION',
    ...(img.noSpacing ? {} : { ImagerPixelSpacing: [img.spacingMm ?? 0.1, img.spacingMm ?? 0.1], PixelSpacing: [img.spacingMm ?? 0.1, img.spacingMm ?? 0.1], EstimatedRadiographicMagnificationFactor: 1.0 }),
    BreastImplantPresent: 'NO',
    PartialView: 'NO',
    WindowCenter: [2048],
    WindowWidth: [4096],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    ...(img.padTo ? { ImageComments: 'x'.repeat(Math.max(0, img.padTo - rows * columns * 2) & ~1) } : {}),
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  });
}

export interface WrittenExam {
  studyUid: string;
  patientId: string;
  files: string[];
}

/** Writes one woman's 4-view exam (RCC, LCC, RMLO, LMLO) into `folder`; returns its files. */
export function writeFourViews(folder: string, exam: Omit<TestImage, 'laterality' | 'view' | 'instanceNumber' | 'forProcessing'>): string[] {
  fs.mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  let n = 1;
  for (const view of ['CC', 'MLO'] as const) for (const laterality of ['R', 'L'] as const) {
    const file = path.join(folder, `${laterality}${view}.dcm`);
    fs.writeFileSync(file, makeMammoFile({ ...exam, laterality, view, instanceNumber: n++ }));
    files.push(file);
  }
  return files;
}

/** Writes `exams` 4-view screening exams, one folder each. */
export function writeScreeningExams(dir: string, exams: number, options: { padTo?: number; seed?: string; rows?: number; columns?: number } = {}): WrittenExam[] {
  const out: WrittenExam[] = [];
  for (let e = 0; e < exams; e++) {
    const patientId = `P${String(e).padStart(6, '0')}`;
    const studyUid = testUid(options.seed ?? 'exam', e);
    const files = writeFourViews(path.join(dir, `exam-${String(e).padStart(5, '0')}`), {
      patientId, patientName: `TEST^PATIENT${e}`, studyUid, studyDate: `2025${String(1 + (e % 12)).padStart(2, '0')}15`,
      padTo: options.padTo, rows: options.rows, columns: options.columns,
    });
    out.push({ studyUid, patientId, files });
  }
  return out;
}
