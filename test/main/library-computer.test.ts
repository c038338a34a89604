// A library used from one computer at a time (main/base/library-computer.ts): a station on another
// computer, or in another container, is refused while one runs, in words naming it; what processes
// that are gone left is cleared; a station whose library was taken while it slept stops using it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../common/api.ts';
import { translate } from '../../common/i18n/messages.ts';
import { LibraryElsewhereError, PROCESSES_FOLDER, STALE_MS, thisComputer } from '../../main/base/library-computer.ts';
import Database from 'better-sqlite3';
import { LibraryOpenError } from '../../main/base/library-open-error.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { openTestStation, op } from '../helpers/station.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = path.join(ROOT, 'bin', 'binome.js');

/** A presence file as a station on another computer writes it, `ageMs` old. */
function otherComputer(library: string, hostname: string, ageMs = 0, name = '4242-1-abcd'): string {
  const folder = path.join(library, PROCESSES_FOLDER);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine: `0123456789abcdef@${hostname}`, pidNamespace: 'pid:[4026531836]', bootId: 'b', hostname, owner: '4242:1', startedAt: new Date().toISOString() }));
  const at = new Date(Date.now() - ageMs);
  fs.utimesSync(file, at, at);
  return file;
}

const presences = (library: string) => fs.readdirSync(path.join(library, PROCESSES_FOLDER)).filter((n) => n.endsWith('.json'));

test('stations of this computer share a library, each present while open and gone once closed', async () => {
  const library = tempDir('computer-share');
  const a = openTestStation({ libraryDir: library });
  const b = openTestStation({ libraryDir: library });
  try {
    assert.equal(presences(library).length, 2);
    const mine = JSON.parse(fs.readFileSync(path.join(library, PROCESSES_FOLDER, presences(library)[0]!), 'utf8')) as Record<string, unknown>;
    assert.equal(mine.hostname, thisComputer().hostname);
    assert.match(String(mine.owner), /^\d+:/);
  } finally {
    await a.close();
    await b.close();
  }
  assert.deepEqual(presences(library), []);
});

test('a station on another computer holding the library: opening it here is refused, naming that computer, before the database is touched', () => {
  const library = tempDir('computer-refused');
  otherComputer(library, 'poste-mammo-2', 20_000);
  assert.throws(() => openTestStation({ libraryDir: library }), (error: unknown) => {
    assert.ok(error instanceof LibraryElsewhereError);
    assert.match(error.message, /another computer or container \(poste-mammo-2, seen 20 s ago\)/);
    const fr = translate('fr', error.key, error.params);
    assert.match(fr, /autre ordinateur ou conteneur \(poste-mammo-2, vu il y a 20\u00a0s\)/);
    assert.match(fr, /ouverte ici dans 3\u00a0min/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(library, 'worklist.sqlite')), false, 'no database made beside another computer\'s');
  assert.equal(presences(library).length, 1, 'only the other computer\'s presence is left');
});

test('a stale presence of another computer, a dead process of this one, and an earlier boot of this one are cleared', async () => {
  const library = tempDir('computer-stale');
  const stale = otherComputer(library, 'old-pc', STALE_MS + 5_000, '1-1-aaaa');
  const self = thisComputer();
  const folder = path.join(library, PROCESSES_FOLDER);
  const dead = path.join(folder, '2-2-bbbb.json');
  fs.writeFileSync(dead, JSON.stringify({ ...self, owner: '999999999:1', startedAt: '' }));
  const earlierBoot = path.join(folder, '3-3-cccc.json');
  fs.writeFileSync(earlierBoot, JSON.stringify({ ...self, bootId: 'an-earlier-boot', owner: `${process.pid}:1`, startedAt: '' }));
  const station = openTestStation({ libraryDir: library });
  try {
    assert.equal(fs.existsSync(stale), false);
    assert.equal(fs.existsSync(dead), false);
    assert.equal(fs.existsSync(earlierBoot) && process.platform === 'linux', false);
    assert.equal(presences(library).length, 1);
  } finally {
    await station.close();
  }
});

test('the command line, refused a library another computer uses, says so in the terminal\'s language and exits non-zero', async () => {
  const library = tempDir('computer-cli');
  await openTestStation({ libraryDir: library }).close(); // a library made on this computer before
  otherComputer(library, 'poste-2');
  for (const [lang, words] of [['C.UTF-8', /binome: the library is in use by Binome on another computer or container \(poste-2, seen \d+ s ago\)/], ['fr_FR.UTF-8', /binome: la bibliothèque est utilisée par Binome sur un autre ordinateur ou conteneur \(poste-2/]] as const) {
    const r = spawnSync(process.execPath, [BIN, 'list', '--library', library], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', LANG: lang } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, words);
    assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
  }
});

test('a station whose presence another computer removed (this one asleep) stops using the library and refuses calls, saying why', async () => {
  const library = tempDir('computer-lost');
  const station = openTestStation({ libraryDir: library, presenceHeartbeatMs: 50 });
  const [mine] = presences(library);
  // what the other computer's station does once this one's presence is stale: removes it, and says it is there
  fs.rmSync(path.join(library, PROCESSES_FOLDER, mine!));
  otherComputer(library, 'poste-de-garde');
  await waitFor('the station closed its database', () => !station.db.connection.open, 5_000);
  await assert.rejects(op(station, 'worklistQuery', { limit: 10, filter: { scope: 'all' } }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'unavailable');
    assert.equal(error.key, 'error.libraryTakenElsewhere');
    assert.match(translate('fr', error.key!, error.params), /autre ordinateur ou conteneur \(poste-de-garde\)/);
    return true;
  });
  assert.equal(await station.taken, 'poste-de-garde', 'said to whoever ends on it (a server command)');
  await station.close();
  assert.deepEqual(presences(library), ['4242-1-abcd.json'], 'the other computer\'s presence left alone');
});

test('binome serve whose library is taken over while it slept ends, saying why in the terminal\'s language, with its failure status: it went on answering every request "unavailable", its service manager none the wiser (a probe)', { timeout: 120_000 }, async () => {
  const library = tempDir('computer-serve');
  await openTestStation({ libraryDir: library }).close();
  const child = spawn(process.execPath, [BIN, 'serve', '--library', library, '--no-dicom'],
    { cwd: ROOT, env: { ...process.env, BINOME_NO_BROWSER: '1', LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', LANG: 'fr_FR.UTF-8' } });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d; });
  child.stderr.on('data', (d: Buffer) => { err += d; });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor('serving', () => /http:\/\/127\.0\.0\.1:\d+/.test(out), 60_000);
    // what the other computer's station does once this one's presence is stale (seen at its next heartbeat, 30 s)
    for (const name of presences(library)) fs.rmSync(path.join(library, PROCESSES_FOLDER, name));
    otherComputer(library, 'poste-de-garde');
    const end = await ended;
    assert.deepEqual(end, { code: 1, signal: null }, err);
    assert.match(err, /binome: Binome a ouvert cette bibliothèque sur un autre ordinateur ou conteneur \(poste-de-garde\) pendant que celui-ci ne répondait pas/);
    assert.doesNotMatch(err, /\n\s+at |Error:/, 'no stack trace');
    assert.deepEqual(presences(library), ['4242-1-abcd.json'], 'the other computer\'s presence left alone');
  } finally {
    child.kill('SIGKILL');
  }
});

test('an import running when the library is taken writes nothing more, and says why rather than what its refused writes made of it', async () => {
  const source = tempDir('computer-import-src');
  writeScreeningExams(source, 60, { rows: 256, columns: 200 });
  const library = tempDir('computer-import');
  const station = openTestStation({ libraryDir: library, batchSize: 20, presenceHeartbeatMs: 20 });
  const count = () => (station.db.connection.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
  let atLoss: number | null = null;
  let taken = false;
  // counted as the station learns it lost the library (a look every millisecond for it missed it on a
  // loaded machine: the import refused and the station closed with no timer turn between, a clean-clone run)
  const internals = station as unknown as { lose(host: string): void };
  const lose = internals.lose.bind(station);
  internals.lose = (host) => { atLoss = count(); lose(host); };
  station.on('importProgress', (p) => {
    if (taken || p.imported < 40) return;
    taken = true;
    for (const name of presences(library)) fs.rmSync(path.join(library, PROCESSES_FOLDER, name));
    otherComputer(library, 'poste-3');
  });
  await assert.rejects(station.handlers.importPaths({ paths: [source] }), (error: unknown) => error instanceof ApiError && error.key === 'error.libraryTakenElsewhere');
  await station.close();
  assert.ok(atLoss !== null && atLoss >= 40, `counted as the station lost the library (${atLoss})`);
  const db = new Database(path.join(library, 'worklist.sqlite'), { readonly: true });
  try {
    assert.equal((db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n, atLoss, 'no image stored after the library was taken');
    assert.equal((db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n, 0, 'no file set aside for a refused write');
  } finally {
    db.close();
  }
});

test('what no station writes in processes/ (a pipe, a link, a folder, a large file, one dated far ahead) is no presence: never read, never hangs, never locks the library; a host name is shown printable', async () => {
  const library = tempDir('computer-hostile');
  await openTestStation({ libraryDir: library }).close();
  const folder = path.join(library, PROCESSES_FOLDER);
  spawnSync('mkfifo', [path.join(folder, 'pipe.json')]);
  fs.symlinkSync('/dev/zero', path.join(folder, 'zero.json'));
  fs.mkdirSync(path.join(folder, 'folder.json'));
  fs.writeFileSync(path.join(folder, 'large.json'), ' '.repeat(64 * 1024));
  const ahead = otherComputer(library, 'ahead', 0, 'ahead');
  const tomorrow = new Date(Date.now() + 36 * 3600_000);
  fs.utimesSync(ahead, tomorrow, tomorrow);
  const station = openTestStation({ libraryDir: library });
  await station.close();
  assert.ok(fs.existsSync('/dev/zero') && fs.statSync(path.join(folder, 'folder.json')).isDirectory(), 'nothing of them removed or followed');
  // a host name with terminal escapes and a line break: shown without them
  for (const name of ['pipe.json', 'zero.json', 'large.json', 'ahead.json']) fs.rmSync(path.join(folder, name));
  fs.writeFileSync(path.join(folder, 'evil.json'), JSON.stringify({ machine: 'x', pidNamespace: '', bootId: null, hostname: '\u001b[2J\u001b[31mEVIL\u001b]0;pwned\u0007\nline2'.padEnd(500, 'x'), owner: '1:1' }));
  assert.throws(() => openTestStation({ libraryDir: library }), (error: unknown) => {
    assert.ok(error instanceof LibraryElsewhereError);
    assert.doesNotMatch(error.message, /[\u0000-\u001f]/);
    assert.ok(error.hostname.length <= 64 && error.hostname.startsWith('[2J[31mEVIL]0;pwnedline2'), error.hostname);
    return true;
  });
});

test('a processes/ that cannot be written (a file in its place) is said in words, not as mkdir\'s EEXIST', () => {
  const library = tempDir('computer-file');
  fs.mkdirSync(library, { recursive: true });
  fs.writeFileSync(path.join(library, PROCESSES_FOLDER), 'not a folder');
  assert.throws(() => openTestStation({ libraryDir: library }), (error: unknown) => {
    assert.ok(error instanceof LibraryOpenError);
    assert.equal(error.key, 'error.libraryPresence');
    assert.match(translate('fr', error.key, error.params), /^La bibliothèque ne peut pas être ouverte\u202f: son dossier .*processes, qui dit quelles stations Binome l’utilisent, ne peut pas être écrit \(EEXIST\)\.$/);
    return true;
  });
});

test('a presence removed by hand (the folder cleared) is written again, and the station goes on', async () => {
  const library = tempDir('computer-cleared');
  const station = openTestStation({ libraryDir: library, presenceHeartbeatMs: 50 });
  try {
    fs.rmSync(path.join(library, PROCESSES_FOLDER), { recursive: true });
    await waitFor('the presence written again', () => fs.existsSync(path.join(library, PROCESSES_FOLDER)) && presences(library).length === 1, 5_000);
    const page = await op(station, 'worklistQuery', { limit: 10, filter: { scope: 'all' } });
    assert.equal(page.total, 0);
  } finally {
    await station.close();
  }
});

test('a station in another process namespace (a container on this computer) is refused while one runs here, and opens once it has closed', async (t) => {
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  if (probe.status !== 0) {
    t.skip(`unshare --pid cannot make a process namespace here (${String(probe.stderr ?? probe.error).trim().slice(0, 80) || 'not permitted'})`);
    return;
  }
  const library = tempDir('computer-container');
  const here = openTestStation({ libraryDir: library });
  let closedHere = false;
  try {
    const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', path.join(ROOT, 'test/helpers/station-child.ts'), library], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => { let out = ''; child.stdout.on('data', (c: Buffer) => { out += c; if (out.includes('\n')) resolve(out.trim()); }); });
    child.stdin.end();
    const refused = JSON.parse(line) as { key: string; params: { host: string } };
    assert.equal(refused.key, 'error.libraryElsewhere', 'the container saw this computer\'s station as another computer\'s');
    assert.equal(refused.params.host, thisComputer().hostname);
    await here.close();
    closedHere = true;
    const again = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', path.join(ROOT, 'test/helpers/station-child.ts'), library], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const opened = await new Promise<string>((resolve) => { let out = ''; again.stdout.on('data', (c: Buffer) => { out += c; if (out.includes('\n')) resolve(out.trim()); }); });
    assert.equal(opened, 'open', 'with no station here, the container opens the library');
    // and this computer is refused while the container's station runs
    assert.throws(() => openTestStation({ libraryDir: library }), LibraryElsewhereError);
    again.stdin.end();
    await new Promise((resolve) => again.on('exit', resolve));
  } finally {
    if (!closedHere) await here.close();
  }
});
