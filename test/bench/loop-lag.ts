// The main event loop's lag while a task runs, for the benchmarks that measure it (import, ai).
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The main thread's own garbage collections while the task ran: its longest pause, and its kind. */
export interface MainThreadGc { count: number; totalMs: number; longestMs: number; longestKind: string }

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'a full collection',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'a young-generation collection',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'an incremental marking step',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

/**
 * Samples the main event loop while `task` runs: the worst and 99th-percentile lag, and, to tell
 * our own work from the machine's, the longest stretch the loop spent running JavaScript between
 * two 5 ms ticks (event-loop utilisation; a late tick with little activity was the operating
 * system's scheduling, e.g. both cores busy copying and hashing), and the main thread's garbage
 * collections: V8's, not our code's, and where the worst lag came from in `bench ai` (a full
 * collection of 17–24 ms, V8 shrinking the main heap about 8 s after the start's work, while the
 * AI threads held both cores; 2026-12-06, `node --trace-gc`).
 */
export async function loopLag<T>(task: () => Promise<T>): Promise<{ result: T; maxMs: number; p99Ms: number; busyMs: number; gc: MainThreadGc }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let busyMs = 0;
  let last = performance.eventLoopUtilization();
  const ticker = setInterval(() => {
    const now = performance.eventLoopUtilization();
    busyMs = Math.max(busyMs, now.active - last.active);
    last = now;
  }, 5);
  const gc: MainThreadGc = { count: 0, totalMs: 0, longestMs: 0, longestKind: '' };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      if (entry.duration > gc.longestMs) {
        gc.longestMs = entry.duration;
        const kind = ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? -1;
        gc.longestKind = GC_KINDS[kind] ?? `kind ${kind}`;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const result = await task();
    // the observer is told of the last collections on a later tick
    await new Promise((resolve) => setImmediate(resolve));
    return { result, maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, busyMs, gc };
  } finally {
    observer.disconnect();
    clearInterval(ticker);
    histogram.disable();
  }
}
