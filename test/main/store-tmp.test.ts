// A process's own folder of unfinished copies removed under it (by another process that took it for
// gone, one of another container on the library, or by hand): its imports and CAD SRs failed with
// ENOENT until it started again (an IT person's probe). The folder is made again where it is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openStore, StoreWriter } from '../../main/dicom/store.ts';
import { tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';

test('a file is stored after the store\'s temporary folder of this opening was removed', async () => {
  const opened = openStore(tempDir('store-tmp'));
  fs.rmSync(opened.tmpDir, { recursive: true, force: true });
  const source = path.join(tempDir('store-tmp-source'), 'a.bin');
  fs.writeFileSync(source, 'some bytes');
  const stored = await new StoreWriter(opened.layout, opened.tmpDir).putFile(source, { durable: false });
  assert.equal(stored.size, 10);
  assert.equal(fs.readFileSync(opened.layout.pathFor(stored.key), 'utf8'), 'some bytes');
  opened.release();
});

test('a station imports after its temporary folder was removed under it', { timeout: 60_000 }, async () => {
  const libraryDir = tempDir('store-tmp-library');
  const station = openTestStation({ libraryDir });
  try {
    const tmpRoot = path.join(libraryDir, 'store', 'tmp');
    for (const entry of fs.readdirSync(tmpRoot)) fs.rmSync(path.join(tmpRoot, entry), { recursive: true, force: true });
    const source = tempDir('store-tmp-exams');
    writeScreeningExams(source, 1);
    const summary = await station.handlers.importPaths({ paths: [source] });
    assert.equal(summary.rejected, 0, JSON.stringify(summary.problems));
    assert.ok(summary.imported > 0);
  } finally {
    await station.close();
  }
});
