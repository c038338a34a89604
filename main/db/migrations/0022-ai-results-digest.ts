import type { Database } from 'better-sqlite3';

/**
 * ai_jobs.results_sha256: the digest of what in its model's manifest made the analysis's results
 * (main/ai/manifest-digest.ts resultsDigest: the model file, how images are given to it, its
 * outputs, the threshold its findings are kept from; not its texts nor its version). A new version
 * of a model with the same digest keeps an earlier version's analyses (AiTables.carryOver) rather
 * than analysing the whole library again, one more CAD SR each, for a manifest whose words alone
 * changed. ai_jobs.results_version: the version whose run gave a kept analysis (NULL: its own run),
 * said beside it. NULL digests (analyses made before this migration) are filled in at start by
 * the model found with the same manifest; an earlier version no longer installed leaves them NULL
 * (analysed again, as before).
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE ai_jobs ADD COLUMN results_sha256 TEXT;
    ALTER TABLE ai_jobs ADD COLUMN results_version TEXT;
  `);
}
