// A process's own folder of unfinished copies removed under it (by another process that took it for
// gone, one of another container on the library, or by hand): its imports and CAD SRs failed with
// ENOENT until it started again (an IT person's probe). The folder is made again where it is missing.
import { mock, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { createXXHash128 } from 'hash-wasm';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openStore, StoreWriter } from '../../main/dicom/store.ts';
import { NotRegularFileError } from '../../main/base/regular-file.ts';
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

test('a copy is stored under the key of the very bytes it copied, read once through its link; a FIFO put in the file\'s place between its check and its opening is refused, not waited on (it held a file thread until someone wrote to it: a probe)', { timeout: 20_000 }, async (t) => {
  const opened = openStore(tempDir('store-copy'));
  const dir = tempDir('store-copy-source');
  const source = path.join(dir, 'large.bin');
  const bytes = Buffer.alloc(3 * (1 << 20) + 123);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
  fs.writeFileSync(source, bytes);
  fs.symlinkSync(source, path.join(dir, 'link.bin'));
  const writer = new StoreWriter(opened.layout, opened.tmpDir);
  const stored = await writer.putFile(path.join(dir, 'link.bin'), { durable: false });
  const hasher = await createXXHash128();
  hasher.init();
  hasher.update(bytes);
  assert.deepEqual(stored, { key: hasher.digest('hex'), size: bytes.length });
  assert.deepEqual(fs.readFileSync(opened.layout.pathFor(stored.key)), bytes);
  // swapped for a FIFO once checked, before it is opened
  const swapped = path.join(dir, 'swapped.bin');
  fs.writeFileSync(swapped, 'bytes');
  let done = false;
  const swap = () => {
    if (done) return;
    done = true;
    fs.rmSync(swapped);
    execFileSync('mkfifo', [swapped]);
  };
  const { statSync } = fs;
  const stat = fs.promises.stat;
  t.mock.method(fs, 'statSync', (...args: Parameters<typeof fs.statSync>) => { const result = statSync(...args); if (args[0] === swapped) swap(); return result; });
  t.mock.method(fs.promises, 'stat', async (...args: Parameters<typeof fs.promises.stat>) => { const result = await stat(...args); if (args[0] === swapped) swap(); return result; });
  await assert.rejects(writer.putFile(swapped, { durable: false }), NotRegularFileError);
  mock.restoreAll();
  // nobody left waiting to read it (a writer opening it without waiting finds no reader)
  assert.throws(() => fs.closeSync(fs.openSync(swapped, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)), { code: 'ENXIO' });
  assert.deepEqual(fs.readdirSync(opened.tmpDir), [], 'nothing left half copied');
  opened.release();
});
