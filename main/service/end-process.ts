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

/** How long a command waits for a model's check past its time limit to return before it ends without it. */
export const TASKS_LEFT_WAIT_MS = 60_000;

/**
 * Once everything else is closed: where a thread is still inside a model run (a model's check past its
 * time limit), waits for that run to return, saying so, so that the process exits with the command's
 * own status. For a command whose status is its answer (`binome models`: 1 for a folder refused); a
 * server ends by endIfTasksLeft instead. Not for ever: a run still going after `limitMs` (a model that
 * never ends, an ONNX Loop of 2^62 turns, kept `binome models` and a script after it waiting for good: a
 * vendor's probe) is left as a server leaves it, the process ended by SIGTERM (exit status 143, not 0).
 * Ctrl+C ends the wait, and the process, at once (the signal's default disposition: no abort).
 */
export async function waitForTasksLeft(say: (what: 'waiting' | 'ending', seconds: number) => void, limitMs = TASKS_LEFT_WAIT_MS,
  kill?: (signal: NodeJS.Signals) => void): Promise<void> {
  if (!threadsLeftInsideTasks()) return;
  const seconds = Math.round(limitMs / 1000);
  say('waiting', seconds);
  const until = Date.now() + limitMs;
  while (threadsLeftInsideTasks() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
  if (!threadsLeftInsideTasks()) return;
  say('ending', seconds);
  await endIfTasksLeft(kill);
}
