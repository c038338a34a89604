// onnxruntime-node (since 1.29) sends usage telemetry from Linux and macOS too: each process that
// opens a model writes a device identifier and an event database under
// ~/.cache/Microsoft/DeveloperTools/.onnxruntime, leaves an empty mat-debug-<pid>.log and a .ses file
// in the temporary folder for good, and tries HTTPS uploads. The station is offline and leaves
// nothing behind: ORT_DISABLE_TELEMETRY=1 turns all of it off, read when the runtime makes its
// environment (the first session of the process). It must be in the process's own environment, set
// from the main thread: a worker thread's process.env is a copy the runtime's getenv never sees.

/** Turns the runtime's telemetry off for this process and the worker threads it starts from now on. */
export function keepOnnxRuntimeOffline(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}
