// npm run bench [-- worklist|import|demo|viewer|pixels|ai|receive]: benchmarks that print figures; never part of the tests.
import { benchWorklist } from './worklist.ts';
import { benchImport } from './import.ts';
import { benchDemo } from './demo.ts';
import { benchViewer } from './viewer.ts';
import { benchPixels } from './pixels.ts';
import { benchAi } from './ai.ts';
import { benchReceive } from './receive.ts';

import { log } from '../../main/base/log.ts';

log.setLevel(process.env.BINOME_LOG_LEVEL === 'debug' ? 'debug' : 'warn'); // figures only, no per-job lines
const which = process.argv.slice(2);
const all = which.length === 0;
const NAMES = ['worklist', 'import', 'demo', 'viewer', 'pixels', 'ai', 'receive'];
// a name it does not know ran nothing and said nothing (`bench -- aii`, `--help`): said, with the names there are
const unknown = which.filter((w) => !NAMES.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.map((u) => JSON.stringify(u)).join(', ')}\nusage: npm run bench [-- ${NAMES.join('|')} …] (none: all of them)`);
  process.exit(2);
}
// the receive benchmark re-runs itself in a private network namespace (for Orthanc): one header is enough
if (!process.env.BINOME_BENCH_QUIET_HEADER) console.log(`Binome benchmarks — node ${process.versions.node}, ${(await import('node:os')).cpus().length} cores`);
if (all || which.includes('worklist')) await benchWorklist(Number(process.env.BENCH_EXAMS ?? 100_000));
if (all || which.includes('import')) await benchImport(Number(process.env.BENCH_IMPORT_EXAMS ?? 8));
if (all || which.includes('demo')) await benchDemo(Number(process.env.BENCH_DEMO_EXAMS ?? 4));
if (all || which.includes('viewer')) await benchViewer(Number(process.env.BENCH_VIEWER_PATIENTS ?? 3));
if (all || which.includes('pixels')) await benchPixels();
if (all || which.includes('ai')) await benchAi();
if (all || which.includes('receive')) await benchReceive();
