// A library on a full or read-only disk is said so when it cannot be opened: SQLite's "disk I/O
// error" and "unable to open database file" were all a clinic's IT was told (a probe, on a tmpfs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { LibraryDiskError, diskProblem, readOnlyProblem } from '../../main/base/disk.ts';
import { explainOpenFailure } from '../../main/db/connection.ts';
import { translate } from '../../common/i18n/messages.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

const sqlite = (code: string) => Object.assign(new Error('disk I/O error'), { code });
const disk = (freeBytes: number | null, writable = true) => ({ freeBytes: () => freeBytes, writable: () => writable });

test('SQLite failing to open a library on a full disk, or a read-only one, is said so, with SQLite\'s error as its cause', () => {
  const file = '/media/clinic/library/worklist.sqlite';
  const full = explainOpenFailure(file, sqlite('SQLITE_IOERR_WRITE'), disk(20 * 1024)) as Error & { code: string; cause: unknown };
  assert.equal(full.code, 'ENOSPC');
  assert.equal(full.message, 'the library cannot be opened: the disk holding it (/media/clinic/library) is full, 20 KB free; free some space and start again');
  assert.equal((full.cause as { code: string }).code, 'SQLITE_IOERR_WRITE');
  const readOnly = explainOpenFailure(file, sqlite('SQLITE_CANTOPEN'), disk(10 * 2 ** 30, false)) as Error & { code: string };
  assert.equal(readOnly.code, 'EROFS');
  assert.match(readOnly.message, /its folder \(\/media\/clinic\/library\) cannot be written \(a read-only disk, or no permission to write there\)$/);
  // a disk with room that can be written: SQLite's own error, as it was; other errors pass untouched
  const other = sqlite('SQLITE_IOERR');
  assert.equal(explainOpenFailure(file, other, disk(10 * 2 ** 30)), other);
  const busy = sqlite('SQLITE_BUSY');
  assert.equal(explainOpenFailure(file, busy, disk(0)), busy);
  assert.equal(explainOpenFailure(file, new Error('x'), disk(0)) instanceof Error, true);
  // free space unknown: only a read-only disk is said
  assert.equal(diskProblem('/x', disk(null)), null);
  // and in the reader's or the terminal's language (a French terminal was told in English, a probe)
  assert.ok(full instanceof LibraryDiskError && readOnly instanceof LibraryDiskError);
  assert.equal(translate('fr', full.key, full.params), 'La bibliothèque ne peut pas être ouverte\u202f: le disque qui la porte (/media/clinic/library) est plein, 20\u00a0Ko libres\u202f; libérez de la place et relancez.');
  assert.equal(translate('fr', readOnly.key, readOnly.params), 'La bibliothèque ne peut pas être ouverte\u202f: son dossier (/media/clinic/library) ne peut pas être écrit (un disque en lecture seule, ou pas le droit d’y écrire).');
});

// a read-only bind mount of a library (root and a system that lets it mount)
function readOnlyMount(library: string): { dir: string; undo(): void } | string {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'a read-only mount needs root on Linux';
  const dir = tempDir('library-ro');
  if (spawnSync('mount', ['--bind', library, dir]).status !== 0) return 'mount --bind is not allowed here';
  if (spawnSync('mount', ['-o', 'remount,bind,ro', dir]).status !== 0) {
    spawnSync('umount', [dir]);
    return 'a read-only remount is not allowed here';
  }
  return { dir, undo: () => { spawnSync('umount', [dir]); } };
}

for (const existing of [false, true]) test(`the command line on a read-only ${existing ? 'library' : 'folder for a new library'} says so in the terminal's language, exit code 1`, (t) => {
  const source = tempDir('library-ro-source');
  const bin = path.join(ROOT, 'bin', 'binome.js');
  // (a library made there by an import; list reads one only where there is one)
  if (existing) assert.equal(spawnSync(process.execPath, [bin, 'import', path.join(source, 'nothing'), '--library', source]).status, 3);
  const mounted = readOnlyMount(source);
  if (typeof mounted === 'string') return t.skip(mounted);
  try {
    // an import where there is no library yet (it makes one), a list of the library there is
    const run = (lang: string) => spawnSync(process.execPath, [bin, ...(existing ? ['list'] : ['import', '/nonexistent/folder']), '--library', mounted.dir], { encoding: 'utf8',
      env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', LANG: lang } });
    const fr = run('fr_FR.UTF-8');
    assert.equal(fr.status, 1);
    assert.equal(fr.stderr, `binome: la bibliothèque ne peut pas être ouverte\u202f: son dossier (${mounted.dir}) ne peut pas être écrit (un disque en lecture seule, ou pas le droit d’y écrire)\n`);
    const en = run('C.UTF-8');
    assert.equal(en.stderr, `binome: the library cannot be opened: its folder (${mounted.dir}) cannot be written (a read-only disk, or no permission to write there)\n`);
  } finally {
    mounted.undo();
  }
});

test('a writable folder is writable, and the look at it leaves nothing behind', () => {
  const dir = tempDir('library-disk');
  assert.equal(readOnlyProblem(dir), null);
  assert.deepEqual(fs.readdirSync(dir), []);
});
