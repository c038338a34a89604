// The station's AI analysis of an exam as a DICOM Mammography CAD SR (PS3.3 A.35.6, PS3.16 TID 4000),
// so that a PACS, another workstation or a later reader sees the same marks, named with the
// algorithm that made them. The content tree:
//
//   Mammography CAD Report (TID 4000)
//   ├ has obs context: the device (this station) and the model
//   ├ contains Image Library (TID 4020): each image analysed, its laterality, view and study date
//   ├ contains CAD Processing and Findings Summary (with / without findings)
//   │ ├ has properties: Certainty of Impression per breast and for the exam (the model's scores)
//   │ └ inferred from Individual Impression/Recommendation (TID 4003), one per finding
//   │   └ contains Single Image Finding (TID 4006): class; rendering intent with the operating point;
//   │     certainty; algorithm name and version (TID 4019); inferred from its centre (POINT) and
//   │     outline (POLYLINE), each selected from the stored image
//   └ contains Summary of Detections (TID 4015): the detections run, by which algorithm, on which images
//
// The relationships are those PS3.3 A.35.5-2 allows (dcmtk's dsrdump checks them: a CODE item
// contains nothing, it is inferred from or has properties).
//
// Coordinates: the station keeps findings with pixel centres at integers; an SR's image coordinates
// put the top left corner of the top left pixel at 0\0 (PS3.3 C.18.6.1.2), so a centre is + 0.5.
// The pixel data of the images is never touched: the SR only refers to them.

import { randomUUID } from 'node:crypto';
import type { NaturalDataset } from './write.ts';
import { BREAST, CONCEPTS, DETECTION_STATUS, FINDING_CODES, MAMMOGRAPHY_CAD_SR_CLASS, PROCESSING_SUMMARY, RENDERING_INTENT } from './cad-sr-codes.ts';
import type { Code } from './cad-sr-codes.ts';

export interface CadSrImage {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
  laterality: 'R' | 'L';
  /** The image's View Code Sequence item, as stored with it. */
  viewCode: Code | null;
}

export interface CadSrFinding {
  sopInstanceUid: string;
  class: string;
  score: number;
  /** Centre and box in the station's convention (pixel centres at integers). */
  x: number;
  y: number;
  box: [number, number, number, number];
}

export interface CadSrInput {
  /** Patient and study attributes copied from the exam's images (names as dcmjs reads them). */
  study: {
    StudyInstanceUID: string;
    PatientName?: unknown; PatientID?: unknown; IssuerOfPatientID?: unknown; PatientBirthDate?: unknown; PatientSex?: unknown;
    StudyDate?: unknown; StudyTime?: unknown; ReferringPhysicianName?: unknown; StudyID?: unknown; AccessionNumber?: unknown;
  };
  images: CadSrImage[];
  findings: CadSrFinding[];
  /** `parameters`: said with the name (TID 4019 Algorithm Parameters): what the algorithm is not for, when it is not for diagnosis. */
  algorithm: { name: string; version: string; id: string; parameters?: string };
  /** The classes the model looks for: the only detections the SR says were performed. */
  classes: readonly string[];
  /** The model's named operating points, and the one the station shows by default. */
  operatingPoints: { name: string; threshold: number }[];
  defaultOperatingPoint: string;
  examScore: number;
  breastScores: Partial<Record<'R' | 'L', number>>;
  device: { uid: string; name: string; manufacturer: string; softwareVersion: string };
  seriesUid: string;
  contentTime: Date;
}

/** A UID for a new SR instance: the 2.25 root and a random UUID (PS3.5 B.2). */
export function newInstanceUid(): string {
  return `2.25.${BigInt('0x' + randomUUID().replaceAll('-', '')).toString()}`;
}

/**
 * A value cut to fit an LO attribute: 64 characters, and 64 bytes as UTF-8 (validators count the
 * bytes), never inside a character. Cut by UTF-16 units, a model's name ending in an emoji left half
 * of it (U+FFFD) and 66 bytes (a probe, dciodvfy).
 */
export function fitLongString(value: string, maxBytes = 64): string {
  let out = '';
  let bytes = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

/** Of a model's name, what Series Description keeps at least beside a long version. */
const NAME_KEPT_BYTES = 24;

/** `name` within `room` bytes of UTF-8: whole, else cut at a word's end where one lies in the part kept's second half, and said cut with an ellipsis. */
function nameWithin(name: string, room: number): string {
  if (Buffer.byteLength(name) <= room) return name;
  const cut = fitLongString(name, Math.max(0, room - Buffer.byteLength('…')));
  const end = cut.lastIndexOf(' ');
  return `${(end > cut.length / 2 ? cut.slice(0, end) : cut).trimEnd()}…`;
}

/**
 * The SR's Series Description: the model's name and version, the version whole and the name cut where
 * both do not fit (a long name left "<name> 1" of 1.0.0, which reads as another version); cut at a
 * word's end, and said cut with an ellipsis (a vendor's probe read "… Ärzte G 1.0.0-rc.1", its name's
 * last word cut to a letter). A version so long it would leave the name under NAME_KEPT_BYTES is cut
 * instead (a 60-character version left "… 999…9" alone, a probe).
 */
export function seriesDescription(name: string, version: string): string {
  if (Buffer.byteLength(`${name} ${version}`) <= 64) return fitLongString(`${name} ${version}`);
  if (Buffer.byteLength(version) <= 64 - 1 - NAME_KEPT_BYTES) return fitLongString(`${nameWithin(name, 64 - 1 - Buffer.byteLength(version))} ${version}`);
  const shown = nameWithin(name, NAME_KEPT_BYTES);
  return fitLongString(`${shown} ${fitLongString(version, 64 - 1 - Buffer.byteLength(shown) - Buffer.byteLength('…'))}…`);
}

const codeItem = (c: Code) => [{ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning }];

type Item = Record<string, unknown>;

const container = (relationship: string | null, concept: Code, children: Item[], extra: Item = {}): Item => ({
  ...(relationship ? { RelationshipType: relationship } : {}),
  ValueType: 'CONTAINER', ConceptNameCodeSequence: codeItem(concept), ContinuityOfContent: 'SEPARATE', ...extra,
  ...(children.length ? { ContentSequence: children } : {}),
});
const code = (relationship: string, concept: Code, value: Code, children: Item[] = []): Item => ({
  RelationshipType: relationship, ValueType: 'CODE', ConceptNameCodeSequence: codeItem(concept), ConceptCodeSequence: codeItem(value),
  ...(children.length ? { ContentSequence: children } : {}),
});
const text = (relationship: string, concept: Code, value: string, children: Item[] = []): Item => ({
  RelationshipType: relationship, ValueType: 'TEXT', ConceptNameCodeSequence: codeItem(concept), TextValue: value,
  ...(children.length ? { ContentSequence: children } : {}),
});
const num = (relationship: string, concept: Code, value: number, unit: Code, children: Item[] = []): Item => ({
  RelationshipType: relationship, ValueType: 'NUM', ConceptNameCodeSequence: codeItem(concept),
  MeasuredValueSequence: [{ NumericValue: formatDs(value), MeasurementUnitsCodeSequence: codeItem(unit) }],
  ...(children.length ? { ContentSequence: children } : {}),
});
const image = (relationship: string, img: CadSrImage, children: Item[] = [], concept?: Code): Item => ({
  RelationshipType: relationship, ValueType: 'IMAGE', ...(concept ? { ConceptNameCodeSequence: codeItem(concept) } : {}),
  ReferencedSOPSequence: [{ ReferencedSOPClassUID: img.sopClassUid, ReferencedSOPInstanceUID: img.sopInstanceUid }],
  ...(children.length ? { ContentSequence: children } : {}),
});
const scoord = (concept: Code, graphicType: 'POINT' | 'POLYLINE', points: number[], img: CadSrImage): Item => ({
  RelationshipType: 'INFERRED FROM', ValueType: 'SCOORD', ConceptNameCodeSequence: codeItem(concept),
  GraphicType: graphicType, GraphicData: points.map((p) => Math.fround(p)), ContentSequence: [image('SELECTED FROM', img)],
});

/** A Decimal String of at most 16 characters. */
function formatDs(value: number): string {
  for (let digits = 6; digits > 0; digits--) {
    const s = String(Number(value.toFixed(digits)));
    if (s.length <= 16) return s;
  }
  return String(Math.round(value));
}

const UNIT_SCORE: Code = { value: '1', scheme: 'UCUM', meaning: 'no units' };
const UNIT_POINT: Code = { value: '{index}', scheme: 'UCUM', meaning: 'index' };

const da = (d: Date) => `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
const tm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}${String(d.getSeconds()).padStart(2, '0')}`;

/**
 * The SR data set of an analysis (to be written with writePart10). Each finding's rendering intent:
 * "Presentation Required" at or above the default operating point (the marks the station shows),
 * "Presentation Optional" below it, with the CAD Operating Point (0 the most specific named
 * point) at which it would show.
 */
export function cadSrDataset(input: CadSrInput, sopInstanceUid: string): NaturalDataset {
  const byUid = new Map(input.images.map((i) => [i.sopInstanceUid, i]));
  const points = [...input.operatingPoints].sort((a, b) => b.threshold - a.threshold);
  const shownAt = points.find((p) => p.name === input.defaultOperatingPoint)?.threshold ?? points[0]?.threshold ?? 0;
  // TID 4019: the algorithm's name and version, side by side
  const algorithm = (rel: string) => [text(rel, CONCEPTS.algorithmName, input.algorithm.name), text(rel, CONCEPTS.algorithmVersion, input.algorithm.version),
    ...(input.algorithm.parameters ? [text(rel, CONCEPTS.algorithmParameters, input.algorithm.parameters)] : [])];

  const library = container('CONTAINS', CONCEPTS.imageLibrary, input.images.map((img) => image('CONTAINS', img, [
    code('HAS ACQ CONTEXT', CONCEPTS.imageLaterality, BREAST[img.laterality]),
    ...(img.viewCode ? [code('HAS ACQ CONTEXT', CONCEPTS.imageView, img.viewCode)] : []),
    ...(typeof input.study.StudyDate === 'string' && input.study.StudyDate ? [{
      RelationshipType: 'HAS ACQ CONTEXT', ValueType: 'DATE', ConceptNameCodeSequence: codeItem(CONCEPTS.studyDate), Date: input.study.StudyDate,
    }] : []),
  ])));

  const findings = input.findings.filter((f) => byUid.has(f.sopInstanceUid)).sort((a, b) => b.score - a.score);
  const impressions = findings.map((f) => {
    const img = byUid.get(f.sopInstanceUid)!;
    const intent = f.score >= shownAt ? RENDERING_INTENT.required : RENDERING_INTENT.optional;
    const firstShownAt = points.findIndex((p) => f.score >= p.threshold);
    const intentItem = code('HAS CONCEPT MOD', CONCEPTS.renderingIntent, intent,
      firstShownAt >= 0 ? [num('HAS PROPERTIES', CONCEPTS.operatingPoint, firstShownAt, UNIT_POINT)] : []);
    const [x0, y0, x1, y1] = f.box.map((v) => v + 0.5) as [number, number, number, number];
    const finding = code('CONTAINS', CONCEPTS.singleImageFinding, FINDING_CODES[f.class] ?? { value: f.class, scheme: '99BINOME', meaning: f.class }, [
      intentItem,
      num('HAS PROPERTIES', CONCEPTS.certaintyOfFinding, f.score, UNIT_SCORE),
      ...algorithm('HAS PROPERTIES'),
      scoord(CONCEPTS.center, 'POINT', [f.x + 0.5, f.y + 0.5], img),
      scoord(CONCEPTS.outline, 'POLYLINE', [x0, y0, x1, y0, x1, y1, x0, y1, x0, y0], img),
    ]);
    return container('INFERRED FROM', CONCEPTS.individualImpression, [
      code('HAS CONCEPT MOD', CONCEPTS.renderingIntent, intent),
      finding,
    ]);
  });
  const scores = [
    ...(['R', 'L'] as const).filter((side) => input.breastScores[side] !== undefined).map((side) =>
      num('HAS PROPERTIES', CONCEPTS.certaintyOfImpression, input.breastScores[side]!, UNIT_SCORE, [code('HAS CONCEPT MOD', CONCEPTS.imageLaterality, BREAST[side])])),
    num('HAS PROPERTIES', CONCEPTS.certaintyOfImpression, input.examScore, UNIT_SCORE),
  ];
  const summary = code('CONTAINS', CONCEPTS.findingsSummary, findings.length ? PROCESSING_SUMMARY.withFindings : PROCESSING_SUMMARY.withoutFindings,
    [...scores, ...impressions]);

  // the detections the model performs, not every kind the template knows: a model of masses alone
  // said it had looked for calcifications and found none (a probe)
  const classes = input.classes.filter((cls) => FINDING_CODES[cls]);
  const detections = code('CONTAINS', CONCEPTS.summaryOfDetections, DETECTION_STATUS.succeeded, [
    container('INFERRED FROM', CONCEPTS.successfulDetections, classes.map((cls) => code('CONTAINS', CONCEPTS.detectionPerformed, FINDING_CODES[cls]!, [
      ...algorithm('HAS PROPERTIES'),
      ...input.images.map((img) => image('INFERRED FROM', img)),
    ]))),
  ]);

  const observer = [
    code('HAS OBS CONTEXT', CONCEPTS.observerType, CONCEPTS.device),
    { RelationshipType: 'HAS OBS CONTEXT', ValueType: 'UIDREF', ConceptNameCodeSequence: codeItem(CONCEPTS.deviceObserverUid), UID: input.device.uid },
    text('HAS OBS CONTEXT', CONCEPTS.deviceObserverName, input.device.name),
    text('HAS OBS CONTEXT', CONCEPTS.deviceObserverManufacturer, input.device.manufacturer),
    text('HAS OBS CONTEXT', CONCEPTS.deviceObserverModelName, input.algorithm.name),
  ];

  const evidence = new Map<string, CadSrImage[]>();
  for (const img of input.images) evidence.set(img.seriesUid, [...(evidence.get(img.seriesUid) ?? []), img]);
  const s = input.study;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const now = input.contentTime;
  return {
    // dcmjs writes every string as UTF-8
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: MAMMOGRAPHY_CAD_SR_CLASS,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: str(s.StudyDate), StudyTime: str(s.StudyTime),
    ContentDate: da(now), ContentTime: tm(now),
    AccessionNumber: str(s.AccessionNumber),
    Modality: 'SR',
    Manufacturer: fitLongString(input.device.manufacturer),
    ReferringPhysicianName: s.ReferringPhysicianName ?? '',
    SeriesDescription: seriesDescription(input.algorithm.name, input.algorithm.version),
    ManufacturerModelName: fitLongString(input.device.name),
    ReferencedPerformedProcedureStepSequence: [],
    PatientName: s.PatientName ?? '', PatientID: str(s.PatientID),
    ...(typeof s.IssuerOfPatientID === 'string' && s.IssuerOfPatientID ? { IssuerOfPatientID: s.IssuerOfPatientID } : {}),
    PatientBirthDate: str(s.PatientBirthDate), PatientSex: str(s.PatientSex),
    SoftwareVersions: fitLongString(input.device.softwareVersion),
    StudyInstanceUID: s.StudyInstanceUID,
    SeriesInstanceUID: input.seriesUid,
    StudyID: str(s.StudyID),
    SeriesNumber: 900,
    InstanceNumber: 1,
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: codeItem(CONCEPTS.report),
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '4000' }],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [{
      StudyInstanceUID: s.StudyInstanceUID,
      ReferencedSeriesSequence: [...evidence].map(([seriesUid, imgs]) => ({
        SeriesInstanceUID: seriesUid,
        ReferencedSOPSequence: imgs.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
      })),
    }],
    ContentSequence: [...observer, library, summary, detections],
  };
}
