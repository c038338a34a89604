// A worker entry for the runner's tests: tasks that answer, report progress, fail with a code,
// spin past their time limit, crash their thread, or wait for cancellation.
import { threadId } from 'node:worker_threads';
import { serveTasks } from '../../main/workers/serve.ts';
import { TaskError } from '../../main/workers/protocol.ts';

export type SampleTasks = {
  echo: { input: { text: string }; result: { text: string; threadId: number } };
  count: { input: { to: number }; result: number; progress: { at: number } };
  fail: { input: { code: string }; result: never };
  spin: { input: { ms: number }; result: string };
  crash: { input: Record<string, never>; result: never };
  waitForCancel: { input: Record<string, never>; result: string };
};

serveTasks<SampleTasks>({
  echo: async ({ text }) => ({ text, threadId }),
  count: async ({ to }, { progress }) => {
    for (let i = 1; i <= to; i++) progress({ at: i });
    return to;
  },
  fail: async ({ code }) => { throw new TaskError(`failed with ${code}`, code, { detail: 42 }); },
  spin: async ({ ms }) => {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* a synchronous loop that only terminating the thread stops */ }
    return 'spun';
  },
  crash: async () => process.exit(7),
  waitForCancel: async (_input, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve('noticed'))),
});
