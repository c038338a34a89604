import type { Database } from 'better-sqlite3';

/**
 * A reader's first impression of an exam (normal / recall), recorded before the AI second reader's
 * marks are shown to her (second look): one per exam and reader, never changed once recorded (it is
 * her unaided read), with the marks mode she had then. Who recorded it and when is also in the
 * audit log.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE first_impressions (
      id           INTEGER PRIMARY KEY,
      study_ref    INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      reader       TEXT NOT NULL,
      impression   TEXT NOT NULL CHECK (impression IN ('normal', 'recall')),
      marks_mode   TEXT NOT NULL CHECK (marks_mode IN ('second-look', 'concurrent')),
      recorded_at  TEXT NOT NULL,
      UNIQUE (study_ref, reader)
    );
  `);
}
