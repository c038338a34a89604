import type { Database } from 'better-sqlite3';

/**
 * When a running analysis stepped aside for exams a reader opened meanwhile (null: it is not
 * waiting). Before, the waiting exam still said "analysing…" beside the one actually analysed: two
 * exams under way on a station that analyses one at a time. Read only while the job is running;
 * set and cleared by the process that holds the job.
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE ai_jobs ADD COLUMN paused_at TEXT');
}
