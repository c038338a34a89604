// The one implementation of the API contract. Both transports (Electron IPC, loopback HTTP) call
// these handlers after validating input; nothing here knows which transport is in use.

import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { ApiEvents, ApiHandlers, AppInfo, EventName } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import type { ImportSummary, Locale, Settings } from '../../common/domain.ts';
import { DicomStore } from '../dicom/store.ts';
import { Importer } from '../import/importer.ts';
import type { ImportOptions } from '../import/importer.ts';
import { WorklistDatabase } from '../db/db.ts';
import { prepareLibrary } from '../base/library.ts';
import type { LibraryPaths } from '../base/library.ts';
import { log } from '../base/log.ts';
import { generateDemo } from '../synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../synth/plan.ts';

export interface ServiceOptions {
  libraryDir: string;
  version: string;
  runtime: string;
  import?: Pick<ImportOptions, 'batchSize' | 'concurrency' | 'durable'>;
}

/** Whether the process that started an import job still runs (a zombie, killed but not reaped, does not). */
function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StationService {
  readonly paths: LibraryPaths;
  readonly db: WorklistDatabase;
  readonly store: DicomStore;
  private readonly importer: Importer;
  private readonly events = new EventEmitter();
  private readonly running = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly options: ServiceOptions) {
    this.paths = prepareLibrary(options.libraryDir);
    this.db = new WorklistDatabase(this.paths.database);
    this.store = new DicomStore(this.paths.store);
    this.importer = new Importer(this.db, this.store);
    const interrupted = this.db.markInterruptedJobs(isProcessAlive);
    if (interrupted) log.warn(`${interrupted} interrupted import job(s) found; importing the same files again completes them`);
  }

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    this.events.emit(event, payload);
  }

  /** Runs a long task so that close() can wait for it to reach a safe point. */
  private track<T>(task: Promise<T>): Promise<T> {
    this.running.add(task);
    void task.finally(() => this.running.delete(task)).catch(() => undefined);
    return task;
  }

  private assertOpen(): void {
    if (this.closed) throw new ApiError('busy', 'The station is shutting down');
  }

  private importOptions(): ImportOptions {
    return {
      ...this.options.import,
      signal: this.abort.signal,
      onProgress: (p) => this.emit('importProgress', p),
    };
  }

  readonly handlers: ApiHandlers = {
    appInfo: async (): Promise<AppInfo> => ({
      name: 'Binome',
      version: this.options.version,
      libraryDir: this.paths.root,
      transport: 'loopback-http', // the transport overrides this with what it is
      runtime: this.options.runtime,
      examCount: this.db.countExams(),
    }),
    worklistQuery: async (q) => this.db.queryWorklist(q),
    examDetail: async ({ examId }) => {
      const detail = this.db.examDetail(examId);
      if (!detail) throw new ApiError('not_found', `No exam ${examId}`);
      this.db.audit('local-user', 'open', examId);
      return detail;
    },
    setExamStatus: async ({ examId, status }) => {
      this.assertOpen();
      const exam = this.db.setExamStatus(examId, status, 'local-user');
      if (!exam) throw new ApiError('not_found', `No exam ${examId}`);
      this.emit('worklistChanged', { reason: 'status' });
      return exam;
    },
    importPaths: async ({ paths }) => {
      this.assertOpen();
      const summary = await this.track(this.importer.importPaths(paths, this.importOptions()));
      log.info(`import job ${summary.jobId}: ${summary.imported} imported, ${summary.duplicates} duplicates, ${summary.rejected} rejected in ${summary.seconds.toFixed(2)} s`);
      this.emit('worklistChanged', { reason: 'import' });
      return summary;
    },
    importUpload: async ({ name, data }) => {
      this.assertOpen();
      const summary = await this.track(this.importer.importBytes([{ name, data }], this.importOptions()));
      this.emit('worklistChanged', { reason: 'import' });
      return summary;
    },
    quarantineList: async ({ limit }) => this.db.quarantineList(limit),
    unfinishedImports: async () => {
      this.db.markInterruptedJobs(isProcessAlive); // an import run by another process may have died since
      return this.db.unfinishedImportJobs();
    },
    resumeImport: async ({ jobId }) => {
      this.assertOpen();
      const job = this.db.unfinishedImportJobs().find((j) => j.jobId === jobId);
      if (!job) throw new ApiError('not_found', `No unfinished import ${jobId}`);
      if (!job.paths) throw new ApiError('bad_request', 'That import was of dropped files: drop them again to complete it');
      return this.handlers.importPaths({ paths: job.paths });
    },
    getSettings: async () => this.settings(),
    loadDemoExams: async ({ patients, priors, size, seed }) => {
      this.assertOpen();
      const summary = await this.track(this.loadDemo({ patients, priors, size, seed: seed ?? `demo-${Date.now().toString(36)}` }));
      this.emit('worklistChanged', { reason: 'import' });
      return summary;
    },
    pickImportPaths: async () => {
      throw new ApiError('unavailable', 'No file dialog here: enter a path, or drop files on the worklist');
    },
    setSettings: async ({ locale }) => {
      this.assertOpen();
      if (locale) this.db.setSetting('locale', locale);
      return this.settings();
    },
  };

  private async loadDemo(o: { patients: number; priors: number; size: 'reduced' | 'full'; seed: string }): Promise<ImportSummary> {
    const outDir = path.join(this.paths.root, 'demo', o.seed);
    const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: o.patients, priors: o.priors, size: o.size, seed: o.seed }, outDir, {
      onProgress: (p) => this.emit('importProgress', { jobId: 0, phase: 'generating', filesTotal: p.imagesTotal, filesDone: p.imagesDone, imported: 0, duplicates: 0, rejected: 0, bytes: 0 }),
    });
    log.info(`demo: ${demo.images} images in ${demo.exams} exams generated in ${demo.seconds.toFixed(1)} s`);
    const summary = await this.importer.importPaths(demo.dicomFiles, this.importOptions());
    // The store now holds the images; the demo folder keeps only the ground truth.
    if (summary.status === 'done') await Promise.all(demo.dicomFiles.map((f) => fs.promises.rm(f, { force: true })));
    return summary;
  }

  private settings(): Settings {
    const locale = this.db.getSetting('locale');
    return { locale: (locale === 'fr' || locale === 'en' ? locale : 'en') as Locale };
  }

  /** The stored DICOM file of a visible instance, for the image transports. */
  instanceFile(instanceId: number): { path: string; size: number } | null {
    const found = this.db.instanceFile(instanceId);
    if (!found) return null;
    const file = this.store.pathFor(found.fileHash);
    return fs.existsSync(file) ? { path: file, size: found.fileSize } : null;
  }

  /** Stops new writes, lets running imports reach a batch boundary, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await Promise.allSettled([...this.running]);
    this.db.close();
    this.events.removeAllListeners();
  }
}
