// What import writes: jobs (who runs them, what they were asked to import, how far they got), the
// instances of each batch with their patient, exam and series, the holds that keep an exam out of
// the worklist while any import that touches it is running or unfinished, and the quarantine list.
//
// Several processes may import into one library at once. Each batch is one transaction that
// re-checks what another process committed meanwhile (a SOP Instance UID stored twice becomes a
// duplicate, not an error), and an exam is shown only once no job holds it.
//
// A file is filed by its UIDs, and UIDs are not always unique in practice (a modality's bad
// generator, an export that re-used them, two anonymisations): a file whose SOP Instance, Series or
// Study Instance UID the library already holds for another exam or another woman is refused, never
// filed into her exam (checkIdentity, before the file is stored and again in the transaction).

import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { InstanceAttributes, QuarantineEntry, UnfinishedImport } from '../../common/domain.ts';
import type { ImportProblemCode, ProblemParams, ProblemRef } from '../../common/import-problems.ts';
import { BREAST_SOP_CLASSES, sortViewLabels } from '../../common/mammo-views.ts';
import { Statements, now } from './connection.ts';
import { MISSING_FROM_EXAM, pairText, patientIdentity, sameDemographics, sameWoman, searchKey, yesNo } from './records.ts';

export interface StoredInstanceRecord {
  attributes: InstanceAttributes;
  fileHash: string;
  fileSize: number;
  warnings: ProblemRef[];
  /** The bytes a reader should be given when unreadable bytes follow the pixel data (the file itself is kept whole); null: all. */
  readableLength: number | null;
}

export interface ExistingInstance {
  instanceId: number;
  studyKey: number;
  /** The exam is held back by jobs that all ended without finishing (killed, cancelled, failed): a new job may take it over. */
  adoptable: boolean;
}

/**
 * What the library holds under an instance's UIDs: nothing yet ('new'), this very instance (a
 * duplicate: the same SOP Instance UID in the same series, exam and woman), or a conflict (one of
 * its UIDs belongs to another exam or another woman).
 */
export type IdentityVerdict =
  | { kind: 'new' }
  | { kind: 'duplicate'; existing: ExistingInstance }
  | { kind: 'conflict'; problem: ProblemRef };

/** A record of a batch refused at commit: its UIDs were taken, meanwhile, by another exam or woman. */
export interface ConflictingRecord {
  record: StoredInstanceRecord;
  problem: ProblemRef;
}

/** The identity of a stored exam's woman: her Patient ID and issuer, and the name and birth date its files gave (the patient's where they gave none). */
const STUDY_IDENTITY_COLUMNS = `p.patient_id, p.issuer, coalesce(nullif(s.received_name, ''), p.name_search) AS name_key,
  coalesce(s.received_birth_date, p.birth_date) AS birth_date`;
interface StudyIdentityRow { patient_id: string; issuer: string; name_key: string; birth_date: string | null }
const identityOfRow = (r: StudyIdentityRow) => ({ id: r.patient_id, issuer: r.issuer, nameKey: r.name_key, birthDate: r.birth_date });

export interface JobCounts {
  filesSeen: number;
  imported: number;
  duplicates: number;
  rejected: number;
  skipped: number;
}

export interface QuarantineRecord extends ProblemRef {
  file: string;
  studyUid?: string | null;
  sopUid?: string | null;
  /** Where the library keeps a copy of the file (relative to the library), when it keeps one. */
  keptCopy?: string | null;
}

interface QuarantineRow { id: number; job_ref: number | null; file: string; reason: string; code: string | null; params: string | null; kept_copy: string | null; at: string }

export function quarantineEntries(rows: unknown[]): QuarantineEntry[] {
  return (rows as QuarantineRow[]).map((r) => ({
    id: r.id, jobId: r.job_ref, file: r.file, at: r.at, keptCopy: r.kept_copy !== null,
    // rows written before problem codes existed carry an English reason only
    code: (r.code ?? 'malformed') as ImportProblemCode,
    params: r.params ? (JSON.parse(r.params) as ProblemParams) : r.code ? {} : { what: r.reason },
  }));
}

const BREAST_CLASSES_SQL = BREAST_SOP_CLASSES.map((c) => `'${c}'`).join(', ');

export class ImportTables {
  private readonly sql: Statements;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  /** `receivedFrom`: the calling AE title of the association whose files the job imports; `fetchedFrom`: the PACS node they were fetched from. */
  beginJob(owner: string, sources: readonly string[] | null, receivedFrom: string | null = null, fetchedFrom: string | null = null): number {
    return Number(this.sql.get("INSERT INTO import_jobs (started_at, status, pid, owner, sources, received_from, fetched_from) VALUES (?, 'running', ?, ?, ?, ?, ?)")
      .run(now(), Number(owner.split(':')[0]), owner, sources ? JSON.stringify(sources) : null, receivedFrom, fetchedFrom).lastInsertRowid);
  }

  /** Jobs that ended early and still hold exams back from the worklist (a later import adopts them). */
  unfinishedJobs(): UnfinishedImport[] {
    return (this.sql.get(`SELECT j.id, j.started_at, j.status, j.files_seen, j.imported, j.sources, j.received_from, j.fetched_from,
        (SELECT count(*) FROM study_holds h WHERE h.job_ref = j.id) AS exams,
        (SELECT json_group_array(name) FROM (SELECT DISTINCT p.name FROM study_holds h JOIN studies s ON s.id = h.study_ref
          JOIN patients p ON p.id = s.patient_ref WHERE h.job_ref = j.id ORDER BY p.name LIMIT 4)) AS patients
      FROM import_jobs j WHERE j.status IN ('interrupted', 'cancelled', 'failed')
        AND EXISTS (SELECT 1 FROM study_holds h WHERE h.job_ref = j.id) ORDER BY j.id DESC`).all() as
      { id: number; started_at: string; status: UnfinishedImport['status']; files_seen: number; imported: number; sources: string | null; received_from: string | null; fetched_from: string | null; exams: number; patients: string }[])
      .map((r) => ({ jobId: r.id, startedAt: r.started_at, status: r.status, filesSeen: r.files_seen, imported: r.imported, examsHeldBack: r.exams,
        paths: r.sources ? (JSON.parse(r.sources) as string[]) : null, receivedFrom: r.received_from, fetchedFrom: r.fetched_from,
        patientNames: JSON.parse(r.patients) as string[] }));
  }

  /** Jobs left 'running' by a process that no longer runs them were interrupted (killed, crashed, or their end could not be written). */
  markInterruptedJobs(isRunning: (job: { id: number; owner: string }) => boolean): number {
    const running = this.sql.get("SELECT id, coalesce(owner, pid || ':?') AS owner FROM import_jobs WHERE status = 'running'").all() as { id: number; owner: string }[];
    const dead = running.filter((j) => !isRunning(j));
    if (!dead.length) return 0;
    const mark = this.sql.get("UPDATE import_jobs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'");
    this.db.transaction(() => dead.forEach((j) => mark.run(now(), j.id)))();
    return dead.length;
  }

  /**
   * Checks an instance's UIDs against the library: its SOP Instance UID stored in another series,
   * exam or for another woman ('uid_conflict'); its Series Instance UID in another exam
   * ('series_conflict'); its Study Instance UID for another woman ('study_conflict'). The same
   * woman is told as patients are (sameWoman), against the identity the exam's files gave.
   */
  checkIdentity(a: InstanceAttributes): IdentityVerdict {
    const incoming = patientIdentity(a.patient);
    const instance = this.sql.get(`SELECT i.id, se.series_uid, s.id AS study, s.study_uid, ${STUDY_IDENTITY_COLUMNS}, s.pending_job IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM study_holds h JOIN import_jobs j ON j.id = h.job_ref WHERE h.study_ref = s.id AND j.status = 'running') AS adoptable
      FROM instances i JOIN series se ON se.id = i.series_ref JOIN studies s ON s.id = se.study_ref JOIN patients p ON p.id = s.patient_ref
      WHERE i.sop_uid = ?`).get(a.sopInstanceUid) as
      (StudyIdentityRow & { id: number; series_uid: string; study: number; study_uid: string; adoptable: number }) | undefined;
    if (instance) {
      if (instance.series_uid !== a.series.uid || instance.study_uid !== a.study.uid || !sameWoman(identityOfRow(instance), incoming)) {
        return { kind: 'conflict', problem: { code: 'uid_conflict' } };
      }
      return { kind: 'duplicate', existing: { instanceId: instance.id, studyKey: instance.study, adoptable: instance.adoptable === 1 } };
    }
    const series = this.sql.get('SELECT s.study_uid FROM series se JOIN studies s ON s.id = se.study_ref WHERE se.series_uid = ?')
      .get(a.series.uid) as { study_uid: string } | undefined;
    if (series && series.study_uid !== a.study.uid) return { kind: 'conflict', problem: { code: 'series_conflict' } };
    const study = this.sql.get(`SELECT ${STUDY_IDENTITY_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient_ref WHERE s.study_uid = ?`)
      .get(a.study.uid) as StudyIdentityRow | undefined;
    if (study && !sameWoman(identityOfRow(study), incoming)) return { kind: 'conflict', problem: { code: 'study_conflict' } };
    return { kind: 'new' };
  }

  /** Whether a stored file is some instance's (a file refused at commit is removed from the store only when none uses it). */
  isFileReferenced(fileHash: string): boolean {
    return this.sql.get('SELECT 1 FROM instances WHERE file_hash = ? LIMIT 1').get(fileHash) !== undefined;
  }

  /**
   * Stores one batch in one transaction. Every exam the batch touches is held by this job (hidden
   * from the worklist) until finishJob. Returns the exams touched, the records that another
   * process stored meanwhile (their SOP Instance UID is now taken): the caller counts them as
   * duplicates, and the records whose UIDs another exam or woman took meanwhile (another process,
   * or an earlier record of this job): not stored, the caller rejects them.
   */
  commitBatch(jobId: number, records: readonly StoredInstanceRecord[], adoptStudies: readonly number[], counts: JobCounts, options: { keepShown?: boolean } = {}):
    { touched: Set<number>; lateDuplicates: StoredInstanceRecord[]; conflicts: ConflictingRecord[] } {
    const touched = new Set<number>();
    const lateDuplicates: StoredInstanceRecord[] = [];
    const conflicts: ConflictingRecord[] = [];
    this.db.transaction(() => {
      for (const study of adoptStudies) {
        // take the exam over from jobs that ended without finishing; a running job keeps its hold
        this.sql.get(`DELETE FROM study_holds WHERE study_ref = ? AND job_ref IN (SELECT id FROM import_jobs WHERE status != 'running')`).run(study);
        this.hold(jobId, study);
        touched.add(study);
      }
      for (const record of records) {
        const outcome = this.insertInstance(jobId, record, options.keepShown ?? false);
        if (outcome.kind === 'duplicate') lateDuplicates.push(record);
        else if (outcome.kind === 'conflict') conflicts.push({ record, problem: outcome.problem });
        else touched.add(outcome.study);
      }
      for (const study of touched) this.refreshStudySummary(study);
      const c = { ...counts, imported: counts.imported - lateDuplicates.length - conflicts.length,
        duplicates: counts.duplicates + lateDuplicates.length, rejected: counts.rejected + conflicts.length };
      this.sql.get('UPDATE import_jobs SET files_seen = ?, imported = ?, duplicates = ?, rejected = ?, skipped = ? WHERE id = ?')
        .run(c.filesSeen, c.imported, c.duplicates, c.rejected, c.skipped, jobId);
    }).immediate();
    return { touched, lateDuplicates, conflicts };
  }

  /**
   * Marks done a job that ended without finishing (interrupted, cancelled, failed) and lets go of its
   * exams, for a caller that knows its files are all in (an association released, none of its files
   * left to import). Returns the number of exams it held.
   */
  completeEndedJob(jobId: number): number {
    return this.db.transaction(() => {
      const ended = this.sql.get("UPDATE import_jobs SET status = 'done', finished_at = coalesce(finished_at, ?) WHERE id = ? AND status IN ('interrupted', 'cancelled', 'failed')").run(now(), jobId);
      return ended.changes ? this.releaseHolds(jobId) : 0;
    }).immediate();
  }

  /** Lets go of a job's exams: each becomes visible unless another job still holds it. */
  private releaseHolds(jobId: number): number {
    const held = (this.sql.get('SELECT study_ref FROM study_holds WHERE job_ref = ?').all(jobId) as { study_ref: number }[]).map((r) => r.study_ref);
    this.sql.get('DELETE FROM study_holds WHERE job_ref = ?').run(jobId);
    const release = this.sql.get('UPDATE studies SET pending_job = (SELECT min(job_ref) FROM study_holds WHERE study_ref = studies.id) WHERE id = ?');
    for (const study of held) release.run(study);
    return held.length;
  }

  private hold(jobId: number, studyRef: number): void {
    this.sql.get('INSERT OR IGNORE INTO study_holds (study_ref, job_ref) VALUES (?, ?)').run(studyRef, jobId);
    this.sql.get('UPDATE studies SET pending_job = ? WHERE id = ? AND pending_job IS NULL').run(jobId, studyRef);
  }

  /**
   * The patient an instance belongs to. Patient ID and its issuer are not enough: two women given
   * the same ID by different sites (or a generator) must not become one. A known patient with this
   * ID is the same woman when the birth dates agree (her name may have changed since), or, when a
   * birth date is missing, when the names agree; otherwise she is another patient with the same ID.
   */
  private patientFor(p: InstanceAttributes['patient']): number {
    const { nameKey: key, formerNameKey } = patientIdentity(p);
    // no Patient ID (anonymised exams): never merged with anyone
    const candidates = p.id ? this.sql.get('SELECT id, name_search, birth_date FROM patients WHERE patient_id = ? AND issuer = ? ORDER BY id')
      .all(p.id, p.issuer) as { id: number; name_search: string; birth_date: string | null }[] : [];
    const same = candidates.find((c) => sameDemographics({ nameKey: c.name_search, birthDate: c.birth_date }, { nameKey: key, formerNameKey, birthDate: p.birthDate }));
    if (same) {
      this.nameAsDecoded(p, same.id, null);
      this.sql.get(`UPDATE patients SET
          name = CASE WHEN name = '' THEN ? ELSE name END, name_search = CASE WHEN name_search = '' THEN ? ELSE name_search END,
          birth_date = coalesce(birth_date, ?), sex = coalesce(sex, ?) WHERE id = ?`).run(p.name, key, p.birthDate, p.sex, same.id);
      return same.id;
    }
    return Number(this.sql.get('INSERT INTO patients (patient_id, issuer, name, name_search, birth_date, sex) VALUES (?, ?, ?, ?, ?, ?)')
      .run(p.id, p.issuer, p.name, key, p.birthDate, p.sex).lastInsertRowid);
  }

  /**
   * A woman (and her exam) filed under her name as read before its character set was decoded
   * (nameAsLatin1: Japanese, ISO 2022 IR 87, until 2026-12-07) named as her files say now, once a
   * file of hers comes again: the worklist showed the escape bytes of the first reading.
   */
  private nameAsDecoded(p: InstanceAttributes['patient'], patientRef: number, studyRef: number | null): void {
    const { nameKey, formerNameKey } = patientIdentity(p);
    if (formerNameKey === undefined) return;
    this.sql.get('UPDATE patients SET name = ?, name_search = ? WHERE id = ? AND name_search = ?').run(p.name, nameKey, patientRef, formerNameKey);
    if (studyRef !== null) this.sql.get('UPDATE studies SET received_name = ? WHERE id = ? AND received_name = ?').run(nameKey, studyRef, formerNameKey);
  }

  /**
   * Inserts one instance (and its patient, exam and series when new), unless its UIDs are taken:
   * by this very instance (a duplicate), or by another exam or woman (a conflict).
   */
  private insertInstance(jobId: number, { attributes: a, fileHash, fileSize, warnings, readableLength }: StoredInstanceRecord, keepShown: boolean):
    { kind: 'stored'; study: number } | { kind: 'duplicate' } | { kind: 'conflict'; problem: ProblemRef } {
    const verdict = this.checkIdentity(a);
    if (verdict.kind === 'duplicate') return { kind: 'duplicate' };
    if (verdict.kind === 'conflict') return verdict;
    let study = this.sql.get('SELECT id, pending_job, patient_ref FROM studies WHERE study_uid = ?').get(a.study.uid) as { id: number; pending_job: number | null; patient_ref: number } | undefined;
    // an exam shown stays shown (keepShown): what this job adds to it is shown as it commits
    const holdIt = !(keepShown && study && study.pending_job === null);
    if (study) {
      this.nameAsDecoded(a.patient, study.patient_ref, study.id);
    } else {
      const patientRef = this.patientFor(a.patient);
      study = { id: Number(this.sql.get(`INSERT INTO studies (patient_ref, study_uid, study_date, study_time, accession, description, imported_at,
          pending_job, received_name, received_birth_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(patientRef, a.study.uid, a.study.date, a.study.time, a.study.accession, a.study.description, now(), jobId,
          searchKey(a.patient.name), a.patient.birthDate).lastInsertRowid), pending_job: jobId, patient_ref: patientRef };
    }
    if (holdIt) this.hold(jobId, study.id);

    // checkIdentity found the series absent, or in this exam
    this.sql.get(`INSERT INTO series (study_ref, series_uid, modality, series_number, description, body_part) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (series_uid) DO NOTHING`).run(study.id, a.series.uid, a.series.modality, a.series.number, a.series.description, a.series.bodyPart);
    const seriesRef = (this.sql.get('SELECT id FROM series WHERE series_uid = ? AND study_ref = ?').get(a.series.uid, study.id) as { id: number }).id;

    this.sql.get(`INSERT INTO instances (series_ref, sop_uid, sop_class_uid, instance_number, file_hash, file_size, transfer_syntax,
        rows, columns, bits_allocated, bits_stored, photometric, number_of_frames, image_laterality, view_code, view_modifier_codes,
        view_position, view_label, presentation_intent, for_processing, is_image, pixel_spacing, imager_pixel_spacing,
        magnification_factor, patient_orientation, window_centers, window_widths, window_explanations, voi_lut_function,
        breast_implant_present, partial_view, import_job, warnings, readable_length)
      VALUES (@series, @sop, @sopClass, @instanceNumber, @hash, @size, @ts, @rows, @columns, @bitsAllocated, @bitsStored,
        @photometric, @frames, @laterality, @viewCode, @modifiers, @viewPosition, @viewLabel, @intent, @forProcessing, @isImage,
        @pixelSpacing, @imagerPixelSpacing, @ermf, @orientation, @wc, @ww, @we, @voiFunction, @implant, @partial, @job, @warnings, @readable)`).run({
      series: seriesRef, sop: a.sopInstanceUid, sopClass: a.sopClassUid, instanceNumber: a.instanceNumber, hash: fileHash,
      size: fileSize, ts: a.transferSyntaxUid, rows: a.rows, columns: a.columns, bitsAllocated: a.bitsAllocated,
      bitsStored: a.bitsStored, photometric: a.photometricInterpretation, frames: a.numberOfFrames, laterality: a.imageLaterality,
      viewCode: a.viewCode ? JSON.stringify(a.viewCode) : null, modifiers: JSON.stringify(a.viewModifierCodes),
      viewPosition: a.viewPosition, viewLabel: a.viewLabel, intent: a.presentationIntent, forProcessing: a.forProcessing ? 1 : 0,
      isImage: a.isImage ? 1 : 0, pixelSpacing: pairText(a.pixelSpacing), imagerPixelSpacing: pairText(a.imagerPixelSpacing),
      ermf: a.estimatedRadiographicMagnificationFactor, orientation: a.patientOrientation?.join('\\') ?? null,
      wc: JSON.stringify(a.windowCenters), ww: JSON.stringify(a.windowWidths), we: JSON.stringify(a.windowExplanations),
      voiFunction: a.voiLutFunction, implant: yesNo(a.breastImplantPresent), partial: yesNo(a.partialView), job: jobId,
      warnings: JSON.stringify(warnings), readable: readableLength,
    });
    return { kind: 'stored', study: study.id };
  }

  private refreshStudySummary(studyRef: number): void {
    const stats = this.sql.get(`SELECT
        sum(i.is_image = 1 AND i.for_processing = 0) AS images, sum(NOT (i.is_image = 1 AND i.for_processing = 0)) AS objects,
        (SELECT group_concat(label, ' ') FROM (SELECT DISTINCT i2.view_label AS label FROM instances i2 JOIN series s2 ON s2.id = i2.series_ref
          WHERE s2.study_ref = @study AND i2.view_label IS NOT NULL AND i2.for_processing = 0 AND i2.is_image = 1)) AS views,
        (SELECT group_concat(m, ' ') FROM (SELECT DISTINCT modality AS m FROM series WHERE study_ref = @study AND modality IS NOT NULL)) AS modalities,
        max(se.modality = 'MG' OR upper(trim(coalesce(se.body_part, ''))) = 'BREAST' OR i.sop_class_uid IN (${BREAST_CLASSES_SQL})) AS breast
      FROM instances i JOIN series se ON se.id = i.series_ref WHERE se.study_ref = @study`).get({ study: studyRef }) as
      { images: number | null; objects: number | null; views: string | null; modalities: string | null; breast: number | null };
    this.sql.get('UPDATE studies SET image_count = ?, object_count = ?, views = ?, modalities = ?, breast = ? WHERE id = ?')
      .run(stats.images ?? 0, stats.objects ?? 0, sortViewLabels((stats.views ?? '').split(' ').filter(Boolean)).join(' '), stats.modalities ?? '', stats.breast ?? 0, studyRef);
  }

  recordQuarantine(jobId: number | null, q: QuarantineRecord, englishReason: string): void {
    this.sql.get('INSERT INTO quarantine (job_ref, file, reason, code, params, study_uid, sop_uid, kept_copy, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(jobId, q.file, englishReason, q.code, q.params ? JSON.stringify(q.params) : null, q.studyUid ?? null, q.sopUid ?? null, q.keptCopy ?? null, now());
  }

  quarantineList(limit: number): QuarantineEntry[] {
    return quarantineEntries(this.sql.get('SELECT id, job_ref, file, reason, code, params, kept_copy, at FROM quarantine ORDER BY id DESC LIMIT ?').all(limit));
  }

  /** Of these exams, how many lack files that were rejected (and not stored since). */
  incompleteExams(studyRefs: Iterable<number>): number {
    const check = this.sql.get(`SELECT EXISTS (SELECT 1 FROM quarantine q JOIN studies s ON s.study_uid = q.study_uid WHERE s.id = ? AND ${MISSING_FROM_EXAM}) AS incomplete`);
    let n = 0;
    for (const ref of studyRefs) n += (check.get(ref) as { incomplete: number }).incomplete;
    return n;
  }

  /**
   * Stored images (by file) that have no display rendition or no breast box yet (said by
   * `rendition`, `breastBox`: what is missing), those of `preferExamId` first. An image counts once
   * whatever number of instances share its file.
   */
  imagesToPrepareForDisplay(limit: number, preferExamId: number | null): { fileHash: string; examId: number; rows: number; columns: number; rendition: boolean; breastBox: boolean; preferred: boolean }[] {
    return (this.sql.get(`SELECT i.file_hash, min(se.study_ref) AS exam, max(i.rows) AS rows, max(i.columns) AS columns, max(se.study_ref = @prefer) AS preferred, min(i.id) AS first,
        max(i.display_rendition IS NULL) AS no_rendition, max(i.breast_box IS NULL) AS no_box
      FROM instances i JOIN series se ON se.id = i.series_ref
      WHERE i.is_image = 1 AND i.for_processing = 0 AND (i.display_rendition IS NULL OR i.breast_box IS NULL) AND i.rows IS NOT NULL AND i.columns IS NOT NULL
      GROUP BY i.file_hash ORDER BY preferred DESC, first LIMIT @limit`).all({ prefer: preferExamId, limit }) as { file_hash: string; exam: number; rows: number; columns: number; no_rendition: number; no_box: number; preferred: number | null }[])
      .map((r) => ({ fileHash: r.file_hash, examId: r.exam, rows: r.rows, columns: r.columns, rendition: r.no_rendition === 1, breastBox: r.no_box === 1, preferred: r.preferred === 1 }));
  }

  /** Whether an exam has an image still to prepare for display (imagesToPrepareForDisplay's, of that exam). */
  examHasImagesToPrepare(examId: number): boolean {
    return this.sql.get(`SELECT EXISTS (SELECT 1 FROM instances i JOIN series se ON se.id = i.series_ref WHERE se.study_ref = ?
        AND i.is_image = 1 AND i.for_processing = 0 AND (i.display_rendition IS NULL OR i.breast_box IS NULL) AND i.rows IS NOT NULL AND i.columns IS NOT NULL)`)
      .pluck().get(examId) === 1;
  }

  /**
   * Records an image's breast box (null: looked for, none found or the image could not be read),
   * unless another process of the library recorded one first.
   */
  setBreastBox(fileHash: string, box: readonly [number, number, number, number] | null): void {
    this.sql.get(`UPDATE instances SET breast_box = @box WHERE file_hash = @fileHash AND (breast_box IS NULL OR (@box <> '' AND breast_box = ''))`)
      .run({ box: box ? box.join(',') : '', fileHash });
  }

  /**
   * Records an image's display rendition (its longest side; 0: none needed, or none could be made),
   * unless another process of the library recorded one first: "none" never replaces a rendition
   * made, and a second "none" changes nothing. Says whether this call recorded it, so that only the
   * process that did logs why none was made (each process sharing the library tries the same images).
   */
  setRendition(fileHash: string, side: number): boolean {
    return this.sql.get(`UPDATE instances SET display_rendition = @side
      WHERE file_hash = @fileHash AND (display_rendition IS NULL OR (@side > 0 AND display_rendition = 0))`).run({ side, fileHash }).changes > 0;
  }

  /** The exam key of a study UID, if the library has it. */
  studyKey(studyUid: string): number | null {
    return (this.sql.get('SELECT id FROM studies WHERE study_uid = ?').get(studyUid) as { id: number } | undefined)?.id ?? null;
  }

  /**
   * Ends a job in one transaction: its counts are recorded and, when it finished, it lets go of
   * its exams, which become visible unless another job still holds them. A job that did not finish
   * keeps its holds: its exams stay hidden until an import completes them.
   */
  finishJob(jobId: number, status: 'done' | 'cancelled' | 'failed', counts: JobCounts): void {
    this.db.transaction(() => {
      if (status === 'done') this.releaseHolds(jobId);
      this.sql.get('UPDATE import_jobs SET status = ?, finished_at = ?, files_seen = ?, imported = ?, duplicates = ?, rejected = ?, skipped = ? WHERE id = ?')
        .run(status, now(), counts.filesSeen, counts.imported, counts.duplicates, counts.rejected, counts.skipped, jobId);
    }).immediate();
  }
}
