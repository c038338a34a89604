// Runs models on worker threads (inference.worker.ts) through the main process's one worker
// runner (main/workers/pool.ts): the main event loop never waits on a model. One thread by default
// (a model already uses the machine's cores inside session.run); a run that overruns its time limit
// is stopped with its thread.

import { WorkerPool, workerEntry } from '../workers/pool.ts';
import { CheckTimeoutError, ModelCheckProcesses } from './model-check-process.ts';
import type { StartChild } from '../base/child-process.ts';
import { modelMemoryLimitBytes } from './model-check-limits.ts';
import { discoverModelFolders } from './model-discovery.ts';
import { keepOnnxRuntimeOffline } from './runtime-offline.ts';
import type { AiTasks, ModelCheckResult, AnalyzeImageInput, DiscoveredModels, AnalyzeImageResult, InferInput, InferResult } from './ai-tasks.ts';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';

/** A run longer than this is taken as stuck (a full-size exam takes seconds on a CPU). */
const INFER_TIMEOUT_MS = 5 * 60_000;
/** A model whose check (opening it, one trial run) takes longer is refused as too slow for this computer. */
const CHECK_TIMEOUT_MS = 2 * 60_000;
/**
 * A check still running after this long is set aside (its process goes on, beside the next one's):
 * the next folders are checked meanwhile and their models used. A model's check takes a second or two
 * (its process started, the runtime loaded, the trial run: about 1 s here for the station's model);
 * checked one after another below that, a normal start is as before. Each slow folder holds the
 * models after it this long (it was 10 s: four slow folders left a station without its AI for 45 s, a probe).
 */
const CHECK_ASIDE_MS = 5_000;

/**
 * How long closing waits for a model run that cannot be interrupted: 15 s, or
 * BINOME_AI_CLOSE_WAIT_MS (milliseconds; a service manager that waits longer, or tests). After it,
 * the command line ends the process by a signal (main/service/end-process.ts).
 */
function closeWaitMs(): number {
  const ms = Number(process.env.BINOME_AI_CLOSE_WAIT_MS);
  return Number.isFinite(ms) && ms >= 0 && process.env.BINOME_AI_CLOSE_WAIT_MS !== '' ? ms : 15_000;
}

export class InferenceRunner {
  private readonly pool: WorkerPool<AiTasks>;
  /** Where models are checked before they are used: processes of their own (model-check-process.ts). */
  private readonly checks: ModelCheckProcesses;
  private readonly memoryLimitBytes: number;

  private readonly checkTimeoutMs: number;
  private readonly checkAsideMs: number;
  /** An image's analysis longer than this is taken as stuck (INFER_TIMEOUT_MS; shorter in tests). */
  readonly runTimeoutMs: number;

  constructor(options: { threads?: number; checkTimeoutMs?: number; checkAsideMs?: number; runTimeoutMs?: number; memoryLimitBytes?: number; startCheckChild?: StartChild } = {}) {
    this.checks = new ModelCheckProcesses(workerEntry(import.meta.filename, 'model-check.process'), options.startCheckChild);
    this.memoryLimitBytes = options.memoryLimitBytes ?? modelMemoryLimitBytes();
    this.checkTimeoutMs = options.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
    this.runTimeoutMs = options.runTimeoutMs ?? INFER_TIMEOUT_MS;
    this.checkAsideMs = options.checkAsideMs ?? CHECK_ASIDE_MS;
    keepOnnxRuntimeOffline(); // before the threads load the runtime
    this.pool = new WorkerPool<AiTasks>({ name: 'ai', entry: workerEntry(import.meta.filename, 'inference.worker'), size: options.threads ?? 1, tasksPerWorker: 1,
      // a thread keeps its model open and its code compiled for a minute after its last run: an exam
      // analysed then takes about 0.4 s, one on a thread just started 1–1.7 s (onnxruntime's first
      // runs, compiling); an idle thread holds about 300 MB, given back after that minute
      idleMs: 60_000,
      // each AI thread makes a model's input on the other cores too (preprocess-bands.ts)
      nestedEntries: { 'preprocess.worker': workerEntry(import.meta.filename, 'preprocess.worker') },
      // onnxruntime aborts the process when its thread is terminated inside session.run
      stopOnlyBetweenTasks: true, taskNoun: 'model run', closeWaitMs: closeWaitMs() });
  }

  infer(input: InferInput, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<InferResult> {
    return this.pool.run('infer', input, { timeoutMs: options.timeoutMs ?? INFER_TIMEOUT_MS, signal: options.signal });
  }

  analyzeImage(input: AnalyzeImageInput, options: { signal?: AbortSignal } = {}): Promise<AnalyzeImageResult> {
    return this.pool.run('analyzeImage', input, { timeoutMs: this.runTimeoutMs, signal: options.signal });
  }

  /**
   * Every model folder under these roots, each checked in a process of its own
   * (model-check-process.ts), within `checkTimeoutMs` (2 minutes) and the memory limit
   * (model-check-limits.ts): a model too slow to check on this computer (its trial run on a large
   * fixed input took minutes), or too greedy, is refused, saying so, its process killed (checked on
   * the AI thread, a trial that never ended kept a core busy until the station stopped). A check still
   * running after `checkAsideMs` (5 s) goes on beside the others (model-discovery.ts): what is found
   * without it is returned at once, its folder in `checking`, and `complete` gives every model once
   * it has ended (one slow model held every model back for its two minutes at each start).
   * `knownIds`: the models the library has analyses of, which keep their names (discoverModelFolders).
   */
  discover(roots: string[], providers?: ExecutionProvider[], knownIds?: ReadonlySet<string>): Promise<DiscoveredModels> {
    return discoverModelFolders(roots, async (folder, setAside) => {
      try {
        const checked = await this.checks.check(folder, { providers, timeoutMs: this.checkTimeoutMs, memoryLimitBytes: this.memoryLimitBytes, asideAfterMs: this.checkAsideMs, onAside: setAside });
        return checked.manifest && checked.manifestSha256 && checked.provider ? { ok: true, model: { folder: checked.folder, manifest: checked.manifest, manifestSha256: checked.manifestSha256, provider: checked.provider, fallbacks: checked.fallbacks ?? [] } }
          : { ok: false, folder: checked.folder, problem: checked.problem ?? { code: 'model_unloadable' } };
      } catch (error) {
        if (!(error instanceof CheckTimeoutError)) throw error;
        return { ok: false, folder, problem: { code: 'check_too_slow', params: { seconds: Math.round(this.checkTimeoutMs / 1000) } } };
      }
    }, { knownIds });
  }

  /** One model folder checked in a process of its own (as discover does), within `timeoutMs`. */
  check(modelFolder: string, providers?: ExecutionProvider[], timeoutMs = INFER_TIMEOUT_MS): Promise<ModelCheckResult & { workingBytes?: number }> {
    return this.checks.check(modelFolder, { providers, timeoutMs, memoryLimitBytes: this.memoryLimitBytes });
  }

  /** Threads whose model run overran its time: they take nothing else and stop when the run returns. */
  get overrunThreads(): number {
    return this.pool.retiringCount;
  }

  /** Ends the models' checks still running (closing). */
  stopChecks(): void {
    this.checks.close();
  }

  close(): Promise<void> {
    this.checks.close();
    return this.pool.close();
  }
}
