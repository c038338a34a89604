import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskCancelledError, TaskNotStartedError, TaskTimeoutError, WorkerCrashedError, WorkerPool, WorkerTaskError, workerEntry } from '../../main/workers/pool.ts';
import type { SampleTasks } from '../helpers/sample.worker.ts';

const entry = workerEntry(new URL('../helpers/x.ts', import.meta.url).pathname, 'sample.worker');
const pool = (size = 2, tasksPerWorker = 1) => new WorkerPool<SampleTasks>({ name: 'sample', entry, size, tasksPerWorker, idleMs: 200 });
/** One thread that is never stopped mid-task (as onnxruntime's must not be). */
const unstoppablePool = () => new WorkerPool<SampleTasks>({ name: 'sample', entry, size: 1, tasksPerWorker: 1, idleMs: 200, stopOnlyBetweenTasks: true });

test('tasks run on worker threads, never the main one, and results come back typed', async () => {
  const p = pool();
  try {
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((text) => p.run('echo', { text })));
    assert.deepEqual(results.map((r) => r.text), ['a', 'b', 'c', 'd']);
    assert.ok(results.every((r) => r.threadId > 0), 'ran off the main thread');
    assert.ok(new Set(results.map((r) => r.threadId)).size <= 2, 'at most the pool size');
  } finally {
    await p.close();
  }
});

test('progress reaches the caller before the result', async () => {
  const p = pool(1);
  try {
    const seen: number[] = [];
    const result = await p.run('count', { to: 5 }, { onProgress: ({ at }) => seen.push(at) });
    assert.equal(result, 5);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  } finally {
    await p.close();
  }
});

test('a task error keeps its code and data', async () => {
  const p = pool(1);
  try {
    await assert.rejects(p.run('fail', { code: 'damaged' }), (e: unknown) => {
      assert.ok(e instanceof WorkerTaskError);
      assert.equal(e.code, 'damaged');
      assert.deepEqual(e.data, { detail: 42 });
      assert.equal(e.message, 'failed with damaged');
      return true;
    });
    assert.equal((await p.run('echo', { text: 'still here' })).text, 'still here');
  } finally {
    await p.close();
  }
});

test('a task past its time limit is stopped with its thread; the pool goes on, and the main loop never waited', async () => {
  const p = pool(1);
  try {
    let maxLag = 0;
    let last = performance.now();
    const ticker = setInterval(() => { const now = performance.now(); maxLag = Math.max(maxLag, now - last - 5); last = now; }, 5);
    const started = performance.now();
    await assert.rejects(p.run('spin', { ms: 60_000 }, { timeoutMs: 300 }), TaskTimeoutError);
    clearInterval(ticker);
    assert.ok(performance.now() - started < 5_000, 'stopped soon after its limit');
    assert.ok(maxLag < 250, `the main event loop kept turning (worst lag ${maxLag.toFixed(0)} ms)`);
    assert.equal((await p.run('echo', { text: 'after' })).text, 'after');
  } finally {
    await p.close();
  }
});

test('a pool that never stops a thread mid-task (onnxruntime\'s): an overrun task fails at its limit, its thread takes nothing else and stops when the task returns; a new thread takes the next', async () => {
  const p = unstoppablePool();
  try {
    const started = performance.now();
    const spinning = (await p.run('echo', { text: 'which thread' })).threadId;
    await assert.rejects(p.run('spin', { ms: 1500 }, { timeoutMs: 300 }), TaskTimeoutError);
    assert.ok(performance.now() - started < 1400, 'failed at its limit, not when the task returned');
    assert.equal(p.retiringCount, 1, 'its thread still runs the task');
    const next = await p.run('echo', { text: 'next' });
    assert.notEqual(next.threadId, spinning, 'the next task ran on another thread');
    const until = Date.now() + 10_000;
    while (p.retiringCount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.retiringCount, 0, 'stopped once its task returned');
  } finally {
    await p.close();
  }
});

test('overrun tasks do not pile up: one retired thread may run beside a new one, a second waits until one returns', async () => {
  const p = unstoppablePool();
  try {
    const started = performance.now();
    await assert.rejects(p.run('spin', { ms: 1500 }, { timeoutMs: 200 }), TaskTimeoutError);
    await assert.rejects(p.run('spin', { ms: 1500 }, { timeoutMs: 200 }), TaskTimeoutError);
    assert.equal(p.retiringCount, 2, 'both overrun threads still inside their tasks');
    const next = await p.run('echo', { text: 'after one returns' });
    assert.equal(next.text, 'after one returns');
    assert.ok(performance.now() - started > 1400, `the third task waited for the first overrun task to return (${(performance.now() - started).toFixed(0)} ms)`);
    assert.ok(p.retiringCount <= 1, 'a third thread was not started beside two overrun ones');
    // a task with a time limit that no thread takes within it fails, not waits on
    await assert.rejects(p.run('spin', { ms: 3000 }, { timeoutMs: 200 }), TaskTimeoutError);
    await assert.rejects(p.run('spin', { ms: 3000 }, { timeoutMs: 200 }), TaskTimeoutError);
    const waited = performance.now();
    // said as what it is: it never ran (it read "took longer than … and was stopped")
    await assert.rejects(p.run('echo', { text: 'no thread for it' }, { timeoutMs: 400 }), (e: Error) => e instanceof TaskNotStartedError && /waited 0 s for a thread and did not run/.test(e.message));
    assert.ok(performance.now() - waited < 1500, `failed at its limit (${(performance.now() - waited).toFixed(0)} ms), not when a thread came free`);
  } finally {
    await p.close();
  }
});

test('a task\'s time limit counts from when its thread takes it up, not from the thread\'s start (a slow start stopped a model\'s run as overrun before it began); a thread that never starts still ends it at the limit', async () => {
  const slowEntry = { file: async () => { await new Promise((r) => setTimeout(r, 900)); return entry.file(); } };
  const slow = new WorkerPool<SampleTasks>({ name: 'sample', entry: slowEntry, size: 1, tasksPerWorker: 1, idleMs: 200 });
  try {
    assert.equal((await slow.run('echo', { text: 'after a slow start' }, { timeoutMs: 500 })).text, 'after a slow start');
    // and once it runs, the limit holds
    await assert.rejects(slow.run('spin', { ms: 5_000 }, { timeoutMs: 300 }), TaskTimeoutError);
  } finally {
    await slow.close();
  }
  const never = new WorkerPool<SampleTasks>({ name: 'sample', entry: { file: () => new Promise<string>(() => undefined) }, size: 1, tasksPerWorker: 1, idleMs: 200, startAllowanceMs: 400 });
  try {
    const started = performance.now();
    await assert.rejects(never.run('echo', { text: 'no thread' }, { timeoutMs: 300 }), TaskTimeoutError);
    assert.ok(performance.now() - started >= 650, 'ended at its limit and the start\'s allowance');
  } finally {
    await never.close();
  }
});

test('a long task set aside (asideAfterMs) runs on beside the next, and still ends with its result, even when its patience ran out before its thread had started', async () => {
  const p = unstoppablePool();
  try {
    const aside: string[] = [];
    // patience 0: set aside while its thread is still starting (once, that thread was never started and the task never ended)
    const first = p.run('spin', { ms: 800 }, { asideAfterMs: 0, onAside: () => aside.push('first') });
    const second = p.run('echo', { text: 'beside it' }, { timeoutMs: 5000 });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(b.text, 'beside it');
    assert.ok(a !== undefined, 'the task set aside ended with its result');
    assert.deepEqual(aside, ['first']);
    const until = Date.now() + 5000;
    while (p.retiringCount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.retiringCount, 0, 'its thread stopped once it returned');
  } finally {
    await p.close();
  }
});

test('a pool that never stops a thread mid-task sends nothing to a thread still inside a cancelled task (the next task\'s limit would run while it waits)', async () => {
  const p = unstoppablePool();
  try {
    const abort = new AbortController();
    const spinning = p.run('spin', { ms: 1200 }, { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    await assert.rejects(spinning, TaskCancelledError);
    // sent to the spinning thread at once, it would wait ~900 ms there and overrun its 600 ms
    const next = await p.run('echo', { text: 'next' }, { timeoutMs: 600 });
    assert.equal(next.text, 'next');
  } finally {
    await p.close();
  }
});

test('other tasks of a stopped thread run again elsewhere', async () => {
  const p = pool(1, 2);
  try {
    const slow = p.run('spin', { ms: 60_000 }, { timeoutMs: 400 });
    const bystander = p.run('spin', { ms: 50 });
    await assert.rejects(slow, TaskTimeoutError);
    assert.equal(await bystander, 'spun');
  } finally {
    await p.close();
  }
});

test('a crashed thread fails its task with a clear error, and a new thread takes the next', async () => {
  const p = pool(1);
  try {
    await assert.rejects(p.run('crash', {}), (e: unknown) => e instanceof WorkerCrashedError && /exit code 7/.test(e.message));
    assert.equal((await p.run('echo', { text: 'next' })).text, 'next');
  } finally {
    await p.close();
  }
});

test('cancelling rejects at once, queued or running, and the task is told', async () => {
  const p = pool(1);
  try {
    const controller = new AbortController();
    const running = p.run('waitForCancel', {}, { signal: controller.signal });
    const queued = p.run('echo', { text: 'queued' }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await assert.rejects(running, TaskCancelledError);
    await assert.rejects(queued, TaskCancelledError);
    assert.equal((await p.run('echo', { text: 'fresh' })).text, 'fresh');
  } finally {
    await p.close();
  }
});

test('idle threads stop by themselves; close rejects what is still queued', async () => {
  const p = pool(1);
  await p.run('echo', { text: 'x' });
  assert.equal(p.threadCount, 1);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(p.threadCount, 0);
  const pending = assert.rejects(p.run('spin', { ms: 200 }), /closed/);
  const queued = assert.rejects(p.run('echo', { text: 'never' }), /closed/);
  await p.close();
  await Promise.all([pending, queued]);
});
