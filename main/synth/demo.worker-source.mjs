// Worker entry when running from the TypeScript sources (tests, the command line): registers tsx in
// this thread, then loads the worker. The packaged app uses the bundled demo.worker.cjs instead.
import { register } from 'tsx/esm/api';

register();
await import('./demo.worker.ts');
