import type { Database } from 'better-sqlite3';

/**
 * Mammography CAD SRs (issue 9):
 * - ai_jobs.cad_sr_uid: the SR this station wrote for an analysis (written once per finished job;
 *   NULL: not written yet, and written when the station next can).
 * - cad_reports: every Mammography CAD SR in the library (imported, received, or written here), read
 *   once: its algorithm, its summary, or why it could not be read. written_here: the station's own,
 *   whose marks are its analysis's findings (not shown twice).
 * - cad_marks: each single image finding of a report on one image, with its rendering intent. The
 *   image is named by its SOP Instance UID, not a row: a report may arrive before its images.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE ai_jobs ADD COLUMN cad_sr_uid TEXT;
    CREATE TABLE cad_reports (
      id                INTEGER PRIMARY KEY,
      instance_ref      INTEGER NOT NULL UNIQUE REFERENCES instances(id) ON DELETE CASCADE,
      study_ref         INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      written_here      INTEGER NOT NULL DEFAULT 0,
      manufacturer      TEXT,
      algorithm_name    TEXT,
      algorithm_version TEXT,
      algorithm_params  TEXT,
      summary           TEXT,
      problem           TEXT,
      read_at           TEXT NOT NULL
    );
    CREATE INDEX cad_reports_study ON cad_reports (study_ref);
    CREATE TABLE cad_marks (
      id              INTEGER PRIMARY KEY,
      report_ref      INTEGER NOT NULL REFERENCES cad_reports(id) ON DELETE CASCADE,
      image_uid       TEXT NOT NULL,
      class           TEXT NOT NULL,
      label           TEXT NOT NULL,
      intent          TEXT NOT NULL CHECK (intent IN ('required', 'optional', 'not_for_presentation')),
      certainty       REAL,
      operating_point REAL,
      x REAL NOT NULL, y REAL NOT NULL, x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
      outline         TEXT
    );
    CREATE INDEX cad_marks_report ON cad_marks (report_ref);
  `);
}
