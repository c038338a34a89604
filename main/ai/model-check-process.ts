// Checks a model folder in a child process (model-check.process.ts), which can be stopped: killed past
// its time, killing itself past its memory limit (model-check-limits.ts), and, should the runtime
// crash on a hostile file, taking none of the station with it. The limit is the checks' together:
// each says what it holds every 0.1 s, and where those running at once (a check set aside beside the
// next: model-discovery.ts) hold more, the largest is stopped (four slow, greedy models each under
// the limit held 10.6 GB together for two minutes: a probe). Under Electron the child is a utility
// process (main/electron/utility-child.ts), elsewhere a fork of Node (main/base/child-process.ts).

import os from 'node:os';
import { forkChild } from '../base/child-process.ts';
import type { ChildHandle, StartChild } from '../base/child-process.ts';
import type { WorkerEntry } from '../workers/pool.ts';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';
import type { ModelCheckResult } from './ai-tasks.ts';
import { MEMORY_LIMIT_LINE, MEMORY_REPORT_LINE } from './model-check-limits.ts';

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

/** A check running: what it said it holds last, whether it was set aside, and why it was stopped where it was. */
interface CheckState { bytes: number; aside: boolean; stoppedOver?: { bytes: number; limit: number } }

export class ModelCheckProcesses {
  /** Each check running, with the memory it said it holds last, and why it was stopped where it was. */
  private readonly running = new Map<ChildHandle, CheckState>();
  private closed = false;

  constructor(private readonly entry: WorkerEntry, private readonly start: StartChild = forkChild) {}

  /**
   * The folder checked in a process of its own: what the check found, or (the process killed or dead
   * without an answer) why the model is refused; rejects with CheckTimeoutError past `timeoutMs`.
   */
  async check(modelFolder: string, options: CheckOptions): Promise<ModelCheckResult & { workingBytes?: number }> {
    if (this.closed) throw new Error('the model checks are closed');
    const file = await this.entry.file();
    const child = this.start(file, { ...process.env, ORT_DISABLE_TELEMETRY: '1' });
    const state: CheckState = { bytes: 0, aside: false };
    this.running.set(child, state);
    // what it writes besides its memory reports: the last lines, for a crash's reason
    let stderr = '', partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = (lines.pop() ?? '').slice(-4096); // (a line without end is kept no longer than the last lines are)
      for (const line of lines) {
        if (line.startsWith(MEMORY_REPORT_LINE)) this.report(state, Number(line.slice(MEMORY_REPORT_LINE.length)), options.memoryLimitBytes);
        else stderr = `${stderr}${line}\n`.slice(-4096);
      }
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; child.kill(); }, options.timeoutMs);
      // set aside (its patience passed): it goes on at the lowest priority, taking what the machine leaves
      // (twelve slow folders' checks shared two cores with the next ones at one priority, load 16: a probe)
      const aside = options.asideAfterMs !== undefined ? setTimeout(() => {
        state.aside = true;
        try { if (child.pid !== undefined) os.setPriority(child.pid, 19); } catch { /* not allowed: as it was */ }
        options.onAside?.();
      }, options.asideAfterMs) : null;
      const settle = (answer: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (aside) clearTimeout(aside);
        answer();
      };
      const refuse = (problem: ModelProblem) => settle(() => resolve({ folder: modelFolder, problem, provider: null, manifest: null, manifestSha256: null }));
      child.onMessage((message) => {
        const { checked, workingBytes } = message as { checked: ModelCheckResult; workingBytes: number };
        // a peak between two of the watch's looks, seen after the run
        if (!checked.problem && workingBytes > options.memoryLimitBytes) return refuse(memoryProblem(workingBytes, options.memoryLimitBytes));
        settle(() => resolve({ ...checked, workingBytes }));
      });
      child.onError((error) => {
        // not started (the binary gone, no process left to this user): no check, no model
        this.running.delete(child);
        refuse({ code: 'check_stopped', params: { how: 'start', what: error.message.slice(0, 200) } });
      });
      child.onExit((code, signal) => {
        this.running.delete(child);
        if (settled) return;
        if (timedOut) return settle(() => reject(new CheckTimeoutError(options.timeoutMs)));
        if (state.stoppedOver) return refuse(memoryProblem(state.stoppedOver.bytes, state.stoppedOver.limit, true));
        const over = stderr.split('\n').find((line) => line.startsWith(MEMORY_LIMIT_LINE));
        if (over) return refuse(memoryProblem(Number(over.slice(MEMORY_LIMIT_LINE.length)) || options.memoryLimitBytes, options.memoryLimitBytes));
        if (this.closed) return settle(() => reject(new Error('the model checks were closed')));
        // the runtime crashed, or the process was killed from outside (the system short of memory, a
        // person), or the check threw: said by its exit, with the last line it wrote (no patient data: a model folder's check)
        const last = stderr.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 200);
        refuse({ code: 'check_stopped', params: { ...(signal ? { signal } : { exitCode: code ?? -1 }), ...(last ? { what: last } : {}) } });
      });
      child.send({ modelFolder, providers: options.providers, memoryLimitBytes: options.memoryLimitBytes });
    });
  }

  /**
   * A check says what it holds: where the checks running at once hold more than the limit together, one
   * is stopped (refused as too greedy beside the others): of those set aside (past their patience, the
   * slow ones), the one holding most; else the one holding most. Stopped by size alone, a quick vendor
   * model of 3.4 GB was refused beside a never-ending one of 700 MB, at every start (a probe).
   */
  private report(state: CheckState, bytes: number, limit: number): void {
    if (!Number.isFinite(bytes)) return;
    state.bytes = bytes;
    let total = 0;
    for (const s of this.running.values()) total += s.stoppedOver ? 0 : s.bytes;
    const live = [...this.running.entries()].filter(([, s]) => !s.stoppedOver);
    if (total <= limit || live.length < 2) return;
    const pool = live.some(([, s]) => s.aside) ? live.filter(([, s]) => s.aside) : live;
    const [chosen, its] = pool.reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a));
    its.stoppedOver = { bytes: its.bytes, limit };
    chosen.kill();
  }

  /** Kills the checks still running (the station closing: a check has nothing to save). */
  close(): void {
    this.closed = true;
    for (const child of this.running.keys()) child.kill();
  }
}

function memoryProblem(bytes: number, limit: number, together = false): ModelProblem {
  return { code: 'model_memory', params: { mb: Math.round(bytes / MB), limitMb: Math.round(limit / MB), ...(together ? { together: 1 } : {}) } };
}
