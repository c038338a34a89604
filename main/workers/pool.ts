// The one typed worker runner of the main process (import, synthetic exams, AI): a pool of worker
// threads serving a task table (protocol.ts). Work that parses, hashes, copies, renders or infers
// runs here, never on the main event loop. A task can report progress, be cancelled, and be given
// a time limit: a thread that overruns it is terminated (the only way to stop a stuck synchronous
// loop) and replaced, and the other tasks it was running are queued again, so tasks must be
// safe to run twice. Threads start on demand and stop when idle, so an idle station holds none.

import path from 'node:path';
import { Worker, workerData } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import type { FromWorker, SerializedError, TaskInput, TaskName, TaskProgress, TaskResult, TaskTable, ToWorker } from './protocol.ts';
import { errorForLog, log } from '../base/log.ts';
import { bundleWorkerEntry } from './source-entry.ts';

/** A task failed in its worker: the error as the worker threw it (name, message, code, data). */
export class WorkerTaskError extends Error {
  readonly code: string | undefined;
  readonly data: unknown;
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    this.code = serialized.code;
    this.data = serialized.data;
  }
}

/** A task ran past its time limit; its thread was stopped. */
export class TaskTimeoutError extends Error {
  readonly code = 'timeout';
  constructor(readonly task: string, readonly ms: number) {
    super(`${task} took longer than ${(ms / 1000).toFixed(0)} s and was stopped`);
    this.name = 'TaskTimeoutError';
  }
}

/**
 * A task that no thread took within its time limit (a pool that stops threads only between tasks,
 * its threads inside runs that overran): it never ran. Not the task's fault, nor its input's: said
 * as what it is (it read "took longer than 300 s and was stopped", a probe).
 */
export class TaskNotStartedError extends Error {
  readonly code = 'no_thread';
  constructor(readonly task: string, readonly ms: number) {
    super(`${task} waited ${(ms / 1000).toFixed(0)} s for a thread and did not run (the threads are inside runs that overran)`);
    this.name = 'TaskNotStartedError';
  }
}

/** The worker thread died (a crash, out of memory) while running the task. */
export class WorkerCrashedError extends Error {
  readonly code = 'worker_crashed';
  constructor(readonly task: string, detail: string) {
    super(`the worker running ${task} stopped unexpectedly (${detail})`);
    this.name = 'WorkerCrashedError';
  }
}

export class TaskCancelledError extends Error {
  readonly code = 'cancelled';
  constructor(readonly task: string) {
    super(`${task} was cancelled`);
    this.name = 'TaskCancelledError';
  }
}

/**
 * Where a worker entry lives: `<name>.cjs` beside the bundle when the caller was bundled (the
 * packaged app), or `<name>.ts` beside the calling source file, bundled on first use (source-entry.ts).
 */
export interface WorkerEntry {
  /** The file a thread starts from (resolved once). */
  file(): Promise<string>;
}

export function workerEntry(callerFile: string, name: string): WorkerEntry {
  const dir = path.dirname(callerFile);
  if (callerFile.endsWith('.cjs')) {
    const file = path.join(dir, `${name}.cjs`);
    return { file: async () => file };
  }
  const source = path.join(dir, `${name}.ts`);
  return { file: () => bundleWorkerEntry(source) };
}

/** What a pool's thread is started with. */
interface ThreadData {
  nestedEntries: Record<string, string>;
}

/**
 * In a pool's thread: the entry of a thread it starts itself, as its pool's `nestedEntries` named it
 * (null when it did not: the thread then does without).
 */
export function entryFromParent(name: string): WorkerEntry | null {
  const file = (workerData as Partial<ThreadData> | null)?.nestedEntries?.[name];
  return file ? { file: async () => file } : null;
}

export interface WorkerPoolOptions {
  /** For logs and errors. */
  name: string;
  entry: WorkerEntry;
  /** Threads at most. */
  size: number;
  /** Tasks a thread runs at once (more than one for tasks that mostly wait on I/O). */
  tasksPerWorker?: number;
  /** Threads idle this long are stopped. */
  idleMs?: number;
  resourceLimits?: ResourceLimits;
  /**
   * Never terminate a thread while a task runs on it: onnxruntime-node aborts the whole process when
   * its thread is terminated inside session.run (a native call that cannot be interrupted). A task
   * that overruns its time fails at once and its thread is retired: it takes no other task, and is
   * stopped when the task returns; a new thread takes the next tasks meanwhile.
   */
  stopOnlyBetweenTasks?: boolean;
  /**
   * How long close() waits for such threads to return (15 s: less than a service manager waits
   * before it kills, Docker 10 s after its own grace, systemd 90 s; it was 60 s).
   */
  closeWaitMs?: number;
  /**
   * What a new thread may take to start (its entry prepared, its modules loaded) before its first
   * task's time limit begins anyway (30 s): a thread that never takes the task up still ends it.
   */
  startAllowanceMs?: number;
  /** What such a task is, in the log's words ("model run"; default "task"). */
  taskNoun?: string;
  /**
   * Entries of the threads these threads start themselves (entryFromParent): resolved here, where
   * the sources are known (a thread started from the sources runs a bundle that does not know them).
   */
  nestedEntries?: Record<string, WorkerEntry>;
}

export interface RunOptions<P> {
  signal?: AbortSignal;
  /** Stop the task (and its thread) after this long. */
  timeoutMs?: number;
  onProgress?: (value: P) => void;
  /**
   * In a pool that stops threads only between tasks: a task still running after this long has its
   * thread set aside (it takes no other task, and a new thread takes what waits, as beside an overrun
   * one) and `onAside` is called; the task still ends with its result, or fails at `timeoutMs`. For a
   * task that may be slow and cannot be interrupted (a model's check): what waits behind it goes on.
   */
  asideAfterMs?: number;
  onAside?: () => void;
}

interface Job {
  id: number;
  task: string;
  input: unknown;
  options: RunOptions<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
  asideTimer?: NodeJS.Timeout;
  thread?: Thread;
  attempts: number;
  onAbort?: () => void;
}

interface Thread {
  /** Null while the entry file is being prepared. */
  worker: Worker | null;
  /** Jobs handed to the thread before it started, sent when it has. */
  waiting: ToWorker[];
  jobs: Map<number, Job>;
  /** Tasks sent to the thread that it has not answered yet (a cancelled or overrun one included). */
  inFlight: Set<number>;
  idleTimer?: NodeJS.Timeout;
  stopping: boolean;
  /** It has taken a task up ('started'): started, its modules loaded. */
  ready?: boolean;
}

/** Pools closed with threads still inside a task that cannot be interrupted (see threadsLeftInsideTasks). */
const closedWithTasksLeft = new Set<{ readonly retiringCount: number }>();

/**
 * Threads of closed pools still inside a task that cannot be interrupted (a model run in
 * onnxruntime's session.run): a process that exits normally meanwhile is aborted when Node stops
 * those threads ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT, a core
 * dump). The command line then ends the process by a signal instead (main/service/end-process.ts).
 */
export function threadsLeftInsideTasks(): number {
  let left = 0;
  for (const pool of closedWithTasksLeft) left += pool.retiringCount;
  return left;
}

export class WorkerPool<T extends TaskTable> {
  private readonly threads = new Set<Thread>();
  private readonly retiring = new Set<Thread>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Threads running now (for tests and status). */
  get threadCount(): number {
    return this.threads.size;
  }

  /** Threads retired with a task still running on them (stopOnlyBetweenTasks), stopped when it returns. */
  get retiringCount(): number {
    return this.retiring.size;
  }

  run<K extends TaskName<T>>(task: K, input: TaskInput<T, K>, options: RunOptions<TaskProgress<T, K>> = {}): Promise<TaskResult<T, K>> {
    if (this.closed) return Promise.reject(new Error(`the ${this.options.name} workers are closed`));
    if (options.signal?.aborted) return Promise.reject(new TaskCancelledError(task));
    return new Promise<TaskResult<T, K>>((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, input, options: options as RunOptions<unknown>, resolve: resolve as (v: unknown) => void, reject, attempts: 0 };
      if (options.signal) {
        job.onAbort = () => this.cancel(job);
        options.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
      // a pool that never stops a thread mid-task: a task that no thread takes within its time limit
      // (its threads are inside overrun tasks, which may run for hours) fails as overrun, not waits on
      if (this.options.stopOnlyBetweenTasks && options.timeoutMs && this.queue.includes(job)) {
        job.timer = setTimeout(() => {
          const queued = this.queue.indexOf(job);
          if (queued < 0) return;
          this.queue.splice(queued, 1);
          log.warn(`${this.options.name}: ${task} waited ${options.timeoutMs} ms for a thread (those there are inside overrun tasks)`);
          this.settle(job, new TaskNotStartedError(task, options.timeoutMs!));
        }, options.timeoutMs);
      }
    });
  }

  /** Rejects queued tasks, stops every thread. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new Error(`the ${this.options.name} workers are closed`));
    await Promise.all([...this.threads].map((t) => this.stop(t, new Error(`the ${this.options.name} workers are closed`))));
    // threads still inside a task that cannot be stopped (stopOnlyBetweenTasks): a process that exits
    // meanwhile is aborted by that task's return, so closing waits for them a while (not for ever: a
    // model may run for minutes)
    const waitMs = this.options.closeWaitMs ?? 15_000;
    const until = Date.now() + waitMs;
    const noun = this.options.taskNoun ?? 'task';
    // said before the wait, not after it: a service stopped here seems hung otherwise
    if (this.retiring.size) log.info(`${this.options.name}: waiting up to ${Math.round(waitMs / 1000)} s for ${this.retiring.size} thread(s) inside a ${noun} that cannot be interrupted`);
    while (this.retiring.size && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (this.retiring.size) {
      log.warn(`${this.options.name}: ${this.retiring.size} ${noun}(s) could not be waited for at close (still running after ${Math.round(waitMs / 1000)} s); not waited for further`);
      closedWithTasksLeft.add(this);
    }
    for (const thread of this.retiring) thread.worker?.unref();
  }

  private pump(): void {
    const perThread = this.options.tasksPerWorker ?? 1;
    // a thread that cannot be stopped mid-task is busy while a task it was sent runs, even one that
    // was cancelled meanwhile: a new task sent there would wait behind it, its time limit running
    const busy = this.options.stopOnlyBetweenTasks ? (t: Thread) => t.inFlight.size : (t: Thread) => t.jobs.size;
    while (this.queue.length) {
      let thread = [...this.threads].find((t) => !t.stopping && busy(t) < perThread);
      if (!thread) {
        // one retired thread still inside its overrun task is let run beside a new one (a slow model
        // must not hold every other back); more are not: a model that overruns every time would
        // otherwise pile up runs that each take every core and a copy of the model
        if (this.threads.size >= this.options.size || this.threads.size + Math.max(0, this.retiring.size - 1) >= this.options.size) {
          // what waits keeps the process alive until a busy thread returns and takes it
          for (const t of [...this.threads, ...this.retiring]) if (t.inFlight.size) t.worker?.ref();
          return;
        }
        thread = this.spawn();
      }
      const job = this.queue.shift()!;
      this.start(thread, job);
    }
  }

  private spawn(): Thread {
    const thread: Thread = { worker: null, waiting: [], jobs: new Map(), inFlight: new Set(), stopping: false };
    this.threads.add(thread);
    const nested = Object.entries(this.options.nestedEntries ?? {});
    Promise.all([this.options.entry.file(), ...nested.map(([, entry]) => entry.file())]).then(([file, ...nestedFiles]) => {
      if (thread.stopping) return;
      const workerData: ThreadData = { nestedEntries: Object.fromEntries(nested.map(([name], i) => [name, nestedFiles[i]!])) };
      // execArgv: [] — the entry is plain JavaScript; a thread must not load the parent's TypeScript loader (tsx), which costs ~0.4 s a start
      const worker = new Worker(file!, { execArgv: [], resourceLimits: this.options.resourceLimits, stdout: false, stderr: false, workerData });
      thread.worker = worker;
      worker.on('message', (message: FromWorker) => this.onMessage(thread, message));
      worker.on('error', (error) => {
        log.error(`${this.options.name} worker: ${errorForLog(error)}`);
        this.lose(thread, error.message);
      });
      worker.on('exit', (code) => this.lose(thread, `exit code ${code}`));
      for (const message of thread.waiting.splice(0)) worker.postMessage(message);
      if (!thread.jobs.size) worker.unref(); // an idle pool never keeps the process alive
    }, (error: unknown) => {
      log.error(`${this.options.name} worker could not start: ${errorForLog(error)}`);
      this.lose(thread, 'its entry could not be prepared');
    });
    return thread;
  }

  private send(thread: Thread, message: ToWorker): void {
    if (thread.worker) thread.worker.postMessage(message);
    else thread.waiting.push(message);
  }

  private start(thread: Thread, job: Job): void {
    clearTimeout(thread.idleTimer);
    clearTimeout(job.timer); // its wait in the queue ends: its run's limit starts
    job.thread = thread;
    job.attempts++;
    thread.jobs.set(job.id, job);
    thread.inFlight.add(job.id);
    thread.worker?.ref();
    this.armLimit(thread, job);
    if (job.options.asideAfterMs !== undefined && this.options.stopOnlyBetweenTasks) {
      job.asideTimer = setTimeout(() => this.setAside(thread, job), job.options.asideAfterMs);
      job.asideTimer.unref();
    }
    this.send(thread, { type: 'run', id: job.id, task: job.task, input: job.input });
  }

  /**
   * The task's time limit, from now: from when the thread takes it up ('started'). A new thread's
   * start (its entry prepared, its modules loaded: onnxruntime-node's alone takes a second on a loaded
   * machine) counted against the task, and a model's run could be stopped as overrun before it began.
   * Sent to a thread not started yet, the limit runs with the start's allowance on top, so that a
   * thread that never takes it up still ends it.
   */
  private armLimit(thread: Thread, job: Job): void {
    if (!job.options.timeoutMs) return;
    clearTimeout(job.timer);
    const allowance = thread.ready ? 0 : this.options.startAllowanceMs ?? 30_000;
    job.timer = setTimeout(() => {
      const retire = this.options.stopOnlyBetweenTasks;
      log.warn(`${this.options.name}: ${job.task} overran ${job.options.timeoutMs} ms; ${retire ? 'its thread takes no other task, and stops once it returns' : 'stopping its thread'}`);
      thread.jobs.delete(job.id);
      this.settle(job, new TaskTimeoutError(job.task, job.options.timeoutMs!));
      if (retire) this.send(thread, { type: 'cancel', id: job.id }); // a task that looks at its signal between steps ends sooner
      if (thread.stopping) thread.worker?.unref(); // set aside before (asideAfterMs): nothing waits on it now
      void this.stop(thread, null);
    }, job.options.timeoutMs + allowance);
  }

  /** The thread of a task that runs long kept for that task alone (asideAfterMs); the others go on. */
  private setAside(thread: Thread, job: Job): void {
    if (thread.stopping || !thread.jobs.has(job.id)) return;
    // its thread still starting: the task has not begun, its patience starts again (set aside then, the
    // thread was never started, and the task waited for ever: a test with a patience of 1 ms)
    if (thread.worker === null) {
      job.asideTimer = setTimeout(() => this.setAside(thread, job), job.options.asideAfterMs);
      job.asideTimer.unref();
      return;
    }
    // only where another thread may then start (one retired thread beside a new one, as for an
    // overrun): otherwise nothing would go on meanwhile, and the task keeps its thread
    if (this.retiring.size > 0 && this.threads.size + this.retiring.size >= this.options.size) return;
    log.info(`${this.options.name}: ${job.task} runs past ${job.options.asideAfterMs} ms; its thread takes no other task meanwhile`);
    thread.stopping = true;
    clearTimeout(thread.idleTimer);
    this.threads.delete(thread);
    this.retiring.add(thread);
    job.options.onAside?.();
    this.pump();
  }

  private onMessage(thread: Thread, message: FromWorker): void {
    if (message.type === 'started') {
      thread.ready = true;
      const job = thread.jobs.get(message.id);
      if (job) this.armLimit(thread, job);
      return;
    }
    if (message.type !== 'progress') {
      thread.inFlight.delete(message.id);
      // a retired thread whose last task returned can be stopped now (and a new one may start)
      if (thread.stopping && thread.inFlight.size === 0 && this.retiring.delete(thread)) {
        void thread.worker?.terminate();
        this.pump();
      }
    }
    const job = thread.jobs.get(message.id);
    if (!job) {
      // cancelled or timed out meanwhile: the thread is free now for what waits
      if (message.type !== 'progress' && !thread.stopping) this.pump();
      return;
    }
    if (message.type === 'progress') {
      job.options.onProgress?.(message.value);
      return;
    }
    thread.jobs.delete(job.id);
    if (message.type === 'result') this.settle(job, null, message.value);
    else this.settle(job, new WorkerTaskError(message.error));
    this.afterJob(thread);
  }

  private afterJob(thread: Thread): void {
    if (thread.jobs.size === 0) {
      thread.worker?.unref();
      thread.idleTimer = setTimeout(() => void this.stop(thread, null), this.options.idleMs ?? 10_000);
      thread.idleTimer.unref();
    }
    this.pump();
  }

  private cancel(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const thread = job.thread;
    if (thread?.jobs.delete(job.id)) {
      this.send(thread, { type: 'cancel', id: job.id });
      this.afterJob(thread);
    }
    this.settle(job, new TaskCancelledError(job.task));
  }

  private settle(job: Job, error: unknown, value?: unknown): void {
    clearTimeout(job.timer);
    clearTimeout(job.asideTimer);
    if (job.onAbort) job.options.signal?.removeEventListener('abort', job.onAbort);
    if (error) job.reject(error);
    else job.resolve(value);
  }

  /** Stops a thread; its other jobs go back to the queue (once), or fail with `error` when given. */
  private async stop(thread: Thread, error: Error | null): Promise<void> {
    if (thread.stopping) return;
    thread.stopping = true;
    clearTimeout(thread.idleTimer);
    this.threads.delete(thread);
    this.requeue(thread, error);
    // (a thread whose worker has not started yet runs nothing: stopped at once)
    if (this.options.stopOnlyBetweenTasks && thread.inFlight.size > 0 && thread.worker !== null) {
      // terminated once its last task returns (onMessage); it must not keep the process alive meanwhile
      this.retiring.add(thread);
      thread.worker?.unref();
      this.pump();
      return;
    }
    await thread.worker?.terminate();
    this.pump();
  }

  /** The thread died by itself. */
  private lose(thread: Thread, detail: string): void {
    if (this.retiring.delete(thread)) this.pump();
    if (thread.stopping) return;
    thread.stopping = true;
    this.threads.delete(thread);
    for (const job of thread.jobs.values()) this.settle(job, new WorkerCrashedError(job.task, detail));
    thread.jobs.clear();
    this.pump();
  }

  private requeue(thread: Thread, error: Error | null): void {
    for (const job of thread.jobs.values()) {
      clearTimeout(job.timer);
      if (error || job.attempts >= 2) this.settle(job, error ?? new WorkerCrashedError(job.task, 'its thread was stopped twice'));
      else this.queue.unshift(job);
    }
    thread.jobs.clear();
  }
}
