// The worklist as the reader sees it: exams (studies) with their patient, filtered, sorted and paged;
// one exam's series, images and other exams of the same patient; exam status. Exams held back by an
// import that has not finished (pending_job) are invisible here.

import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { z } from 'zod';
import type { ExamDetail, ExamStatus, ExamSummary, QuarantineEntry, SeriesDetail } from '../../common/domain.ts';
import type { worklistQueryInput, WorklistPage } from '../../common/api.ts';
import { Statements } from './connection.ts';
import { AI_SCORE, EXAM_COLUMNS, MISSING_FROM_EXAM, searchKey, toExamSummary, toInstanceDetail } from './records.ts';
import type { ExamRow, InstanceRow } from './records.ts';
import { quarantineEntries } from './imports.ts';
import { readHeldBack } from './first-impressions.ts';

export type WorklistQuery = z.output<typeof worklistQueryInput>;

/** The upper bound of a prefix range: every string starting with `prefix` sorts below it. */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

// Each sort names its terms in one direction so that an index serves it. Exam-field sorts pick the
// page's exam ids from the studies table alone (an index walk, cheap even at a deep offset) and join
// the patient for those rows only; patient-field sorts walk patients first (CROSS JOIN keeps that
// order in SQLite).
const SORTS: Record<WorklistQuery['sort']['field'], { order: (dir: string) => string; patientFirst: boolean }> = {
  studyDate: { order: (d) => `s.study_date ${d}, s.study_time ${d}, s.id ${d}`, patientFirst: false },
  // in the order of the reading (new, being read, read), not of the codes
  status: { order: (d) => `(CASE s.status WHEN 'new' THEN 0 WHEN 'in_progress' THEN 1 ELSE 2 END) ${d}, s.study_date ${d}, s.id ${d}`, patientFirst: false },
  imageCount: { order: (d) => `s.image_count ${d}, s.id ${d}`, patientFirst: false },
  importedAt: { order: (d) => `s.imported_at ${d}, s.id ${d}`, patientFirst: false },
  // triage: the AI's exam score, exams not (yet) analysed last either way (and the exams read after
  // those to read: query() puts that first)
  aiScore: { order: (d) => `${AI_SCORE} ${d} NULLS LAST, s.study_date DESC, s.id DESC`, patientFirst: false },
  patientName: { order: (d) => `p.name_search ${d}, s.study_date DESC, s.id DESC`, patientFirst: true },
  patientId: { order: (d) => `p.patient_id ${d}, s.study_date DESC, s.id DESC`, patientFirst: true },
};

export class WorklistTables {
  private readonly sql: Statements;

  constructor(db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  /**
   * `withheldFor`: in second look, the reader whose exams without a first impression have their AI
   * score held back. Sorted by the score, the exams she still has to read (held back, not read) come
   * first, in score order, then the exams whose score she has seen, then the exams read without her
   * impression (their score held back too; priors imported as read): interleaved, the scores shown on
   * either side of a held-back one told it within a few hundredths (0.99, "after your read", 0.97: a probe).
   */
  query(q: WorklistQuery, options: { withheldFor?: string } = {}): WorklistPage {
    const page = this.page(q, options, false);
    // nothing whose name, ID or accession begins so: a given name typed alone ("Isabelle" found
    // nobody: a probe), looked for then only (a scan of the patients: 50 ms at 60,000 against 0.3 ms).
    // Nothing so whatever the status or dates: "Martin" with the status "new", MARTIN's exams read,
    // listed DUPONT^MARTINE, and mark read then next went to her, "higher in the worklist" (a probe)
    if (page.total > 0 || searchKey(q.filter.text ?? '').length < 3) return page;
    // (the scope too: a family name whose exams are not breast imaging is hers all the same)
    const filtered = q.filter.scope !== 'all' || q.filter.status?.length || q.filter.dateFrom || q.filter.dateTo;
    if (filtered && this.page({ ...q, filter: { text: q.filter.text, scope: 'all' }, offset: 0, limit: 1 }, options, false).total > 0) return page;
    return this.page(q, options, true);
  }

  private page(q: WorklistQuery, options: { withheldFor?: string }, givenNames: boolean): WorklistPage {
    const where = ['s.pending_job IS NULL'];
    const params: Record<string, unknown> = {};
    // Breast imaging only (MG, and breast US/MR): the reading station's default scope. The unary +
    // keeps SQLite on the sort's index unless the date index that leads with `breast` serves it.
    // An exam with no image to read (only FOR PROCESSING images, or a dose report) is listed under
    // every modality, not here: the reader would open an empty page.
    if (q.filter.scope === 'breast') where.push(q.sort.field === 'studyDate' ? 's.breast = 1' : '+s.breast = 1', 's.image_count > 0');
    const text = q.filter.text?.trim();
    if (text) {
      // "Lambert, Sophie" as "Lambert Sophie" (a comma between family and given names, as lists write them)
      const key = searchKey(text.replace(/,/g, ' '));
      // an ID or an accession number as typed, in capitals or in small letters: IDs are compared as
      // stored (an index range each), and "syn" found none of the "SYN…" IDs (a probe)
      const forms = [...new Set([text, text.toUpperCase(), text.toLowerCase()])];
      const ids = forms.map((_, i) => `(patient_id >= @idFrom${i} AND patient_id < @idTo${i})`).join(' OR ');
      const accessions = forms.map((_, i) => `@accession${i}`).join(', ');
      // a name as stored (family name first, as DICOM writes it), or typed given name first: "Sophie
      // Lambert" found nobody (a probe); the family name is then whole, the given name(s) may be begun
      const words = key.split(' ');
      const givenFirst = words.length > 1 ? `${words.at(-1)} ${words.slice(0, -1).join(' ')}` : null;
      // or, asked for (query), a given name or a part of a name: the start of any word, words begun
      // after a space, a hyphen or an apostrophe, and the words typed apart whatever joins them in the
      // name ("Marie Hélène" for MARIE-HÉLÈNE, "Hermite" for L'HERMITE found nobody: a probe)
      const body = givenNames ? key.split(' ').map((w) => w.replace(/[\\%_]/g, (c) => `\\${c}`)).join('_') : null;
      const givenWords = body ? [`${body}%`, `% ${body}%`, `%-${body}%`, `%'${body}%`] : [];
      // no name condition for text that is no name ("^" or "=" alone: every name matched the empty key, a probe)
      const names = key ? `(name_search >= @nameFrom AND name_search < @nameTo)${givenFirst ? ' OR (name_search >= @givenFirstFrom AND name_search < @givenFirstTo)' : ''}${givenWords.map((_, i) => ` OR name_search LIKE @givenWord${i} ESCAPE '\\'`).join('')}` : '0';
      where.push(`(s.patient_ref IN (SELECT id FROM patients WHERE ${names}
        OR ${ids}) OR s.accession IN (${accessions}))`);
      if (key) Object.assign(params, { nameFrom: key, nameTo: prefixEnd(key) });
      if (key && givenFirst) Object.assign(params, { givenFirstFrom: givenFirst, givenFirstTo: prefixEnd(givenFirst) });
      givenWords.forEach((pattern, i) => Object.assign(params, { [`givenWord${i}`]: pattern }));
      forms.forEach((form, i) => Object.assign(params, { [`idFrom${i}`]: form, [`idTo${i}`]: prefixEnd(form), [`accession${i}`]: form }));
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
    let order = sort.order(q.sort.direction === 'asc' ? 'ASC' : 'DESC');
    const heldBackFirst = q.sort.field === 'aiScore' && options.withheldFor !== undefined;
    if (q.sort.field === 'aiScore') {
      // triage orders what is left to read: the exams read after every exam to read (a read prior
      // sorted among them was opened before them, a probe), and among those to read, the ones the AI
      // could not read (or has not yet) after the scored ones but before the read ones (listed after
      // every read exam, an exam the AI refused, to be read unaided, was the last to be read: a probe);
      // in second look, of those to read, the exams whose score is held back (no first impression yet)
      // first (one with her impression and not yet read went below the exams the AI could not score: a
      // probe); the exams read are never held back (service/worklist.ts), ordered by their scores
      // (and of the exams read, those whose score waits for her impression of the same woman's exam to
      // read first: interleaved, the shown scores around them gave theirs, a re-probe)
      order = heldBackFirst
        ? `(s.status = 'read'), (${AI_SCORE} IS NULL),
          (CASE WHEN s.status <> 'read' THEN EXISTS (SELECT 1 FROM first_impressions fi WHERE fi.study_ref = s.id AND fi.reader = @reader)
            ELSE NOT (${readHeldBack('s', '@reader')}) END), ${order}`
        : `(s.status = 'read'), (${AI_SCORE} IS NULL), ${order}`;
    }
    // Every filter is on the exam row, so the count needs no join.
    const total = (this.sql.get(`SELECT count(*) AS n FROM studies s WHERE ${whereSql.replace(/\+s\./g, 's.')}`).get(params) as { n: number }).n;
    const sql = sort.patientFirst
      ? `SELECT ${EXAM_COLUMNS} FROM patients p CROSS JOIN studies s ON s.patient_ref = p.id WHERE ${whereSql} ORDER BY ${order} LIMIT @limit OFFSET @offset`
      : `SELECT ${EXAM_COLUMNS} FROM (SELECT s.id FROM studies s WHERE ${whereSql} ORDER BY ${order} LIMIT @limit OFFSET @offset) page
           CROSS JOIN studies s ON s.id = page.id CROSS JOIN patients p ON p.id = s.patient_ref ORDER BY ${order}`;
    const rows = this.sql.get(sql).all({ ...params, ...(heldBackFirst ? { reader: options.withheldFor } : {}), limit: q.limit, offset: q.offset }) as ExamRow[];
    return { total, offset: q.offset, rows: rows.map(toExamSummary) };
  }

  /**
   * The exams an import job brought in whole (every image of theirs stored by it) that are still new
   * and shown (not held back). An exam that had images before it is not one: a current exam to read
   * that an archive's import added an image to.
   */
  examsBroughtInBy(jobId: number): number[] {
    return (this.sql.get(`SELECT DISTINCT se.study_ref AS id FROM instances i JOIN series se ON se.id = i.series_ref
      JOIN studies s ON s.id = se.study_ref WHERE i.import_job = @job AND s.status = 'new' AND s.pending_job IS NULL
        AND NOT EXISTS (SELECT 1 FROM series se2 JOIN instances i2 ON i2.series_ref = se2.id
          WHERE se2.study_ref = se.study_ref AND i2.import_job IS NOT @job)
      ORDER BY se.study_ref`).all({ job: jobId }) as { id: number }[]).map((r) => r.id);
  }

  examSummary(examId: number): ExamSummary | null {
    const row = this.sql.get(`SELECT ${EXAM_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient_ref
      WHERE s.id = ? AND s.pending_job IS NULL`).get(examId) as ExamRow | undefined;
    return row ? toExamSummary(row) : null;
  }

  examDetail(examId: number): ExamDetail | null {
    const exam = this.examSummary(examId);
    if (!exam) return null;
    const seriesRows = this.sql.get('SELECT id, series_uid, modality, series_number, description FROM series WHERE study_ref = ? ORDER BY series_number, id')
      .all(examId) as { id: number; series_uid: string; modality: string | null; series_number: number | null; description: string | null }[];
    const instances = this.sql.get('SELECT * FROM instances WHERE series_ref = ? ORDER BY instance_number, id');
    const series: SeriesDetail[] = seriesRows.map((s) => ({
      seriesKey: s.id,
      seriesInstanceUid: s.series_uid,
      modality: s.modality,
      seriesNumber: s.series_number,
      description: s.description,
      instances: (instances.all(s.id) as InstanceRow[]).map(toInstanceDetail),
    }));
    const priors = (this.sql.get(`SELECT ${EXAM_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient_ref
        WHERE s.patient_ref = ? AND s.id != ? AND s.pending_job IS NULL ORDER BY s.study_date DESC, s.study_time DESC, s.id DESC`)
      .all(exam.patientKey, examId) as ExamRow[])
      .map((row) => {
        const summary = toExamSummary(row);
        const isPrior = (summary.studyDate ?? '') < (exam.studyDate ?? '') ||
          ((summary.studyDate ?? '') === (exam.studyDate ?? '') && (summary.studyTime ?? '') < (exam.studyTime ?? ''));
        return { ...summary, isPrior };
      });
    const identity = this.sql.get(`SELECT
        (SELECT count(*) FROM patients p2 WHERE p2.patient_id = p.patient_id AND p2.issuer = p.issuer AND p2.id != p.id) AS others,
        (s.received_name IS NOT NULL AND s.received_name != p.name_search)
          OR (s.received_birth_date IS NOT NULL AND p.birth_date IS NOT NULL AND s.received_birth_date != p.birth_date) AS differs
      FROM studies s JOIN patients p ON p.id = s.patient_ref WHERE s.id = ?`).get(examId) as { others: number; differs: number };
    const rejected = quarantineEntries(this.sql.get(`SELECT q.* FROM quarantine q JOIN studies s ON s.study_uid = q.study_uid
        WHERE s.id = ? AND ${MISSING_FROM_EXAM}
        GROUP BY coalesce(q.sop_uid, q.file) ORDER BY q.id LIMIT 100`).all(examId));
    return {
      exam, series, priors,
      identity: { otherPatientsWithSameId: identity.others, differsFromPatient: identity.differs === 1 },
      rejected: rejected satisfies QuarantineEntry[],
    };
  }

  setExamStatus(examId: number, status: ExamStatus, audit: (examId: number) => void): ExamSummary | null {
    const found = this.sql.db.transaction(() => {
      const row = this.sql.get('SELECT status FROM studies WHERE id = ? AND pending_job IS NULL').get(examId) as { status: ExamStatus } | undefined;
      if (!row) return false;
      // audited only as a change: the same status set again (a key pressed twice, another window) wrote a
      // row each time, 20 "status:read" for one exam in a probe's race
      if (row.status !== status) {
        this.sql.get('UPDATE studies SET status = ? WHERE id = ?').run(status, examId);
        audit(examId);
      }
      return true;
    })();
    return found ? this.examSummary(examId) : null;
  }

  /** An exam still 'new' becomes 'in_progress' (her reading has begun); any other status stays. Whether it changed. */
  startReading(examId: number, audit: (examId: number) => void): boolean {
    return this.sql.db.transaction(() => {
      const r = this.sql.get("UPDATE studies SET status = 'in_progress' WHERE id = ? AND status = 'new' AND pending_job IS NULL").run(examId);
      if (r.changes) audit(examId);
      return r.changes > 0;
    })();
  }

  /** The stored file of an image that is visible in the worklist, or null. */
  instanceFile(instanceId: number): { fileHash: string; fileSize: number; readableLength: number | null; displayRendition: number | null; transferSyntaxUid: string } | null {
    const row = this.sql.get(`SELECT i.file_hash, i.file_size, i.readable_length, i.display_rendition, i.transfer_syntax FROM instances i JOIN series se ON se.id = i.series_ref
      JOIN studies s ON s.id = se.study_ref WHERE i.id = ? AND s.pending_job IS NULL`).get(instanceId) as
      { file_hash: string; file_size: number; readable_length: number | null; display_rendition: number | null; transfer_syntax: string } | undefined;
    return row ? { fileHash: row.file_hash, fileSize: row.file_size, readableLength: row.readable_length, displayRendition: row.display_rendition, transferSyntaxUid: row.transfer_syntax } : null;
  }

  /** The stored instance with this SOP Instance UID, or null. */
  instanceBySopUid(sopUid: string): number | null {
    return (this.sql.get('SELECT id FROM instances WHERE sop_uid = ?').get(sopUid) as { id: number } | undefined)?.id ?? null;
  }

  /**
   * Every stored file (or one exam's), for checking the store: the exams held back by an unfinished
   * import too (their files are stored; a check that skipped them said "0 files" of a library that
   * held only those).
   */
  storedFiles(examId: number | null): { instanceId: number; examId: number; fileHash: string; fileSize: number; transferSyntaxUid: string }[] {
    return (this.sql.get(`SELECT i.id, se.study_ref, i.file_hash, i.file_size, i.transfer_syntax FROM instances i JOIN series se ON se.id = i.series_ref
      WHERE (@exam IS NULL OR se.study_ref = @exam) ORDER BY i.id`).all({ exam: examId }) as
      { id: number; study_ref: number; file_hash: string; file_size: number; transfer_syntax: string }[])
      .map((r) => ({ instanceId: r.id, examId: r.study_ref, fileHash: r.file_hash, fileSize: r.file_size, transferSyntaxUid: r.transfer_syntax }));
  }

  /** The newest instance's id (0 in an empty library): it grows whenever any process of the library stores one. */
  newestInstanceId(): number {
    return (this.sql.get('SELECT max(id) AS id FROM instances').get() as { id: number | null }).id ?? 0;
  }

  countExams(): number {
    return (this.sql.get('SELECT count(*) AS n FROM studies WHERE pending_job IS NULL').get() as { n: number }).n;
  }
}
