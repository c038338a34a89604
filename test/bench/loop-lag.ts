// The main event loop's lag while a task runs, for the benchmarks that measure it (import, ai).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * Samples the main event loop while `task` runs: the worst and 99th-percentile lag, and, to tell
 * our own work from the machine's, the longest stretch the loop spent running JavaScript between
 * two 5 ms ticks (event-loop utilisation; a late tick with little activity was the operating
 * system's scheduling, e.g. both cores busy copying and hashing).
 */
export async function loopLag<T>(task: () => Promise<T>): Promise<{ result: T; maxMs: number; p99Ms: number; busyMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let busyMs = 0;
  let last = performance.eventLoopUtilization();
  const ticker = setInterval(() => {
    const now = performance.eventLoopUtilization();
    busyMs = Math.max(busyMs, now.active - last.active);
    last = now;
  }, 5);
  try {
    const result = await task();
    return { result, maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, busyMs };
  } finally {
    clearInterval(ticker);
    histogram.disable();
  }
}
