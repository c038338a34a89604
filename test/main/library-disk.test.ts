// A library on a full or read-only disk is said so when it cannot be opened: SQLite's "disk I/O
// error" and "unable to open database file" were all a clinic's IT was told (a probe, on a tmpfs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { diskProblem, readOnlyProblem } from '../../main/base/disk.ts';
import { explainOpenFailure } from '../../main/db/connection.ts';
import { tempDir } from '../helpers/paths.ts';

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
});

test('a writable folder is writable, and the look at it leaves nothing behind', () => {
  const dir = tempDir('library-disk');
  assert.equal(readOnlyProblem(dir), null);
  assert.deepEqual(fs.readdirSync(dir), []);
});
