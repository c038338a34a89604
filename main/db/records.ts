// How rows of the library database become the domain's types (common/domain.ts), and the few
// encodings the tables use (pairs as "a\b", booleans as 0/1/NULL, JSON lists).

import type { CodedConcept, ExamStatus, ExamSummary, InstanceDetail, Laterality, PresentationIntent } from '../../common/domain.ts';
import type { ProblemRef } from '../../common/import-problems.ts';
import { sortViewLabels } from '../../common/mammo-views.ts';
import { partsNotRead } from '../../common/ai/not-read.ts';
import type { NotRead } from '../../common/ai/not-read.ts';

/** Upper-cased, accent-free, separator-free form of a name or search text. */
export function searchKey(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').replace(/[\^=]+/g, ' ').replace(/\s+/g, ' ').trim().toUpperCase();
}

/** What tells one woman from another in the library: her Patient ID and its issuer, then her birth date and name. */
export interface PatientIdentity {
  id: string;
  issuer: string;
  /** The name's search form (searchKey); '' when unknown. */
  nameKey: string;
  /** The search form of her name as read before its character set was decoded (nameAsLatin1), where it differs. */
  formerNameKey?: string;
  birthDate: string | null;
}

export function patientIdentity(p: { id: string; issuer: string; name: string; birthDate: string | null; nameAsLatin1?: string }): PatientIdentity {
  return { id: p.id, issuer: p.issuer, nameKey: searchKey(p.name), birthDate: p.birthDate,
    ...(p.nameAsLatin1 !== undefined ? { formerNameKey: searchKey(p.nameAsLatin1) } : {}) };
}

type Demographics = { nameKey: string; formerNameKey?: string; birthDate: string | null };

/**
 * Whether a birth date and name describe the woman already known by them: the birth dates agree
 * where both are known (her name may have changed since), else the names agree where both are known
 * (a name as read before its character set was decoded, formerNameKey, is hers too).
 */
export function sameDemographics(known: Demographics, other: Demographics): boolean {
  if (known.birthDate && other.birthDate) return known.birthDate === other.birthDate;
  if (!known.nameKey || !other.nameKey || known.nameKey === other.nameKey) return true;
  return known.nameKey === other.formerNameKey || known.formerNameKey === other.nameKey;
}

/**
 * Whether two identities are the same woman, by the rule that files patients (the same Patient ID
 * and issuer, then sameDemographics). Files without a Patient ID (anonymised) compare by birth date
 * and name alone.
 */
export function sameWoman(a: PatientIdentity, b: PatientIdentity): boolean {
  return a.id === b.id && a.issuer === b.issuer && sameDemographics(a, b);
}

export interface ExamRow {
  id: number; patient_ref: number; patient_id: string; name: string; birth_date: string | null; sex: string | null;
  study_uid: string; study_date: string | null; study_time: string | null; accession: string | null;
  description: string | null; modalities: string; image_count: number; object_count: number; views: string; status: ExamStatus;
  imported_at: string; rejected_files: number; shared_id: number; ai_status: string | null; ai_score: number | null; ai_detail: string | null; ai_score_version: string | null;
}

/**
 * Quarantine rows (q) of files that exam s lacks: rejected files that named its Study Instance UID
 * and are not stored in it since. A file refused because that UID is another woman's exam
 * ('study_conflict') is not hers: it does not make her exam incomplete.
 */
export const MISSING_FROM_EXAM = `q.study_uid = s.study_uid AND coalesce(q.code, '') != 'study_conflict'
  AND (q.sop_uid IS NULL OR NOT EXISTS (SELECT 1 FROM instances i JOIN series se ON se.id = i.series_ref WHERE i.sop_uid = q.sop_uid AND se.study_ref = s.id))`;

/**
 * Which model's analysis an exam shows where several models analysed it (j = ai_jobs): the model the
 * station shows (the setting below, written by the AI loop as it starts: the library's model over the
 * application's), then the newest job. Without it, the newest job would decide, and an update of the
 * bundled model (new jobs for every exam) would put its scores in place of the clinic's own model's.
 */
export const AI_SHOWN_MODEL_SETTING = 'ai.shownModel';
/** The model id a user chose to show ('' or absent: the last found); the AI loop keeps ai.shownModel from it. */
export const AI_CHOSEN_MODEL_SETTING = 'ai.chosenModel';
/**
 * The model found last once every check of a station's start had ended (those set aside too): the
 * automatic choice of its next start, where that model's check is set aside again (a vendor's model
 * whose check takes 18 s was never shown without a choice, at any start: a probe).
 */
export const AI_LAST_FOUND_SETTING = 'ai.lastFound';
/**
 * The version of the shown model that runs at the station (written with it): its analysis goes before
 * the model's other versions' (migration 0015). Without it, a version no process runs any more (a
 * library copy removed) showed "queued" for good where the running version's result was done.
 */
export const AI_SHOWN_VERSION_SETTING = 'ai.shownVersion';
export const AI_JOBS_SHOWN_FIRST = `(j.model_id = coalesce((SELECT value FROM settings WHERE key = '${AI_SHOWN_MODEL_SETTING}'), '')) DESC,
  (j.model_id = coalesce((SELECT value FROM settings WHERE key = '${AI_SHOWN_MODEL_SETTING}'), '')
    AND j.model_version = coalesce((SELECT value FROM settings WHERE key = '${AI_SHOWN_VERSION_SETTING}'), '')) DESC, j.id DESC`;

/**
 * An exam's AI score: its finished analysis's, the shown model's first (s = studies). Kept in the
 * exam's row by triggers (migration 0010), so that the triage sort walks an index.
 */
export const AI_SCORE = 's.ai_score';

/**
 * A finished analysis (j: the alias of ai_jobs) whose stored result cannot be read: a JSON column that is not
 * JSON (or not of its shape), or a score that is not a number (the library edited or damaged). It
 * reads as failed, `result_damaged`, for its exam alone: SQLite's JSON functions on one such cell
 * failed the whole worklist (SQLITE_ERROR), and aiResults of the exam threw.
 */
export const aiResultDamaged = (j = 'j'): string => `(${j}.status = 'done' AND (${jsonNotOf(`${j}.breast_scores`, 'object')} OR ${jsonNotOf(`${j}.unread_images`, 'array')}
  OR ${jsonNotOf(`${j}.timings`, 'object')} OR typeof(${j}.exam_score) NOT IN ('real', 'integer', 'null')))`;

/** A column neither null nor JSON of this type (a CASE: SQLite may evaluate both sides of an OR, and json_type of text that is not JSON fails). */
const jsonNotOf = (column: string, type: 'object' | 'array'): string => `(${column} IS NOT NULL AND CASE WHEN json_valid(${column}) THEN json_type(${column}) != '${type}' ELSE 1 END)`;

/** The failure code of an analysis whose stored result cannot be read (aiResultDamaged). */
export const RESULT_DAMAGED = 'result_damaged';

/**
 * The columns of an exam row: the study, its patient, the files of the exam that were rejected and
 * are still missing, and whether another patient shares the Patient ID (s = studies, p = patients).
 * ai_detail: what the AI status needs beside it, read in the same look-up of the exam's job: a
 * failure's code (and after a space the view of the image it failed on, where its detail names one), 'paused' for a running analysis stepped aside for an exam opened meanwhile, or
 * of one done, its breast scores and the lateralities of the exam's images (JSON: what it did not
 * read; nothing said where its breast scores are not known).
 */
export const EXAM_COLUMNS = `s.id, s.patient_ref, p.patient_id, p.name, p.birth_date, p.sex, s.study_uid, s.study_date, s.study_time,
  s.accession, s.description, s.modalities, s.image_count, s.object_count, s.views, s.status, s.imported_at,
  (SELECT count(DISTINCT coalesce(q.sop_uid, q.file)) FROM quarantine q WHERE ${MISSING_FROM_EXAM}) AS rejected_files,
  EXISTS (SELECT 1 FROM patients p2 WHERE p2.patient_id = p.patient_id AND p2.issuer = p.issuer AND p2.id != p.id) AS shared_id,
  (SELECT j.status FROM ai_jobs j WHERE j.study_ref = s.id ORDER BY ${AI_JOBS_SHOWN_FIRST} LIMIT 1) AS ai_status, ${AI_SCORE} AS ai_score,
  (SELECT CASE WHEN ${aiResultDamaged()} THEN '${RESULT_DAMAGED}' ELSE CASE j.status WHEN 'failed' THEN j.failure_code || CASE WHEN j.failure_detail GLOB '[RL][A-Z]*:*' THEN ' ' || substr(j.failure_detail, 1, instr(j.failure_detail, ':') - 1) ELSE '' END WHEN 'running' THEN CASE WHEN j.paused_at IS NOT NULL THEN 'paused' END
    WHEN 'done' THEN CASE WHEN j.breast_scores IS NOT NULL THEN json_object('scores', json(j.breast_scores), 'sides', (SELECT json_group_array(DISTINCT coalesce(i.image_laterality, ''))
      FROM instances i JOIN series se ON se.id = i.series_ref WHERE se.study_ref = s.id AND i.view_label IS NOT NULL AND i.for_processing = 0 AND i.is_image = 1),
      'unread', (SELECT json_group_array(u.value ->> 'view') FROM json_each(coalesce(j.unread_images, '[]')) u WHERE u.type = 'object')) END END END
    FROM ai_jobs j WHERE j.study_ref = s.id ORDER BY ${AI_JOBS_SHOWN_FIRST} LIMIT 1) AS ai_detail,
  (SELECT CASE WHEN j.model_id = coalesce((SELECT value FROM settings WHERE key = '${AI_SHOWN_MODEL_SETTING}'), '')
    AND j.model_version != coalesce((SELECT value FROM settings WHERE key = '${AI_SHOWN_VERSION_SETTING}'), '') THEN j.model_version END
    FROM ai_jobs j WHERE j.study_ref = s.id AND +j.status = 'done' ORDER BY ${AI_JOBS_SHOWN_FIRST} LIMIT 1) AS ai_score_version`;

export function toExamSummary(row: ExamRow): ExamSummary {
  return {
    examId: row.id,
    patientKey: row.patient_ref,
    patientId: row.patient_id,
    patientName: row.name,
    patientBirthDate: row.birth_date,
    patientSex: row.sex,
    studyInstanceUid: row.study_uid,
    studyDate: row.study_date,
    studyTime: row.study_time,
    accessionNumber: row.accession,
    description: row.description,
    modalities: row.modalities ? row.modalities.split(' ') : [],
    imageCount: row.image_count,
    objectCount: row.object_count,
    views: row.views ? sortViewLabels(row.views.split(' ')) : [],
    status: row.status,
    importedAt: row.imported_at,
    rejectedFiles: row.rejected_files,
    sharedPatientId: row.shared_id === 1,
    ai: row.ai_status ? aiSummary(row) : null,
  };
}

/** An ACR view label (RMLO, LXCCL, RMLOID), as failureReason reads one from a failure's detail. */
const VIEW_LABEL = /^[RL][A-Z]{2,10}$/;

function aiSummary(row: ExamRow): NonNullable<ExamSummary['ai']> {
  const status = row.ai_status as NonNullable<ExamSummary['ai']>['status'];
  let notRead: NotRead[] = [];
  let unreadViews: string[] = [];
  // its stored result cannot be read (aiResultDamaged): failed, for this exam alone
  if (status === 'done' && row.ai_detail === RESULT_DAMAGED) {
    return { status: 'failed', score: null, failure: RESULT_DAMAGED, scoreWithheld: false, paused: false, notRead: [] };
  }
  if (status === 'done' && row.ai_detail) {
    // SQLite's json_object made it (EXAM_COLUMNS), of columns json_valid passed
    const { scores, sides, unread } = JSON.parse(row.ai_detail) as { scores: Partial<Record<'R' | 'L', number>>; sides: string[]; unread?: unknown[] };
    notRead = partsNotRead(sides.map((side) => side || null), scores);
    unreadViews = (unread ?? []).filter((v): v is string => typeof v === 'string' && VIEW_LABEL.test(v));
  }
  const [failure, view] = status === 'failed' && row.ai_detail ? row.ai_detail.split(' ') : [null];
  return {
    status, score: typeof row.ai_score === 'number' ? row.ai_score : null, failure: failure ?? null, scoreWithheld: false, paused: status === 'running' && row.ai_detail === 'paused', notRead,
    ...(view && VIEW_LABEL.test(view) ? { failureView: view } : {}), // a view label, as failureReason reads one from a detail
    ...(unreadViews.length ? { unreadViews } : {}),
    // queued or running under a new version of the shown model, its score the version before's: said with it
    ...((status === 'queued' || status === 'running') && typeof row.ai_score === 'number' && row.ai_score_version ? { scoreVersion: row.ai_score_version } : {}),
  };
}

export interface InstanceRow {
  id: number; sop_uid: string; sop_class_uid: string; instance_number: number | null; file_size: number; transfer_syntax: string;
  rows: number | null; columns: number | null; bits_allocated: number | null; bits_stored: number | null; photometric: string | null;
  number_of_frames: number | null; image_laterality: string | null; view_code: string | null; view_modifier_codes: string;
  view_position: string | null; view_label: string | null; presentation_intent: string | null; for_processing: number; is_image: number;
  pixel_spacing: string | null; imager_pixel_spacing: string | null; magnification_factor: number | null; patient_orientation: string | null;
  window_centers: string; window_widths: string; window_explanations: string; voi_lut_function: string | null;
  breast_implant_present: number | null; partial_view: number | null; warnings: string; display_rendition: number | null;
  breast_box: string | null;
}

export function pair(text: string | null): [number, number] | null {
  if (!text) return null;
  const [a, b] = text.split('\\').map(Number);
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}
export const pairText = (p: [number, number] | null): string | null => (p ? `${p[0]}\\${p[1]}` : null);
export const yesNo = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);
const fromYesNo = (v: number | null): boolean | null => (v === null ? null : v === 1);

/** "c0,r0,c1,r1" (migration 0020) as four pixel edges; null for '' (no clear breast), NULL (not looked for yet) or anything else. */
function breastBoxOf(text: string | null): [number, number, number, number] | null {
  const box = text?.split(',').map(Number);
  return box?.length === 4 && box.every(Number.isInteger) && box[0]! < box[2]! && box[1]! < box[3]! ? [box[0]!, box[1]!, box[2]!, box[3]!] : null;
}

export function toInstanceDetail(r: InstanceRow): InstanceDetail {
  const orientation = r.patient_orientation?.split('\\');
  return {
    instanceId: r.id,
    sopInstanceUid: r.sop_uid,
    sopClassUid: r.sop_class_uid,
    instanceNumber: r.instance_number,
    transferSyntaxUid: r.transfer_syntax,
    rows: r.rows,
    columns: r.columns,
    bitsAllocated: r.bits_allocated,
    bitsStored: r.bits_stored,
    photometricInterpretation: r.photometric,
    numberOfFrames: r.number_of_frames,
    imageLaterality: r.image_laterality as Laterality | null,
    viewCode: r.view_code ? (JSON.parse(r.view_code) as CodedConcept) : null,
    viewModifierCodes: JSON.parse(r.view_modifier_codes) as CodedConcept[],
    viewPosition: r.view_position,
    viewLabel: r.view_label,
    presentationIntent: r.presentation_intent as PresentationIntent | null,
    forProcessing: r.for_processing === 1,
    isImage: r.is_image === 1,
    pixelSpacing: pair(r.pixel_spacing),
    imagerPixelSpacing: pair(r.imager_pixel_spacing),
    estimatedRadiographicMagnificationFactor: r.magnification_factor,
    patientOrientation: orientation?.length === 2 ? [orientation[0]!, orientation[1]!] : null,
    windowCenters: JSON.parse(r.window_centers) as number[],
    windowWidths: JSON.parse(r.window_widths) as number[],
    windowExplanations: JSON.parse(r.window_explanations) as string[],
    voiLutFunction: r.voi_lut_function,
    breastImplantPresent: fromYesNo(r.breast_implant_present),
    partialView: fromYesNo(r.partial_view),
    fileSize: r.file_size,
    warnings: JSON.parse(r.warnings) as ProblemRef[],
    // 0 records that none is needed (or none could be made): the viewer loads the stored image
    displayRendition: r.display_rendition ? r.display_rendition : null,
    breastBox: breastBoxOf(r.breast_box),
  };
}
