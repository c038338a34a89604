// The coded concepts of the Mammography CAD SR (PS3.16 TID 4000 and the templates it includes), for
// the station's writer (cad-sr-write.ts) and its reader of any vendor's reports (cad-sr-read.ts).
// Vendors wrote these reports before SNOMED CT replaced SNOMED RT in DICOM (2019), so the reader also
// knows the older SRT codes of the same findings, and falls back on the code meaning's words.

export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

const dcm = (value: string, meaning: string): Code => ({ value, scheme: 'DCM', meaning });
const sct = (value: string, meaning: string): Code => ({ value, scheme: 'SCT', meaning });

export { MAMMOGRAPHY_CAD_SR_CLASS } from '../../common/dicom-node.ts';

export const CONCEPTS = {
  report: dcm('111036', 'Mammography CAD Report'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLaterality: dcm('111027', 'Image Laterality'),
  imageView: dcm('111031', 'Image View'),
  imageViewModifier: dcm('111032', 'Image View Modifier'),
  studyDate: dcm('111060', 'Study Date'),
  findingsSummary: dcm('111017', 'CAD Processing and Findings Summary'),
  individualImpression: dcm('111034', 'Individual Impression/Recommendation'),
  singleImageFinding: dcm('111059', 'Single Image Finding'),
  renderingIntent: dcm('111056', 'Rendering Intent'),
  operatingPoint: dcm('111071', 'CAD Operating Point'),
  maximumOperatingPoint: dcm('111072', 'Maximum CAD Operating Point'),
  certaintyOfFinding: dcm('111012', 'Certainty of Finding'),
  certaintyOfImpression: dcm('111013', 'Certainty of Impression'),
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  algorithmParameters: dcm('111002', 'Algorithm Parameters'),
  center: dcm('111010', 'Center'),
  outline: dcm('111041', 'Outline'),
  summaryOfDetections: dcm('111064', 'Summary of Detections'),
  successfulDetections: dcm('111063', 'Successful Detections'),
  detectionPerformed: dcm('111022', 'Detection Performed'),
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  finding: dcm('121071', 'Finding'),
} as const;

/** CID 6047: how the CAD processing went. The station writes the first two. */
export const PROCESSING_SUMMARY = {
  withoutFindings: dcm('111241', 'All algorithms succeeded; without findings'),
  withFindings: dcm('111242', 'All algorithms succeeded; with findings'),
} as const;

/** CID 6042 Status of results. */
export const DETECTION_STATUS = { succeeded: dcm('111222', 'Succeeded') } as const;

/** CID 6034: whether a viewer is expected to show a finding. */
export const RENDERING_INTENT = {
  required: dcm('111150', 'Presentation Required: Rendering device is expected to present'),
  optional: dcm('111151', 'Presentation Optional: Rendering device may present'),
  notForPresentation: dcm('111152', 'Not for Presentation: Rendering device expected not to present'),
} as const;

export type RenderingIntent = 'required' | 'optional' | 'not_for_presentation';

export function renderingIntentOf(code: Code | null): RenderingIntent | null {
  if (!code || code.scheme !== 'DCM') return null;
  return code.value === '111150' ? 'required' : code.value === '111151' ? 'optional' : code.value === '111152' ? 'not_for_presentation' : null;
}

/** CID 6022 Side, as PS3.16 codes a breast. */
export const BREAST = { R: sct('73056007', 'Right breast'), L: sct('80248007', 'Left breast') } as const;

/** The station's finding classes as the SR's single image findings (CID 6014, current SNOMED CT codes). */
export const FINDING_CODES: Readonly<Record<string, Code>> = {
  mass: sct('129788004', 'Mammographic breast mass'),
  calcification: sct('129769006', 'Calcification Cluster'),
  architectural_distortion: sct('129792006', 'Architectural distortion of breast'),
  asymmetry: sct('129789007', 'Focal asymmetric breast tissue'),
};

/** Every code a report may use for each class: today's SCT, the SRT codes before 2019, and DCM's own. */
const KNOWN_FINDINGS: readonly [string, readonly string[]][] = [
  ['mass', ['SCT:129788004', 'SCT:4147007', 'SRT:F-01796', 'SNM3:F-01796', 'DCM:111462', 'DCM:111459']],
  ['calcification', ['SCT:129769006', 'SCT:129770007', 'SRT:F-01775', 'SRT:F-01776', 'SNM3:F-01775', 'SNM3:F-01776', 'DCM:111104', 'DCM:111105', 'SCT:309587003']],
  ['architectural_distortion', ['SCT:129792006', 'SRT:F-01795', 'SNM3:F-01795']],
  ['asymmetry', ['SCT:129789007', 'SCT:129790003', 'SCT:129769005', 'SRT:F-01793', 'SRT:F-01794', 'SNM3:F-01793']],
];

/** The station's class of a vendor's single image finding: by its code, else by its meaning's words, else 'other'. */
export function findingClassOf(code: Code | null): string {
  if (!code) return 'other';
  const key = `${code.scheme}:${code.value}`;
  for (const [cls, codes] of KNOWN_FINDINGS) if (codes.includes(key)) return cls;
  const words = code.meaning.toLowerCase();
  if (/calcif/.test(words)) return 'calcification';
  if (/distortion/.test(words)) return 'architectural_distortion';
  if (/asymmetr/.test(words)) return 'asymmetry';
  if (/mass|density|lesion/.test(words)) return 'mass';
  return 'other';
}
