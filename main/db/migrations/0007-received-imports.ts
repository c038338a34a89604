import type { Database } from 'better-sqlite3';

/**
 * Imports of files received over the network (a DICOM association): import_jobs.received_from
 * names the sender (its calling AE title), so that an association cut short says whom to ask to
 * send its exams again.
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE import_jobs ADD COLUMN received_from TEXT');
}
