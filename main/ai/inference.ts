// Runs models on worker threads (inference.worker.ts) through the main process's one worker
// runner (main/workers/pool.ts): the main event loop never waits on a model. One thread by default
// (a model already uses the machine's cores inside session.run); a run that overruns its time limit
// is stopped with its thread.

import { WorkerPool, workerEntry } from '../workers/pool.ts';
import { keepOnnxRuntimeOffline } from './runtime-offline.ts';
import type { AiTasks, AnalyzeImageInput, AnalyzeImageResult, InferInput, InferResult } from './ai-tasks.ts';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';

/** A run longer than this is taken as stuck (a full-size exam takes seconds on a CPU). */
const INFER_TIMEOUT_MS = 5 * 60_000;

export class InferenceRunner {
  private readonly pool: WorkerPool<AiTasks>;

  constructor(options: { threads?: number } = {}) {
    keepOnnxRuntimeOffline(); // before the threads load the runtime
    this.pool = new WorkerPool<AiTasks>({ name: 'ai', entry: workerEntry(import.meta.filename, 'inference.worker'), size: options.threads ?? 1, tasksPerWorker: 1,
      // onnxruntime aborts the process when its thread is terminated inside session.run
      stopOnlyBetweenTasks: true });
  }

  infer(input: InferInput, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<InferResult> {
    return this.pool.run('infer', input, { timeoutMs: options.timeoutMs ?? INFER_TIMEOUT_MS, signal: options.signal });
  }

  analyzeImage(input: AnalyzeImageInput, options: { signal?: AbortSignal } = {}): Promise<AnalyzeImageResult> {
    return this.pool.run('analyzeImage', input, { timeoutMs: INFER_TIMEOUT_MS, signal: options.signal });
  }

  discover(roots: string[], providers?: ExecutionProvider[]): Promise<AiTasks['discover']['result']> {
    return this.pool.run('discover', { roots, providers }, { timeoutMs: INFER_TIMEOUT_MS });
  }

  check(modelFolder: string, providers?: ExecutionProvider[]): Promise<{ problem: ModelProblem | null; provider: ExecutionProvider | null }> {
    return this.pool.run('check', { modelFolder, providers }, { timeoutMs: INFER_TIMEOUT_MS });
  }

  /** Threads whose model run overran its time: they take nothing else and stop when the run returns. */
  get overrunThreads(): number {
    return this.pool.retiringCount;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
