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

test('npm run eval refuses a set of no women, an odd rate, an output that is not a folder, and calibration without the model\'s seeds list, each saying why, exit 2', () => {
  for (const [args, said] of [
    [['--seeds', ',,,'], /--seeds names no seed/],
    [['--seeds', 'a,b,a'], /--seeds names a seed twice/],
    [['--seeds', 'x', '--patients', 'abc'], /--patients must be a whole number from 1 to 9999, not "abc"/],
    [['--seeds', 'x', '--patients', '0'], /--patients must be a whole number/],
    [['--seeds', 'x', '--abnormal-rate', '7'], /--abnormal-rate must be above 0 and at most 1, not "7"/],
    [['--seeds', 'x', '--calibrate', '--model', path.join(ROOT, 'test')], /--calibrate needs the model's train\/seeds\.json/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, said);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
