// Starts a worker entry from the TypeScript sources (tests, the command line): registers tsx in
// this thread, then loads the entry named by the pool. The packaged application starts the
// bundled *.worker.cjs files instead and never loads this file.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.binomeWorkerEntry, import.meta.url);
