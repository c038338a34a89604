// A full disk while display renditions are made (a probe filled the library's disk during an
// import): the station's process does not end on an unhandled rejection, and no image is recorded
// as having no rendition for want of space (it would never have been made again).
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { RenditionMaker } from '../../main/import/renditions.ts';
import type { LibraryDatabase } from '../../main/db/library-database.ts';
import type { StoreLayout } from '../../main/dicom/store.ts';
import type { Importer } from '../../main/import/importer.ts';
import { log } from '../../main/base/log.ts';
import fs from 'node:fs';
import path from 'node:path';
import { openTestStation } from '../helpers/station.ts';
import { tempDir } from '../helpers/paths.ts';

const image = (n: number) => ({ fileHash: `hash-${n}`, examId: 40 + n, rows: 3328, columns: 2560, rendition: true, breastBox: true });
const store = { pathFor: (h: string) => `/store/${h}`, renditionPathFor: (h: string) => `/store/${h}.r` } as unknown as StoreLayout;
const full = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

async function settle(maker: RenditionMaker) {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  await maker.close();
}

test('the library cannot be written while a rendition\'s failure is recorded: a warning, no unhandled rejection; the next kick tries again', async () => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    let asked = 0;
    const db = { imports: {
      imagesToPrepareForDisplay: () => (asked++ < 2 ? [image(1)] : []),
      setRendition: () => { throw full(); },
      setBreastBox: () => { throw full(); },
    } } as unknown as LibraryDatabase;
    const importer = { runTask: async () => { throw new Error('decoder failed'); } } as unknown as Importer;
    const maker = new RenditionMaker(db, store, importer, '/tmp');
    maker.kick();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    maker.kick(); // later: tried again
    await settle(maker);
    assert.deepEqual(rejections, []);
    assert.equal(asked >= 2, true, 'asked again at the next kick');
    // said as a full disk, the message itself withheld (it may quote a path)
    // a full disk is no fault in the code: said without a stack (it filled a probe's log)
    assert.match(String(warnings.mock.calls[0]?.arguments[0]), /^display renditions paused: Error SQLITE_FULL \(message withheld; set BINOME_LOG_LEVEL=debug\)$/);
  } finally {
    warnings.mock.restore();
    process.off('unhandledRejection', onRejection);
  }
});

test('an image whose rendition cannot be made (its decoder fails) is recorded as having none, and the log names its exam for `binome check --exam`', async () => {
  const recorded: [string, number][] = [];
  let asked = 0;
  const db = { imports: {
    imagesToPrepareForDisplay: () => (asked++ === 0 ? [image(2)] : []),
    setRendition: (hash: string, side: number) => { recorded.push([hash, side]); return true; },
    setBreastBox: () => undefined,
  } } as unknown as LibraryDatabase;
  const importer = { runTask: async () => { throw new Error('decoder failed'); } } as unknown as Importer;
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    const maker = new RenditionMaker(db, store, importer, '/tmp');
    maker.kick();
    await settle(maker);
    assert.deepEqual(recorded, [['hash-2', 0]]);
    assert.match(String(warnings.mock.calls[0]?.arguments[0]), /^display rendition could not be made for an image of exam 42 \(binome check --exam 42\): /);
  } finally {
    warnings.mock.restore();
  }
});

test('no room for the rendition\'s file: the image is not recorded as having none (made once there is room)', async () => {
  const recorded: [string, number][] = [];
  let asked = 0;
  const db = { imports: {
    imagesToPrepareForDisplay: () => (asked++ === 0 ? [image(1), image(2)] : []),
    setRendition: (hash: string, side: number) => { recorded.push([hash, side]); return true; },
    setBreastBox: (hash: string) => { recorded.push([hash, -1]); },
  } } as unknown as LibraryDatabase;
  const importer = { runTask: async () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); } } as unknown as Importer;
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    const maker = new RenditionMaker(db, store, importer, '/tmp');
    maker.kick();
    await settle(maker);
    assert.deepEqual(recorded, [], 'nothing recorded as "no rendition" or "no breast"');
    assert.match(String(warnings.mock.calls[0]?.arguments[0]), /^display renditions paused: Error ENOSPC/);
  } finally {
    warnings.mock.restore();
  }
});

test('the library\'s temporary folder gone (not made at start on a disk without a free inode): a rendition is still made, not refused as the image\'s fault', { timeout: 120_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'rendition-no-tmp' });
    const { importer, store: layout } = station as unknown as { importer: Importer; store: StoreLayout };
    const examId = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows[0]!.examId;
    const instance = (await station.handlers.examDetail({ examId, purpose: 'prefetch' })).series.flatMap((s) => s.instances).find((i) => i.isImage)!;
    const file = layout.pathFor(station.db.worklist.instanceFile(instance.instanceId)!.fileHash);
    const gone = path.join(tempDir('rendition-no-tmp'), 'tmp-not-made');
    const target = path.join(tempDir('rendition-no-tmp-target'), 'r.dcm');
    const { side } = await importer.runTask('rendition', { file, target, tmpDir: gone, maxSide: 64, rendition: true, breastBox: true }, 60_000);
    assert.equal(side, 64);
    assert.ok(fs.statSync(target).size > 0, 'the rendition is in place');
  } finally {
    await station.close();
  }
});
