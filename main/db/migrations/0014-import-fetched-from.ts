import type { Database } from 'better-sqlite3';

/**
 * The PACS node an import job's files were fetched from (a prior's retrieval), null otherwise. A
 * retrieval cut short holds its exam back as an unfinished import; it is completed by the next
 * search of her priors, not by files dropped again or a sender sending again, and the worklist says so.
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE import_jobs ADD COLUMN fetched_from TEXT');
}
