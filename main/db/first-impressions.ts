// Readers' first impressions of exams (migration 0006): recorded once per exam and reader, before
// the AI's marks are shown in second look; the audit log records the act in the same transaction.
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { FirstImpression, FirstImpressionValue } from '../../common/domain.ts';
import type { AiMarksMode } from '../../common/viewer-settings.ts';
import { Statements, now } from './connection.ts';

interface Row { impression: FirstImpressionValue; marks_mode: AiMarksMode; recorded_at: string }

const toImpression = (r: Row): FirstImpression => ({ impression: r.impression, mode: r.marks_mode, recordedAt: r.recorded_at });

/**
 * SQL: exam `o` is one to read (not read, shown) on which the reader (`reader`, a bound parameter) has
 * recorded no first impression, whatever its analysis' state. In second look, the scores of the exams
 * read of the same woman wait for that impression: asked of a few exams (withExamToReadOfSameWoman, an
 * index lookup from each) and of the whole list (the worklist's triage order, readHeldBack). (Asked
 * of exams to read scored by the AI only, a read prior opened while her current exam was still queued
 * showed its score and marks: a radiologist's probe.)
 */
const toReadUnseen = (o: string, reader: string) => `${o}.status <> 'read' AND ${o}.pending_job IS NULL
  AND NOT EXISTS (SELECT 1 FROM first_impressions fi WHERE fi.study_ref = ${o}.id AND fi.reader = ${reader})`;

/**
 * SQL: exam `alias` is read, and its woman has an exam to read unseen (toReadUnseen), for an ORDER BY
 * over the whole list: the women with such an exam listed once rather than looked for from each exam
 * read (the first page sorted by the score in second look at 100,000 exams, 30,000 to read, 82 ms
 * against 95 ms; 33 ms without this term, `npm run bench -- worklist`).
 */
export const readHeldBack = (alias: string, reader: string) =>
  `${alias}.status = 'read' AND ${alias}.patient_ref IN (SELECT o.patient_ref FROM studies o WHERE ${toReadUnseen('o', reader)})`;

export class FirstImpressionTable {
  private readonly sql: Statements;
  constructor(private readonly db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  get(examId: number, reader: string): FirstImpression | null {
    const row = this.sql.get('SELECT impression, marks_mode, recorded_at FROM first_impressions WHERE study_ref = ? AND reader = ?').get(examId, reader) as Row | undefined;
    return row ? toImpression(row) : null;
  }

  /** Of these exams, those the reader has recorded a first impression of (`impression`: of that impression only). */
  recordedAmong(examIds: readonly number[], reader: string, impression?: FirstImpressionValue): Set<number> {
    if (examIds.length === 0) return new Set();
    // json_each keeps one statement for any number of ids (a worklist page holds up to a few hundred)
    const rows = this.sql.get(`SELECT study_ref FROM first_impressions WHERE reader = ? AND study_ref IN (SELECT value FROM json_each(?)) AND (? IS NULL OR impression = ?)`)
      .all(reader, JSON.stringify(examIds), impression ?? null, impression ?? null) as { study_ref: number }[];
    return new Set(rows.map((r) => r.study_ref));
  }

  /**
   * Of `examIds`, the exams read whose woman has an exam still to read (not read, shown, analysed or not)
   * on which `reader` has recorded no first impression: in second look, their scores are hers to see
   * after it (a prior read, scored 0.45 and highlighted one row from her current exam held back, told
   * her what the AI made of a stable lesion: a radiologist's probe).
   */
  withExamToReadOfSameWoman(examIds: readonly number[], reader: string): Set<number> {
    if (examIds.length === 0) return new Set();
    // from each exam, by its woman (a page's fifty: 0.04 ms, where listing the women first took 22 ms at 30,000 exams to read)
    const rows = this.sql.get(`SELECT s.id FROM studies s WHERE s.id IN (SELECT value FROM json_each(@ids)) AND s.status = 'read'
      AND EXISTS (SELECT 1 FROM studies o WHERE o.patient_ref = s.patient_ref AND ${toReadUnseen('o', '@reader')})`)
      .all({ ids: JSON.stringify(examIds), reader }) as { id: number }[];
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Records a reader's first impression unless she has one for this exam already; `audit` runs in the
   * same transaction when it is recorded now. Returns the impression on record and whether it is new.
   */
  record(examId: number, reader: string, impression: FirstImpressionValue, mode: AiMarksMode, audit: () => void): { recorded: FirstImpression; isNew: boolean } {
    return this.db.transaction(() => {
      const isNew = this.sql.get(`INSERT INTO first_impressions (study_ref, reader, impression, marks_mode, recorded_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (study_ref, reader) DO NOTHING`).run(examId, reader, impression, mode, now()).changes > 0;
      if (isNew) audit();
      return { recorded: this.get(examId, reader)!, isNew };
    }).immediate();
  }
}
