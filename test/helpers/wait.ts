// Waiting in a test for something the station does in the background (an analysis, a report read).

/** Resolves with the probe's first truthy answer (polled every 100 ms); throws after `ms`, naming what was awaited. */
export async function waitFor<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 180_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
