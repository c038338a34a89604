// npm run eval's command line: --help says how to use it; an option it does not know is said so,
// with the same usage, not thrown as a stack trace (a reviewer's first try was --help).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/paths.ts';

const run = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tsx.js'), path.join(ROOT, 'test', 'eval', 'run.ts'), ...args], { encoding: 'utf8', cwd: ROOT });

test('npm run eval -- --help prints its usage; an unknown option is refused with it, exit 2, no stack trace', () => {
  const help = run('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: npm run eval -- --seeds s1,s2 .*--model FOLDER/m);
  const wrong = run('--seed', 'x');
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /Unknown option '--seed'/);
  assert.match(wrong.stderr, /usage: npm run eval/);
  assert.doesNotMatch(wrong.stderr, /\n\s+at /, 'no stack trace');
  const none = run();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /usage: npm run eval/);
});
