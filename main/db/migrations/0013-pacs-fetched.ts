import type { Database } from 'better-sqlite3';

/**
 * The studies the station fetched from a PACS (the priors of a woman whose exam was opened), by
 * Study Instance UID: the results of analysing them (CAD SRs) are not sent back to the PACS by
 * themselves. Several stations share one PACS: each that fetched a prior and analysed it sent it
 * one more SR of the same algorithm, and the next station fetched those too. A reader may still
 * send one by hand.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE pacs_fetched (
      study_uid   TEXT PRIMARY KEY,
      node_id     TEXT NOT NULL,
      fetched_at  TEXT NOT NULL
    );
  `);
}
