// The library holds patients' names and images: its folder is the user's alone. With the default
// umask its database and DICOM files were readable by every local user (a probe: another account
// read the patients table with sqlite3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { prepareLibrary } from '../../main/base/library.ts';
import { tempDir } from '../helpers/paths.ts';

const SKIP = process.platform === 'win32' ? 'Windows has no POSIX modes (the user\'s profile folder is private there)' : false;
const modeOf = (folder: string) => fs.statSync(folder).mode & 0o777;

test('a new library folder is the user\'s alone (0700); one of this user\'s made before is made so too', { skip: SKIP }, () => {
  const fresh = path.join(tempDir('library-private'), 'new', 'library');
  prepareLibrary(fresh);
  assert.equal(modeOf(fresh), 0o700);
  const earlier = tempDir('library-earlier');
  fs.writeFileSync(path.join(earlier, 'worklist.sqlite'), '');
  fs.chmodSync(earlier, 0o755);
  prepareLibrary(earlier);
  assert.equal(modeOf(earlier), 0o700, 'group and others lose their access');
});

test('a folder that is not a library yet, or one shared on purpose (group-writable, setgid, sticky), keeps its mode', { skip: SKIP }, () => {
  const notYet = tempDir('library-not-yet');
  fs.writeFileSync(path.join(notYet, 'notes.txt'), 'someone else\'s');
  fs.chmodSync(notYet, 0o755);
  prepareLibrary(notYet);
  assert.equal(modeOf(notYet), 0o755);
  for (const mode of [0o2770, 0o1777, 0o775]) {
    const shared = tempDir('library-shared-mode');
    fs.writeFileSync(path.join(shared, 'worklist.sqlite'), '');
    fs.chmodSync(shared, mode);
    prepareLibrary(shared);
    assert.equal(fs.statSync(shared).mode & 0o7777, mode, mode.toString(8));
  }
});

test('a library folder owned by another user (shared on purpose) is left as it is', { skip: SKIP || (process.getuid?.() !== 0 && 'needs root, to give a folder to another user') }, () => {
  const shared = tempDir('library-shared');
  fs.writeFileSync(path.join(shared, 'worklist.sqlite'), '');
  fs.chmodSync(shared, 0o755);
  fs.mkdirSync(path.join(shared, 'store'));
  fs.chownSync(shared, 65534, 65534);
  prepareLibrary(shared);
  assert.equal(modeOf(shared), 0o755);
});
