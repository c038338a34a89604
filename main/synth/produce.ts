// Renders one planned image, writes it as a DICOM file, and returns its ground truth in the stored
// image's pixel coordinates. Runs in a worker thread (synth.worker.ts) or in-process.

import fs from 'node:fs';
import path from 'node:path';
import type { ExamSpec, ImageSpec, PatientSpec } from './plan.ts';
import { TRANSFER_SYNTAXES } from './plan.ts';
import { renderView } from './render.ts';
import type { LesionTruth } from './render.ts';
import { mammographyFile, patientOrientation } from './dicom-mg.ts';

export interface ImageTruth {
  file: string;
  sopInstanceUid: string;
  key: string;
  viewLabel: string;
  forProcessing: boolean;
  rows: number;
  columns: number;
  imagerPixelSpacing: number;
  pixelSpacing: number;
  patientOrientation: [string, string];
  /** True when the stored image must be mirrored for display (its Patient Orientation says so). */
  storedFlipped: boolean;
  photometric: string;
  voiLutFunction: string;
  transferSyntaxUid: string;
  /** The nipple's position in the stored image (pixel column, row). */
  nipplePx: [number, number];
  lesions: { id: string; class: string; shape: string | null; sizeMm: number; centerPx: [number, number]; bboxPx: [number, number, number, number] }[];
}

export function examFolder(patient: PatientSpec, exam: ExamSpec): string {
  return path.join(patient.woman.patientId, `${exam.studyDate}-${exam.examIndex === 0 ? 'current' : `prior${exam.examIndex}`}`);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export async function produceImage(patient: PatientSpec, exam: ExamSpec, image: ImageSpec, outDir: string): Promise<ImageTruth> {
  const breast = patient.woman.breasts[image.side];
  const rendered = renderView(breast, image.render, image.acquisition, exam.detector, { forProcessing: image.forProcessing, implantDisplaced: image.implantDisplaced });
  const { rows, columns } = rendered;
  const source = image.forProcessing ? rendered.processing! : rendered.presentation;
  const max = (1 << exam.detector.bitsStored) - 1;
  // display-ready is the canonical layout for a right breast; a left breast is its mirror image,
  // and a "stored flipped" image is mirrored once more
  const mirror = (image.side === 'L') !== image.storedFlipped;
  const invert = image.photometric === 'MONOCHROME1' && !image.forProcessing;
  const pixels = new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    const row = y * columns;
    for (let x = 0; x < columns; x++) {
      const v = source[row + (mirror ? columns - 1 - x : x)]!;
      pixels[row + x] = invert ? max - v : v;
    }
  }
  const window = invert ? { center: max - rendered.window.center, width: rendered.window.width } : rendered.window;
  const bytes = await mammographyFile(patient, exam, image, { pixels, rows, columns, window });
  const relative = path.join(examFolder(patient, exam), `${image.key}.dcm`);
  const file = path.join(outDir, relative);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, bytes);

  const mx = (x: number) => (mirror ? columns - 1 - x : x);
  const lesions = rendered.lesions.map((l: LesionTruth) => {
    const [x0, y0, x1, y1] = l.bbox;
    const bx = [mx(x0), mx(x1)].sort((a, b) => a - b) as [number, number];
    return {
      id: l.id, class: l.class, shape: l.shape, sizeMm: l.sizeMm,
      centerPx: [round1(mx(l.center[0])), round1(l.center[1])] as [number, number],
      bboxPx: [round1(bx[0]), round1(y0), round1(bx[1]), round1(y1)] as [number, number, number, number],
    };
  });
  return {
    file: relative.split(path.sep).join('/'),
    sopInstanceUid: image.sopInstanceUid,
    key: image.key,
    viewLabel: image.viewLabel,
    forProcessing: image.forProcessing,
    rows, columns,
    imagerPixelSpacing: exam.detector.spacing,
    pixelSpacing: exam.detector.spacing / image.magnification,
    patientOrientation: patientOrientation(image),
    storedFlipped: image.storedFlipped,
    photometric: image.photometric,
    voiLutFunction: image.forProcessing ? 'NONE' : image.voiFunction,
    transferSyntaxUid: TRANSFER_SYNTAXES[image.transferSyntax],
    nipplePx: [round1(mx(rendered.nipple[0])), round1(rendered.nipple[1])],
    lesions,
  };
}
