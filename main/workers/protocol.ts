// The messages between the main process and its worker threads: one discriminated union each way,
// with a sequence id per task (Signal's SQL workers speak this way). A worker serves a table of
// named tasks; the table's type says each task's input, result and progress payload, so both
// sides are checked against one declaration.

/** A worker's task table: task name → its input, result and progress payload. */
export type TaskTable = Record<string, { input: unknown; result: unknown; progress?: unknown }>;

export type TaskName<T extends TaskTable> = keyof T & string;
export type TaskInput<T extends TaskTable, K extends TaskName<T>> = T[K]['input'];
export type TaskResult<T extends TaskTable, K extends TaskName<T>> = T[K]['result'];
export type TaskProgress<T extends TaskTable, K extends TaskName<T>> = T[K] extends { progress: infer P } ? P : never;

export type ToWorker =
  | { type: 'run'; id: number; task: string; input: unknown }
  | { type: 'cancel'; id: number };

/** An error as it crosses the thread boundary: its class name, message and a machine-readable code. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** Extra, structured detail (e.g. an import problem's code and parameters). */
  data?: unknown;
}

export type FromWorker =
  /** The thread took the task up: its time limit counts from here, not from the thread's start. */
  | { type: 'started'; id: number }
  | { type: 'progress'; id: number; value: unknown }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError };

/** What a task handler receives besides its input. */
export interface TaskContext<P> {
  /** Aborted when the caller cancels the task. */
  signal: AbortSignal;
  progress(value: P): void;
}

export type TaskHandlers<T extends TaskTable> = {
  [K in TaskName<T>]: (input: TaskInput<T, K>, context: TaskContext<TaskProgress<T, K>>) => Promise<TaskResult<T, K>>;
};

/** An error a task throws on purpose, carrying a code and data that survive the trip to the caller. */
export class TaskError extends Error {
  constructor(message: string, readonly code: string, readonly data?: unknown) {
    super(message);
    this.name = 'TaskError';
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof TaskError) return { name: error.name, message: error.message, code: error.code, data: error.data };
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as NodeJS.ErrnoException).code };
  return { name: 'Error', message: String(error) };
}
