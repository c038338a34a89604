// The PACS outbox, the nodes' health and the searches for priors (migration 0009). Several processes
// may share a library: an item is claimed in a write transaction by one process ("pid:start time"),
// and an item left 'sending' by a process that is gone is queued again. The nodes themselves are
// settings (key 'pacs'), read here so that any code holding the database can queue a stored object
// for every node that receives results (queueForPacs), whatever process it runs in.

import type { Database as SqliteDatabase } from 'better-sqlite3';
import { storedPacsNodeSchema } from '../../common/pacs.ts';
import type { OutboxItemView, OutboxState, PacsFailure, PacsNodeStatus, PriorRetrieval, StoredPacsNode } from '../../common/pacs.ts';
import { Statements, now } from './connection.ts';

export const PACS_SETTINGS_KEY = 'pacs';

/** Backoff after consecutive failures of one node: 5 s, doubling, at most 10 min. */
export interface Backoff { firstMs: number; maxMs: number }
export const DEFAULT_BACKOFF: Backoff = { firstMs: 5_000, maxMs: 10 * 60_000 };

export function backoffMs(failures: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  if (failures <= 0) return 0;
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(failures - 1, 30));
}

export interface OutboxItem {
  id: number;
  instanceId: number;
  nodeId: string;
  attempts: number;
  fileHash: string;
  fileSize: number;
}

interface ItemRow {
  id: number; instance_ref: number; node_id: string; state: OutboxState; attempts: number; queued_at: string; next_attempt_at: string;
  sent_at: string | null; failure_code: string | null; failure_detail: string | null; sop_class_uid: string; study_ref: number | null;
}

const toView = (r: ItemRow): OutboxItemView => ({
  id: r.id, nodeId: r.node_id, instanceId: r.instance_ref, examId: r.study_ref, sopClassUid: r.sop_class_uid, state: r.state, attempts: r.attempts,
  queuedAt: r.queued_at, nextAttemptAt: r.state === 'queued' ? r.next_attempt_at : null, sentAt: r.sent_at,
  failure: r.failure_code ? { code: r.failure_code as PacsFailure, detail: r.failure_detail } : null,
});

const iso = (ms: number) => new Date(ms).toISOString();

export class PacsTables {
  private readonly sql: Statements;
  /** Told when items are queued in this process (the outbox loop wakes). */
  private readonly queuedListeners = new Set<() => void>();

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  /** The PACS nodes as stored in the library's settings (none where none or a damaged value is stored). */
  nodes(): StoredPacsNode[] {
    const row = this.sql.get('SELECT value FROM settings WHERE key = ?').get(PACS_SETTINGS_KEY) as { value: string } | undefined;
    if (!row) return [];
    try {
      const parsed = (JSON.parse(row.value) as { nodes?: unknown[] }).nodes ?? [];
      return parsed.flatMap((n) => {
        const r = storedPacsNodeSchema.safeParse(n);
        return r.success ? [r.data] : [];
      });
    } catch {
      return [];
    }
  }

  /** The AE titles of the DIMSE nodes that send priors here by C-MOVE (the receiver admits them as callers). */
  movingCallers(): string[] {
    return this.nodes().filter((n) => n.protocol === 'dimse' && n.queryPriors && n.dimse).map((n) => n.dimse!.aeTitle);
  }

  /** Stores the nodes; items of nodes that are gone and not sent are dropped (as are their searches and health). */
  setNodes(nodes: readonly StoredPacsNode[]): void {
    this.db.transaction(() => {
      this.sql.get('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run(PACS_SETTINGS_KEY, JSON.stringify({ nodes }));
      const ids = JSON.stringify(nodes.map((n) => n.id));
      this.sql.get(`DELETE FROM pacs_outbox WHERE node_id NOT IN (SELECT value FROM json_each(?)) AND state != 'sending'`).run(ids);
      this.sql.get('DELETE FROM pacs_nodes_health WHERE node_id NOT IN (SELECT value FROM json_each(?))').run(ids);
      this.sql.get('DELETE FROM pacs_retrievals WHERE node_id NOT IN (SELECT value FROM json_each(?))').run(ids);
    }).immediate();
  }

  onQueued(listener: () => void): () => void {
    this.queuedListeners.add(listener);
    return () => this.queuedListeners.delete(listener);
  }

  /**
   * Queues stored objects for a node. An object already waiting for it is left as it is; one sent
   * or failed before is queued again (a reader asked to send it). Returns how many were queued now.
   */
  enqueue(instanceIds: readonly number[], nodeId: string): number {
    const at = now();
    const insert = this.sql.get(`INSERT INTO pacs_outbox (instance_ref, node_id, state, queued_at, next_attempt_at)
        SELECT id, ?, 'queued', ?, ? FROM instances WHERE id = ?
        ON CONFLICT (instance_ref, node_id) DO UPDATE SET state = 'queued', attempts = 0, queued_at = excluded.queued_at,
          next_attempt_at = excluded.next_attempt_at, sent_at = NULL, failure_code = NULL, failure_detail = NULL
        WHERE pacs_outbox.state IN ('sent', 'failed')`);
    const queued = this.db.transaction(() => instanceIds.reduce((n, id) => n + insert.run(nodeId, at, at, id).changes, 0)).immediate();
    if (queued) for (const l of this.queuedListeners) l();
    return queued;
  }

  /** Queues again the items that processes now gone left 'sending'; returns how many. */
  requeueOrphans(isOwnerAlive: (owner: string) => boolean): number {
    const sending = this.sql.get(`SELECT id, owner FROM pacs_outbox WHERE state = 'sending'`).all() as { id: number; owner: string | null }[];
    const dead = sending.filter((r) => !r.owner || !isOwnerAlive(r.owner)).map((r) => r.id);
    if (!dead.length) return 0;
    const requeue = this.sql.get(`UPDATE pacs_outbox SET state = 'queued', owner = NULL, next_attempt_at = ? WHERE id = ? AND state = 'sending'`);
    const at = now();
    this.db.transaction(() => { for (const id of dead) requeue.run(at, id); }).immediate();
    return dead.length;
  }

  /** Takes the next due item of these nodes for `owner` (oldest first), or null. */
  claimNext(owner: string, nodeIds: readonly string[], at = Date.now()): OutboxItem | null {
    if (!nodeIds.length) return null;
    return this.db.transaction(() => {
      const row = this.sql.get(`SELECT o.id, o.instance_ref, o.node_id, o.attempts, i.file_hash, i.file_size FROM pacs_outbox o
          JOIN instances i ON i.id = o.instance_ref
          WHERE o.state = 'queued' AND o.next_attempt_at <= ? AND o.node_id IN (SELECT value FROM json_each(?)) ORDER BY o.next_attempt_at, o.id LIMIT 1`)
        .get(iso(at), JSON.stringify(nodeIds)) as { id: number; instance_ref: number; node_id: string; attempts: number; file_hash: string; file_size: number } | undefined;
      if (!row) return null;
      this.sql.get(`UPDATE pacs_outbox SET state = 'sending', owner = ?, attempts = attempts + 1 WHERE id = ?`).run(owner, row.id);
      return { id: row.id, instanceId: row.instance_ref, nodeId: row.node_id, attempts: row.attempts + 1, fileHash: row.file_hash, fileSize: row.file_size };
    }).immediate();
  }

  /** When the next queued item of these nodes is due (ms since the epoch), or null when none waits. */
  nextDue(nodeIds: readonly string[]): number | null {
    const row = this.sql.get(`SELECT min(next_attempt_at) AS t FROM pacs_outbox WHERE state = 'queued' AND node_id IN (SELECT value FROM json_each(?))`)
      .get(JSON.stringify(nodeIds)) as { t: string | null };
    return row.t ? Date.parse(row.t) : null;
  }

  markSent(itemId: number): void {
    this.db.transaction(() => {
      const r = this.sql.get(`UPDATE pacs_outbox SET state = 'sent', owner = NULL, sent_at = ?, failure_code = NULL, failure_detail = NULL
        WHERE id = ? AND state = 'sending' RETURNING node_id`).get(now(), itemId) as { node_id: string } | undefined;
      if (r) this.nodeOk(r.node_id);
    }).immediate();
  }

  /**
   * A failed attempt. `permanent`: the PACS refused the object, or it is gone from the store: the
   * item fails for good (until a reader retries it). Otherwise (the PACS is away) the node's queued
   * items wait out its backoff. Returns the delay before the next attempt (0 when failed for good).
   */
  markFailed(itemId: number, failure: { code: PacsFailure; detail: string | null }, permanent: boolean, backoff: Backoff = DEFAULT_BACKOFF): number {
    return this.db.transaction(() => {
      const row = this.sql.get(`SELECT node_id FROM pacs_outbox WHERE id = ? AND state = 'sending'`).get(itemId) as { node_id: string } | undefined;
      if (!row) return 0;
      if (permanent) {
        this.sql.get(`UPDATE pacs_outbox SET state = 'failed', owner = NULL, failure_code = ?, failure_detail = ? WHERE id = ?`).run(failure.code, failure.detail, itemId);
        return 0;
      }
      const failures = this.nodeFailed(row.node_id, failure);
      const delay = backoffMs(failures, backoff);
      const next = iso(Date.now() + delay);
      this.sql.get(`UPDATE pacs_outbox SET state = 'queued', owner = NULL, failure_code = ?, failure_detail = ?, next_attempt_at = ? WHERE id = ?`)
        .run(failure.code, failure.detail, next, itemId);
      // the node is away: its other items wait as long (not one timeout each per round)
      this.sql.get(`UPDATE pacs_outbox SET next_attempt_at = ? WHERE node_id = ? AND state = 'queued' AND next_attempt_at < ?`).run(next, row.node_id, next);
      return delay;
    }).immediate();
  }

  /** Records that a request to a node succeeded (any kind: a send, a search, a test). */
  nodeOk(nodeId: string): void {
    const at = now();
    this.sql.get(`INSERT INTO pacs_nodes_health (node_id, state, since, failures, last_ok_at) VALUES (?, 'ok', ?, 0, ?)
      ON CONFLICT (node_id) DO UPDATE SET since = CASE WHEN state = 'ok' THEN since ELSE excluded.since END, state = 'ok', failures = 0,
        failure_code = NULL, failure_detail = NULL, last_ok_at = excluded.last_ok_at`).run(nodeId, at, at);
  }

  /** Records a failed request to a node; returns its consecutive failures. */
  nodeFailed(nodeId: string, failure: { code: PacsFailure; detail: string | null }): number {
    const r = this.sql.get(`INSERT INTO pacs_nodes_health (node_id, state, since, failures, failure_code, failure_detail) VALUES (?, 'failing', ?, 1, ?, ?)
      ON CONFLICT (node_id) DO UPDATE SET since = CASE WHEN state = 'failing' THEN since ELSE excluded.since END, state = 'failing',
        failures = failures + 1, failure_code = excluded.failure_code, failure_detail = excluded.failure_detail RETURNING failures`)
      .get(nodeId, now(), failure.code, failure.detail) as { failures: number };
    return r.failures;
  }

  /** "Retry now": the node's (or every node's) queued items are due now and its failed ones queued again; returns how many. */
  retryNow(nodeId: string | null): number {
    const at = now();
    const n = this.db.transaction(() => {
      const due = this.sql.get(`UPDATE pacs_outbox SET next_attempt_at = ? WHERE state = 'queued' AND (? IS NULL OR node_id = ?)`).run(at, nodeId, nodeId).changes;
      const failed = this.sql.get(`UPDATE pacs_outbox SET state = 'queued', next_attempt_at = ?, attempts = 0, failure_code = NULL, failure_detail = NULL
        WHERE state = 'failed' AND (? IS NULL OR node_id = ?)`).run(at, nodeId, nodeId).changes;
      return due + failed;
    }).immediate();
    if (n) for (const l of this.queuedListeners) l();
    return n;
  }

  item(itemId: number): OutboxItemView | null {
    const r = this.sql.get(`SELECT o.*, i.sop_class_uid, se.study_ref FROM pacs_outbox o JOIN instances i ON i.id = o.instance_ref
      JOIN series se ON se.id = i.series_ref WHERE o.id = ?`).get(itemId) as ItemRow | undefined;
    return r ? toView(r) : null;
  }

  /** The items of one stored object (every node). */
  itemsOf(instanceId: number): OutboxItemView[] {
    return (this.sql.get(`SELECT o.*, i.sop_class_uid, se.study_ref FROM pacs_outbox o JOIN instances i ON i.id = o.instance_ref
      JOIN series se ON se.id = i.series_ref WHERE o.instance_ref = ? ORDER BY o.id`).all(instanceId) as ItemRow[]).map(toView);
  }

  failedItems(limit: number): OutboxItemView[] {
    return (this.sql.get(`SELECT o.*, i.sop_class_uid, se.study_ref FROM pacs_outbox o JOIN instances i ON i.id = o.instance_ref
      JOIN series se ON se.id = i.series_ref WHERE o.state = 'failed' ORDER BY o.id DESC LIMIT ?`).all(limit) as ItemRow[]).map(toView);
  }

  nodeCounts(nodeId: string): PacsNodeStatus['outbox'] {
    const counts = { queued: 0, sending: 0, sent: 0, failed: 0, nextAttemptAt: null as string | null };
    for (const r of this.sql.get('SELECT state, count(*) AS n FROM pacs_outbox WHERE node_id = ? GROUP BY state').all(nodeId) as { state: OutboxState; n: number }[]) counts[r.state] = r.n;
    counts.nextAttemptAt = (this.sql.get(`SELECT min(next_attempt_at) AS t FROM pacs_outbox WHERE node_id = ? AND state = 'queued'`).get(nodeId) as { t: string | null }).t;
    return counts;
  }

  health(nodeId: string): PacsNodeStatus['health'] {
    const r = this.sql.get('SELECT * FROM pacs_nodes_health WHERE node_id = ?').get(nodeId) as
      { state: 'ok' | 'failing'; since: string; failure_code: string | null; failure_detail: string | null; last_ok_at: string | null } | undefined;
    if (!r) return { state: 'unknown', since: null, failure: null, lastOkAt: null };
    return { state: r.state === 'ok' ? 'ok' : 'failing', since: r.since, failure: r.failure_code ? { code: r.failure_code as PacsFailure, detail: r.failure_detail } : null, lastOkAt: r.last_ok_at };
  }

  /**
   * Starts a search for a woman's priors on a node, unless one runs (in a live process) or one
   * ended (well or not) less than `freshMs` ago; returns whether it was started.
   */
  beginRetrieval(patientRef: number, nodeId: string, owner: string, isOwnerAlive: (owner: string) => boolean, freshMs: number): boolean {
    return this.db.transaction(() => {
      const r = this.sql.get('SELECT state, owner, finished_at FROM pacs_retrievals WHERE patient_ref = ? AND node_id = ?').get(patientRef, nodeId) as
        { state: string; owner: string | null; finished_at: string | null } | undefined;
      if (r?.state === 'running' && r.owner && isOwnerAlive(r.owner)) return false;
      // a search that failed waits as long as one that ended well: a study always cut short (over a
      // limit) would otherwise be downloaded again each time one of her exams is opened
      if ((r?.state === 'done' || r?.state === 'failed') && r.finished_at && Date.now() - Date.parse(r.finished_at) < freshMs) return false;
      this.sql.get(`INSERT INTO pacs_retrievals (patient_ref, node_id, state, owner, started_at) VALUES (?, ?, 'running', ?, ?)
        ON CONFLICT (patient_ref, node_id) DO UPDATE SET state = 'running', owner = excluded.owner, found = 0, missing = 0, retrieved = 0, images = 0,
          started_at = excluded.started_at, finished_at = NULL, failure_code = NULL, failure_detail = NULL`).run(patientRef, nodeId, owner, now());
      return true;
    }).immediate();
  }

  updateRetrieval(patientRef: number, nodeId: string, counts: { found?: number; missing?: number; retrieved?: number; images?: number }): void {
    this.sql.get(`UPDATE pacs_retrievals SET found = coalesce(@found, found), missing = coalesce(@missing, missing), retrieved = coalesce(@retrieved, retrieved),
      images = coalesce(@images, images) WHERE patient_ref = @patient AND node_id = @node`)
      .run({ found: counts.found ?? null, missing: counts.missing ?? null, retrieved: counts.retrieved ?? null, images: counts.images ?? null, patient: patientRef, node: nodeId });
  }

  endRetrieval(patientRef: number, nodeId: string, failure: { code: PacsFailure; detail: string | null } | null): void {
    this.sql.get(`UPDATE pacs_retrievals SET state = ?, owner = NULL, finished_at = ?, failure_code = ?, failure_detail = ? WHERE patient_ref = ? AND node_id = ?`)
      .run(failure ? 'failed' : 'done', now(), failure?.code ?? null, failure?.detail ?? null, patientRef, nodeId);
  }

  /** The searches for the priors of an exam's woman (every node). */
  retrievalsForExam(examId: number): PriorRetrieval[] {
    return (this.sql.get(`SELECT r.* FROM pacs_retrievals r JOIN studies s ON s.patient_ref = r.patient_ref WHERE s.id = ? ORDER BY r.node_id`).all(examId) as
      { node_id: string; state: PriorRetrieval['state']; found: number; missing: number; retrieved: number; images: number; started_at: string; finished_at: string | null;
        failure_code: string | null; failure_detail: string | null }[])
      .map((r) => ({ nodeId: r.node_id, state: r.state, found: r.found, missing: r.missing, retrieved: r.retrieved, images: r.images, startedAt: r.started_at,
        finishedAt: r.finished_at, failure: r.failure_code ? { code: r.failure_code as PacsFailure, detail: r.failure_detail } : null }));
  }

  /** The woman of an exam, as the PACS knows her: Patient ID and Issuer of Patient ID ('' where none). */
  examPatient(examId: number): { patientRef: number; patientId: string; issuer: string; studyUid: string } | null {
    const r = this.sql.get(`SELECT p.id, p.patient_id, p.issuer, s.study_uid FROM studies s JOIN patients p ON p.id = s.patient_ref WHERE s.id = ?`).get(examId) as
      { id: number; patient_id: string; issuer: string; study_uid: string } | undefined;
    return r ? { patientRef: r.id, patientId: r.patient_id, issuer: r.issuer, studyUid: r.study_uid } : null;
  }

  /**
   * Which of these studies (found on a PACS, with the number of objects it says it holds, where it
   * says) the library holds at all (`known`: shown or held back), and which it holds whole
   * (`complete`): shown (not held back by an import that ended early: a retrieval cut short, a
   * station killed while importing it) and with as many objects as the PACS holds, counting those
   * it quarantined. Any other is fetched again (what it has already counts as duplicates, and the
   * fetch completes the exam held back).
   */
  heldStudies(studies: readonly { studyUid: string; instances: number | null }[]): { known: Set<string>; complete: Set<string> } {
    const rows = this.sql.get(`SELECT s.study_uid, s.pending_job IS NULL AS shown,
        (SELECT count(*) FROM series se JOIN instances i ON i.series_ref = se.id WHERE se.study_ref = s.id)
        + (SELECT count(DISTINCT q.sop_uid) FROM quarantine q WHERE q.study_uid = s.study_uid AND q.sop_uid IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.sop_uid = q.sop_uid)) AS objects
      FROM studies s WHERE s.study_uid IN (SELECT value FROM json_each(?))`).all(JSON.stringify(studies.map((s) => s.studyUid))) as
      { study_uid: string; shown: number; objects: number }[];
    const held = new Map(rows.map((r) => [r.study_uid, r]));
    return {
      known: new Set(held.keys()),
      complete: new Set(studies.filter((s) => {
        const r = held.get(s.studyUid);
        return r !== undefined && r.shown === 1 && (s.instances === null || r.objects >= s.instances);
      }).map((s) => s.studyUid)),
    };
  }

  /** Records that a study is being fetched from a node (before its objects arrive: an analysis of it may end before the fetch). */
  markFetched(studyUid: string, nodeId: string): void {
    this.sql.get('INSERT OR IGNORE INTO pacs_fetched (study_uid, node_id, fetched_at) VALUES (?, ?, ?)').run(studyUid, nodeId, new Date().toISOString());
  }

  /** Whether a stored object belongs to a study the station fetched from a PACS. */
  fetchedFromPacs(instanceId: number): boolean {
    return this.sql.get(`SELECT 1 FROM instances i JOIN series se ON se.id = i.series_ref JOIN studies s ON s.id = se.study_ref
      JOIN pacs_fetched f ON f.study_uid = s.study_uid WHERE i.id = ?`).get(instanceId) !== undefined;
  }

  /** The stored objects of a visible exam. */
  examInstances(examId: number): number[] {
    return (this.sql.get(`SELECT i.id FROM instances i JOIN series se ON se.id = i.series_ref JOIN studies s ON s.id = se.study_ref
      WHERE s.id = ? AND s.pending_job IS NULL ORDER BY i.id`).all(examId) as { id: number }[]).map((r) => r.id);
  }
}

/**
 * Queues a stored object (an instance of the library: instances.id) for every PACS node that
 * receives results, unless it belongs to a study fetched from a PACS; the outbox of a running
 * station sends it (STOW-RS), retrying while the PACS is away. Returns the ids of the nodes it was
 * queued for now (none where no node receives results).
 * Safe to call from any process that holds the library's database: the desktop app, `binome serve`
 * and the command line share the outbox.
 */
export function queueForPacs(db: { pacs: PacsTables }, instanceId: number): string[] {
  // the results on a prior fetched from the PACS stay here: each station that fetched it would send its own
  if (db.pacs.fetchedFromPacs(instanceId)) return [];
  const nodes = db.pacs.nodes().filter((n) => n.receiveResults);
  return nodes.filter((n) => db.pacs.enqueue([instanceId], n.id) > 0).map((n) => n.id);
}
