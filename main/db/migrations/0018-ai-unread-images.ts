import type { Database } from 'better-sqlite3';

/**
 * The images an analysis done could not read (JSON: instance, view label, failure code), null when
 * it read them all. Before, one image damaged in the store, or one that did not say its pixel
 * spacing, failed the whole exam: the other three views went unanalysed, with no mark nor score.
 * Now the others are analysed, and the reader is told which image was not, and why.
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE ai_jobs ADD COLUMN unread_images TEXT');
}
