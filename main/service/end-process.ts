// Ending a command-line process whose station has closed while a model run it could not wait for
// still runs on a worker thread (onnxruntime's session.run cannot be interrupted). Left to exit
// normally, Node stops that thread at exit and onnxruntime-node aborts the whole process
// ("terminate called after throwing an instance of 'Napi::Error'", exit 134, SIGABRT, a core dump).
// Ended by SIGTERM's default disposition instead, the process stops at once without running the
// exit path (nor C++ static destructors): exit status 143, as a service manager's stop, no abort.
import { threadsLeftInsideTasks } from '../workers/pool.ts';
import { log } from '../base/log.ts';

/** The signals a serving command stops on (Ctrl+C, a service manager's stop, the terminal closed). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Once everything else is closed: where a thread is still inside a model run, says so and ends the
 * process by SIGTERM (SIGKILL as a last resort); otherwise returns, and the process exits as usual.
 * `kill` is for tests, and for Electron, whose SIGTERM is a graceful quit (its exit path): it sends SIGKILL.
 */
export async function endIfTasksLeft(kill: (signal: NodeJS.Signals) => void = (signal) => process.kill(process.pid, signal)): Promise<void> {
  const left = threadsLeftInsideTasks();
  if (!left) return;
  log.warn(`${left} model run(s) could not be waited for: the process ends by SIGTERM without them (their analyses are queued again)`);
  // the log is written synchronously to a file, a pipe or a terminal (Linux); a turn of the loop for the rest
  await new Promise((resolve) => setImmediate(resolve));
  // the default disposition: the process ends by the signal, not through Node's exit
  for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
  kill('SIGTERM');
  // not ended (a handler put back meanwhile): SIGKILL, which nothing can catch
  await new Promise((resolve) => setTimeout(resolve, 3000));
  kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 3000));
}
