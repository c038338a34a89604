// Mammography CAD SRs in the library (migration 0008): each read once into its marks, and the SRs
// the station writes for its own analyses. Marks name their image by SOP Instance UID and are joined
// to the stored images when asked for, so that a report received before its images shows once they
// arrive.

import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { CadReport } from '../../common/domain.ts';
import { MAMMOGRAPHY_CAD_SR_CLASS } from '../../common/dicom-node.ts';
import { boxOnImage, centreOnImage } from '../../common/ai/mark-geometry.ts';
import { Statements, now } from './connection.ts';

/** What a report says (main/dicom/cad-sr-read.ts reads it). */
export interface CadReportRecord {
  manufacturer: string | null;
  algorithmName: string;
  algorithmVersion: string | null;
  algorithmParameters: string | null;
  summary: string | null;
  marks: {
    imageUid: string; class: string; label: string; intent: 'required' | 'optional' | 'not_for_presentation';
    certainty: number | null; operatingPoint: number | null; x: number; y: number; box: [number, number, number, number]; outline: number[] | null;
  }[];
}

export interface UnreadCadSr { instanceId: number; examId: number; sopUid: string; fileHash: string; fileSize: number }

export class CadReportTables {
  private readonly sql: Statements;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  /** Mammography CAD SRs of visible exams not read yet (oldest first). */
  unread(limit = 50): UnreadCadSr[] {
    return (this.sql.get(`SELECT i.id, se.study_ref, i.sop_uid, i.file_hash, i.file_size FROM instances i JOIN series se ON se.id = i.series_ref
        JOIN studies s ON s.id = se.study_ref
        WHERE i.sop_class_uid = ? AND s.pending_job IS NULL AND NOT EXISTS (SELECT 1 FROM cad_reports r WHERE r.instance_ref = i.id)
        ORDER BY i.id LIMIT ?`).all(MAMMOGRAPHY_CAD_SR_CLASS, limit) as { id: number; study_ref: number; sop_uid: string; file_hash: string; file_size: number }[])
      .map((r) => ({ instanceId: r.id, examId: r.study_ref, sopUid: r.sop_uid, fileHash: r.file_hash, fileSize: r.file_size }));
  }

  /** Records what a report holds (or why it could not be read: `problem`), once. */
  record(sr: UnreadCadSr, read: CadReportRecord | { problem: string }): void {
    this.db.transaction(() => {
      const writtenHere = this.sql.get('SELECT 1 FROM ai_jobs WHERE cad_sr_uid = ?').get(sr.sopUid) !== undefined;
      const r = 'problem' in read ? null : read;
      const inserted = this.sql.get(`INSERT INTO cad_reports (instance_ref, study_ref, written_here, manufacturer, algorithm_name, algorithm_version, algorithm_params, summary, problem, read_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_ref) DO NOTHING`)
        .run(sr.instanceId, sr.examId, writtenHere ? 1 : 0, r?.manufacturer ?? null, r?.algorithmName ?? null, r?.algorithmVersion ?? null, r?.algorithmParameters ?? null, r?.summary ?? null,
          'problem' in read ? read.problem : null, now());
      if (!r || inserted.changes === 0) return;
      const insert = this.sql.get(`INSERT INTO cad_marks (report_ref, image_uid, class, label, intent, certainty, operating_point, x, y, x0, y0, x1, y1, outline)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const m of r.marks) {
        insert.run(inserted.lastInsertRowid, m.imageUid, m.class, m.label, m.intent, m.certainty, m.operatingPoint, m.x, m.y, ...m.box, m.outline ? JSON.stringify(m.outline) : null);
      }
    }).immediate();
  }

  /**
   * The CAD reports of an exam that were not written here (`ownSr`: and this one written here), with the
   * marks a viewer may draw on its stored images ("Not for Presentation" ones are never given out);
   * `notInSeries`: not those stored in this series (the SRs of the analysis whose findings show).
   */
  reportsOf(examId: number, options: { ownSr?: string | null; notInSeries?: string | null } = {}): CadReport[] {
    const reports = this.sql.get(`SELECT id, manufacturer, algorithm_name, algorithm_version, algorithm_params, summary, problem FROM cad_reports r
        WHERE study_ref = ? AND ((written_here = 0
            AND NOT EXISTS (SELECT 1 FROM instances i JOIN series se ON se.id = i.series_ref WHERE i.id = r.instance_ref AND se.series_uid = ?))
          OR EXISTS (SELECT 1 FROM instances i WHERE i.id = r.instance_ref AND i.sop_uid = ?))
        ORDER BY id`).all(examId, options.notInSeries ?? null, options.ownSr ?? null) as
      { id: number; manufacturer: string | null; algorithm_name: string | null; algorithm_version: string | null; algorithm_params: string | null; summary: string | null; problem: string | null }[];
    // a mark lands only on an image of the report's own exam: never on another exam's (or woman's) image it may name
    const marks = this.sql.get(`SELECT m.*, i.id AS instance_id, i.columns AS image_columns, i.rows AS image_rows FROM cad_marks m
        LEFT JOIN instances i ON i.sop_uid = m.image_uid AND i.series_ref IN (SELECT id FROM series WHERE study_ref = ?)
        WHERE m.report_ref = ? AND m.intent != 'not_for_presentation' ORDER BY m.id`);
    return reports.map((r) => {
      const rows = marks.all(examId, r.id) as { instance_id: number | null; image_columns: number | null; image_rows: number | null; class: string; label: string;
        intent: 'required' | 'optional'; certainty: number | null; x: number; y: number; x0: number; y0: number; x1: number; y1: number }[];
      const placed = rows.filter((m) => m.instance_id !== null && centreOnImage(m.x, m.y, m.image_columns, m.image_rows));
      return {
        id: r.id, manufacturer: r.manufacturer, algorithmName: r.algorithm_name ?? r.manufacturer ?? 'CAD', algorithmVersion: r.algorithm_version, algorithmParameters: r.algorithm_params,
        summary: r.summary, problem: r.problem,
        marks: placed.map((m) => ({
          instanceId: m.instance_id!, class: m.class, label: m.label, intent: m.intent, certainty: m.certainty, x: m.x, y: m.y,
          box: boxOnImage([m.x0, m.y0, m.x1, m.y1], m.image_columns, m.image_rows),
        })),
        // on images not in the library yet, not of this exam, or off the image they name
        unplaced: rows.length - placed.length,
      };
    });
  }

  /** Finished analyses without their SR yet (the newest first). */
  jobsWithoutSr(limit = 20): number[] {
    return (this.sql.get(`SELECT id FROM ai_jobs WHERE status = 'done' AND cad_sr_uid IS NULL ORDER BY id DESC LIMIT ?`).all(limit) as { id: number }[]).map((r) => r.id);
  }

  /**
   * Claims a finished job's SR UID before the SR is stored (so that reading it back knows it is the
   * station's own); false when the job has one already (another process wrote it) or is not done.
   */
  claimSr(jobId: number, sopUid: string, owner: string): boolean {
    // the claiming process is kept in the (done) job's owner until the SR is stored
    return this.sql.get(`UPDATE ai_jobs SET cad_sr_uid = ?, owner = ? WHERE id = ? AND status = 'done' AND cad_sr_uid IS NULL`).run(sopUid, owner, jobId).changes > 0;
  }

  /** The claimed SR is stored: the claim is done. */
  storedSr(jobId: number, sopUid: string): void {
    this.sql.get(`UPDATE ai_jobs SET owner = NULL WHERE id = ? AND status = 'done' AND cad_sr_uid = ?`).run(jobId, sopUid);
  }

  /** Gives a claimed SR UID up (the SR could not be stored): written again later. */
  releaseSr(jobId: number, sopUid: string): void {
    this.sql.get('UPDATE ai_jobs SET cad_sr_uid = NULL, owner = NULL WHERE id = ? AND cad_sr_uid = ?').run(jobId, sopUid);
  }

  /**
   * Gives up the claims of processes that stopped while they stored an SR (killed between the claim
   * and the import's commit): those SRs are written again; one that was stored keeps its UID. Returns how many were released.
   */
  releaseDeadClaims(isOwnerAlive: (owner: string) => boolean): number {
    const claimed = this.sql.get(`SELECT id, owner, cad_sr_uid FROM ai_jobs WHERE status = 'done' AND cad_sr_uid IS NOT NULL AND owner IS NOT NULL`)
      .all() as { id: number; owner: string; cad_sr_uid: string }[];
    let released = 0;
    for (const c of claimed.filter((r) => !isOwnerAlive(r.owner))) {
      released += this.sql.get(`UPDATE ai_jobs SET cad_sr_uid = CASE WHEN EXISTS (SELECT 1 FROM instances WHERE sop_uid = ?) THEN cad_sr_uid ELSE NULL END, owner = NULL
          WHERE id = ? AND owner = ? AND cad_sr_uid = ?`).run(c.cad_sr_uid, c.id, c.owner, c.cad_sr_uid).changes;
    }
    return released;
  }

  /** The SR written for a job, or null. */
  srOf(jobId: number): string | null {
    return (this.sql.get('SELECT cad_sr_uid FROM ai_jobs WHERE id = ?').get(jobId) as { cad_sr_uid: string | null } | undefined)?.cad_sr_uid ?? null;
  }
}
