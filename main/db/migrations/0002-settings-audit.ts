import type { Database } from 'better-sqlite3';

/** User settings (language, ...) and the audit log of who opened, read or signed which exam. */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE settings (
      key    TEXT PRIMARY KEY,
      value  TEXT NOT NULL
    );
    CREATE TABLE audit_log (
      id         INTEGER PRIMARY KEY,
      at         TEXT NOT NULL,
      actor      TEXT NOT NULL,
      action     TEXT NOT NULL,
      study_ref  INTEGER REFERENCES studies (id)
    );
    CREATE INDEX audit_log_study ON audit_log (study_ref, at);
  `);
}
