// `npm start` where the Electron binary is missing: it says why in one sentence, serves the station
// on loopback as `npm run serve` does, opens the URL where a browser can be opened, and stops
// cleanly on SIGINT. Each run is its own process group, killed at the end whatever happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../helpers/paths.ts';

const START = path.join(ROOT, 'scripts', 'start.mjs');
const URL_LINE = /^\s*(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)\s*$/m;
const WAIT_MS = 60_000;

interface Run { child: ChildProcess; out: () => string; err: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

function start(env: NodeJS.ProcessEnv, args: string[] = []): Run {
  const child = spawn(process.execPath, [START, ...args], {
    cwd: ROOT,
    detached: true, // a process group of its own: the server and anything it starts die with it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BINOME_LIBRARY: path.join(tempDir('start-lib'), 'library'),
      BINOME_SKIP_BUILD: '1',
      ELECTRON_OVERRIDE_DIST_PATH: tempDir('start-no-electron'), // an empty folder: no Electron binary
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, err: () => err, exited };
}

function killGroup(run: Run): void {
  try { process.kill(-run.child.pid!, 'SIGKILL'); } catch { /* already gone */ }
}

async function waitFor<T>(what: string, run: Run, probe: () => T | null | undefined, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (run.child.exitCode !== null || Date.now() > deadline) {
      assert.fail(`${what} did not come (exit code ${run.child.exitCode}); stdout:\n${run.out()}\nstderr:\n${run.err()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('without Electron, npm start explains in one sentence, serves the station, and stops cleanly on SIGINT', { skip: process.platform === 'win32' && 'POSIX signals and process groups' }, async () => {
  const library = path.join(tempDir('start-lib'), 'library');
  const run = start({ BINOME_LIBRARY: library, BINOME_NO_BROWSER: '1' }, ['--port', '0']);
  try {
    const url = await waitFor('the URL', run, () => run.out().match(URL_LINE)?.[1]);
    const explanation = run.err().split('\n')[0]!;
    assert.match(explanation, /^The desktop window cannot open because the Electron binary is not installed here .*http:\/\/127\.0\.0\.1.*\.$/);
    assert.equal(explanation.split(/\.\s/).length, 1, 'one sentence');
    assert.doesNotMatch(run.err(), /opens in your web browser|Could not open a browser/, 'BINOME_NO_BROWSER=1: no browser');
    assert.match(run.out(), new RegExp(`serving library ${library.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'BINOME_LIBRARY is honoured');

    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 303);
    assert.match(response.headers.get('set-cookie') ?? '', /HttpOnly/);
    assert.ok(fs.existsSync(library), 'the library was created');

    process.kill(run.child.pid!, 'SIGINT');
    const exit = await run.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${run.err()}`);
    assert.match(run.out(), /Stopped\./, 'the server shut down by itself');
    await assert.rejects(fetch(url, { redirect: 'manual' }), 'nothing listens any more');
  } finally {
    killGroup(run);
  }
});

test('where a desktop session exists, the URL is opened with the platform opener, and a missing opener is no failure', { skip: process.platform !== 'linux' && 'the opener test uses xdg-open' }, async () => {
  const bin = tempDir('start-bin');
  const record = path.join(bin, 'opened.txt');
  fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > "${record}"\n`, { mode: 0o755 });
  const opened = start({ BINOME_NO_BROWSER: '', DISPLAY: ':0', WAYLAND_DISPLAY: '', PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
  try {
    const url = await waitFor('the URL', opened, () => opened.out().match(URL_LINE)?.[1]);
    assert.match(opened.err(), /BINOME_NO_BROWSER=1/, 'the message says how to stop the opening');
    const got = await waitFor('the opener', opened, () => (fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim() : null), 10_000);
    assert.equal(got, url);
    process.kill(opened.child.pid!, 'SIGTERM');
    assert.equal((await opened.exited).code, 0);
  } finally {
    killGroup(opened);
  }

  const noOpener = start({ BINOME_NO_BROWSER: '', DISPLAY: ':0', PATH: tempDir('start-empty-path') });
  try {
    await waitFor('the URL', noOpener, () => noOpener.out().match(URL_LINE)?.[1]);
    await waitFor('the note about the opener', noOpener, () => /Could not open a browser \(xdg-open is not installed\)/.test(noOpener.err()), 10_000);
    assert.equal(noOpener.child.exitCode, null, 'still serving');
    process.kill(noOpener.child.pid!, 'SIGINT');
    assert.equal((await noOpener.exited).code, 0);
  } finally {
    killGroup(noOpener);
  }

  const headless = start({ BINOME_NO_BROWSER: '', DISPLAY: '', WAYLAND_DISPLAY: '', PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
  try {
    fs.rmSync(record, { force: true });
    await waitFor('the URL', headless, () => headless.out().match(URL_LINE)?.[1]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fs.existsSync(record), false, 'no desktop session: no browser');
    process.kill(headless.child.pid!, 'SIGINT');
    assert.equal((await headless.exited).code, 0);
  } finally {
    killGroup(headless);
  }
});
