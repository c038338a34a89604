import type { Database } from 'better-sqlite3';

/**
 * The AI second reader's work and results:
 * - ai_jobs: one analysis of one exam by one model version, queued when the exam is imported (or a
 *   model appears), run by whichever process owns it ("pid:start time"), with the provider that ran
 *   it, its timings, its per-breast and exam scores, or why it failed; a job of a process that is
 *   gone is queued again. priority 1: the exam a reader opened goes first.
 * - ai_findings: what the model marked, per image, in the stored image's pixel coordinates
 *   (centre and box), with its class and score. Overlays only: the images never change.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE ai_jobs (
      id             INTEGER PRIMARY KEY,
      study_ref      INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      model_id       TEXT NOT NULL,
      model_version  TEXT NOT NULL,
      model_sha256   TEXT NOT NULL,
      status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
      priority       INTEGER NOT NULL DEFAULT 0,
      queued_at      TEXT NOT NULL,
      started_at     TEXT,
      finished_at    TEXT,
      owner          TEXT,
      provider       TEXT,
      timings        TEXT,
      exam_score     REAL,
      breast_scores  TEXT,
      images         INTEGER,
      failure_code   TEXT,
      failure_detail TEXT,
      UNIQUE (study_ref, model_id, model_version)
    );
    CREATE INDEX ai_jobs_next ON ai_jobs (status, priority DESC, id);
    CREATE TABLE ai_findings (
      id           INTEGER PRIMARY KEY,
      job_ref      INTEGER NOT NULL REFERENCES ai_jobs(id) ON DELETE CASCADE,
      instance_ref INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
      class        TEXT NOT NULL,
      score        REAL NOT NULL,
      x            REAL NOT NULL,
      y            REAL NOT NULL,
      x0           REAL NOT NULL,
      y0           REAL NOT NULL,
      x1           REAL NOT NULL,
      y1           REAL NOT NULL
    );
    CREATE INDEX ai_findings_job ON ai_findings (job_ref);
  `);
}
