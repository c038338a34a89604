// A model folder's check (its contract, checksum, opening it, its trial runs: model-package.ts) in a
// process of its own, started by model-check-process.ts, which it answers once and then ends. In the
// station's own process, a check could not be stopped: onnxruntime's session.run cannot be
// interrupted, so a model whose trial never ended kept a core busy until the station stopped, and a
// model whose trial took 4–5 GB (a 746-byte file: a probe) took that from the station. Here a check
// past its time is killed with its process, a check past its memory kills itself (below), and a
// runtime that crashes on a hostile file takes only this process down.
//
// Message in (once): { modelFolder, providers?, memoryLimitBytes }. Message out (once):
// { checked: ModelCheckResult, workingBytes }. A check past its memory limit writes
// MEMORY_LIMIT_LINE on stderr and kills its own process.

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkModelFolder } from './model-package.ts';
import { providerExistsOn } from './execution-provider.ts';
import type { ModelCheckResult } from './ai-tasks.ts';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import { MEMORY_LIMIT_LINE, MEMORY_REPORT_LINE } from './model-check-limits.ts';

interface CheckRequest { modelFolder: string; providers?: ExecutionProvider[]; memoryLimitBytes: number }

// after the station's own threads, as the AI thread is (inference.worker.ts)
try { os.setPriority(0, Math.min(19, os.getPriority(0) + 10)); } catch { /* not allowed */ }

/**
 * Watches this process from a thread of its own (the main thread sits inside session.run, which holds
 * it for the whole trial), every 20 ms: past `limit` bytes of memory over `base` it says so (those
 * bytes) on stderr and kills the process; and where the station that started it is gone (killed: it
 * could not kill its checks), it ends too, rather than run a trial no one waits for on a core of its
 * own for good. The runtime's memory grows in large blocks, each kept while the run lasts, so a
 * sample misses none that matters.
 */
function watchTrial(base: number, limit: number): void {
  const watcher = new Worker(`
    const { workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const parent = workerData.parent;
    const parentAlive = () => {
      if (process.ppid !== parent) return false; // adopted by another (Linux, macOS)
      try { process.kill(parent, 0); return true; } catch (error) { return error.code === 'EPERM'; }
    };
    let tick = 0;
    setInterval(() => {
      const rss = process.memoryUsage.rss();
      // (a write the station cannot take: it is gone)
      const say = (line) => { try { fs.writeSync(2, line + '\\n'); } catch { process.kill(process.pid, 'SIGKILL'); } };
      if (rss > workerData.base + workerData.limit) {
        say(workerData.line + ' ' + (rss - workerData.base));
        process.kill(process.pid, 'SIGKILL');
      }
      // what it holds, every 0.1 s: the station weighs the checks running at once together
      if (++tick % 5 === 0) say(workerData.report + ' ' + Math.max(0, rss - workerData.base));
      if (tick % 10 === 0 && !parentAlive()) process.kill(process.pid, 'SIGKILL');
    }, 20);`, { eval: true, workerData: { base, limit, line: MEMORY_LIMIT_LINE, report: MEMORY_REPORT_LINE, parent: STARTED_BY } });
  watcher.unref();
}

/**
 * The station that started this process, as it was when this file loaded: taken when the watch began,
 * a station killed between sending the request and the watch's start was missed (the process, adopted
 * already, took its new parent for the station and ran its trial to the end).
 */
const STARTED_BY = process.ppid;

/** Electron's utility process speaks through process.parentPort, a Node child through process.send. */
interface ParentPort { once(event: 'message', listener: (event: { data: unknown }) => void): void; postMessage(message: unknown): void }
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function onRequest(handle: (request: CheckRequest) => Promise<unknown>): void {
  const answer = (request: CheckRequest) => {
    handle(request).then((reply) => {
      if (parentPort) {
        parentPort.postMessage(reply);
        // (its port has no "sent" callback: the parent takes the answer and the process ends soon after)
        setTimeout(() => process.exit(0), 1000);
      } else {
        process.send!(reply, () => process.exit(0));
      }
    }, (error: unknown) => {
      process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
      process.exit(70);
    });
  };
  if (parentPort) parentPort.once('message', (event) => answer(event.data as CheckRequest));
  else process.once('message', (message) => answer(message as CheckRequest));
}

onRequest(async (message) => {
  // what the process holds before the model: Node and the runtime's library, loaded with this file
  const before = process.memoryUsage.rss();
  watchTrial(before, message.memoryLimitBytes);
  const checked = await checkModelFolder(message.modelFolder, { providers: message.providers });
  let result: ModelCheckResult;
  if (!checked.ok) {
    result = { folder: checked.folder, problem: checked.problem, provider: null, manifest: null, manifestSha256: null };
  } else {
    await checked.model.opened.session.release();
    // (a provider this platform never has was not tried: DirectML on Linux is not said to have failed)
    result = { folder: checked.model.folder, problem: null, provider: checked.model.opened.provider, fallbacks: checked.model.opened.fallbacks.filter((f) => providerExistsOn(f.provider)),
      manifest: checked.model.manifest, manifestSha256: checked.model.manifestSha256 };
  }
  // the most it held, less what it held before (resourceUsage's maxRSS is in kilobytes)
  const workingBytes = Math.max(0, process.resourceUsage().maxRSS * 1024 - before);
  return { checked: result, workingBytes };
});
