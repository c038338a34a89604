// The plan of a demo set: patients, their exams (current and priors), and each exam's images with
// their views, variants and UIDs. A pure function of the options, so that worker threads can each
// rebuild it and render their share of the images.

import { derivedUid } from '../dicom/uid.ts';
import type { CodedConcept } from '../../common/domain.ts';
import { acrViewLabel } from '../../common/mammo-views.ts';
import { Random, hash32 } from './random.ts';
import { makeWoman, projectPoint } from './anatomy.ts';
import type { Side, ViewKind, Woman } from './anatomy.ts';
import type { Acquisition, Detector } from './render.ts';

export const TRANSFER_SYNTAXES = {
  explicit: '1.2.840.10008.1.2.1',
  'jpeg-ls': '1.2.840.10008.1.2.4.80',
  htj2k: '1.2.840.10008.1.2.4.201',
  j2k: '1.2.840.10008.1.2.4.90',
} as const;
export type TransferSyntaxName = keyof typeof TRANSFER_SYNTAXES;

export interface DemoOptions {
  patients: number;
  priors: number;
  seed: string;
  size: 'full' | 'reduced';
  transferSyntax: TransferSyntaxName;
  /** Add the viewer and pipeline variants (MONOCHROME1, SIGMOID, flipped storage, extra views, …). */
  variants: boolean;
  /** Share of patients whose current exam has a lesion. */
  abnormalRate: number;
  /** Lesion contrast range: 0.3 subtle … 1.5 obvious. */
  contrast: [number, number];
}

export const DEFAULT_DEMO_OPTIONS: DemoOptions = {
  patients: 4, priors: 1, seed: 'binome', size: 'reduced', transferSyntax: 'explicit', variants: true, abnormalRate: 0.6, contrast: [0.6, 1.3],
};

/**
 * The lesion contrast of an evaluation set: realistic, not the demo's exaggerated default. At 0.3–0.5
 * a mass is as subtle as a real one in a dense breast (main/synth/render.ts, MASS_EXCESS); the demo
 * goes up to 1.3 so that a reader sees most lesions at once.
 */
export const EVALUATION_CONTRAST: [number, number] = [0.3, 0.8];
/** Bands of EVALUATION_CONTRAST that evaluation reports separately. */
export const CONTRAST_BANDS = [
  { name: 'subtle', range: [0.3, 0.45] },
  { name: 'moderate', range: [0.45, 0.6] },
  { name: 'evident', range: [0.6, 0.8001] },
] as const;

/** Two synthetic detectors: A like a 70 µm a-Se system, B like a 100 µm CsI one (for same-size display). */
export const DETECTORS: Record<'A' | 'B', Record<'full' | 'reduced', Detector>> = {
  A: {
    full: { name: 'A', manufacturerModel: 'Binome Synthetic Detector A', rows: 3328, columns: 2560, spacing: 0.07, bitsStored: 12 },
    reduced: { name: 'A', manufacturerModel: 'Binome Synthetic Detector A', rows: 832, columns: 640, spacing: 0.28, bitsStored: 12 },
  },
  B: {
    full: { name: 'B', manufacturerModel: 'Binome Synthetic Detector B', rows: 2294, columns: 1914, spacing: 0.1, bitsStored: 14 },
    reduced: { name: 'B', manufacturerModel: 'Binome Synthetic Detector B', rows: 574, columns: 479, spacing: 0.4, bitsStored: 14 },
  },
};

/** The variant each patient's exams exercise, by patient number (the first six cover them all). */
export const VARIANTS = ['standard', 'monochrome1-sigmoid', 'flipped-for-processing', 'additional-views', 'implant', 'two-detectors'] as const;
export type Variant = (typeof VARIANTS)[number];

const VIEW_CODES: Record<string, CodedConcept> = {
  CC: { value: '399162004', scheme: 'SCT', meaning: 'cranio-caudal' },
  MLO: { value: '399368009', scheme: 'SCT', meaning: 'medio-lateral oblique' },
  XCCL: { value: '399192008', scheme: 'SCT', meaning: 'cranio-caudal exaggerated laterally' },
};
const MODIFIERS: Record<'M' | 'S' | 'ID', CodedConcept> = {
  M: { value: '399163009', scheme: 'SCT', meaning: 'Magnification' },
  S: { value: '399055006', scheme: 'SCT', meaning: 'Spot Compression' },
  ID: { value: '399209000', scheme: 'SCT', meaning: 'Implant Displaced' },
};

export interface ImageSpec {
  key: string;
  side: Side;
  /** The view rendered (XCCL is a CC shifted laterally). */
  render: ViewKind;
  viewCode: CodedConcept;
  modifiers: CodedConcept[];
  viewPosition: string;
  viewLabel: string;
  forProcessing: boolean;
  photometric: 'MONOCHROME2' | 'MONOCHROME1';
  voiFunction: 'LINEAR' | 'SIGMOID';
  /** Stored mirrored left–right: Patient Orientation says so and the viewer must flip it. */
  storedFlipped: boolean;
  magnification: number;
  spot: boolean;
  implantDisplaced: boolean;
  transferSyntax: TransferSyntaxName;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  seriesNumber: number;
  instanceNumber: number;
  acquisition: Acquisition;
}

export interface ExamSpec {
  patientIndex: number;
  /** 0 for the current exam, 1… for priors (older and older). */
  examIndex: number;
  studyInstanceUid: string;
  studyDate: string;
  studyTime: string;
  accessionNumber: string;
  detector: Detector;
  variant: Variant;
  images: ImageSpec[];
}

export interface PatientSpec {
  index: number;
  woman: Woman;
  variant: Variant;
  exams: ExamSpec[];
}

function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}
const dicomDate = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

/**
 * A synthetic woman's Patient ID: unique per seed as well as per woman, so that demo sets made with
 * different seeds never give two women the same ID (they would be taken for one patient).
 */
export function syntheticPatientId(seed: string, index: number): string {
  return `SYN${hash32(`binome-demo/${seed}`).toString(36).toUpperCase().padStart(7, '0')}${String(index + 1).padStart(5, '0')}`;
}

export function planPatient(options: DemoOptions, index: number): PatientSpec {
  const root = new Random(`binome-demo/${options.seed}`);
  const rng = root.fork(`patient-${index}`);
  const variant: Variant = options.variants ? VARIANTS[index % VARIANTS.length]! : 'standard';
  const woman = makeWoman(rng.fork('woman'), syntheticPatientId(options.seed, index), {
    abnormalRate: options.abnormalRate, contrast: options.contrast, implant: variant === 'implant',
  });
  const allLesions = [...woman.breasts.R.lesions, ...woman.breasts.L.lesions];
  const current = addMonths(new Date(Date.UTC(2026, 0, 5)), -rng.int(0, 10));
  current.setUTCDate(1 + rng.int(0, 27));
  const exams: ExamSpec[] = [];
  let date = current;
  for (let e = 0; e <= options.priors; e++) {
    if (e > 0) date = addMonths(date, -rng.int(12, 24));
    const er = rng.fork(`exam-${e}`);
    const studyInstanceUid = derivedUid('binome-demo', options.seed, index, e, 'study');
    const detector = DETECTORS[variant === 'two-detectors' && e > 0 ? 'B' : 'A'][options.size];
    const lesionScale = new Map<string, number>();
    for (const l of allLesions) {
      const scale = e === 0 ? 1 : l.change === 'new' ? 0 : l.change === 'stable' ? 1 : Math.pow(l.priorScale, e);
      if (scale > 0) lesionScale.set(l.id, scale);
    }
    // a prior is the same breast, positioned and compressed a little differently
    const acquisitionFor = (key: string): Acquisition => {
      const ar = er.fork(`acq-${key}`);
      return e === 0
        ? { ku: 1, kw: 1, du: 0, dw: 0, thicknessScale: 1, glandScale: 1, noiseSeed: `${studyInstanceUid}/${key}`, lesionScale }
        : { ku: ar.range(0.95, 1.05), kw: ar.range(0.96, 1.04), du: ar.range(-3, 3), dw: ar.range(-7, 7), thicknessScale: ar.range(0.92, 1.08), glandScale: 1 + 0.04 * e, noiseSeed: `${studyInstanceUid}/${key}`, lesionScale };
    };
    const transferSyntax: TransferSyntaxName = variant === 'additional-views' ? 'jpeg-ls' : variant === 'implant' ? 'j2k' : options.transferSyntax;
    const images: ImageSpec[] = [];
    const add = (side: Side, render: ViewKind, code: CodedConcept, modifierKeys: ('M' | 'S' | 'ID')[], extra: Partial<ImageSpec> = {}) => {
      const modifiers = modifierKeys.map((m) => MODIFIERS[m]);
      const viewPosition = code === VIEW_CODES.XCCL ? 'XCCL' : render;
      const forProcessing = extra.forProcessing ?? false;
      const key = `${side}${viewPosition}${modifierKeys.join('')}${forProcessing ? '-processing' : ''}`;
      const seriesNumber = forProcessing ? 2 : modifierKeys.length || code === VIEW_CODES.XCCL ? 3 : 1;
      images.push({
        key, side, render, viewCode: code, modifiers, viewPosition,
        viewLabel: acrViewLabel(side, code, modifiers, viewPosition)!,
        forProcessing,
        photometric: forProcessing || variant === 'monochrome1-sigmoid' ? 'MONOCHROME1' : 'MONOCHROME2',
        voiFunction: variant === 'monochrome1-sigmoid' ? 'SIGMOID' : 'LINEAR',
        storedFlipped: variant === 'flipped-for-processing' && side === 'R' && !forProcessing,
        magnification: 1, spot: false, implantDisplaced: false, transferSyntax,
        sopInstanceUid: derivedUid('binome-demo', options.seed, index, e, key),
        seriesInstanceUid: derivedUid('binome-demo', options.seed, index, e, 'series', seriesNumber),
        seriesNumber,
        instanceNumber: images.length + 1,
        acquisition: acquisitionFor(key),
        ...extra,
      });
    };
    for (const render of ['CC', 'MLO'] as const) for (const side of ['R', 'L'] as const) add(side, render, VIEW_CODES[render]!, []);
    if (variant === 'flipped-for-processing') {
      for (const render of ['CC', 'MLO'] as const) for (const side of ['R', 'L'] as const) add(side, render, VIEW_CODES[render]!, [], { forProcessing: true });
    }
    if (variant === 'implant') {
      for (const render of ['CC', 'MLO'] as const) for (const side of ['R', 'L'] as const) add(side, render, VIEW_CODES[render]!, ['ID'], { implantDisplaced: true });
    }
    if (variant === 'additional-views' && e === 0) {
      const lesion = allLesions[0];
      const side: Side = lesion?.side ?? 'R';
      const xccl = acquisitionFor('xccl');
      add(side, 'CC', VIEW_CODES.XCCL!, [], { acquisition: { ...xccl, dw: -35 } });
      // spot compression and magnification centred on the lesion (or the breast's centre)
      const cc = woman.breasts[side].views.CC;
      const at = lesion ? projectPoint(cc, lesion.depth, lesion.superior, lesion.lateral) : { u: cc.depth / 2, w: 0 };
      const centre = at.u;
      const centreW = at.w;
      const canvasU = (detector.columns * detector.spacing) / 2;
      const spot = acquisitionFor('spot');
      // the field may not reach past the chest wall: u in the anatomy stays ≥ 0
      add(side, 'CC', VIEW_CODES.CC!, ['S'], { spot: true, acquisition: { ...spot, thicknessScale: 0.75, du: Math.max(0, centre - canvasU), dw: -centreW } });
      const mag = acquisitionFor('mag');
      const m = 1.8;
      add(side, 'CC', VIEW_CODES.CC!, ['M'], { magnification: m, acquisition: { ...mag, ku: 1 / m, kw: 1 / m, du: Math.max(0, centre * m - canvasU), dw: -centreW * m } });
    }
    exams.push({
      patientIndex: index, examIndex: e, studyInstanceUid, studyDate: dicomDate(date),
      studyTime: `${String(8 + er.int(0, 9)).padStart(2, '0')}${String(er.int(0, 59)).padStart(2, '0')}00`,
      // the woman's ID and the exam's rank (16 characters, SH's limit): per seed, as her ID is (two
      // demo sets gave two women the same accession number, and a search by it found both; a probe)
      accessionNumber: `${syntheticPatientId(options.seed, index)}${e.toString(36).toUpperCase()}`,
      detector, variant, images,
    });
  }
  return { index, woman, variant, exams };
}
