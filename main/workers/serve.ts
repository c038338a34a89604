// The worker side of the runner: a worker entry calls serveTasks with its handlers, and this
// answers the pool's messages (run, cancel) with progress, result or error messages.

import { parentPort } from 'node:worker_threads';
import type { FromWorker, TaskHandlers, TaskTable, ToWorker } from './protocol.ts';
import { serializeError } from './protocol.ts';

export function serveTasks<T extends TaskTable>(handlers: TaskHandlers<T>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread only');
  const running = new Map<number, AbortController>();
  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    const handler = (handlers as Record<string, ((input: unknown, context: unknown) => Promise<unknown>) | undefined>)[message.task];
    if (!handler) {
      send({ type: 'error', id: message.id, error: { name: 'Error', message: `unknown task "${message.task}"`, code: 'unknown_task' } });
      return;
    }
    send({ type: 'started', id: message.id });
    const controller = new AbortController();
    running.set(message.id, controller);
    const context = { signal: controller.signal, progress: (value: unknown) => send({ type: 'progress', id: message.id, value }) };
    handler(message.input, context).then(
      (value) => send({ type: 'result', id: message.id, value }),
      (error: unknown) => send({ type: 'error', id: message.id, error: serializeError(error) }),
    ).finally(() => running.delete(message.id));
  });
}
