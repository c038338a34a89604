// npm run bench [-- worklist|import|demo|viewer|pixels|ai|receive]: benchmarks that print figures; never part of the tests.

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
// each benchmark's modules are loaded when it runs: `bench -- ai` needs neither the browser nor the database
if (all || which.includes('worklist')) await (await import('./worklist.ts')).benchWorklist(Number(process.env.BENCH_EXAMS ?? 100_000));
if (all || which.includes('import')) await (await import('./import.ts')).benchImport(Number(process.env.BENCH_IMPORT_EXAMS ?? 8));
if (all || which.includes('demo')) await (await import('./demo.ts')).benchDemo(Number(process.env.BENCH_DEMO_EXAMS ?? 4));
if (all || which.includes('viewer')) await (await import('./viewer.ts')).benchViewer(Number(process.env.BENCH_VIEWER_PATIENTS ?? 3));
if (all || which.includes('pixels')) await (await import('./pixels.ts')).benchPixels();
if (all || which.includes('ai')) await (await import('./ai.ts')).benchAi();
if (all || which.includes('receive')) await (await import('./receive.ts')).benchReceive();
