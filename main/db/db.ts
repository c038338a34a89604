// The worklist database: better-sqlite3 in WAL mode, brought up to date by numbered migrations.
// Every SQL statement of the application lives in this file, behind typed methods.

import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type {
  CodedConcept, ExamDetail, InstanceAttributes, ExamStatus, ExamSummary, InstanceDetail, Laterality, PresentationIntent,
  QuarantineEntry, SeriesDetail, UnfinishedImport,
} from '../../common/domain.ts';
import { sortViewLabels } from '../../common/mammo-views.ts';
import type { worklistQueryInput, WorklistPage } from '../../common/api.ts';
import type { z } from 'zod';
import { migrate } from './migrations/index.ts';

export type WorklistQuery = z.output<typeof worklistQueryInput>;

/** Upper-cased, accent-free, separator-free form of a name or search text. */
export function searchKey(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').replace(/[\^=]+/g, ' ').replace(/\s+/g, ' ').trim().toUpperCase();
}

/** The upper bound of a prefix range: every string starting with `prefix` sorts below it. */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

export interface StoredInstanceRecord {
  parsed: InstanceAttributes;
  fileHash: string;
  fileSize: number;
}

export interface ExistingInstance {
  instanceId: number;
  studyKey: number;
  pendingJob: number | null;
}

const now = (): string => new Date().toISOString();

interface ExamRow {
  id: number; patient_ref: number; patient_id: string; name: string; birth_date: string | null; sex: string | null;
  study_uid: string; study_date: string | null; study_time: string | null; accession: string | null;
  description: string | null; modalities: string; image_count: number; views: string; status: ExamStatus; imported_at: string;
}

const EXAM_COLUMNS = `s.id, s.patient_ref, p.patient_id, p.name, p.birth_date, p.sex, s.study_uid, s.study_date, s.study_time,
  s.accession, s.description, s.modalities, s.image_count, s.views, s.status, s.imported_at`;

function toExamSummary(row: ExamRow): ExamSummary {
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
    views: row.views ? sortViewLabels(row.views.split(' ')) : [],
    status: row.status,
    importedAt: row.imported_at,
  };
}

// Each sort names its terms in one direction so that an index serves it. Exam-field sorts pick the
// page's exam ids from the studies table alone (an index walk, cheap even at a deep offset) and join
// the patient for those 50 rows only; patient-field sorts walk patients first (CROSS JOIN keeps that
// order in SQLite).
const SORTS: Record<WorklistQuery['sort']['field'], { order: (dir: string) => string; patientFirst: boolean }> = {
  studyDate: { order: (d) => `s.study_date ${d}, s.study_time ${d}, s.id ${d}`, patientFirst: false },
  status: { order: (d) => `s.status ${d}, s.study_date ${d}, s.id ${d}`, patientFirst: false },
  imageCount: { order: (d) => `s.image_count ${d}, s.id ${d}`, patientFirst: false },
  importedAt: { order: (d) => `s.imported_at ${d}, s.id ${d}`, patientFirst: false },
  patientName: { order: (d) => `p.name_search ${d}, s.study_date DESC, s.id DESC`, patientFirst: true },
  patientId: { order: (d) => `p.patient_id ${d}, s.study_date DESC, s.id DESC`, patientFirst: true },
};

function pair(text: string | null): [number, number] | null {
  if (!text) return null;
  const [a, b] = text.split('\\').map(Number);
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}
const pairText = (p: [number, number] | null): string | null => (p ? `${p[0]}\\${p[1]}` : null);
const yesNo = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);
const fromYesNo = (v: number | null): boolean | null => (v === null ? null : v === 1);

export class WorklistDatabase {
  readonly db: SqliteDatabase;
  private readonly statements = new Map<string, Statement>();

  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.db = new Database(file, { readonly: options.readonly ?? false, timeout: 10_000 });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Statements are prepared once and reused; SQL text is the cache key. */
  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  // ---- worklist -------------------------------------------------------------------------------

  queryWorklist(q: WorklistQuery): WorklistPage {
    const where = ['s.pending_job IS NULL'];
    const params: Record<string, unknown> = {};
    const text = q.filter.text?.trim();
    if (text) {
      const key = searchKey(text);
      where.push(`(s.patient_ref IN (SELECT id FROM patients WHERE (name_search >= @nameFrom AND name_search < @nameTo)
        OR (patient_id >= @idFrom AND patient_id < @idTo)) OR s.accession = @accession)`);
      Object.assign(params, { nameFrom: key, nameTo: prefixEnd(key), idFrom: text, idTo: prefixEnd(text), accession: text });
    }
    if (q.filter.status?.length) {
      // The unary + keeps SQLite from choosing the status index for the page: walking the sort's
      // index and skipping other statuses finds 50 rows sooner than sorting every match.
      where.push(`+s.status IN (${q.filter.status.map((_, i) => `@status${i}`).join(', ')})`);
      q.filter.status.forEach((s, i) => (params[`status${i}`] = s));
    }
    if (q.filter.dateFrom) { where.push('s.study_date >= @dateFrom'); params.dateFrom = q.filter.dateFrom; }
    if (q.filter.dateTo) { where.push('s.study_date <= @dateTo'); params.dateTo = q.filter.dateTo; }
    const whereSql = where.join(' AND ');
    const sort = SORTS[q.sort.field];
    const order = sort.order(q.sort.direction === 'asc' ? 'ASC' : 'DESC');
    // Every filter is on the exam row, so the count needs no join.
    const total = (this.stmt(`SELECT count(*) AS n FROM studies s WHERE ${whereSql.replace('+s.status', 's.status')}`).get(params) as { n: number }).n;
    const sql = sort.patientFirst
      ? `SELECT ${EXAM_COLUMNS} FROM patients p CROSS JOIN studies s ON s.patient_ref = p.id WHERE ${whereSql} ORDER BY ${order} LIMIT @limit OFFSET @offset`
      : `SELECT ${EXAM_COLUMNS} FROM (SELECT s.id FROM studies s WHERE ${whereSql} ORDER BY ${order} LIMIT @limit OFFSET @offset) page
           CROSS JOIN studies s ON s.id = page.id CROSS JOIN patients p ON p.id = s.patient_ref ORDER BY ${order}`;
    const rows = this.stmt(sql)
      .all({ ...params, limit: q.limit, offset: q.offset }) as ExamRow[];
    return { total, offset: q.offset, rows: rows.map(toExamSummary) };
  }

  examSummary(examId: number): ExamSummary | null {
    const row = this.stmt(`SELECT ${EXAM_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient_ref
      WHERE s.id = ? AND s.pending_job IS NULL`).get(examId) as ExamRow | undefined;
    return row ? toExamSummary(row) : null;
  }

  examDetail(examId: number): ExamDetail | null {
    const exam = this.examSummary(examId);
    if (!exam) return null;
    const seriesRows = this.stmt('SELECT id, series_uid, modality, series_number, description FROM series WHERE study_ref = ? ORDER BY series_number, id')
      .all(examId) as { id: number; series_uid: string; modality: string | null; series_number: number | null; description: string | null }[];
    const instanceStmt = this.stmt('SELECT * FROM instances WHERE series_ref = ? ORDER BY instance_number, id');
    const series: SeriesDetail[] = seriesRows.map((s) => ({
      seriesKey: s.id,
      seriesInstanceUid: s.series_uid,
      modality: s.modality,
      seriesNumber: s.series_number,
      description: s.description,
      instances: (instanceStmt.all(s.id) as InstanceRow[]).map(toInstanceDetail),
    }));
    const priors = (this.stmt(`SELECT ${EXAM_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient_ref
        WHERE s.patient_ref = ? AND s.id != ? AND s.pending_job IS NULL ORDER BY s.study_date DESC, s.study_time DESC, s.id DESC`)
      .all(exam.patientKey, examId) as ExamRow[])
      .map((row) => {
        const summary = toExamSummary(row);
        const isPrior = (summary.studyDate ?? '') < (exam.studyDate ?? '') ||
          ((summary.studyDate ?? '') === (exam.studyDate ?? '') && (summary.studyTime ?? '') < (exam.studyTime ?? ''));
        return { ...summary, isPrior };
      });
    return { exam, series, priors };
  }

  setExamStatus(examId: number, status: ExamStatus, actor: string): ExamSummary | null {
    const changed = this.db.transaction(() => {
      const r = this.stmt('UPDATE studies SET status = ? WHERE id = ? AND pending_job IS NULL').run(status, examId);
      if (r.changes) this.audit(actor, `status:${status}`, examId);
      return r.changes > 0;
    })();
    return changed ? this.examSummary(examId) : null;
  }

  audit(actor: string, action: string, examId: number | null): void {
    this.stmt('INSERT INTO audit_log (at, actor, action, study_ref) VALUES (?, ?, ?, ?)').run(now(), actor, action, examId);
  }

  auditTrail(examId: number): { at: string; actor: string; action: string }[] {
    return this.stmt('SELECT at, actor, action FROM audit_log WHERE study_ref = ? ORDER BY id').all(examId) as { at: string; actor: string; action: string }[];
  }

  /** The stored file of an image that is visible in the worklist, or null. */
  instanceFile(instanceId: number): { fileHash: string; fileSize: number } | null {
    const row = this.stmt(`SELECT i.file_hash, i.file_size FROM instances i JOIN series se ON se.id = i.series_ref
      JOIN studies s ON s.id = se.study_ref WHERE i.id = ? AND s.pending_job IS NULL`).get(instanceId) as { file_hash: string; file_size: number } | undefined;
    return row ? { fileHash: row.file_hash, fileSize: row.file_size } : null;
  }

  countExams(): number {
    return (this.stmt('SELECT count(*) AS n FROM studies WHERE pending_job IS NULL').get() as { n: number }).n;
  }

  // ---- import ---------------------------------------------------------------------------------

  beginImportJob(pid: number, sources: readonly string[] | null): number {
    return Number(this.stmt("INSERT INTO import_jobs (started_at, status, pid, sources) VALUES (?, 'running', ?, ?)")
      .run(now(), pid, sources ? JSON.stringify(sources) : null).lastInsertRowid);
  }

  /** Jobs that ended early and still hold exams back from the worklist (a later import adopts them). */
  unfinishedImportJobs(): UnfinishedImport[] {
    return (this.stmt(`SELECT j.id, j.started_at, j.status, j.files_seen, j.imported, j.sources,
        (SELECT count(*) FROM studies s WHERE s.pending_job = j.id) AS exams
      FROM import_jobs j WHERE j.status IN ('interrupted', 'cancelled', 'failed')
        AND EXISTS (SELECT 1 FROM studies s WHERE s.pending_job = j.id) ORDER BY j.id DESC`).all() as
      { id: number; started_at: string; status: UnfinishedImport['status']; files_seen: number; imported: number; sources: string | null; exams: number }[])
      .map((r) => ({ jobId: r.id, startedAt: r.started_at, status: r.status, filesSeen: r.files_seen, imported: r.imported, examsHeldBack: r.exams, paths: r.sources ? (JSON.parse(r.sources) as string[]) : null }));
  }

  /** Jobs left 'running' by a process that no longer exists were interrupted (killed, crashed). */
  markInterruptedJobs(isAlive: (pid: number) => boolean): number {
    const running = this.stmt("SELECT id, pid FROM import_jobs WHERE status = 'running'").all() as { id: number; pid: number }[];
    const dead = running.filter((j) => !isAlive(j.pid));
    const mark = this.stmt("UPDATE import_jobs SET status = 'interrupted', finished_at = ? WHERE id = ?");
    this.db.transaction(() => dead.forEach((j) => mark.run(now(), j.id)))();
    return dead.length;
  }

  findInstance(sopInstanceUid: string): ExistingInstance | null {
    const row = this.stmt(`SELECT i.id, s.id AS study, s.pending_job FROM instances i JOIN series se ON se.id = i.series_ref
      JOIN studies s ON s.id = se.study_ref WHERE i.sop_uid = ?`).get(sopInstanceUid) as { id: number; study: number; pending_job: number | null } | undefined;
    return row ? { instanceId: row.id, studyKey: row.study, pendingJob: row.pending_job } : null;
  }

  /**
   * Stores one batch in one transaction. Exams the batch touches are hidden (pending_job) until
   * finishImportJob: a crash between batches leaves them invisible, and a re-run completes them.
   */
  commitBatch(jobId: number, records: readonly StoredInstanceRecord[], adoptStudies: readonly number[], counts: { filesSeen: number; imported: number; duplicates: number; rejected: number }): Set<number> {
    const touched = new Set<number>(adoptStudies);
    this.db.transaction(() => {
      for (const study of adoptStudies) this.stmt('UPDATE studies SET pending_job = ? WHERE id = ?').run(jobId, study);
      for (const record of records) touched.add(this.insertInstance(jobId, record));
      for (const study of touched) this.refreshStudySummary(study);
      this.stmt('UPDATE import_jobs SET files_seen = ?, imported = ?, duplicates = ?, rejected = ? WHERE id = ?')
        .run(counts.filesSeen, counts.imported, counts.duplicates, counts.rejected, jobId);
    })();
    return touched;
  }

  private insertInstance(jobId: number, { parsed: p, fileHash, fileSize }: StoredInstanceRecord): number {
    const issuer = p.patient.id ? p.patient.issuer : `study:${p.study.uid}`; // no Patient ID: never merge strangers
    this.stmt(`INSERT INTO patients (patient_id, issuer, name, name_search, birth_date, sex) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (patient_id, issuer) DO UPDATE SET
        name = CASE WHEN patients.name = '' THEN excluded.name ELSE patients.name END,
        name_search = CASE WHEN patients.name = '' THEN excluded.name_search ELSE patients.name_search END,
        birth_date = coalesce(patients.birth_date, excluded.birth_date),
        sex = coalesce(patients.sex, excluded.sex)`)
      .run(p.patient.id, issuer, p.patient.name, searchKey(p.patient.name), p.patient.birthDate, p.patient.sex);
    const patientRef = (this.stmt('SELECT id FROM patients WHERE patient_id = ? AND issuer = ?').get(p.patient.id, issuer) as { id: number }).id;

    this.stmt(`INSERT INTO studies (patient_ref, study_uid, study_date, study_time, accession, description, imported_at, pending_job)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (study_uid) DO UPDATE SET pending_job = excluded.pending_job`)
      .run(patientRef, p.study.uid, p.study.date, p.study.time, p.study.accession, p.study.description, now(), jobId);
    const studyRef = (this.stmt('SELECT id FROM studies WHERE study_uid = ?').get(p.study.uid) as { id: number }).id;

    this.stmt(`INSERT INTO series (study_ref, series_uid, modality, series_number, description) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (series_uid) DO NOTHING`).run(studyRef, p.series.uid, p.series.modality, p.series.number, p.series.description);
    const seriesRef = (this.stmt('SELECT id FROM series WHERE series_uid = ?').get(p.series.uid) as { id: number }).id;

    this.stmt(`INSERT INTO instances (series_ref, sop_uid, sop_class_uid, instance_number, file_hash, file_size, transfer_syntax,
        rows, columns, bits_allocated, bits_stored, photometric, number_of_frames, image_laterality, view_code, view_modifier_codes,
        view_position, view_label, presentation_intent, for_processing, is_image, pixel_spacing, imager_pixel_spacing,
        magnification_factor, patient_orientation, window_centers, window_widths, window_explanations, voi_lut_function,
        breast_implant_present, partial_view, import_job)
      VALUES (@series, @sop, @sopClass, @instanceNumber, @hash, @size, @ts, @rows, @columns, @bitsAllocated, @bitsStored,
        @photometric, @frames, @laterality, @viewCode, @modifiers, @viewPosition, @viewLabel, @intent, @forProcessing, @isImage,
        @pixelSpacing, @imagerPixelSpacing, @ermf, @orientation, @wc, @ww, @we, @voiFunction, @implant, @partial, @job)`).run({
      series: seriesRef, sop: p.sopInstanceUid, sopClass: p.sopClassUid, instanceNumber: p.instanceNumber, hash: fileHash,
      size: fileSize, ts: p.transferSyntaxUid, rows: p.rows, columns: p.columns, bitsAllocated: p.bitsAllocated,
      bitsStored: p.bitsStored, photometric: p.photometricInterpretation, frames: p.numberOfFrames, laterality: p.imageLaterality,
      viewCode: p.viewCode ? JSON.stringify(p.viewCode) : null, modifiers: JSON.stringify(p.viewModifierCodes),
      viewPosition: p.viewPosition, viewLabel: p.viewLabel, intent: p.presentationIntent, forProcessing: p.forProcessing ? 1 : 0,
      isImage: p.isImage ? 1 : 0, pixelSpacing: pairText(p.pixelSpacing), imagerPixelSpacing: pairText(p.imagerPixelSpacing),
      ermf: p.estimatedRadiographicMagnificationFactor, orientation: p.patientOrientation?.join('\\') ?? null,
      wc: JSON.stringify(p.windowCenters), ww: JSON.stringify(p.windowWidths), we: JSON.stringify(p.windowExplanations),
      voiFunction: p.voiLutFunction, implant: yesNo(p.breastImplantPresent), partial: yesNo(p.partialView), job: jobId,
    });
    return studyRef;
  }

  private refreshStudySummary(studyRef: number): void {
    const stats = this.stmt(`SELECT count(*) AS n,
        (SELECT group_concat(label, ' ') FROM (SELECT DISTINCT i2.view_label AS label FROM instances i2 JOIN series s2 ON s2.id = i2.series_ref
          WHERE s2.study_ref = @study AND i2.view_label IS NOT NULL AND i2.for_processing = 0 AND i2.is_image = 1)) AS views,
        (SELECT group_concat(m, ' ') FROM (SELECT DISTINCT modality AS m FROM series WHERE study_ref = @study AND modality IS NOT NULL)) AS modalities
      FROM instances i JOIN series se ON se.id = i.series_ref WHERE se.study_ref = @study`).get({ study: studyRef }) as { n: number; views: string | null; modalities: string | null };
    this.stmt('UPDATE studies SET image_count = ?, views = ?, modalities = ? WHERE id = ?')
      .run(stats.n, sortViewLabels((stats.views ?? '').split(' ').filter(Boolean)).join(' '), stats.modalities ?? '', studyRef);
  }

  recordQuarantine(jobId: number | null, file: string, reason: string): void {
    this.stmt('INSERT INTO quarantine (job_ref, file, reason, at) VALUES (?, ?, ?, ?)').run(jobId, file, reason, now());
  }

  quarantineList(limit: number): QuarantineEntry[] {
    return (this.stmt('SELECT id, job_ref, file, reason, at FROM quarantine ORDER BY id DESC LIMIT ?').all(limit) as
      { id: number; job_ref: number | null; file: string; reason: string; at: string }[])
      .map((r) => ({ id: r.id, jobId: r.job_ref, file: r.file, reason: r.reason, at: r.at }));
  }

  /** Ends a job: in one transaction, its exams become visible and its counts are recorded. */
  finishImportJob(jobId: number, status: 'done' | 'cancelled' | 'failed', counts: { filesSeen: number; imported: number; duplicates: number; rejected: number }): void {
    this.db.transaction(() => {
      if (status === 'done') this.stmt('UPDATE studies SET pending_job = NULL WHERE pending_job = ?').run(jobId);
      this.stmt('UPDATE import_jobs SET status = ?, finished_at = ?, files_seen = ?, imported = ?, duplicates = ?, rejected = ? WHERE id = ?')
        .run(status, now(), counts.filesSeen, counts.imported, counts.duplicates, counts.rejected, jobId);
    })();
  }

  // ---- settings -------------------------------------------------------------------------------

  getSetting(key: string): string | null {
    return (this.stmt('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.stmt('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}

interface InstanceRow {
  id: number; sop_uid: string; sop_class_uid: string; instance_number: number | null; file_size: number; transfer_syntax: string;
  rows: number | null; columns: number | null; bits_allocated: number | null; bits_stored: number | null; photometric: string | null;
  number_of_frames: number | null; image_laterality: string | null; view_code: string | null; view_modifier_codes: string;
  view_position: string | null; view_label: string | null; presentation_intent: string | null; for_processing: number; is_image: number;
  pixel_spacing: string | null; imager_pixel_spacing: string | null; magnification_factor: number | null; patient_orientation: string | null;
  window_centers: string; window_widths: string; window_explanations: string; voi_lut_function: string | null;
  breast_implant_present: number | null; partial_view: number | null;
}

function toInstanceDetail(r: InstanceRow): InstanceDetail {
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
  };
}
