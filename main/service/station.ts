// The station: opens a library (database, store, upload staging, import threads) and implements the
// API contract once, from one handler object per domain (worklist, import, store, settings, demo).
// Both transports (Electron IPC, loopback HTTP) and the command line call these handlers through
// main/transport/dispatch.ts; nothing here knows which transport is in use.
//
// Any number of stations (the desktop app, `binome serve`, `binome import`, `binome list`) may open
// one library at once: SQLite's WAL lets readers and one writer at a time share it, each process
// keeps its unfinished files in folders of its own, and a writer that waits too long for another
// is told "the library is busy" rather than failing obscurely.

import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ApiEvents, ApiHandlers, EventName } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import { prepareLibrary } from '../base/library.ts';
import type { LibraryPaths } from '../base/library.ts';
import { errorForLog, log } from '../base/log.ts';
import { registerPresence } from '../base/library-computer.ts';
import type { ComputerPresence } from '../base/library-computer.ts';
import { currentOwner, ownedFolderName } from '../base/process-owner.ts';
import { LibraryDatabase } from '../db/library-database.ts';
import { isBusyError } from '../db/connection.ts';
import { openStore } from '../dicom/store.ts';
import type { StoreLayout } from '../dicom/store.ts';
import { Importer, isJobRunning } from '../import/importer.ts';
import type { ImportOptions } from '../import/importer.ts';
import { AiAnalysis, libraryErrorForLog } from '../ai/analysis.ts';
import { aiHandlers } from './ai.ts';
import { CadReportService } from './cad-reports.ts';
import { queueForPacs } from '../db/pacs.ts';
import { UploadError, UploadStaging } from '../import/uploads.ts';
import { RenditionMaker } from '../import/renditions.ts';
import type { UploadLimits } from '../import/uploads.ts';
import type { StationContext } from './context.ts';
import { StationEvents } from './events.ts';
import { worklistHandlers } from './worklist.ts';
import { importHandlers } from './imports.ts';
import { settingsHandlers } from './settings.ts';
import { demoHandlers } from './demo.ts';
import { openStoredImage, storeHandlers } from './images.ts';
import { ReceiverService, receiverHandlers } from './receiver.ts';
import type { ReceiverSettings, ReceiverStatus } from '../../common/dicom-node.ts';
import type { OpenedImage } from './images.ts';
import { PacsService, pacsHandlers } from './pacs.ts';
import { choosePriors } from '../../common/hanging/engine.ts';
import type { PacsOptions } from './pacs.ts';
import type { StartChild } from '../base/child-process.ts';

export interface ServiceOptions {
  libraryDir: string;
  version: string;
  runtime: string;
  import?: Pick<ImportOptions, 'batchSize' | 'concurrency' | 'durable'> & { workers?: number };
  uploadLimits?: UploadLimits;
  /** How long a write waits for another process's before the answer is "the library is busy". */
  busyTimeoutMs?: number;
  /** false: no display renditions are made by this station (a command that lists or imports and ends; the app makes them). */
  renditions?: boolean;
  /**
   * The AI second reader: the folders holding model folders (the application's bundled models/, the
   * library's models/). Absent: no analysis runs in this process (a command that lists or imports and ends).
   * `analyse: false`: the models are found (and the shown one can be chosen), but nothing is analysed (a command that lists them).
   * `startCheckChild`: how a model's check process is started (Electron's utility process in the app; Node's fork otherwise).
   */
  ai?: { modelRoots: string[]; threads?: number; analyse?: boolean; runTimeoutMs?: number; checkTimeoutMs?: number; startCheckChild?: StartChild };
  /**
   * The storage SCP (DICOM C-STORE and C-ECHO): started with the library's settings, `overrides`
   * applying to this run only. Absent: none in this process (a command that lists or imports and ends).
   */
  /** `associateRqWithinMs`: how long a connection may wait before asking for an association (30 s; tests shorten it). */
  receiver?: { overrides?: Partial<ReceiverSettings>; associateRqWithinMs?: number };
  /**
   * An existing PACS: the outbox sent from this process and priors fetched when exams are opened.
   * Absent: neither in this process (a command that lists or imports and ends); the nodes can still be set.
   */
  pacs?: PacsOptions;
  /** How often the write-ahead log's size is looked at (5 s; tests shorten it). */
  walCheckMs?: number;
  /** How often this station refreshes its presence in the library (library-computer.ts: 30 s; tests shorten it). */
  presenceHeartbeatMs?: number;
  /** How often it looks whether another process of its library stored new instances (5 s; a test that must see the state before the look lengthens it). */
  otherImportsEveryMs?: number;
}

const CHECKPOINT_INTERVAL_MS = 10 * 60_000;
/** How often the write-ahead log's size is looked at (a stat), and the size that asks for a checkpoint. */
const WAL_CHECK_MS = 5000;
const WAL_CHECKPOINT_BYTES = 8 * 1024 * 1024;
/** How often a station looks whether another process of its library stored new instances (CAD SRs to read). */
const OTHER_IMPORTS_EVERY_MS = 5_000;
/** Renditions left undone wait this long after start, so that opening the station stays quick. */
const RENDITIONS_AFTER_START_MS = 5_000;

const UPLOAD_ERRORS: Record<UploadError['code'], (params: Record<string, number>) => ApiError> = {
  not_found: () => new ApiError('not_found', 'No such upload', 'error.uploadNotFound'),
  too_large: () => new ApiError('too_large', 'The file is larger than a DICOM file can be', 'error.uploadTooLarge'),
  too_many_files: () => new ApiError('too_large', 'Too many files in one upload', 'error.uploadTooMany'),
  busy: () => new ApiError('busy', 'Too many files are arriving at once', 'error.uploadBusy'),
  // finishing while a file of the upload is still arriving: its own reason (it read "too many files are arriving at once")
  still_arriving: () => new ApiError('busy', 'Files of this import are still arriving: wait for them, then finish', 'error.uploadStillArriving'),
  aborted: () => new ApiError('bad_request', 'The file did not arrive whole', 'error.uploadIncomplete'),
  stalled: (params) => new ApiError('bad_request', `No byte of the file arrived for ${params.seconds} s: it was given up`, 'error.uploadStalled', params),
};

/** What an error from below means to the caller: a typed API error, or (unknown) an internal one. */
export function asApiError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof UploadError) return UPLOAD_ERRORS[error.code](error.params);
  if (isBusyError(error)) return new ApiError('busy', 'The library is busy in another Binome window or command; try again in a moment', 'error.libraryBusy');
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'SQLITE_FULL') return new ApiError('disk_full', 'No space left on the library disk', 'error.diskFull');
  return error;
}

/** The handlers, their errors mapped by asApiError, each refused at once while `refusal` says why. */
function withErrorMapping(handlers: ApiHandlers, refusal: () => ApiError | null): ApiHandlers {
  const mapped: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, handler] of Object.entries(handlers) as [string, (input: never) => Promise<unknown>][]) {
    mapped[name] = async (input) => {
      const refused = refusal();
      if (refused) throw refused;
      try {
        return await handler(input);
      } catch (error) {
        throw asApiError(error);
      } finally {
        // refused while it ran (an import whose library another computer took): said so, over its answer or
        // error, not as what it made of its writes refused ("could not be stored: database", a probe)
        const refusedSince = refusal();
        if (refusedSince) throw refusedSince; // eslint-disable-line no-unsafe-finally
      }
    };
  }
  return mapped as unknown as ApiHandlers;
}

export class StationService {
  readonly paths: LibraryPaths;
  readonly db: LibraryDatabase;
  readonly store: StoreLayout;
  private readonly releaseStore: () => void;
  readonly handlers: ApiHandlers;
  private readonly importer: Importer;
  private readonly renditions: RenditionMaker;
  private ai: AiAnalysis | null = null;
  /** The exam last opened for reading: a prior she chooses to compare with it is analysed after it. */
  private openedLast: number | null = null;
  private readonly cadReports: CadReportService;
  private receiver: ReceiverService | null = null;
  private pacs: PacsService | null = null;
  private readonly uploads: UploadStaging;
  private readonly events = new StationEvents();
  private readonly running = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private readonly context: StationContext;
  private closed = false;
  /** This station's presence in the library (library-computer.ts): refused where another computer uses it. */
  private readonly presence: ComputerPresence;
  /** The computer that took the library over while this one was not answering (asleep), once it has. */
  private lostTo: string | null = null;
  private sayTaken: (host: string) => void = () => undefined;
  /**
   * Settles with the other computer's name once it has taken the library over (never otherwise): a
   * server command ends on it, with its failure status (a woken `binome serve` went on answering every
   * request "unavailable", its service manager none the wiser: a probe).
   */
  readonly taken = new Promise<string>((resolve) => { this.sayTaken = resolve; });
  private readonly checkpointTimer: NodeJS.Timeout;
  private readonly otherImportsTimer: NodeJS.Timeout;

  constructor(options: ServiceOptions) {
    let tmpDir = '';
    this.paths = prepareLibrary(options.libraryDir);
    // before the database: SQLite's log must not be shared with another computer, even for a moment
    this.presence = registerPresence(this.paths.root, currentOwner(), ownedFolderName(), (host) => this.lose(host),
      { heartbeatMs: options.presenceHeartbeatMs });
    try {
      this.db = new LibraryDatabase(this.paths.database, { busyTimeoutMs: options.busyTimeoutMs });
    } catch (error) {
      this.presence.release();
      throw error;
    }
    try {
      const store = openStore(this.paths.store);
      this.store = store.layout;
      this.releaseStore = store.release;
      this.importer = new Importer(this.db, this.store, store.tmpDir, this.paths.root, options.import?.workers);
      this.renditions = new RenditionMaker(this.db, this.store, this.importer, store.tmpDir, undefined, (examId) => this.events.emit('displayReady', { examId }));
      this.uploads = new UploadStaging(path.join(this.paths.root, 'uploads'), options.uploadLimits);
      tmpDir = store.tmpDir;
    } catch (error) {
      this.db.close();
      this.presence.release();
      throw error;
    }
    // the write-ahead log is checkpointed on an import thread after imports, and for the small writes
    // between them (exam status, settings, the AI's results, the audit) once it has grown past
    // WAL_CHECKPOINT_BYTES, else now and then: checked by its size only every 10 minutes, a script's
    // status changes grew it to 110 MB for a 315 kB library, about 10 MB a second (a probe)
    const walFile = `${this.paths.database}-wal`;
    let checkpointing = false;
    let checkpointedAt = Date.now();
    this.checkpointTimer = setInterval(() => {
      if (checkpointing) return;
      let size = 0;
      try {
        size = fs.statSync(walFile).size;
      } catch {
        return; // no log: nothing to copy back
      }
      if (size < WAL_CHECKPOINT_BYTES && Date.now() - checkpointedAt < CHECKPOINT_INTERVAL_MS) return;
      checkpointing = true;
      checkpointedAt = Date.now();
      void this.importer.checkpoint().finally(() => { checkpointing = false; });
    }, options.walCheckMs ?? WAL_CHECK_MS);
    this.checkpointTimer.unref();
    const interrupted = this.db.imports.markInterruptedJobs(isJobRunning);
    // not "import the same files again": a job may have been the station's own CAD SR (written again
    // by itself), a transfer (sent again by its sender) or a prior's retrieval (fetched again); the
    // worklist and `binome list` say for each job that still holds exams back what completes it
    if (interrupted) log.warn(`${interrupted} import job(s) of a stopped process found unfinished; the worklist and \`binome list\` say how to complete any that hold exams back`);
    const self = this;
    this.context = {
      paths: this.paths, db: this.db, store: this.store, importer: this.importer, uploads: this.uploads, events: this.events,
      version: options.version, runtime: options.runtime,
      importOptions: () => ({ ...options.import, signal: self.abort.signal, onProgress: (p) => self.events.emit('importProgress', p) }),
      backgroundImportOptions: () => ({ ...options.import, signal: self.abort.signal }),
      track: (task) => self.track(task),
      assertOpen: () => self.assertOpen(),
    };
    // display renditions are made in the background after imports, and at start for what a stopped
    // station left undone; an exam being opened goes first
    if (options.renditions !== false) {
      this.events.on('worklistChanged', ({ reason }) => { if (reason === 'import') this.renditions.kick(); });
      setTimeout(() => this.renditions.kick(), RENDITIONS_AFTER_START_MS).unref();
    }
    // Mammography CAD SRs: those that arrive are read into marks, each finished analysis is written as one
    // (each SR written here is queued for the PACS nodes that receive results)
    const cadReports = new CadReportService(this.context, tmpDir, () => this.ai, (examId) => this.events.emit('aiChanged', { examId }),
      (instanceId) => { queueForPacs(this.db, instanceId); });
    this.cadReports = cadReports;
    const analyses = Boolean(options.ai) && options.ai?.analyse !== false;
    const readsCadReports = options.renditions !== false || analyses;
    if (readsCadReports) this.events.on('worklistChanged', ({ reason }) => { if (reason === 'import') void cadReports.kick(); });
    // images another process of the library stored (`binome receive`, `binome import`, another window):
    // events do not cross processes, so the newest instance id is looked at (one index lookup) now and
    // then, and a change this process did not say is said as an import of its own (its CAD SRs read,
    // its exams queued for the AI, the worklist and an open exam's arrived priors updated at once)
    let newestSeen = this.db.worklist.newestInstanceId();
    this.events.on('worklistChanged', ({ reason }) => {
      if (reason !== 'import') return;
      try { newestSeen = this.db.worklist.newestInstanceId(); } catch { /* the library busy: said again at the next look */ }
    });
    this.otherImportsTimer = setInterval(() => {
      try {
        if (this.db.worklist.newestInstanceId() !== newestSeen) this.events.emit('worklistChanged', { reason: 'import' });
      } catch { /* the library busy or closing: next time */ }
    }, options.otherImportsEveryMs ?? OTHER_IMPORTS_EVERY_MS);
    this.otherImportsTimer.unref();
    // the AI second reader: models found on a worker thread, every exam queued, the opened exam first
    if (options.ai) {
      const ai = new AiAnalysis(this.db, this.store, options.ai.modelRoots, (examId) => {
        this.events.emit('aiChanged', { examId });
        if (examId !== null) void cadReports.kick(); // an analysis that ended has its SR written
      }, { threads: options.ai.threads, runTimeoutMs: options.ai.runTimeoutMs, checkTimeoutMs: options.ai.checkTimeoutMs, startCheckChild: options.ai.startCheckChild });
      this.ai = ai;
      if (analyses) {
        this.events.on('worklistChanged', ({ reason }) => {
          if (reason !== 'import') return;
          // the library busy or full now: the loop's minute look for exams not queued takes them up (an error
          // here went back into whatever emitted the event: an import)
          try { ai.queueNewExams(); } catch (error) { log.warn(`AI: new exams not queued now (${libraryErrorForLog(error)}); queued at the next look`); }
        });
      }
      void this.track(ai.start({ analyse: analyses }).catch((error: unknown) => log.warn(`AI second reader not started: ${errorForLog(error)}`))
        .then(() => (readsCadReports ? cadReports.kick() : undefined)));
    } else if (readsCadReports) {
      void this.track(cadReports.kick());
    }
    const worklist = worklistHandlers(this.context, () => {
      const shown = this.ai?.shownModel;
      return shown ? this.ai?.heldFor(shown.manifest) ?? null : null;
    });
    const examDetail: typeof worklist.examDetail = async (input) => {
      // asked before its details: images prepared between the two would leave its viewer with details
      // that lack them and no word that they came (a run going already makes them, any moment)
      const purpose = input.purpose ?? 'open';
      const pending = options.renditions !== false && this.db.imports.examHasImagesToPrepare(input.examId);
      const detail = await worklist.examDetail(input);
      if (pending) this.renditions.kick(input.examId, { ahead: purpose !== 'open' });
      if (purpose === 'open') {
        // her prior that the comparison hangs beside it goes right after it (the last prioritized goes first):
        // the comparison steps said "analysis queued" on the prior while other women's exams ran (a probe)
        const [prior] = choosePriors(detail.exam, detail.priors);
        if (prior !== undefined) this.ai?.prioritize(prior);
        this.ai?.prioritize(input.examId);
        this.openedLast = input.examId;
      } else if (purpose === 'prior' && this.openedLast !== null && this.openedLast !== input.examId) {
        // another prior she chose to compare: after the exam she reads, still first
        this.ai?.prioritize(input.examId);
        this.ai?.prioritize(this.openedLast);
      }
      // her priors on the PACS, in the background (the next case's too, while this one is read; asked
      // again while it is open, its search is under way already)
      if (purpose === 'open' || purpose === 'prefetch') this.pacs?.prioritize(input.examId);
      return detail;
    };
    if (options.receiver) this.receiver = new ReceiverService(this.context, options.receiver.overrides, { associateRqWithinMs: options.receiver.associateRqWithinMs });
    if (options.pacs) {
      this.pacs = new PacsService(this.context, options.pacs, () => this.receiver?.status() ?? null);
      this.pacs.start();
    }
    this.handlers = withErrorMapping({
      ...worklist,
      examDetail,
      ...importHandlers(this.context),
      ...storeHandlers(this.context),
      ...settingsHandlers(this.context, async () => { await this.receiver?.apply(); },
        () => this.ai ? this.ai.availableModels.flatMap((m) => m.manifest.calibration.operatingPoints.map((p) => p.name)) : null),
      ...demoHandlers(this.context),
      ...aiHandlers(this.context, () => this.ai, () => this.cadReports.diskFull),
      ...receiverHandlers(() => this.receiver),
      ...pacsHandlers(this.context, () => this.pacs),
    }, () => this.refusal());
  }

  /** Why every call is refused now, or null: the library taken over by another computer. */
  private refusal(): ApiError | null {
    if (this.lostTo === null) return null;
    return new ApiError('unavailable', `This station stopped using the library: Binome on another computer or container (${this.lostTo}) opened it while this computer was not answering`,
      'error.libraryTakenElsewhere', { host: this.lostTo });
  }

  /**
   * Another computer's station removed this one's presence, stale (this computer asleep past STALE_MS)
   * and opened the library: this station stops at once (its analyses, receiver, imports) and refuses
   * every call, before two computers write one SQLite log.
   */
  private lose(host: string): void {
    this.lostTo = host;
    // not one more write, before anything else runs: stopping lets running imports reach a batch boundary
    // and record how they ended, and a woken `binome import` stored 8 more images, then wrote a false
    // "timeout" for the rest, after the other computer had opened the library (a probe)
    try { this.db.connection.pragma('query_only = 1'); } catch { /* closing already */ }
    this.abort.abort();
    log.error(`library: Binome on another computer or container (${host}) opened this library while this process was not answering; this process stops using it`);
    this.sayTaken(host);
    void this.close().catch((error: unknown) => log.error(`closing after the library was taken: ${errorForLog(error)}`));
  }

  /**
   * Starts the storage SCP (when this station runs one): files that stopped stations received but
   * did not import are imported first, then it listens as the settings say. A port already taken
   * (another Binome on this computer) is reported in its status, not thrown.
   */
  async startReceiver(): Promise<ReceiverStatus | null> {
    if (!this.receiver) return null;
    await this.track(this.receiver.start());
    return this.receiver.status();
  }

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** The language the reader chose in the station, or null when none was chosen (the transports then follow the browser's). */
  chosenLocale(): 'en' | 'fr' | null {
    const chosen = this.db.settings.get('locale');
    return chosen === 'fr' || chosen === 'en' ? chosen : null;
  }

  /** A stored image (or its display rendition) for the image transports; throws ApiError not_found or damaged. */
  async openImage(instanceId: number, options: { verifyContent?: boolean; rendition?: 'display' } = {}): Promise<OpenedImage> {
    try {
      return await openStoredImage(this.context, instanceId, options);
    } catch (error) {
      throw asApiError(error);
    }
  }

  /** Receives one file of an upload begun with beginUpload, written to disk as it arrives. */
  async receiveUpload(uploadId: string, name: string, body: Readable, declaredBytes?: number): Promise<{ bytes: number }> {
    this.assertOpen();
    try {
      return await this.track(this.uploads.receive(uploadId, name, body, declaredBytes));
    } catch (error) {
      throw asApiError(error);
    }
  }

  private track<T>(task: Promise<T>): Promise<T> {
    this.running.add(task);
    void task.finally(() => this.running.delete(task)).catch(() => undefined);
    return task;
  }

  private assertOpen(): void {
    const refused = this.refusal();
    if (refused) throw refused;
    if (this.closed) throw new ApiError('busy', 'The station is shutting down', 'error.shuttingDown');
  }

  /** Stops new writes, lets running imports reach a batch boundary, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // the storage SCP first: its associations end (their completed images stay, their exams held back)
    await this.receiver?.close().catch((error: unknown) => log.error(`DICOM receiver: ${errorForLog(error)}`));
    this.abort.abort();
    await this.pacs?.close().catch((error: unknown) => log.error(`PACS: ${errorForLog(error)}`));
    clearInterval(this.checkpointTimer);
    clearInterval(this.otherImportsTimer);
    await Promise.allSettled([...this.running]);
    await this.cadReports.close();
    await this.ai?.close();
    await this.renditions.close();
    await this.importer.close();
    await this.uploads.close();
    this.releaseStore();
    this.db.close();
    this.presence.release();
    this.events.clear();
  }
}
