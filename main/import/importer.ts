// Import: files, folders (recursively), DICOMDIRs and uploaded files into the store and the
// worklist. Reading, checking, copying and hashing each file runs on the import worker threads
// (import.worker.ts); this orchestration, on the main thread, only decides and commits. Per file:
// inspect (header and pixel data structure), skip duplicates by SOP Instance UID, refuse a file
// whose UIDs the library holds for another exam or woman, store. Per batch: one database
// transaction, which checks those UIDs again (another process, or an earlier file of the same job,
// may have taken them meanwhile). Every exam a job touches is held out of the worklist until the
// job ends, so a process killed mid-import never shows half an exam, and importing the same files
// again completes it. Files that are not DICOM are skipped; damaged ones are quarantined with a
// reason, and the exam they belong to (when their header says which) is marked incomplete. Only
// regular files are ever opened: a pipe would block a reader forever, a device never ends.

import fs from 'node:fs';
import path from 'node:path';
import type { ImportProblem, ImportProgress, ImportSummary, InstanceAttributes } from '../../common/domain.ts';
import type { ProblemRef } from '../../common/import-problems.ts';
import { describeProblem } from '../../common/import-problems.ts';
import type { LibraryDatabase } from '../db/library-database.ts';
import type { IdentityVerdict, JobCounts, StoredInstanceRecord } from '../db/imports.ts';
import { patientIdentity, sameWoman } from '../db/records.ts';
import type { StoreLayout } from '../dicom/store.ts';
import { TaskTimeoutError, WorkerCrashedError, WorkerPool, WorkerTaskError, workerEntry } from '../workers/pool.ts';
import { currentOwner, isOwnerAlive } from '../base/process-owner.ts';
import { statRegularFile } from '../base/regular-file.ts';
import { errorForLog, log } from '../base/log.ts';
import type { ImportTasks } from './import-tasks.ts';
import type { MissingFile } from './dicomdir.ts';

export interface ImportOptions {
  /** Files per database transaction. */
  batchSize?: number;
  /** Files being read or stored at once. */
  concurrency?: number;
  /** fsync each stored file before its batch commits (survives power loss, not only a killed process). */
  durable?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
  /**
   * The files are what came of something cut short (a retrieval from a PACS that failed halfway):
   * stored, but their exams held back, as after an aborted association, until an import completes them.
   */
  incomplete?: boolean;
  /**
   * Objects added to an exam already shown do not take it out of the worklist while they are
   * imported, nor keep it out if the import ends early (a prior fetched again from a PACS that holds
   * more of it: the exam stays as the reader may be seeing it, and gains what arrives).
   */
  keepShown?: boolean;
  /** The PACS node the files were fetched from (recorded with the job: an unfinished one is completed by fetching again). */
  fetchedFrom?: string;
}

/**
 * A file to import, named as the user knows it. `staged`: the library's own copy (an upload), moved
 * rather than copied. `received`: a staged copy whose sender was told it is stored (a C-STORE): it is
 * linked into the store, never moved, and removed only once the database holds its record on disk,
 * so that a crash at any point leaves it where the receiver finds it again.
 */
export interface ImportSource {
  path: string;
  label: string;
  staged?: boolean;
  received?: boolean;
}

/**
 * An import whose files arrive over time (a DICOM association): `add` queues a file, `end` waits
 * for every queued file and ends the job. 'done' shows its exams (unless another job holds them);
 * 'abandoned' (the association was aborted, the station closes) keeps what was stored but holds its
 * exams back, as an import that ended early does, until the sender sends them again.
 */
export interface ImportStream {
  readonly jobId: number;
  add(source: ImportSource): void;
  end(outcome: 'done' | 'abandoned'): Promise<ImportSummary>;
}

/** The files of a stream as they arrive: the job's workers wait here until it ends. */
class SourceFeed {
  private waiters: (() => void)[] = [];
  outcome: 'open' | 'done' | 'abandoned' = 'open';

  constructor(private readonly queue: ImportSource[], private readonly grew: () => void) {}

  push(source: ImportSource): void {
    if (this.outcome !== 'open') throw new Error('the import stream has ended');
    this.queue.push(source);
    this.grew();
    this.wake();
  }

  close(outcome: 'done' | 'abandoned'): void {
    if (this.outcome === 'open') this.outcome = outcome;
    this.wake();
  }

  /** Resolves when a file arrives or the feed closes. */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

const MAX_LISTED = 1000;
/** About 4 MB of write-ahead log between checkpoints during an import. */
const CHECKPOINT_EVERY_COMMITS = 16;
const INSPECT_TIMEOUT_MS = 30_000;
/** A store task may take this long plus the time to copy and hash the file at a slow disk's pace. */
const STORE_TIMEOUT_MS = 30_000;
const SLOW_DISK_BYTES_PER_MS = 20 * 1024; // 20 MB/s

function ioProblem(error: unknown): ProblemRef {
  const code = (error as { code?: string })?.code;
  switch (code) {
    case 'ENOSPC': case 'SQLITE_FULL': return { code: 'disk_full' };
    case 'ENOENT': case 'ENOTDIR': return { code: 'file_not_found' };
    case 'ENAMETOOLONG': return { code: 'path_too_long' };
    case 'EACCES': case 'EPERM': return { code: 'permission_denied' };
    case 'ENOTREG': return { code: 'not_regular_file' };
    default: return { code: 'read_error', params: { what: code ?? 'unknown' } };
  }
}

/** What an imported instance is to a reader: an image shown for reading, a FOR PROCESSING image (kept, not shown), or another object. */
function kindOf(a: InstanceAttributes): 'images' | 'forProcessing' | 'other' {
  if (!a.isImage) return 'other';
  return a.forProcessing ? 'forProcessing' : 'images';
}

/** Whether a file of this job that is not stored yet is the very instance another file describes (the same UIDs and woman). */
function sameInstance(a: InstanceAttributes, b: InstanceAttributes): boolean {
  return a.series.uid === b.series.uid && a.study.uid === b.study.uid && sameWoman(patientIdentity(a.patient), patientIdentity(b.patient));
}

/** Files found, and the entries that are not files to read (never opened), the folders that could not be read among them. */
interface Walked {
  files: string[];
  notFiles: ImportProblem[];
  problems: ImportProblem[];
}

class DiskFullError extends Error {}

/** Flushes a folder's entries (files linked, renamed or created in it) to disk. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.promises.open(folder, 'r');
  try { await handle.sync(); } finally { await handle.close(); }
}

/** What the paths named held besides files to import: paths that could not be read (rejected), and entries that are not files (skipped). */
interface Found {
  problems: ImportProblem[];
  notFiles: ImportProblem[];
}

/** The import jobs this process is running now (a job of this process not here ended without recording it). */
const runningJobs = new Set<number>();

/** Whether an import job recorded as running still runs: in this process, or in another process that is alive. */
export function isJobRunning(job: { id: number; owner: string }): boolean {
  return job.owner === currentOwner() ? runningJobs.has(job.id) : isOwnerAlive(job.owner);
}

/** The library's disk is full: the store could not write a file, or the database a page (a worker's error keeps its code). */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === 'ENOSPC' || code === 'SQLITE_FULL' || error instanceof DiskFullError;
}

/**
 * What an entry that is neither a folder nor a regular file is to the import. A symbolic link to
 * a regular file is followed (a folder of links to an archive's files is a common export); one to a
 * folder is not (links could loop, or lead anywhere on the computer). Pipes, sockets and devices are
 * never opened: reading a pipe blocks until someone writes to it.
 */
async function entryKind(full: string, isLink: boolean): Promise<'file' | 'folder' | ProblemRef> {
  const stat = await fs.promises.stat(full).catch((error: unknown) => error as NodeJS.ErrnoException);
  if (stat instanceof Error) return isLink && (stat.code === 'ENOENT' || stat.code === 'ELOOP') ? { code: 'broken_link' } : ioProblem(stat);
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return isLink ? { code: 'link_to_folder' } : 'folder';
  return { code: 'not_regular_file' };
}

/**
 * Lists the files under a folder, recursively, in a stable order. A folder inside it that cannot be
 * read (no permission, a path longer than the system allows) is reported by its own path, and the
 * walk goes on with the rest; only the folder named itself failing stops it.
 */
async function walk(dir: string, out: Walked, top = true): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (top) throw error;
    // an entry not opened, not a file refused: counted as a file, a folder read as "1 file was not imported:
    // it is in the quarantine list" beside the files imported (a probe)
    out.notFiles.push({ file: dir, ...ioProblem(error) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out, false);
    else if (entry.isFile()) out.files.push(full);
    else {
      // a link, a pipe, a socket, a device, or a file system that does not say (lstat follows no link)
      const kind = await entryKind(full, entry.isSymbolicLink() || (await fs.promises.lstat(full).catch(() => null))?.isSymbolicLink() === true);
      if (kind === 'file') out.files.push(full);
      else if (kind === 'folder') await walk(full, out, false);
      else out.notFiles.push({ file: full, ...kind });
    }
  }
}

export class Importer {
  private readonly pool: WorkerPool<ImportTasks>;

  /** `tmpDir`: where this importer's unfinished copies go (its own folder of the store's tmp/). */
  constructor(private readonly db: LibraryDatabase, private readonly store: StoreLayout, private readonly tmpDir: string,
    private readonly libraryRoot: string, workers = 2) {
    this.pool = new WorkerPool<ImportTasks>({ name: 'import', entry: workerEntry(import.meta.filename, 'import.worker'), size: workers, tasksPerWorker: 2 });
  }

  /** Runs one task on the import threads (the service uses it to re-hash stored files). */
  runTask<K extends keyof ImportTasks & string>(task: K, input: ImportTasks[K]['input'], timeoutMs?: number): Promise<ImportTasks[K]['result']> {
    return this.pool.run(task, input, { timeoutMs });
  }

  /** Checkpoints the library database on an import thread; failures only delay it to the next time. */
  async checkpoint(): Promise<void> {
    try {
      await this.pool.run('checkpoint', { database: this.db.file }, { timeoutMs: 60_000 });
    } catch (error) {
      log.debug(`checkpoint: ${errorForLog(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Imports paths the user named: files, folders (searched recursively) and DICOMDIRs. */
  async importPaths(paths: readonly string[], options: ImportOptions = {}): Promise<ImportSummary> {
    const problems: ImportProblem[] = [];
    const sources: ImportSource[] = [];
    const notFiles: ImportProblem[] = [];
    for (const given of paths) {
      const absolute = path.resolve(given);
      // a path the user named is followed wherever it leads, folders included
      const stat = await fs.promises.stat(absolute).catch((error: unknown) => error as NodeJS.ErrnoException);
      if (stat instanceof Error) { problems.push({ file: given, ...ioProblem(stat) }); continue; }
      if (stat.isDirectory()) {
        const walked: Walked = { files: [], notFiles, problems };
        try { await walk(absolute, walked); } catch (error) { notFiles.push({ file: given, ...ioProblem(error) }); }
        sources.push(...walked.files.map((f) => ({ path: f, label: f })));
      } else if (stat.isFile()) {
        sources.push({ path: absolute, label: given });
      } else {
        notFiles.push({ file: given, code: 'not_regular_file' });
      }
    }
    return this.run(sources, { problems, notFiles }, options, paths.map((p) => path.resolve(p)), new Set(paths.map((p) => path.resolve(p))));
  }

  /** Imports files the library staged itself (uploads): moved into the store, damaged ones kept in quarantine. */
  importStaged(files: readonly ImportSource[], options: ImportOptions = {}): Promise<ImportSummary> {
    return this.run(files.map((f) => ({ ...f, staged: true })), { problems: [], notFiles: [] }, options, null, new Set());
  }

  /**
   * Completes the import of an association whose sender released it, once every file it brought is
   * in the library, when the station that ran the import stopped before ending it (killed, closed
   * mid-import): its exams are whole, so they are shown. Returns how many exams it let go of
   * (0 when the job had ended, or is still running in a live process).
   */
  completeReleasedImport(jobId: number): number {
    this.db.imports.markInterruptedJobs(isJobRunning);
    return this.db.imports.completeEndedJob(jobId);
  }

  /**
   * Opens an import whose files arrive over time (files received over the network: `receivedFrom`
   * names the sender, a calling AE title; null for files received earlier and taken over after a
   * crash). Every file is stored durably (`durable` is forced).
   */
  openStream(receivedFrom: string | null, options: ImportOptions = {}): ImportStream {
    const started = performance.now();
    this.db.imports.markInterruptedJobs(isJobRunning);
    const jobId = this.db.imports.beginJob(currentOwner(), null, receivedFrom);
    runningJobs.add(jobId);
    const queue: ImportSource[] = [];
    let grew = () => undefined as void;
    const feed = new SourceFeed(queue, () => grew());
    const running = this.runJob(jobId, queue, { problems: [], notFiles: [] }, { ...options, durable: true }, new Set(), started,
      { feed, onGrow: (f) => { grew = f; } })
      .finally(() => runningJobs.delete(jobId));
    // the job's end is awaited through end(); a failure before that is reported there
    running.catch(() => undefined);
    return {
      jobId,
      add: (source) => feed.push({ ...source, staged: true, received: true }),
      end: async (outcome) => {
        feed.close(outcome);
        return running;
      },
    };
  }

  private async run(sources: ImportSource[], initial: Found, options: ImportOptions, given: readonly string[] | null, namedDicomDirs: Set<string>): Promise<ImportSummary> {
    const started = performance.now();
    this.db.imports.markInterruptedJobs(isJobRunning);
    const jobId = this.db.imports.beginJob(currentOwner(), given, null, options.fetchedFrom ?? null);
    runningJobs.add(jobId);
    try {
      return await this.runJob(jobId, sources, initial, options, namedDicomDirs, started);
    } finally {
      runningJobs.delete(jobId);
    }
  }

  private async runJob(jobId: number, sources: ImportSource[], initial: Found, options: ImportOptions, namedDicomDirs: Set<string>, started: number,
    stream?: { feed: SourceFeed; onGrow: (grew: () => void) => void }): Promise<ImportSummary> {
    // small batches keep each commit (on the main thread) short: at most ~16 ms for 16 instances here
    // (each is checked against the library's UIDs in the transaction; 32 took up to 33 ms)
    const batchSize = options.batchSize ?? 16;
    const concurrency = options.concurrency ?? 3;
    const durable = options.durable ?? false;
    const problems: ImportProblem[] = [];
    const duplicateFiles: string[] = [];
    const skippedFiles: string[] = [];
    const counts: JobCounts = { filesSeen: 0, imported: 0, duplicates: 0, rejected: 0, skipped: 0 };
    const kinds = { images: 0, forProcessing: 0, other: 0 };
    const notFiles = initial.notFiles.slice(0, MAX_LISTED);
    let notFileCount = initial.notFiles.length;
    const missingFiles: string[] = [];
    let missing = 0;
    let repaired = 0;
    const differingFiles: string[] = [];
    let differing = 0;
    let ignored = 0;
    let bytes = 0;
    let batch: StoredInstanceRecord[] = [];
    /** Where each record of the batch came from (a record refused at commit is reported, and an upload's copy kept, by it). */
    let batchSources = new Map<StoredInstanceRecord, ImportSource>();
    let adopt = new Set<number>();
    const touched = new Set<number>();
    const rejectedStudies = new Set<string>();
    /** The files being stored now, by SOP Instance UID: a second file with the same UID is a duplicate of one, or a conflict. */
    const inFlight = new Map<string, InstanceAttributes>();
    // a stream's queue is its feed's: files are added to it as they arrive
    const queue = stream ? sources : [...sources];
    let commits = 0;
    let total = sources.length;
    stream?.onGrow(() => { total++; });
    let lastProgress = 0;
    /**
     * Received files the library holds now (stored, duplicates): removed from where they were
     * received once the store's folders that took them and the database are on disk. Their bytes were
     * flushed on arrival, so the store's links are made durable a batch at a time (one fsync per
     * folder), not file by file.
     */
    let receivedDone: string[] = [];
    let receivedStoreFiles: string[] = [];
    const releaseReceived = async () => {
      if (!receivedDone.length) return;
      const files = receivedDone;
      const stored = receivedStoreFiles;
      receivedDone = [];
      receivedStoreFiles = [];
      const folders = new Set(stored.flatMap((f) => [path.dirname(f), path.dirname(path.dirname(f))]));
      await Promise.all([...folders].map(syncFolder));
      await this.db.syncLog();
      await Promise.all(files.map((f) => fs.promises.rm(f, { force: true })));
    };

    const progress = (phase: ImportProgress['phase'], force = false) => {
      const t = performance.now();
      if (!options.onProgress || (!force && t - lastProgress < 100)) return;
      lastProgress = t;
      options.onProgress({ jobId, phase, filesTotal: total, filesDone: counts.filesSeen, imported: counts.imported, duplicates: counts.duplicates, rejected: counts.rejected, skipped: counts.skipped, bytes });
    };
    /** `keptCopy`: where a copy was kept already; by default an upload's staged file is moved into quarantine. */
    const reject = async (source: { path?: string; label: string; staged?: boolean }, problem: ProblemRef, ids: { studyUid?: string | null; sopUid?: string | null } = {},
      keptCopy?: string | null) => {
      counts.rejected++;
      if (problems.length < MAX_LISTED) problems.push({ file: source.label, ...problem });
      if (ids.studyUid) rejectedStudies.add(ids.studyUid);
      // an uploaded file exists nowhere else: keep it, so that nothing is lost
      const kept = keptCopy !== undefined ? keptCopy
        : source.staged && source.path ? await this.keepInQuarantine(source.path, source.label, jobId).catch(() => null) : null;
      this.db.imports.recordQuarantine(jobId, { file: source.label, ...problem, studyUid: ids.studyUid, sopUid: ids.sopUid, keptCopy: kept }, describeProblem('en', problem));
    };
    /**
     * A file refused at commit is in the store already: its copy there goes (none of the library's
     * instances uses it), or, for an upload, which exists nowhere else, moves into quarantine. A
     * process killed before this leaves only an unreferenced file in the store.
     */
    const rejectStored = async (record: StoredInstanceRecord, source: ImportSource, problem: ProblemRef) => {
      const stored = this.store.pathFor(record.fileHash);
      const used = this.db.imports.isFileReferenced(record.fileHash);
      let keptCopy: string | null = null;
      try {
        if (source.staged) keptCopy = await this.keepInQuarantine(stored, source.label, jobId, { copy: used });
        else if (!used) await fs.promises.rm(stored, { force: true });
      } catch (error) {
        log.warn(`import job ${jobId}: a refused file could not be moved out of the store: ${errorForLog(error)}`);
      }
      await reject({ label: source.label }, problem, { studyUid: record.attributes.study.uid, sopUid: record.attributes.sopInstanceUid }, keptCopy);
    };
    const commit = async () => {
      if (!batch.length && !adopt.size) return;
      const sourcesOf = batchSources;
      const { touched: studies, lateDuplicates, conflicts } = this.db.imports.commitBatch(jobId, batch, [...adopt], counts, { keepShown: options.keepShown ?? false });
      batch = [];
      batchSources = new Map();
      adopt = new Set();
      for (const s of studies) touched.add(s);
      if (++commits % CHECKPOINT_EVERY_COMMITS === 0) void this.checkpoint();
      // another process stored these SOP Instance UIDs meanwhile: they are duplicates, not imports
      counts.imported -= lateDuplicates.length;
      counts.duplicates += lateDuplicates.length;
      for (const record of lateDuplicates) kinds[kindOf(record.attributes)]--;
      // their UIDs became another exam's or woman's meanwhile: refused, not imported
      for (const { record, problem } of conflicts) {
        counts.imported--;
        kinds[kindOf(record.attributes)]--;
        bytes -= record.fileSize;
        await rejectStored(record, sourcesOf.get(record)!, problem);
      }
      for (const [record, source] of sourcesOf) {
        if (!source.received) continue;
        receivedDone.push(source.path);
        receivedStoreFiles.push(this.store.pathFor(record.fileHash));
      }
      await releaseReceived();
    };
    for (const p of initial.problems) await reject({ label: p.file }, p);

    const notAFile = (file: string, problem: ProblemRef) => {
      notFileCount++;
      if (notFiles.length < MAX_LISTED) notFiles.push({ file, ...problem });
    };

    const handle = async (source: ImportSource): Promise<void> => {
      let inspection;
      try {
        inspection = await this.pool.run('inspect', { file: source.path }, { timeoutMs: INSPECT_TIMEOUT_MS, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) return;
        await reject(source, this.taskProblem(error));
        return;
      }
      switch (inspection.kind) {
        case 'not-dicom':
          // what a sender sent as DICOM is kept, in quarantine, even when it is not
          if (source.received) { await reject(source, inspection.problem); return; }
          counts.skipped++;
          if (skippedFiles.length < MAX_LISTED) skippedFiles.push(source.label);
          return;
        case 'not-regular-file':
          notAFile(source.label, { code: 'not_regular_file' });
          return;
        case 'damaged':
          await reject(source, inspection.problem, { studyUid: inspection.studyUid, sopUid: inspection.sopInstanceUid });
          return;
        case 'dicomdir': {
          ignored++;
          // one that came staged (uploaded from the page) lists files that came, or not, as files of
          // their own, renamed in the staging folder: resolved there, every one read as missing and was
          // named by the station's private folder (a probe uploaded a CD's folder from the page)
          if (source.staged) return;
          // missing is not damaged: counted apart. Its exam (when the DICOMDIR says which) lacks it:
          // recorded as that exam's missing file, so that the exam is marked incomplete
          const examLacks = (m: MissingFile, code: 'referenced_missing' | 'link_out_of_dicomdir') => {
            if (!m.studyUid) return;
            rejectedStudies.add(m.studyUid);
            this.db.imports.recordQuarantine(jobId, { file: m.file, code, studyUid: m.studyUid, sopUid: m.sopInstanceUid, keptCopy: null }, describeProblem('en', { code }));
          };
          missing += inspection.missing.length;
          missingFiles.push(...inspection.missing.slice(0, MAX_LISTED - missingFiles.length).map((m) => m.file));
          for (const m of inspection.missing) examLacks(m, 'referenced_missing');
          // a path leading out of the DICOMDIR's folder through a link is not read: named as the walk
          // names a link to a folder, and its exam, which lacks it, marked incomplete
          for (const o of inspection.outside) {
            notAFile(o.file, { code: 'link_out_of_dicomdir' });
            examLacks(o, 'link_out_of_dicomdir');
          }
          // a DICOMDIR named by the user brings its files; one found in a folder lists files the walk has already found
          if (namedDicomDirs.has(path.resolve(source.path))) {
            queue.push(...inspection.found.map((f) => ({ path: f, label: f })));
            total += inspection.found.length;
          }
          return;
        }
        case 'instance':
          break;
      }
      const { attributes } = inspection;
      const uid = attributes.sopInstanceUid;
      // a file of this job with the same SOP Instance UID, not committed yet; else what the library holds
      const pending = inFlight.get(uid) ?? batch.find((r) => r.attributes.sopInstanceUid === uid)?.attributes;
      const verdict: IdentityVerdict | { kind: 'pending duplicate' } = pending
        ? (sameInstance(pending, attributes) ? { kind: 'pending duplicate' } : { kind: 'conflict', problem: { code: 'uid_conflict' } })
        : this.db.imports.checkIdentity(attributes);
      if (verdict.kind === 'conflict') {
        await reject(source, verdict.problem, { studyUid: attributes.study.uid, sopUid: uid });
        return;
      }
      if (verdict.kind !== 'new') {
        counts.duplicates++;
        if (duplicateFiles.length < MAX_LISTED) duplicateFiles.push(source.label);
        if (verdict.kind === 'duplicate') {
          const compared = await this.compareWithStored(verdict.existing.instanceId, source, inspection.size, durable);
          if (compared === 'restored') repaired++;
          if (compared === 'differs') {
            // the same UIDs, other bytes (an image corrected and sent again, a modality reusing UIDs): the
            // library's copy stays, what it shows does not change unasked; said, and the file named (the
            // log records it; a warning on the command line repeated the summary's sentence in English)
            differing++;
            if (differingFiles.length < MAX_LISTED) differingFiles.push(source.label);
            log.info(`import: image ${verdict.existing.instanceId} imported again with other content: the library's copy kept`);
          }
        }
        // an exam left hidden by an import that ended early is taken over, so that this job completes it
        if (verdict.kind === 'duplicate' && verdict.existing.adoptable) adopt.add(verdict.existing.studyKey);
        if (source.received) receivedDone.push(source.path);
        else if (source.staged) await fs.promises.rm(source.path, { force: true });
        return;
      }
      inFlight.set(uid, attributes);
      try {
        // a received file was flushed on arrival; its link in the store is flushed with its batch (releaseReceived)
        const stored = await this.pool.run('store', { file: source.path, storeRoot: this.store.root, tmpDir: this.tmpDir, durable: durable && !source.received,
          move: (source.staged ?? false) && !source.received, link: source.received ?? false },
          { timeoutMs: STORE_TIMEOUT_MS + inspection.size / SLOW_DISK_BYTES_PER_MS });
        const record: StoredInstanceRecord = { attributes, fileHash: stored.key, fileSize: stored.size, warnings: inspection.warnings,
          readableLength: inspection.contentLength < stored.size ? inspection.contentLength : null };
        batch.push(record);
        batchSources.set(record, source);
        counts.imported++;
        kinds[kindOf(attributes)]++;
        bytes += stored.size;
      } catch (error) {
        if (isDiskFull(error)) throw new DiskFullError();
        const problem = error instanceof WorkerTaskError && error.name === 'StoreCollisionError'
          ? { code: 'store_failed' as const, params: { what: 'ECOLLISION' } }
          : { code: 'store_failed' as const, params: { what: (error as { code?: string })?.code ?? (error as Error)?.name ?? 'unknown' } };
        await reject(source, problem, { studyUid: attributes.study.uid, sopUid: uid });
      } finally {
        inFlight.delete(uid);
      }
    };

    let status = 'done' as ImportSummary['status'];
    /** What stopped the job on the library's side (not a file's problem). */
    let stoppedBy: ProblemRef | undefined;
    try {
      const worker = async () => {
        for (;;) {
          if (status !== 'done') return; // another worker failed (the disk is full): the job ends
          if (options.signal?.aborted) { status = 'cancelled'; return; }
          const source = queue.shift();
          if (!source) {
            // a stream's workers wait for the next file until the stream ends
            if (stream?.feed.outcome === 'open') { await stream.feed.next(); continue; }
            return;
          }
          await handle(source);
          counts.filesSeen++;
          if (batch.length >= batchSize) await commit();
          progress('importing');
        }
      };
      progress('importing', true);
      // the queue may grow (a DICOMDIR brings its files): workers that find it empty stop, and a
      // second round picks up what arrived meanwhile
      while ((queue.length || stream?.feed.outcome === 'open') && status === 'done') {
        await Promise.all(Array.from({ length: stream ? concurrency : Math.max(1, Math.min(concurrency, queue.length)) }, worker));
      }
      // an abandoned stream keeps what it stored, and its exams held back, as a cancelled import does
      if ((stream?.feed.outcome === 'abandoned' || options.incomplete) && status === 'done') status = 'cancelled';
      progress('finishing', true);
      if (status === 'done') await commit();
    } catch (error) {
      status = 'failed';
      const problem: ProblemRef = isDiskFull(error) ? { code: 'disk_full' } : { code: 'store_failed', params: { what: (error as { code?: string })?.code ?? (error as Error)?.name ?? 'unknown' } };
      // the batch not recorded is not imported: its files were counted as they were stored, and a full
      // disk's job said "imported: 4" of files that never reached the worklist (an IT probe)
      counts.imported -= batch.length;
      for (const record of batch) { kinds[kindOf(record.attributes)]--; bytes -= record.fileSize; }
      batch = []; // not committed: its exams stay as they were
      if (!isDiskFull(error)) log.error(`import job ${jobId}: ${errorForLog(error)}`);
      // said in the log too, without a stack: an IT person reading it saw nothing of it
      else log.warn(`import job ${jobId} stopped: the library's disk is full (${counts.imported} file(s) recorded; the import completes once there is room)`);
      stoppedBy = problem;
    }
    try {
      if (status === 'cancelled') await commit(); // what was stored stays, held back until the import is completed
      this.db.imports.finishJob(jobId, status, counts);
      if (stream) await this.db.syncLog(); // a sender was told its files are stored: their exam's release is kept too
      void this.checkpoint();
    } catch (error) {
      // the database could not record the end (its disk is full): the job stays 'running' until this
      // process ends, then counts as interrupted; its exams stay held back, nothing half-shown
      status = 'failed';
      if (!isDiskFull(error)) log.error(`import job ${jobId}: could not be finished: ${errorForLog(error)}`);
      if (stoppedBy?.code !== 'disk_full') stoppedBy = isDiskFull(error) ? { code: 'disk_full' } : { code: 'store_failed', params: { what: 'database' } };
    }
    for (const studyUid of rejectedStudies) {
      const key = this.db.imports.studyKey(studyUid);
      if (key !== null) touched.add(key);
    }
    progress('done', true);
    return {
      jobId, status,
      filesSeen: counts.filesSeen, imported: counts.imported, duplicates: counts.duplicates, rejected: counts.rejected,
      skipped: counts.skipped, ignored, bytes, seconds: (performance.now() - started) / 1000,
      examsTouched: touched.size, incompleteExams: this.db.imports.incompleteExams(touched),
      importedImages: kinds.images, importedForProcessing: kinds.forProcessing, importedOther: kinds.other,
      missing, notFiles: notFileCount, repaired, differing,
      duplicateFiles, differingFiles, skippedFiles, problems, missingFiles, notFileEntries: notFiles, ...(stoppedBy ? { stoppedBy } : {}),
    };
  }

  /** The problem a failed worker task stands for. */
  private taskProblem(error: unknown): ProblemRef {
    if (error instanceof TaskTimeoutError) return { code: 'timeout', params: { seconds: Math.round(error.ms / 1000) } };
    if (error instanceof WorkerCrashedError) return { code: 'inspection_failed' };
    if (error instanceof WorkerTaskError && error.code && /^E[A-Z]+$/.test(error.code)) return ioProblem(error);
    log.warn(`import: a file could not be inspected: ${errorForLog(error)}`);
    return { code: 'inspection_failed' };
  }

  /**
   * A duplicate's bytes against the library's copy of its instance: 'same'; 'differs' (other bytes
   * under the same UIDs: not kept); 'restored' (the library's copy was missing or damaged in the
   * store, gone, cut short or replaced, and these are its bytes: stored again); 'unknown' (the file
   * could not be read again, or the instance is gone meanwhile).
   */
  private async compareWithStored(instanceId: number, source: ImportSource, size: number, durable: boolean): Promise<'same' | 'differs' | 'restored' | 'unknown'> {
    const recorded = this.db.worklist.instanceFile(instanceId);
    if (!recorded) return 'unknown';
    const stat = await statRegularFile(this.store.pathFor(recorded.fileHash)).catch(() => null);
    try {
      if (stat && stat.size === recorded.fileSize) {
        if (size !== recorded.fileSize) return 'differs';
        return (await this.pool.run('hash', { file: source.path, followLinks: true }, { timeoutMs: STORE_TIMEOUT_MS + size / SLOW_DISK_BYTES_PER_MS })) === recorded.fileHash ? 'same' : 'differs';
      }
      const stored = await this.pool.run('store', { file: source.path, storeRoot: this.store.root, tmpDir: this.tmpDir, durable, move: false },
        { timeoutMs: STORE_TIMEOUT_MS + size / SLOW_DISK_BYTES_PER_MS }); // (as long as a new file's store may take: a large one on a slow disk)
      if (stored.key === recorded.fileHash) {
        log.info(`import: image ${instanceId} restored in the store from a copy imported again`);
        return 'restored';
      }
      // other bytes under the same SOP Instance UID: not the library's copy; this one is not kept
      if (!this.db.imports.isFileReferenced(stored.key)) await fs.promises.rm(this.store.pathFor(stored.key), { force: true });
      return 'differs';
    } catch (error) {
      log.warn(`import: image ${instanceId} imported again could not be compared with the library's copy: ${errorForLog(error)}`);
      return 'unknown';
    }
  }

  /**
   * Moves a staged file that could not be imported into the library's quarantine folder (copies it,
   * with `copy`, when the file must stay where it is); returns its path there.
   */
  private async keepInQuarantine(file: string, label: string, jobId: number, options: { copy?: boolean } = {}): Promise<string> {
    const dir = path.join(this.libraryRoot, 'quarantine', String(jobId));
    await fs.promises.mkdir(dir, { recursive: true });
    // named as the user knew it (its last path component, reduced to safe characters)
    const name = (label.split(/[\\/]/).pop() ?? 'file').replace(/[^\w.-]+/g, '_').slice(-100) || 'file';
    const target = path.join(dir, `${path.basename(file)}-${name}`);
    if (options.copy) await fs.promises.copyFile(file, target);
    else await fs.promises.rename(file, target);
    return path.relative(this.libraryRoot, target);
  }
}
