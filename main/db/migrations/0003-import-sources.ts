import type { Database } from 'better-sqlite3';

/**
 * What an import job was asked to import (its paths, as JSON; NULL for uploaded bytes), so that an
 * interrupted job can be offered again to the user and resumed.
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE import_jobs ADD COLUMN sources TEXT');
}
