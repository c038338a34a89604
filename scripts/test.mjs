// npm test: builds the renderer (the end-to-end tests serve it), then runs every test file under
// test/ with Node's test runner. Extra arguments select test files by substring.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function collect(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : collect(full);
    return /\.test\.tsx?$/.test(e.name) ? [full] : [];
  });
}

const files = collect(path.join(root, 'test')).sort().filter((f) => !filters.length || filters.some((x) => f.includes(x)));
if (!files.length) { console.error('no test files matched'); process.exit(1); }

if (!process.env.BINOME_SKIP_BUILD) {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--renderer-only'], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// A test file's stdout is the runner's own channel: Node 20's reader can take text written there
// just after a report for a report, and fail the file ("Unable to deserialize cloned data"). Tests
// print figures with t.diagnostic(); libraries that print to stdout are kept quiet.
const env = { ...process.env, BINOME_LOG_LEVEL: process.env.BINOME_LOG_LEVEL ?? 'warn' };
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root, env });
process.exit(result.status ?? 1);
