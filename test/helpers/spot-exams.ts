// Mammograms whose only bright place is known: a breast of even density (below what the "bright
// spots" fixture model marks) against air, and one bright spot (a Gaussian bump reaching the top of
// the range) at a stored pixel the test chooses. Each image may be stored mirrored (its Patient
// Orientation says so, and the viewer turns it the right way round), so that a test can check that
// the AI's marks land on the spot wherever the viewer draws it.
import fs from 'node:fs';
import path from 'node:path';
import { writePart10 } from '../../main/dicom/write.ts';
import { derivedUid } from '../../main/dicom/uid.ts';

const VIEW_CODES = {
  CC: { CodeValue: '399162004', CodingSchemeDesignator: 'SCT', CodeMeaning: 'cranio-caudal' },
  MLO: { CodeValue: '399368009', CodingSchemeDesignator: 'SCT', CodeMeaning: 'medio-lateral oblique' },
  XCCL: { CodeValue: '399192008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'cranio-caudal exaggerated laterally' },
} as const;

/** Patient Orientation of an image stored ready to display (IHE MAMMO). */
const DISPLAY_READY = { RCC: ['P', 'L'], LCC: ['A', 'R'], RMLO: ['P', 'F'], LMLO: ['A', 'F'], RXCCL: ['P', 'L'], LXCCL: ['A', 'R'] } as const;
const OPPOSITE: Record<string, string> = { A: 'P', P: 'A', L: 'R', R: 'L', F: 'H', H: 'F' };

export interface SpotImage {
  laterality: 'R' | 'L';
  /** XCCL: a view the fixture model does not read (an exam of XCCL images only fails its analysis). */
  view: 'CC' | 'MLO' | 'XCCL';
  /** The spot's centre, stored pixels (column, row). */
  spot: [number, number];
  /** Stored mirrored left to right (rows point the other way), or upside down (columns point the other way). */
  storedFlipped?: 'horizontal' | 'vertical';
}

export interface SpotExam {
  patientId: string;
  patientName: string;
  studyDate: string;
  images: SpotImage[];
}

export const SPOT_IMAGE = { rows: 600, columns: 480, spacingMm: 0.2, sigmaPx: 8, breast: 1000, peak: 4095 } as const;

/** Writes an exam's images into `dir`; returns its Study Instance UID. */
export function writeSpotExam(dir: string, exam: SpotExam): string {
  const studyUid = derivedUid('spot-exam', exam.patientId, exam.studyDate);
  fs.mkdirSync(dir, { recursive: true });
  const { rows, columns } = SPOT_IMAGE;
  exam.images.forEach((image, n) => {
    const label = `${image.laterality}${image.view}` as keyof typeof DISPLAY_READY;
    const [rowDir, columnDir] = DISPLAY_READY[label];
    const orientation = image.storedFlipped === 'horizontal' ? [OPPOSITE[rowDir]!, columnDir]
      : image.storedFlipped === 'vertical' ? [rowDir, OPPOSITE[columnDir]!] : [rowDir, columnDir];
    // the chest wall is where the rows point posterior
    const chestWallRight = orientation[0] === 'P';
    const pixels = new Uint16Array(rows * columns);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const depth = chestWallRight ? columns - 1 - x : x;
        const inBreast = (depth / (0.8 * columns)) ** 2 + ((y - rows / 2) / (0.46 * rows)) ** 2 <= 1;
        const bump = Math.exp(-((x - image.spot[0]) ** 2 + (y - image.spot[1]) ** 2) / (2 * SPOT_IMAGE.sigmaPx ** 2));
        pixels[y * columns + x] = inBreast ? Math.min(SPOT_IMAGE.peak, Math.round(SPOT_IMAGE.breast + (SPOT_IMAGE.peak - SPOT_IMAGE.breast) * bump)) : 0;
      }
    }
    const sopUid = derivedUid(studyUid, label, n);
    fs.writeFileSync(path.join(dir, `${label}.dcm`), writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.2',
      SOPInstanceUID: sopUid,
      StudyInstanceUID: studyUid,
      SeriesInstanceUID: derivedUid(studyUid, 'series'),
      Modality: 'MG',
      PatientID: exam.patientId,
      PatientName: exam.patientName,
      PatientBirthDate: '19600101',
      PatientSex: 'F',
      StudyDate: exam.studyDate,
      StudyTime: '101010',
      AccessionNumber: `ACC${exam.patientId}${exam.studyDate}`,
      StudyDescription: 'Screening mammography',
      SeriesNumber: 1,
      InstanceNumber: n + 1,
      ImageLaterality: image.laterality,
      ViewPosition: image.view,
      ViewCodeSequence: [{ ...VIEW_CODES[image.view], ViewModifierCodeSequence: [] }],
      PatientOrientation: orientation.join('\\'),
      PresentationIntentType: 'FOR PRESENTATION',
      ImagerPixelSpacing: [SPOT_IMAGE.spacingMm, SPOT_IMAGE.spacingMm],
      PixelSpacing: [SPOT_IMAGE.spacingMm, SPOT_IMAGE.spacingMm],
      EstimatedRadiographicMagnificationFactor: 1.0,
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
      PixelData: [pixels.buffer],
      _vrMap: { PixelData: 'OW' },
    }));
  });
  return studyUid;
}
