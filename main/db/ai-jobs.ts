// The AI second reader's queue and results (migration 0005): one job per exam and model version.
// Several processes may share a library: a job is claimed in a write transaction by one process
// ("pid:start time"), and a job whose process is gone is queued again. An exam held back by an
// unfinished import is not analysed until the import ends (its images may still be arriving).

import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { AiFinding } from '../../common/domain.ts';
import { MODEL_CHANGED_CODES, UNREADABLE_IMAGE_CODES } from '../../common/ai/not-read.ts';
import { Statements, now } from './connection.ts';
import { AI_JOBS_SHOWN_FIRST, RESULT_DAMAGED, aiResultDamaged } from './records.ts';

export interface ModelRef {
  id: string;
  version: string;
  /** model.onnx's SHA-256 (the manifest's). */
  sha256: string;
  /** Its manifest's digest as parsed (main/ai/manifest-digest.ts), where the model was found on this station (migration 0021): an edit of it is another model, a file written again with the same content is not. */
  manifestSha256?: string;
  /** manifest.json's own SHA-256, what analyses recorded before the digest: theirs, where it matches, is taken as the digest. */
  manifestFileSha256?: string;
  /** The digest of what in its manifest makes its results (manifest-digest.ts resultsDigest; migration 0022): a version with the same keeps another's analyses (carryOver). */
  resultsSha256?: string;
}

export type AiJobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Jobs by state, from (status, count) rows; a state without a row has none. */
function tally(rows: unknown[]): Record<AiJobStatus, number> {
  const counts: Record<AiJobStatus, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
  for (const r of rows as { status: AiJobStatus; n: number }[]) counts[r.status] = r.n;
  return counts;
}

export interface AiJob {
  id: number;
  examId: number;
  model: ModelRef;
  status: AiJobStatus;
  priority: number;
}

/** A job claimed to run: `owner` names this run (a process may claim one job twice, a cancelled run still finishing). */
export interface ClaimedJob extends AiJob {
  owner: string;
}

/** A finding as stored: the API's (common/domain.ts). */
export type StoredFinding = AiFinding;

/** An image an analysis could not read (damaged or missing in the store, no pixel spacing, too large): the rest of the exam was analysed. */
export interface UnreadImage {
  instanceId: number;
  /** Its ACR view label (RMLO), or its laterality when it has none. */
  view: string;
  /** The failure's code (image_unreadable, image_missing, image_no_spacing, input_too_large). */
  code: string;
}

export interface AiJobResult {
  provider: string;
  timings: Record<string, number>;
  examScore: number;
  breastScores: Partial<Record<'R' | 'L', number>>;
  images: number;
  findings: StoredFinding[];
  /** The images it could not read (none: it read every image it was given). */
  unreadImages: UnreadImage[];
}

export interface AiExamState {
  status: AiJobStatus;
  model: ModelRef;
  provider: string | null;
  examScore: number | null;
  breastScores: Partial<Record<'R' | 'L', number>>;
  failure: { code: string; detail: string | null } | null;
  queuedAt: string;
  finishedAt: string | null;
  timings: Record<string, number> | null;
  /** The SOP Instance UID of the CAD SR written here for it (null: none yet). */
  srUid: string | null;
  /** Running, and stepped aside meanwhile for exams a reader opened (they are analysed first). */
  paused: boolean;
  /** Done: the images it could not read (the others were analysed). */
  unreadImages: UnreadImage[];
  /** Done, and kept from an earlier version's run that gives the same results (carryOver): that version; null: its own run. */
  resultsVersion: string | null;
}

/** The unread_images column (migration 0018), read back; [] for null or anything else. */
function unreadOf(text: string | null): UnreadImage[] {
  const parsed = parsedOr(text, null);
  return Array.isArray(parsed) ? parsed.filter((u): u is UnreadImage => typeof u === 'object' && u !== null && typeof (u as UnreadImage).view === 'string') : [];
}

/** A JSON column read back, or `fallback` where it is null or not JSON (damaged in the library). */
function parsedOr<T>(text: string | null, fallback: T): unknown {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/**
 * A finished job's stored result as it can be read: its breast scores, timings and unread images,
 * or null where one of them (or the exam score) is damaged in the library (not JSON, not of its
 * shape, a score that is not a number): the exam's analysis then reads as failed, `result_damaged`.
 */
function readResult(r: JobRow): { breastScores: Partial<Record<'R' | 'L', number>>; timings: Record<string, number> | null; unreadImages: UnreadImage[] } | null {
  const bad = Symbol('bad');
  const scores = parsedOr(r.breast_scores, bad), timings = parsedOr(r.timings, bad), unread = parsedOr(r.unread_images, bad);
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if ((r.breast_scores !== null && !isObject(scores)) || (r.timings !== null && !isObject(timings)) || (r.unread_images !== null && !Array.isArray(unread))) return null;
  if (r.exam_score !== null && typeof r.exam_score !== 'number') return null;
  const breastScores = isObject(scores) ? Object.fromEntries((['R', 'L'] as const).flatMap((side) => typeof scores[side] === 'number' ? [[side, scores[side]]] : [])) : {};
  return { breastScores, timings: isObject(timings) ? timings as Record<string, number> : null, unreadImages: unreadOf(r.unread_images) };
}

interface JobRow {
  id: number; study_ref: number; model_id: string; model_version: string; model_sha256: string; status: AiJobStatus; priority: number;
  queued_at: string; finished_at: string | null; provider: string | null; exam_score: number | null; breast_scores: string | null;
  failure_code: string | null; failure_detail: string | null; timings: string | null; cad_sr_uid: string | null;
  paused_at: string | null; unread_images: string | null; results_version: string | null;
}

const toJob = (r: JobRow): AiJob => ({ id: r.id, examId: r.study_ref, model: { id: r.model_id, version: r.model_version, sha256: r.model_sha256 }, status: r.status, priority: r.priority });

/**
 * Failures that come from what the exam holds, that last until the station starts again (its
 * model's folder changed under it), or that hold the model until the reader asks for the exam again
 * (it ran past its time limit: lastOverrun): opening the exam does not try them again (see prioritize).
 */
const LASTING_FAILURES = [...UNREADABLE_IMAGE_CODES, 'no_images', 'images_too_coarse', 'model_output_invalid', 'model_run_failed', ...MODEL_CHANGED_CODES, 'timeout'] as const;

/** The SQL condition for jobs of these model versions (bound with each one's id and version). */
const modelKeys = (models: readonly ModelRef[]): string => models.map(() => '(model_id = ? AND model_version = ?)').join(' OR ');

export class AiTables {
  private readonly sql: Statements;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  /** Queues an exam for a model version (once: an exam already queued, analysed or failed for it is left as it is); returns whether it was queued now. */
  enqueue(examId: number, model: ModelRef, priority = 0): boolean {
    // the exam's date and time with the job: the queue's order, read from its index (migration 0019)
    return this.sql.get(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, manifest_sha256, results_sha256, status, priority, queued_at, study_date, study_time)
        SELECT s.id, ?, ?, ?, ?, ?, 'queued', ?, ?, s.study_date, s.study_time FROM studies s WHERE s.id = ?
        ON CONFLICT (study_ref, model_id, model_version) DO NOTHING`)
      .run(model.id, model.version, model.sha256, model.manifestSha256 ?? null, model.resultsSha256 ?? null, priority, now(), examId).changes > 0;
  }

  /**
   * The analyses of this model version made with another file or another manifest (their checksums:
   * the model replaced, or its manifest edited, without a new version) queued again, to be made
   * with these, and recorded with their checksums from now on; a reader's cancel stands. Before, the
   * old file's results showed as this file's, and one made again was stored under the old checksum;
   * an edited manifest's (classes reordered) kept its old findings (probes). An analysis recorded
   * without its manifest's checksum (before migration 0021) takes this one's. One made with a
   * manifest whose edit left what makes results as it was (its texts: the same results digest,
   * migration 0022) is kept, recorded with this manifest. Returns how many were queued again and
   * how many kept so.
   */
  requeueOtherFile(model: ModelRef): { requeued: number; kept: number } {
    const manifest = model.manifestSha256 ?? null;
    const results = model.resultsSha256 ?? null;
    return this.db.transaction(() => {
      // recorded without a manifest checksum, or with this manifest file's own: the same manifest, recorded by its digest from now on
      if (manifest !== null) {
        this.sql.get(`UPDATE ai_jobs SET manifest_sha256 = ? WHERE model_id = ? AND model_version = ? AND model_sha256 = ? AND (manifest_sha256 IS NULL OR manifest_sha256 = ?)`)
          .run(manifest, model.id, model.version, model.sha256, model.manifestFileSha256 ?? manifest);
        // made with this very manifest before its results digest was recorded: this one's (a later version may keep them)
        if (results !== null) {
          this.sql.get(`UPDATE ai_jobs SET results_sha256 = ? WHERE model_id = ? AND model_version = ? AND model_sha256 = ? AND manifest_sha256 = ? AND results_sha256 IS NULL`)
            .run(results, model.id, model.version, model.sha256, manifest);
        }
      }
      const kept = manifest === null || results === null ? 0 : this.sql.get(`UPDATE ai_jobs SET manifest_sha256 = ?
        WHERE model_id = ? AND model_version = ? AND status IN ('queued', 'done', 'failed') AND model_sha256 = ? AND manifest_sha256 <> ? AND results_sha256 = ?`)
        .run(manifest, model.id, model.version, model.sha256, manifest, results).changes;
      const requeued = this.sql.get(`UPDATE ai_jobs SET status = 'queued', priority = 0, owner = NULL, started_at = NULL, finished_at = NULL, paused_at = NULL,
          failure_code = NULL, failure_detail = NULL, model_sha256 = ?, manifest_sha256 = coalesce(?, manifest_sha256), results_sha256 = coalesce(?, results_sha256), queued_at = ?
        WHERE model_id = ? AND model_version = ? AND status IN ('queued', 'done', 'failed')
          AND (model_sha256 <> ? OR (manifest_sha256 IS NOT NULL AND manifest_sha256 <> ?))`)
        .run(model.sha256, manifest, results, now(), model.id, model.version, model.sha256, manifest).changes;
      return { requeued, kept };
    }).immediate();
  }

  /**
   * Another version's analyses kept for this one where both give the same results (the same results
   * digest: the same file, input, outputs and findings' floor; their manifests differ in words alone)
   * and the exam is as it was then (its image count): each exam without a finished analysis of this
   * version (none yet, or one queued) takes the latest such analysis, its findings, scores, provider
   * and timings, its CAD SR (none written and sent again), and the version whose run it was
   * (results_version), rather than being analysed again. A reader's cancel and a failure stand. An
   * exam whose latest analysis could not read one of its images is analysed again (the image may
   * have been mended since), and so is one a reader asked to analyse again after such an analysis
   * (its job queued, still listing the unread images): an earlier, complete run would undo her
   * request after a restart.
   * Called at start, once the library's exams are queued for this version (enqueueAll). Returns a
   * cursor over the library's exams, the most recent first (as the queue runs): each `keepNext(most)`
   * looks at the next `most` exam ids and keeps what it can there, a read and, where there is
   * something to keep, a write of its own, and returns how many it kept, or null once every exam was
   * looked at (the whole library in one read held the main thread 1.6 s at 90,000 exams, in one write
   * for seconds). A step's list is a temporary table of this connection, made and used in its write.
   */
  carryOver(model: ModelRef): { keepNext: (most: number) => number | null } {
    const results = model.resultsSha256;
    if (!results) return { keepNext: () => null };
    const version = model.version;
    const sources = `SELECT max(j.id) AS id, j.study_ref FROM ai_jobs j JOIN studies s ON s.id = j.study_ref
      WHERE j.study_ref > ? AND j.study_ref <= ? AND j.model_id = ? AND j.model_version <> ? AND j.status = 'done' AND j.results_sha256 = ?
        AND j.exam_images IS s.image_count AND NOT ${aiResultDamaged('j')}
        AND NOT EXISTS (SELECT 1 FROM ai_jobs u WHERE u.study_ref = j.study_ref AND u.model_id = j.model_id AND u.id >= j.id AND u.unread_images IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM ai_jobs t WHERE t.study_ref = j.study_ref AND t.model_id = j.model_id AND t.model_version = ? AND t.status <> 'queued')
      GROUP BY j.study_ref`;
    let below = ((this.sql.get('SELECT max(id) FROM studies').pluck().get() as number | null) ?? 0) + 1;
    const keepNext = (most: number): number | null => {
      if (below <= 1) return null;
      const to = below - 1, from = Math.max(0, to - Math.max(1, most));
      below = from + 1;
      const args = [from, to, model.id, version, results, version];
      // a read first: at start, most stations have nothing to keep
      if (this.sql.get(`SELECT EXISTS (${sources}) AS found`).pluck().get(...args) !== 1) return 0;
      return this.db.transaction(() => {
        this.db.exec('CREATE TEMP TABLE IF NOT EXISTS ai_carry (target INTEGER PRIMARY KEY, source INTEGER NOT NULL); DELETE FROM temp.ai_carry;');
        // (this version's job looked up by its exam through the unique index: written as a join, SQLite walked
        // the grouped sources once per job, 66 s at 4,500 exams)
        this.sql.get(`INSERT INTO temp.ai_carry (target, source) SELECT target, source FROM (SELECT c.id AS source,
            (SELECT t.id FROM ai_jobs t WHERE t.study_ref = c.study_ref AND t.model_id = ? AND t.model_version = ? AND t.status = 'queued') AS target
            FROM (${sources}) c) WHERE target IS NOT NULL`)
          .run(model.id, version, ...args);
        // still queued, its source still done; the list's rows looked up by their ids (`IN`, and `+`: not
        // every queued job walked through the status index, 0.5 s a step, nor every job through an index
        // of its own, 40 ms a step at 90,000 exams); its SR too, where the earlier run's was written (owner
        // NULL: not being written now, nor given up)
        const kept = this.sql.get(`UPDATE ai_jobs SET status = 'done', owner = NULL, paused_at = NULL, failure_code = NULL, failure_detail = NULL,
            model_sha256 = ?, manifest_sha256 = coalesce(?, ai_jobs.manifest_sha256), results_sha256 = ?,
            started_at = c.started_at, finished_at = c.finished_at, provider = c.provider, timings = c.timings, exam_score = c.exam_score,
            breast_scores = c.breast_scores, images = c.images, unread_images = c.unread_images, exam_images = c.exam_images,
            cad_sr_uid = CASE WHEN c.owner IS NULL THEN c.cad_sr_uid END, results_version = coalesce(c.results_version, c.model_version)
          FROM temp.ai_carry k JOIN ai_jobs c ON c.id = k.source
          WHERE ai_jobs.id IN (SELECT target FROM temp.ai_carry) AND ai_jobs.id = k.target AND +ai_jobs.status = 'queued' AND +c.status = 'done'
          RETURNING ai_jobs.id`).pluck().all(model.sha256, model.manifestSha256 ?? null, results) as number[];
        if (!kept.length) return 0;
        const ids = JSON.stringify(kept);
        this.sql.get('DELETE FROM ai_findings WHERE job_ref IN (SELECT value FROM json_each(?))').run(ids);
        this.sql.get(`INSERT INTO ai_findings (job_ref, instance_ref, class, score, x, y, x0, y0, x1, y1)
            SELECT k.target, f.instance_ref, f.class, f.score, f.x, f.y, f.x0, f.y0, f.x1, f.y1 FROM temp.ai_carry k JOIN ai_findings f ON f.job_ref = k.source
            WHERE k.target IN (SELECT value FROM json_each(?))`).run(ids);
        return kept.length;
      }).immediate();
    };
    return { keepNext };
  }

  /**
   * The analyses of this model version that failed because its folder changed under a running
   * station (MODEL_CHANGED_CODES: its file damaged or removed, its manifest edited), queued again:
   * called at start, where the folder holds that very model again. They said "start the station
   * again once mended" and offered no "analyse again", and then stayed failed after the start.
   * Returns how many.
   */
  requeueModelChanged(model: ModelRef): number {
    return this.sql.get(`UPDATE ai_jobs SET status = 'queued', priority = 0, owner = NULL, started_at = NULL, finished_at = NULL, paused_at = NULL,
        failure_code = NULL, failure_detail = NULL, queued_at = ?
      WHERE model_id = ? AND model_version = ? AND status = 'failed' AND failure_code IN (SELECT value FROM json_each(?))`)
      .run(now(), model.id, model.version, JSON.stringify(MODEL_CHANGED_CODES)).changes;
  }

  /** Whether an exam enqueueAll would queue has no job of this model version yet (a read: the unique index per exam). */
  hasUnqueued(model: ModelRef): boolean {
    return (this.sql.get(`SELECT EXISTS (SELECT 1 FROM studies s WHERE s.breast = 1 AND s.image_count > 0
        AND NOT EXISTS (SELECT 1 FROM ai_jobs j WHERE j.study_ref = s.id AND j.model_id = ? AND j.model_version = ?)) AS found`)
      .get(model.id, model.version) as { found: number }).found === 1;
  }

  /**
   * Queues every breast-imaging exam that has no job for this model version yet (they run the most
   * recent exam first: claimNext). Returns how many.
   */
  enqueueAll(model: ModelRef): number {
    return this.sql.get(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, manifest_sha256, results_sha256, status, priority, queued_at, study_date, study_time)
        SELECT s.id, ?, ?, ?, ?, ?, 'queued', 0, ?, s.study_date, s.study_time FROM studies s WHERE s.breast = 1 AND s.image_count > 0
        ON CONFLICT (study_ref, model_id, model_version) DO NOTHING`)
      .run(model.id, model.version, model.sha256, model.manifestSha256 ?? null, model.resultsSha256 ?? null, now()).changes;
  }

  /**
   * The exam a reader opens goes first (a job that failed for a passing reason, such as a thread that
   * stopped, is tried again; not a model that took too long: see LASTING_FAILURES). A job that failed for what the exam holds
   * (an image damaged in the store, none the model reads) keeps its failure on screen: trying it at
   * every opening would cost a whole analysis each time and show "analysing" in place of the reason;
   * the reader's "analyse again" (requeue) tries it. A job a reader cancelled stays cancelled:
   * opening the exam again, or another step of it, must not undo her choice.
   */
  prioritize(examId: number, model: ModelRef): void {
    this.queueFirst(examId, model, ['queued', 'failed'], { keepFailures: LASTING_FAILURES });
    // an exam opened while its analysis runs: not interrupted from now on for another one opened;
    // and, paused for exams opened before (see claimNext), it goes on before those still waiting
    this.db.transaction(() => {
      this.sql.get(`UPDATE ai_jobs SET priority = ? WHERE study_ref = ? AND model_id = ? AND model_version = ? AND status = 'running'`)
        .run(this.nextFirstInLine(), examId, model.id, model.version);
    }).immediate();
  }

  /**
   * Queues an exam's analysis again, first in line, after a cancel, a failure, or an analysis done
   * that could not read one of its images (a reader asked for it: the image may have been sent
   * again); returns whether a job was queued or moved up.
   */
  requeue(examId: number, model: ModelRef): boolean {
    return this.queueFirst(examId, model, ['queued', 'failed', 'cancelled'], { doneWithUnreadImages: true });
  }

  /**
   * First in line: a priority above every other job's, so that of several exams opened (or asked
   * for again) the last one goes first: the one on the reader's screen now, not the first she
   * passed through on the way to it. Priority 0 is the background queue.
   */
  private queueFirst(examId: number, model: ModelRef, from: readonly AiJobStatus[],
    { keepFailures = [], doneWithUnreadImages = false }: { keepFailures?: readonly string[]; doneWithUnreadImages?: boolean } = {}): boolean {
    return this.db.transaction(() => {
      const priority = this.nextFirstInLine();
      const added = this.enqueue(examId, model, priority);
      const moved = this.sql.get(`UPDATE ai_jobs SET priority = ?, status = 'queued', failure_code = NULL, failure_detail = NULL, finished_at = NULL
        WHERE study_ref = ? AND model_id = ? AND model_version = ?
          AND (status IN (SELECT value FROM json_each(?)) OR (status = 'done' AND (unread_images IS NOT NULL OR ${aiResultDamaged('ai_jobs')}) AND ? = 1))
          AND (failure_code IS NULL OR failure_code NOT IN (SELECT value FROM json_each(?)))`)
        .run(priority, examId, model.id, model.version, JSON.stringify(from), doneWithUnreadImages ? 1 : 0,
          JSON.stringify(keepFailures)).changes;
      return added || moved > 0;
    }).immediate();
  }

  /**
   * A priority above every job waiting or running (read from the queue's index: 1 µs at 200,000
   * jobs). Called inside the transaction that gives it.
   */
  private nextFirstInLine(): number {
    return this.sql.get(`SELECT coalesce(max(priority), 0) + 1 FROM ai_jobs WHERE status IN ('queued', 'running')`).pluck().get() as number;
  }

  /** Whether `owner` still holds the job running (not cancelled, nor taken up by another process since). */
  holds(jobId: number, owner: string): boolean {
    return this.sql.get(`SELECT 1 FROM ai_jobs WHERE id = ? AND status = 'running' AND owner = ?`).pluck().get(jobId, owner) === 1;
  }

  /** Cancels an exam's queued or running jobs; returns how many. A running job's result is dropped when it ends. */
  cancel(examId: number): number {
    return this.sql.get(`UPDATE ai_jobs SET status = 'cancelled', finished_at = ?, owner = NULL WHERE study_ref = ? AND status IN ('queued', 'running')`)
      .run(now(), examId).changes;
  }

  /** Queues again the running jobs of processes that are gone; returns how many. */
  requeueOrphans(isOwnerAlive: (owner: string) => boolean): number {
    const running = this.sql.get(`SELECT id, owner FROM ai_jobs WHERE status = 'running'`).all() as { id: number; owner: string | null }[];
    const dead = running.filter((r) => !r.owner || !isOwnerAlive(r.owner));
    if (!dead.length) return 0; // an idle station looks every few seconds: no write lock for nothing
    // still the dead owner's: another process may have queued it again and claimed it since the read
    const requeue = this.sql.get(`UPDATE ai_jobs SET status = 'queued', owner = NULL, started_at = NULL WHERE id = ? AND status = 'running' AND owner IS ?`);
    return this.db.transaction(() => dead.reduce((n, r) => n + requeue.run(r.id, r.owner).changes, 0)).immediate();
  }

  /**
   * Whether a job put first in line (an opened exam, a reader's "analyse again") waits for the
   * running one to give way: not when the running job was itself opened meanwhile (prioritize marks
   * it), nor one of its own exam. A read, no lock taken.
   */
  firstInLineWaiting(models: readonly ModelRef[], running: { id: number; examId: number }): boolean {
    if (!models.length) return false;
    return this.sql.get(`SELECT (SELECT priority FROM ai_jobs WHERE id = ?) = 0 AND EXISTS (SELECT 1 FROM ai_jobs j JOIN studies s ON s.id = j.study_ref
        WHERE j.status = 'queued' AND j.priority > 0 AND j.study_ref <> ? AND s.pending_job IS NULL AND (${modelKeys(models)})) AS waiting`)
      .pluck().get(running.id, running.examId, ...models.flatMap((m) => [m.id, m.version])) === 1;
  }

  /** A job `owner` runs, given back to the queue (its end could not be written), first in line if it was. */
  release(jobId: number, owner: string): void {
    this.sql.get(`UPDATE ai_jobs SET status = 'queued', owner = NULL, started_at = NULL WHERE id = ? AND status = 'running' AND owner = ?`).run(jobId, owner);
  }

  /**
   * Takes the next job of these model versions for `owner`: the opened exams first, the last opened
   * first, then the most recent exam first (its study date and time, then the exam imported last;
   * an exam without a date after those with one), so that today's exams are scored before a backlog
   * of older ones (a model dropped in queues the whole library) and a woman's current exam before
   * her priors; of one exam's jobs, the one queued first (queueNewExams queues the shown model's
   * first). Never an exam held by an import. `firstInLineAbove`: only a job put
   * first in line (an opened exam, a reader's "analyse again") after the paused job was (above its
   * priority: a background job's is 0), and not one of its exam. `shownFirst`: the model exams show
   * (their triage score) goes before the others at one priority, its backlog of older exams too: a
   * model not shown took every newer exam first, and the shown model's scores of the older ones
   * waited behind it (a probe); a job of another model put first in line above it still goes first.
   */
  claimNext(owner: string, models: readonly ModelRef[], options: { firstInLineAbove?: { id: number; examId: number }; shownFirst?: ModelRef } = {}): ClaimedJob | null {
    if (!models.length) return null;
    const above = options.firstInLineAbove;
    const firstInLine = above === undefined ? '' : 'AND j.priority > 0 AND j.priority > (SELECT priority FROM ai_jobs WHERE id = ?) AND j.study_ref <> ?';
    const nextOf = (of: readonly ModelRef[]) => this.sql.get(`SELECT j.* FROM ai_jobs j JOIN studies s ON s.id = j.study_ref
        WHERE j.status = 'queued' AND s.pending_job IS NULL AND (${modelKeys(of)}) ${firstInLine}
        ORDER BY j.priority DESC, j.study_date DESC, j.study_time DESC, j.study_ref DESC, j.id LIMIT 1`)
      .get(...of.flatMap((m) => [m.id, m.version]), ...(above === undefined ? [] : [above.id, above.examId])) as JobRow | undefined;
    const shown = options.shownFirst && models.find((m) => m.id === options.shownFirst!.id && m.version === options.shownFirst!.version);
    // two reads in the queue's index order (one sorted on "is it the shown model's" would walk every queued job)
    const next = () => {
      const any = nextOf(models);
      if (!shown || !any || (any.model_id === shown.id && any.model_version === shown.version)) return any;
      const mine = nextOf([shown]);
      return mine && mine.priority >= any.priority ? mine : any;
    };
    // a read first: an idle station looks every few seconds, and takes the write lock only for a job to claim
    if (!next()) return null;
    return this.db.transaction(() => {
      const row = next();
      if (!row) return null;
      // the exam's image count as the analysis begins: a change of it queues the analysis again (migration 0012)
      // and the files it runs with: a job queued again (opened, "analyse again") keeps the checksums of its last run otherwise
      const model = models.find((m) => m.id === row.model_id && m.version === row.model_version);
      this.sql.get(`UPDATE ai_jobs SET status = 'running', owner = ?, started_at = ?, paused_at = NULL, exam_images = (SELECT image_count FROM studies WHERE id = ?),
          model_sha256 = coalesce(?, model_sha256), manifest_sha256 = coalesce(?, manifest_sha256), results_sha256 = coalesce(?, results_sha256), results_version = NULL WHERE id = ?`)
        .run(owner, now(), row.study_ref, model?.sha256 ?? null, model?.manifestSha256 ?? null, model?.resultsSha256 ?? null, row.id);
      return { ...toJob(row), status: 'running' as const, owner };
    }).immediate();
  }

  /**
   * Stores the result of a job `owner` ran, unless it was cancelled meanwhile, or cancelled and
   * queued again and claimed by another process (whose run is the one asked for); returns whether
   * it was stored.
   */
  complete(jobId: number, owner: string, result: AiJobResult): boolean {
    return this.db.transaction(() => {
      // a new result needs its own SR (cad_sr_uid NULL): the one written for an earlier run stays in the store
      const done = this.sql.get(`UPDATE ai_jobs SET status = 'done', finished_at = ?, owner = NULL, provider = ?, timings = ?, exam_score = ?, breast_scores = ?,
          images = ?, unread_images = ?, failure_code = NULL, failure_detail = NULL, cad_sr_uid = NULL, results_version = NULL WHERE id = ? AND status = 'running' AND owner = ?`)
        .run(now(), result.provider, JSON.stringify(result.timings), result.examScore, JSON.stringify(result.breastScores), result.images,
          result.unreadImages.length ? JSON.stringify(result.unreadImages) : null, jobId, owner).changes > 0;
      if (!done) return false;
      this.sql.get('DELETE FROM ai_findings WHERE job_ref = ?').run(jobId);
      const insert = this.sql.get('INSERT INTO ai_findings (job_ref, instance_ref, class, score, x, y, x0, y0, x1, y1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const f of result.findings) insert.run(jobId, f.instanceId, f.class, f.score, f.x, f.y, ...f.box);
      // images came or went while it ran: stored, and queued again at once for the exam as it is now
      this.sql.get(`UPDATE ai_jobs SET status = 'queued', priority = 0, queued_at = ?, started_at = NULL, finished_at = NULL
          WHERE id = ? AND exam_images IS NOT (SELECT image_count FROM studies s WHERE s.id = ai_jobs.study_ref)`).run(now(), jobId);
      return true;
    }).immediate();
  }

  /** Records why a job `owner` ran failed (a code, and a detail without patient data); not once another process runs it. */
  fail(jobId: number, owner: string, code: string, detail: string | null): void {
    this.sql.get(`UPDATE ai_jobs SET status = 'failed', finished_at = ?, owner = NULL, failure_code = ?, failure_detail = ?, unread_images = NULL WHERE id = ? AND status = 'running' AND owner = ?`)
      .run(now(), code, detail, jobId, owner);
  }

  /** The job an exam shows (the shown model's, the version the station runs first, else its newest; else the newest), or null. */
  examState(examId: number): AiExamState | null {
    const r = this.sql.get(`SELECT * FROM ai_jobs j WHERE study_ref = ? ORDER BY ${AI_JOBS_SHOWN_FIRST} LIMIT 1`).get(examId) as JobRow | undefined;
    if (!r) return null;
    const model = { id: r.model_id, version: r.model_version, sha256: r.model_sha256 };
    const stored = readResult(r);
    // a finished analysis whose result cannot be read: failed, for this exam alone (the reader may analyse it again)
    if (r.status === 'done' && !stored) {
      return { status: 'failed', model, provider: r.provider, examScore: null, breastScores: {}, failure: { code: RESULT_DAMAGED, detail: 'the stored result could not be read' },
        queuedAt: r.queued_at, finishedAt: r.finished_at, timings: null, srUid: r.cad_sr_uid, paused: false, unreadImages: [], resultsVersion: null };
    }
    return {
      status: r.status, model, provider: r.provider, examScore: typeof r.exam_score === 'number' ? r.exam_score : null,
      breastScores: stored?.breastScores ?? {},
      failure: r.failure_code ? { code: r.failure_code, detail: r.failure_detail } : null,
      queuedAt: r.queued_at, finishedAt: r.finished_at, timings: stored?.timings ?? null,
      srUid: r.cad_sr_uid,
      paused: r.status === 'running' && r.paused_at !== null,
      unreadImages: r.status === 'done' ? stored!.unreadImages : [],
      resultsVersion: r.status === 'done' ? r.results_version : null,
    };
  }

  /** The findings of the job an exam shows (examState's), none while it is not done: never another model's in its place. */
  findings(examId: number): StoredFinding[] {
    const job = this.sql.get(`SELECT id, status, ${aiResultDamaged()} AS damaged FROM ai_jobs j WHERE study_ref = ? ORDER BY ${AI_JOBS_SHOWN_FIRST} LIMIT 1`).get(examId) as { id: number; status: string; damaged: number } | undefined;
    return job?.status === 'done' && !job.damaged ? this.findingsOf(job.id) : [];
  }

  /** A job's findings, best first. */
  private findingsOf(jobId: number): StoredFinding[] {
    return (this.sql.get('SELECT * FROM ai_findings WHERE job_ref = ? ORDER BY score DESC').all(jobId) as
      { instance_ref: number; class: string; score: number; x: number; y: number; x0: number; y0: number; x1: number; y1: number }[])
      .map((f) => ({ instanceId: f.instance_ref, class: f.class, score: f.score, x: f.x, y: f.y, box: [f.x0, f.y0, f.x1, f.y1] }));
  }

  /** A finished job's result (for its CAD SR), or null when it is not done. */
  jobResult(jobId: number): { examId: number; model: ModelRef; examScore: number; breastScores: Partial<Record<'R' | 'L', number>>; findings: StoredFinding[]; unreadImages: UnreadImage[] } | null {
    const r = this.sql.get(`SELECT * FROM ai_jobs WHERE id = ? AND status = 'done'`).get(jobId) as JobRow | undefined;
    const stored = r && readResult(r);
    if (!r || !stored) return null; // damaged in the library: no SR of it
    const findings = this.findingsOf(jobId);
    return {
      examId: r.study_ref, model: { id: r.model_id, version: r.model_version, sha256: r.model_sha256 }, examScore: r.exam_score ?? 0,
      breastScores: stored.breastScores, findings, unreadImages: stored.unreadImages,
    };
  }

  /**
   * Marks a running job this process holds as stepping aside for exams opened meanwhile (true) or
   * going on (false); the worklist and the exam's AI panel say so.
   */
  setPaused(jobId: number, owner: string, paused: boolean): void {
    this.sql.get(`UPDATE ai_jobs SET paused_at = ? WHERE id = ? AND status = 'running' AND owner = ?`).run(paused ? now() : null, jobId, owner);
  }

  /** How many jobs are in each state (for progress). */
  counts(): Record<AiJobStatus, number> {
    return tally(this.sql.get('SELECT status, count(*) AS n FROM ai_jobs GROUP BY status').all());
  }

  /** How many jobs of this model version are in each state (the AI models panel; index of migration 0011). */
  countsOf(model: Omit<ModelRef, 'sha256'>): Record<AiJobStatus, number> {
    return tally(this.sql.get('SELECT status, count(*) AS n FROM ai_jobs WHERE model_id = ? AND model_version = ? GROUP BY status').all(model.id, model.version));
  }

  /** The versions of a model (by id) this library has finished analyses of. */
  versionsDone(modelId: string): string[] {
    return (this.sql.get(`SELECT DISTINCT model_version AS version FROM ai_jobs WHERE model_id = ? AND status = 'done'`).all(modelId) as { version: string }[]).map((r) => r.version);
  }

  /**
   * How many exams these versions of the model analysed that `version` has not, and will (analysed again
   * under it at a version's upgrade): not one whose analysis by it a reader cancelled, nor one it failed
   * (said apart; "analysed again once the station runs" was said of a cancel, which stays: a probe).
   */
  examsDoneOnlyBy(modelId: string, versions: readonly string[], version: string): number {
    if (versions.length === 0) return 0;
    return (this.sql.get(`SELECT count(DISTINCT j.study_ref) AS n FROM ai_jobs j WHERE j.model_id = ? AND j.status = 'done'
      AND j.model_version IN (SELECT value FROM json_each(?))
      AND NOT EXISTS (SELECT 1 FROM ai_jobs k WHERE k.study_ref = j.study_ref AND k.model_id = j.model_id AND k.model_version = ? AND k.status IN ('done', 'cancelled', 'failed'))`)
      .get(modelId, JSON.stringify(versions), version) as { n: number }).n;
  }

  /** The ids of the models this library has analyses of (queued or run, any version): the names its readers know them by stay theirs. */
  modelIds(): Set<string> {
    return new Set((this.sql.get('SELECT DISTINCT model_id AS id FROM ai_jobs').all() as { id: string }[]).map((r) => r.id));
  }

  /**
   * The last analysis of this model version that failed because the model ran past its time limit
   * on an image (failure 'timeout'), where one is still failed; null where none. Read at start, after
   * requeueOtherFile: one made with another file or manifest is queued again by then.
   */
  lastOverrun(model: Pick<ModelRef, 'id' | 'version'>): { examId: number; finishedAt: string | null } | null {
    const row = this.sql.get(`SELECT study_ref AS examId, finished_at AS finishedAt FROM ai_jobs
      WHERE model_id = ? AND model_version = ? AND status = 'failed' AND failure_code = 'timeout' ORDER BY finished_at DESC, id DESC LIMIT 1`)
      .get(model.id, model.version) as { examId: number; finishedAt: string | null } | undefined;
    return row ?? null;
  }

  /**
   * Why this model version's analyses failed: each reason's code, how many, and one of their details
   * (the last), the most frequent first: "8 failed" alone told a clinic's IT person nothing of a
   * model that fails every exam (a probe's model, its boxes of a class its manifest does not name).
   */
  failuresOf(model: Omit<ModelRef, 'sha256'>, most = 5): { code: string; count: number; detail: string | null }[] {
    const rows = this.sql.get(`SELECT failure_code AS code, count(*) AS count,
        (SELECT f.failure_detail FROM ai_jobs f WHERE f.model_id = ? AND f.model_version = ? AND f.status = 'failed' AND f.failure_code IS j.failure_code ORDER BY f.finished_at DESC LIMIT 1) AS detail
      FROM ai_jobs j WHERE model_id = ? AND model_version = ? AND status = 'failed' GROUP BY failure_code ORDER BY count DESC, code LIMIT ?`)
      .all(model.id, model.version, model.id, model.version, most) as { code: string | null; count: number; detail: string | null }[];
    return rows.map((r) => ({ code: r.code ?? 'unknown', count: r.count, detail: r.detail }));
  }
}
