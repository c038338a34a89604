// Domain vocabulary shared by the main process and the renderer. Pure types and constants.

import type { NotRead } from './ai/not-read.ts';
import type { ProblemRef } from './import-problems.ts';
import type { AiMarksMode, ViewerSettings } from './viewer-settings.ts';
import type { ReceiverSettings } from './dicom-node.ts';
import type { ModelProblem } from './ai/model-problems.ts';

export const EXAM_STATUSES = ['new', 'in_progress', 'read'] as const;
export type ExamStatus = (typeof EXAM_STATUSES)[number];

/** Image Laterality (0020,0062): R, L, B (both) or U (unpaired). */
export type Laterality = 'R' | 'L' | 'B' | 'U';

export type PresentationIntent = 'FOR PRESENTATION' | 'FOR PROCESSING';

/** A coded concept as DICOM carries it (Code Value, Coding Scheme Designator, Code Meaning). */
export interface CodedConcept {
  value: string;
  scheme: string;
  meaning: string;
}

/** One row of the worklist: an exam (a DICOM study) with what the reader needs to choose it. */
export interface ExamSummary {
  examId: number;
  patientKey: number;
  patientId: string;
  patientName: string;
  patientBirthDate: string | null;
  patientSex: string | null;
  studyInstanceUid: string;
  studyDate: string | null;
  studyTime: string | null;
  accessionNumber: string | null;
  description: string | null;
  modalities: string[];
  /** Images a reader sees: FOR PRESENTATION images (FOR PROCESSING twins are stored, not counted here). */
  imageCount: number;
  /** Other stored objects: dose reports, structured reports, FOR PROCESSING images. */
  objectCount: number;
  /** ACR view labels of the FOR PRESENTATION images, in reading order (RCC, LCC, RMLO, LMLO, then others). */
  views: string[];
  status: ExamStatus;
  importedAt: string;
  /** Files of this exam that could not be imported (damaged, unreadable): the exam may lack views. */
  rejectedFiles: number;
  /** Another patient has the same Patient ID (and issuer) with another birth date or name: priors are not merged. */
  sharedPatientId: boolean;
  /**
   * The AI second reader's latest analysis of the exam (null: never queued); its exam score once done,
   * why it failed when it did (the score may be another model's or an older version's finished one
   * while the shown analysis is not done). `scoreWithheld`: in second look the score is held back (null), whatever the state, until
   * this reader's first impression of the exam, as the viewer's marks are, so that her unaided read
   * stays unaided; the worklist's triage sort still orders by it when she asks for that sort.
   */
  /**
   * paused: running, and stepped aside for exams a reader opened meanwhile (analysed first).
   * notRead: of an analysis done, the breasts imaged that the model read no image of (its score is
   * the other breast's alone), and 'no-laterality' where images naming no single breast were not read.
   */
  ai: {
    status: AiStatus; score: number | null; failure: string | null; scoreWithheld: boolean; paused: boolean; notRead: NotRead[];
    /** Read, its score held back (`scoreWithheld`) until her first impression of her later exam still to read: the worklist says so. */
    withheldForLater?: boolean;
    /** Queued, and held: the shown model ran past its time limit on an image of another exam (AiResults' state.held); `heldFor` 'changed': its folder changed under the station. */
    held?: boolean;
    heldFor?: 'changed';
    /** Failed on one image: its view (RMLO), as the failure's detail names it. */
    failureView?: string;
    /** Done, but these images could not be read (their views, RMLO): the others were analysed. */
    unreadViews?: string[];
    /**
     * Not done (queued, running: the shown model's new version analyses it again), its score that of
     * this earlier version of the same model: shown as such meanwhile, with the disagreement with her
     * first impression. Shown as "queued" alone, an exam the AI flagged against a normal impression
     * lost its warning for the whole re-analysis of a library (an IT person's upgrade probe).
     */
    scoreVersion?: string;
    /**
     * This reader's first impression of the exam was normal (set where the shown model's analysis is done and its score shows): the worklist
     * says so beside a score the AI flags, the disagreement a second reading or an audit looks for.
     */
    firstImpressionNormal?: boolean;
    /**
     * Second look: read here by this reader with no first impression recorded, the AI's analysis done:
     * closed without the AI's second look (a held Enter closed five exams so, and the list showed them
     * as any other read exam: a radiologist's probe).
     */
    readWithoutImpression?: boolean;
  } | null;
}

/** The attributes of one stored instance that a mammography viewer and the AI need. */
export interface InstanceDetail {
  instanceId: number;
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  transferSyntaxUid: string;
  rows: number | null;
  columns: number | null;
  bitsAllocated: number | null;
  bitsStored: number | null;
  photometricInterpretation: string | null;
  numberOfFrames: number | null;
  imageLaterality: Laterality | null;
  viewCode: CodedConcept | null;
  viewModifierCodes: CodedConcept[];
  viewPosition: string | null;
  /** ACR view label (e.g. RCC, LMLO, RCCID, LXCCL) or null when the view is unknown. */
  viewLabel: string | null;
  presentationIntent: PresentationIntent | null;
  /** True for FOR PROCESSING images: stored, but not hung by default. */
  forProcessing: boolean;
  isImage: boolean;
  pixelSpacing: [number, number] | null;
  imagerPixelSpacing: [number, number] | null;
  estimatedRadiographicMagnificationFactor: number | null;
  patientOrientation: [string, string] | null;
  windowCenters: number[];
  windowWidths: number[];
  windowExplanations: string[];
  voiLutFunction: string | null;
  breastImplantPresent: boolean | null;
  partialView: boolean | null;
  fileSize: number;
  /** Reservations found at import (the image was kept): shown beside it. */
  warnings: ProblemRef[];
  /** The longest side of the display rendition made for it (a reduced copy the viewer paints first), or null when there is none (yet). */
  displayRendition: number | null;
  /**
   * The breast's bounding box in the stored image's pixels, columns [c0, c1) and rows [r0, r1), or
   * null when none is known (not found yet, no clear breast): the viewer fits the breast to its
   * place, or else the whole image.
   */
  breastBox: [number, number, number, number] | null;
}

/** What the station indexes of one incoming DICOM instance: its patient, exam, series and image attributes. */
export interface InstanceAttributes extends Omit<InstanceDetail, 'instanceId' | 'fileSize' | 'warnings' | 'displayRendition' | 'breastBox'> {
  patient: {
    id: string; issuer: string; name: string; birthDate: string | null; sex: string | null;
    /**
     * Her name as Binome read it before it decoded the file's character set (Latin-1), where that
     * differs (Japanese, ISO 2022 IR 87, decoded since 2026-12-07): a library filed her under it.
     */
    nameAsLatin1?: string;
  };
  study: { uid: string; date: string | null; time: string | null; accession: string | null; description: string | null };
  series: { uid: string; modality: string | null; number: number | null; description: string | null; bodyPart: string | null };
}

export interface SeriesDetail {
  seriesKey: number;
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  description: string | null;
  instances: InstanceDetail[];
}

export interface ExamDetail {
  exam: ExamSummary;
  series: SeriesDetail[];
  /**
   * Other exams of the same patient, newest first; `isPrior` marks those dated before this one.
   * `firstImpressionDue`: second look, an exam still to read (shown, whatever its analysis' state) of
   * which this reader has recorded no first impression: the AI's output on this exam, read, is held
   * back until she has (it would tell her read of that one).
   */
  priors: (ExamSummary & { isPrior: boolean; firstImpressionDue?: true })[];
  identity: {
    /** Other patients with this exam's Patient ID (and issuer) but another birth date or name: their exams are not priors. */
    otherPatientsWithSameId: number;
    /** The name or birth date in this exam's files differs from the patient's other exams. */
    differsFromPatient: boolean;
  };
  /** Files of this exam that were not imported, and why. */
  rejected: QuarantineEntry[];
}

/** A file that was not imported (or not completely): which, and why as a code (common/import-problems.ts). */
export interface ImportProblem extends ProblemRef {
  /** The file as the user named it (a path, or an uploaded file's name). */
  file: string;
}

export interface ImportSummary {
  jobId: number;
  status: 'done' | 'cancelled' | 'failed';
  filesSeen: number;
  /** Files stored: importedImages + importedForProcessing + importedOther. */
  imported: number;
  /** Of `imported`: images a reader sees (FOR PRESENTATION, or without a presentation intent). */
  importedImages: number;
  /** Of `imported`: FOR PROCESSING images, kept but not shown. */
  importedForProcessing: number;
  /** Of `imported`: other objects (dose reports, structured reports, presentation states, …). */
  importedOther: number;
  duplicates: number;
  /** Files quarantined with their reason (listed in `problems`): damaged, unreadable, or naming another patient's exam. */
  rejected: number;
  /** Files that are not DICOM at all (licences, notes): skipped, not quarantined. */
  skipped: number;
  /** DICOMDIR files: read for the files they list, not stored as exams. */
  ignored: number;
  /** Files a DICOMDIR lists that are missing from the media (listed in `missingFiles`): nothing to quarantine. */
  missing: number;
  /** Duplicates whose bytes restored the library's copy, missing or damaged in the store. */
  repaired: number;
  /**
   * Duplicates with other bytes than the library's copy (the same UIDs, another content: an image
   * corrected and sent again, a modality reusing UIDs): the library's copy kept, they are not
   * imported (listed in `differingFiles`). Counted among `duplicates`.
   */
  differing: number;
  /** Entries that are not files to read (pipes, sockets, devices, links to folders or to nothing): never opened (listed in `notFileEntries`). */
  notFiles: number;
  bytes: number;
  seconds: number;
  examsTouched: number;
  /** Exams this import touched that lack files it had to reject. */
  incompleteExams: number;
  duplicateFiles: string[];
  differingFiles: string[];
  skippedFiles: string[];
  problems: ImportProblem[];
  missingFiles: string[];
  notFileEntries: ImportProblem[];
  /**
   * What stopped a failed import on the library's side rather than a file's (its disk full, its
   * database unable to record the job): said as the import's ending, never as a file (it was listed
   * among the files refused, as a file named "(library)", under a headline counting none refused).
   */
  stoppedBy?: ProblemRef;
}

export interface ImportProgress {
  jobId: number;
  phase: 'generating' | 'receiving' | 'importing' | 'finishing' | 'done';
  filesTotal: number;
  filesDone: number;
  imported: number;
  duplicates: number;
  rejected: number;
  skipped: number;
  bytes: number;
}

/** An import that ended early (process killed, app closed, disk full) and holds exams back. */
export interface UnfinishedImport {
  jobId: number;
  startedAt: string;
  status: 'interrupted' | 'cancelled' | 'failed';
  filesSeen: number;
  imported: number;
  /** Exams hidden until the import is completed (importing the same files again). */
  examsHeldBack: number;
  /** The paths it was given; null for uploaded files, which must be dropped again, and for received ones. */
  paths: string[] | null;
  /** The calling AE title of the DICOM association whose files it imported (it must send them again); null for files and uploads. */
  receivedFrom: string | null;
  /** The PACS its files were fetched from, by name (its id once removed): a prior's retrieval cut short, which the next search of her priors completes; null otherwise. */
  fetchedFrom: string | null;
  /** The women whose exams it holds back, as stored (DICOM person names), so that the reader knows whose they are: at most four (a fourth says there are more). */
  patientNames: string[];
}

export interface QuarantineEntry extends ProblemRef {
  id: number;
  jobId: number | null;
  file: string;
  at: string;
  /** A copy of the file is kept in the library's quarantine folder (files that exist nowhere else: uploads, received). */
  keptCopy: boolean;
}

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Settings {
  locale: Locale;
  /** Whether a reader chose the language in this library; until one does, each window follows its browser's or system's language (English where neither is French). */
  localeChosen: boolean;
  viewer: ViewerSettings;
  /** The storage SCP's settings as stored in the library (a command line run may override them for itself). */
  receiver: ReceiverSettings;
}

export const AI_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
/** An exam's analysis: waiting, under way, finished, failed (with its reason), or cancelled by a reader. */
export type AiStatus = (typeof AI_STATUSES)[number];

/** The model's classes, each drawn with its own shape (renderer/ai/mark-shapes.ts). */
export const AI_FINDING_CLASSES = ['mass', 'calcification', 'architectural_distortion', 'asymmetry'] as const;

/**
 * A reader's first impression of an exam, recorded before she sees the AI's marks (second look):
 * the screening decision alone — normal (nothing to recall) or recall. Anything finer (BI-RADS,
 * density) belongs to her report. Recorded once: it is her unaided read, and changing it after the
 * marks were shown would make it something else.
 */
export const FIRST_IMPRESSIONS = ['normal', 'recall'] as const;
export type FirstImpressionValue = (typeof FIRST_IMPRESSIONS)[number];

export interface FirstImpression {
  impression: FirstImpressionValue;
  recordedAt: string;
  /** The marks mode the reader had when she recorded it ('concurrent': she may have seen the marks). */
  mode: AiMarksMode;
}

/** One mark of the AI second reader on a stored image: an overlay, never a change of the image. */
export interface AiFinding {
  instanceId: number;
  /** mass | calcification | architectural_distortion | asymmetry (the model's classes). */
  class: string;
  score: number;
  /** Centre and box in the stored image's pixel coordinates (column, row; pixel centres at integers). */
  x: number;
  y: number;
  box: [number, number, number, number];
}

/**
 * A mark of a CAD report (a Mammography CAD SR) on one stored image, in the stored image's pixel
 * coordinates (pixel centres at integers). "Presentation Optional" marks are shown only when the
 * reader asks for them; "Not for Presentation" ones never leave the station's database.
 */
export interface CadMark {
  instanceId: number;
  /** mass | calcification | architectural_distortion | asymmetry | other. */
  class: string;
  /** The finding as the report names it. */
  label: string;
  intent: 'required' | 'optional';
  /** The report's Certainty of Finding, on its own scale, when it gives one. */
  certainty: number | null;
  x: number;
  y: number;
  box: [number, number, number, number];
}

/** A Mammography CAD SR of an exam, as its author named it. */
export interface CadReport {
  id: number;
  algorithmName: string;
  algorithmVersion: string | null;
  /** What its writer says of the algorithm (TID 4019 Algorithm Parameters), e.g. that it is not for diagnostic use. */
  algorithmParameters: string | null;
  manufacturer: string | null;
  /** Its CAD Processing and Findings Summary, e.g. "All algorithms succeeded; with findings". */
  summary: string | null;
  /** Why it could not be read (then it has no marks). */
  problem: string | null;
  marks: CadMark[];
  /** Marks on images that are not in the library (yet), or not of this exam (never drawn elsewhere). */
  unplaced: number;
}

/** A model the station found and runs, as the AI models panel lists it. */
export interface AiModelEntry {
  id: string;
  name: string;
  version: string;
  /** Where it was found: shipped with the application, or dropped into the library's models folder (which wins for the same id). */
  source: 'application' | 'library';
  /** The model's folder name (not its full path). */
  folder: string;
  /** The execution provider its sessions run on (CPU where no accelerator loaded). */
  provider: string;
  /** The providers its manifest prefers that could not open it here, and why (the runtime's message, English, cut short); absent where none failed. */
  fallbacks?: { provider: string; reason: string }[];
  trainedOn: 'synthetic' | 'real' | 'mixed';
  notForDiagnosticUse: boolean;
  /** Whether exams show this model's score and marks (one model is shown: the chosen one, else the last found). */
  shown: boolean;
  /** Its analyses in this library, by state. */
  analyses: Record<AiStatus, number>;
  /** Why its failed analyses failed: each reason's code, how many, one of their details (English, technical; no patient data); the most frequent first. */
  failures?: { code: string; count: number; detail: string | null }[];
  /**
   * The newest version of this model (its id) that this library has analyses of, where it is newer
   * than this one: installed back over it (a downgrade), this version's results show again, with
   * nothing said (a probe). Absent otherwise.
   */
  newerAnalysed?: string;
  /**
   * An earlier version of this model analysed exams of this library that this one has not (an
   * upgrade): the newest such version, and how many exams: they are analysed again under this one,
   * their earlier scores shown meanwhile. Absent otherwise.
   */
  olderAnalysed?: { version: string; exams: number };
  /**
   * The breast it reads at most (mm; width chest wall to nipple), where its input is a fixed matrix at a
   * fixed pixel size: a larger breast is not analysed. `small`: less than a 24 × 30 cm detector's field
   * (common/ai/model-field.ts). Absent: its input grows with the image, or the image is scaled to fit.
   */
  field?: { width: number; height: number; small: boolean };
  /**
   * Its analyses wait: 'overran', it ran past its time limit on an image (until that exam is analysed
   * again and the station starts again); 'changed', its folder changed while the station ran (until the
   * station starts again). The worklist's "on hold (see AI models)" found nothing said there (a probe).
   */
  held?: 'overran' | 'changed';
}

/** The AI second reader's models: those running, those refused and why, and which one exams show. */
export interface AiModelsStatus {
  /** 'off': this station runs no AI (a command line); 'starting': its models are being checked. */
  state: 'off' | 'starting' | 'ready';
  models: AiModelEntry[];
  /** Model folders that were refused; the station works on without them. */
  refused: { source: 'application' | 'library'; folder: string; problem: ModelProblem }[];
  /**
   * Models not used because the library holds the same model id (`by`: the library's folder, used
   * instead, of version `byVersion`; `byOlder`: an older version than the one it replaces, as a
   * clinic that copied a model into its library before an update of the application finds it).
   */
  replaced: { source: 'application' | 'library'; folder: string; id: string; version: string; by: string; byVersion: string; byOlder: boolean }[];
  /** The model id chosen to be shown, or null: the last found is shown. A chosen model that is no longer installed is kept here, and the last found shown meanwhile. */
  chosen: string | null;
  /** The library's models folder, where a clinic drops a model in (found at the next start). */
  libraryModelsFolder: string | null;
  /** Model folders whose check runs long (a slow trial run): the others' models are used meanwhile; absent when none. */
  checking?: { source: 'application' | 'library'; folder: string }[];
  /** The library's disk was full at the AI's last try: analyses wait for room (and go on by themselves once there is); absent otherwise. */
  libraryFull?: true;
}

/**
 * An image of an exam that the model does not read: a view it was not made for (a spot or
 * magnification view), pixels coarser than it reads, or an image the analysis could not read
 * ('unreadable', with the failure's code: damaged or missing in the store, no pixel spacing).
 */
export interface AiNotAnalysed {
  instanceId: number;
  reason: 'view' | 'pixel-size' | 'unreadable' | 'implant';
  /** 'unreadable': why (image_unreadable, image_missing, image_no_spacing, input_too_large, image_no_breast, image_breast_cut). */
  failure?: string;
}

/** A named operating point of a model, with what it achieved on its validation data (null: not said). */
export interface AiOperatingPoint {
  name: string;
  threshold: number;
  sensitivity: number | null;
  specificity: number | null;
  falseMarksPerImage: number | null;
  /** What those figures were measured on, in the manifest's words ("120 synthetic exams, …"). */
  dataset: string;
  /** `dataset` in the station's languages where the manifest gives them (contract 1.6): the reader's, else `dataset`. */
  datasetTranslations?: Partial<Record<Locale, string>>;
}

/** The AI second reader's view of an exam. */
export interface AiResults {
  /** null: no model is installed, or the exam was never queued. */
  state: null | {
    status: AiStatus;
    examScore: number | null;
    breastScores: Partial<Record<'R' | 'L', number>>;
    /**
     * Done: where a breast's score is its best finding's (breastScore "max-over-findings", or an image
     * score that is one), that finding's view, and whether it is marked at the reader's operating point:
     * "left breast 0.14" with no view and no mark anywhere could not be found (a radiologist's probe).
     */
    breastSources?: Partial<Record<'R' | 'L', { view: string; marked: boolean }>>;
    provider: string | null;
    failure: { code: string; detail: string | null } | null;
    finishedAt: string | null;
    /** Running, and stepped aside for exams a reader opened meanwhile (they are analysed first). */
    paused: boolean;
    /** Queued, and held: its model ran past its time limit on an image of another exam, and is not run until that exam is analysed again (and the station starts again). */
    held?: boolean;
    /** 'changed': held because its model's folder changed since the station started (it runs once started again), not for a run that overran. */
    heldFor?: 'changed';
    /** Done: the breasts imaged that the model read no image of (the exam score is the other breast's alone), and 'no-laterality' (see ExamSummary.ai); per image: notAnalysed. */
    notRead: NotRead[];
    /** Done: the images it could not read, by view and the failure's code (the others were analysed). */
    unreadImages: { view: string; code: string }[];
    /**
     * Done, by an earlier version of the model whose results this one gives alike (the same file and
     * settings, its manifest's words alone changed): that version, said beside its scores. Absent: its own run.
     */
    resultsVersion?: string;
  };
  /** The model that made (or will make) them, as its manifest says: shown wherever its marks are. */
  model: null | {
    id: string;
    name: string;
    version: string;
    trainedOn: 'synthetic' | 'real' | 'mixed';
    notForDiagnosticUse: boolean;
    limits: string[];
    /** What its validation found on breasts with an implant (manifest intendedUse.implants, 'caveat'), said on such exams; null: nothing to say. */
    implantCaveat: string | null;
    /** That caveat in the station's languages where the manifest gives them (contract 1.5): the reader's, else `implantCaveat`. */
    implantCaveatTranslations?: Partial<Record<Locale, string>>;
    /** What its scores mean (manifest output.scoreScale): said beside every score shown, so that none reads as a probability it is not. */
    scoreScale: { semantics: 'uncalibrated' | 'probability' | 'percentile' | 'ordinal'; min: number; max: number; prevalence: number | null };
    /** Where its marks are drawn for this reader: her choice among `operatingPoints` (viewer settings), else the manifest's default. */
    operatingPoint: { name: string; threshold: number };
    /** Every operating point the manifest names, in its order, with what each achieved on its validation data: the reader's choice. */
    operatingPoints: AiOperatingPoint[];
    /** The manifest's default operating point's name (the station's CAD SR marks at it). */
    defaultOperatingPoint: string;
    /**
     * Where the worklist flags an exam, when the manifest says (contract 1.3): an exam score at or
     * above `threshold`, with what that gave on its validation exams. Otherwise exams are flagged at
     * `operatingPoint`, where it marks findings.
     */
    examOperatingPoint: { threshold: number; specificity: number; sensitivity: number; dataset: string; datasetTranslations?: Partial<Record<Locale, string>> } | null;
    /** The classes it can mark (its manifest's outputs), in the lexicon's order: the reader's class switches. */
    classes: string[];
  };
  findings: AiFinding[];
  /**
   * Of an exam analysed (or failed as images_too_coarse), its images the model does not read, and
   * why: no mark on them is not "nothing found", and the viewer says so over those of an analysis done.
   */
  notAnalysed: AiNotAnalysed[];
  /** Mammography CAD SRs of the exam from other systems (any vendor's CAD, another station), each with its own marks. */
  cadReports: CadReport[];
  /** This reader's first impression of the exam, or null: in second look, the marks stay locked until there is one. */
  firstImpression: FirstImpression | null;
  /**
   * The analysis shown was made by a model not installed at this station (removed, or run by another
   * station on the library, which shows it): its id and version. What its scores mean and where it flags an
   * exam are not known here; its own CAD SR stands in for its marks. (Its 87.5 on a 0–100 scale read
   * here as "uncalibrated, from 0 to 1", and nothing flagged: a probe.)
   */
  modelNotHere?: { id: string; version: string };
  /**
   * The viewer showed this reader the exam's marks or score before her first impression (concurrent
   * mode; noteAiShown): an impression recorded now is recorded as made with them, and second look says so.
   */
  shownBeforeFirstImpression: boolean;
}
