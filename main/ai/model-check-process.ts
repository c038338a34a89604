// Checks a model folder in a child process (model-check.process.ts), which can be stopped: killed past
// its time, killing itself past its memory limit (model-check-limits.ts), and, should the runtime
// crash on a hostile file, taking none of the station with it. Under Electron the child is the same
// binary run as Node (ELECTRON_RUN_AS_NODE), as the packaged app's other entries are files beside
// its bundle (pool.ts workerEntry).

import { forkChild } from '../base/child-process.ts';
import type { ChildHandle, StartChild } from '../base/child-process.ts';
import type { WorkerEntry } from '../workers/pool.ts';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';
import type { AiTasks } from './ai-tasks.ts';
import { MEMORY_LIMIT_LINE } from './model-check-limits.ts';

export type CheckResult = AiTasks['check']['result'];

/** A check that ran past its time: its process was killed. */
export class CheckTimeoutError extends Error {
  readonly code = 'timeout';
  constructor(readonly ms: number) {
    super(`the model's check took longer than ${(ms / 1000).toFixed(0)} s and was stopped`);
    this.name = 'CheckTimeoutError';
  }
}

export interface CheckOptions {
  providers?: ExecutionProvider[];
  timeoutMs: number;
  memoryLimitBytes: number;
  /** Called once when the check has run this long (it goes on). */
  asideAfterMs?: number;
  onAside?: () => void;
}

const MB = 1024 * 1024;

export class ModelCheckProcesses {
  private readonly running = new Set<ChildHandle>();
  private closed = false;

  constructor(private readonly entry: WorkerEntry, private readonly start: StartChild = forkChild) {}

  /**
   * The folder checked in a process of its own: what the check found, or (the process killed or dead
   * without an answer) why the model is refused; rejects with CheckTimeoutError past `timeoutMs`.
   */
  async check(modelFolder: string, options: CheckOptions): Promise<CheckResult & { workingBytes?: number }> {
    if (this.closed) throw new Error('the model checks are closed');
    const file = await this.entry.file();
    const child = this.start(file, { ...process.env, ELECTRON_RUN_AS_NODE: '1', ORT_DISABLE_TELEMETRY: '1' });
    this.running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => { stderr = (stderr + d).slice(-4096); });
    return new Promise((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; child.kill(); }, options.timeoutMs);
      const aside = options.onAside && options.asideAfterMs !== undefined ? setTimeout(options.onAside, options.asideAfterMs) : null;
      const settle = (answer: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (aside) clearTimeout(aside);
        answer();
      };
      const refuse = (problem: ModelProblem) => settle(() => resolve({ folder: modelFolder, problem, provider: null, manifest: null, manifestSha256: null }));
      child.onMessage((message) => {
        const { checked, workingBytes } = message as { checked: CheckResult; workingBytes: number };
        // a peak between two of the watch's looks, seen after the run
        if (!checked.problem && workingBytes > options.memoryLimitBytes) return refuse(memoryProblem(workingBytes, options.memoryLimitBytes));
        settle(() => resolve({ ...checked, workingBytes }));
      });
      child.onError((error) => {
        // not started (the binary gone, no process left to this user): no check, no model
        this.running.delete(child);
        refuse({ code: 'model_unloadable', params: { empty: 0, what: `its check could not start: ${error.message}` } });
      });
      child.onExit((code, signal) => {
        this.running.delete(child);
        if (settled) return;
        if (timedOut) return settle(() => reject(new CheckTimeoutError(options.timeoutMs)));
        const over = stderr.split('\n').find((line) => line.startsWith(MEMORY_LIMIT_LINE));
        if (over) return refuse(memoryProblem(Number(over.slice(MEMORY_LIMIT_LINE.length)) || options.memoryLimitBytes, options.memoryLimitBytes));
        if (this.closed) return settle(() => reject(new Error('the model checks were closed')));
        // the runtime crashed, or the check threw: said by its exit, with the last line it wrote (no patient data: a model folder's check)
        const last = stderr.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 200);
        refuse({ code: 'model_unloadable', params: { empty: 0, what: `its check stopped (${signal ? `signal ${signal}` : `exit code ${code}`})${last ? `: ${last}` : ''}` } });
      });
      child.send({ modelFolder, providers: options.providers, memoryLimitBytes: options.memoryLimitBytes });
    });
  }

  /** Kills the checks still running (the station closing: a check has nothing to save). */
  close(): void {
    this.closed = true;
    for (const child of this.running) child.kill();
  }
}

function memoryProblem(bytes: number, limit: number): ModelProblem {
  return { code: 'model_memory', params: { mb: Math.round(bytes / MB), limitMb: Math.round(limit / MB) } };
}
