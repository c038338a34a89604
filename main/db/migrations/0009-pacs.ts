import type { Database } from 'better-sqlite3';

/**
 * An existing PACS (DICOMweb):
 * - pacs_outbox: stored objects to send to a PACS node (STOW-RS), one row per object and node:
 *   queued, sending (claimed by the process "pid:start time" in `owner`; queued again when that
 *   process is gone), sent, or failed for good; attempts, the next attempt's time, and the last
 *   failure as a code and a detail without patient data.
 * - pacs_nodes_health: what the last request to each node found (any process), so that the panel
 *   can say "unreachable since 14:02"; `failures` counts consecutive failures for the backoff.
 * - pacs_retrievals: the latest search for a woman's priors on each node (found, missing here,
 *   retrieved) or why it failed.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE pacs_outbox (
      id               INTEGER PRIMARY KEY,
      instance_ref     INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
      node_id          TEXT NOT NULL,
      state            TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
      attempts         INTEGER NOT NULL DEFAULT 0,
      queued_at        TEXT NOT NULL,
      next_attempt_at  TEXT NOT NULL,
      sent_at          TEXT,
      owner            TEXT,
      failure_code     TEXT,
      failure_detail   TEXT,
      UNIQUE (instance_ref, node_id)
    );
    CREATE INDEX pacs_outbox_next ON pacs_outbox (state, next_attempt_at);
    CREATE INDEX pacs_outbox_node ON pacs_outbox (node_id, state);

    CREATE TABLE pacs_nodes_health (
      node_id          TEXT PRIMARY KEY,
      state            TEXT NOT NULL CHECK (state IN ('ok', 'failing')),
      since            TEXT NOT NULL,
      failures         INTEGER NOT NULL DEFAULT 0,
      failure_code     TEXT,
      failure_detail   TEXT,
      last_ok_at       TEXT
    );

    CREATE TABLE pacs_retrievals (
      patient_ref      INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
      node_id          TEXT NOT NULL,
      state            TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
      owner            TEXT,
      found            INTEGER NOT NULL DEFAULT 0,
      missing          INTEGER NOT NULL DEFAULT 0,
      retrieved        INTEGER NOT NULL DEFAULT 0,
      images           INTEGER NOT NULL DEFAULT 0,
      started_at       TEXT NOT NULL,
      finished_at      TEXT,
      failure_code     TEXT,
      failure_detail   TEXT,
      PRIMARY KEY (patient_ref, node_id)
    );
  `);
}
