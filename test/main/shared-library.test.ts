// Several processes on one library (the desktop app, `binome serve`, `binome import`, `binome list`):
// none may lose or half-show another's images, and a writer kept waiting is told the library is busy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile as execFileCallback, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseOperationInput } from '../../common/api.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { openTestStation } from '../helpers/station.ts';

const BIN = path.join(ROOT, 'bin', 'binome.js');
const execFile = promisify(execFileCallback);
const all = parseOperationInput('worklistQuery', { limit: 500, filter: { scope: 'all' } });

interface ChildResult { code: number | null; summary?: { imported: number; duplicates: number; rejected: number; status: string }; stderr: string }

function importInChild(library: string, folder: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/helpers/import-child.ts'), library, folder, '20'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').map((l) => JSON.parse(l) as { summary?: ChildResult['summary'] }).find((l) => l.summary);
      resolve({ code, summary: last?.summary, stderr });
    });
  });
}

test('two imports of the same folder at once: every image stored once, no error, every exam whole', async () => {
  const source = tempDir('twin-src');
  writeScreeningExams(source, 40, { rows: 256, columns: 200 });
  const library = tempDir('twin-lib');
  openTestStation({ libraryDir: library }).close(); // create the library first, as the app would have
  const [a, b] = await Promise.all([importInChild(library, source), importInChild(library, source)]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary!.status, 'done');
    assert.equal(r.summary!.rejected, 0, 'no file lost to the other process');
  }
  assert.equal(a.summary!.imported + b.summary!.imported, 160, 'each image imported by exactly one of them');
  assert.equal(a.summary!.imported + a.summary!.duplicates, 160);
  assert.equal(b.summary!.imported + b.summary!.duplicates, 160);
  const station = openTestStation({ libraryDir: library });
  try {
    const page = await station.handlers.worklistQuery(all);
    assert.equal(page.total, 40);
    assert.ok(page.rows.every((r) => r.imageCount === 4 && r.views.join(' ') === 'RCC LCC RMLO LMLO'));
    assert.equal(station.db.connection.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal((station.db.connection.prepare('SELECT count(*) AS n FROM study_holds').get() as { n: number }).n, 0);
  } finally {
    await station.close();
  }
});

test('listing the library again and again while another process imports loses nothing and never shows half an exam', async () => {
  const source = tempDir('busy-src');
  writeScreeningExams(source, 60, { rows: 256, columns: 200 });
  const library = tempDir('busy-lib');
  openTestStation({ libraryDir: library }).close();
  const importing = importInChild(library, source);
  let listings = 0;
  let done = false;
  void importing.then(() => { done = true; });
  while (!done) {
    const list = await execFile(process.execPath, [BIN, 'list', '--library', library, '--json', '--limit', '500', '--all'], { cwd: ROOT });
    const page = JSON.parse(list.stdout) as { rows: { imageCount: number }[] };
    assert.ok(page.rows.every((r) => r.imageCount === 4), 'a visible exam is always whole');
    listings++;
  }
  const result = await importing;
  assert.ok(listings >= 1);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([result.summary!.imported, result.summary!.rejected], [240, 0]);
});

test('opening a library removes only the temporary files of processes that are gone', async () => {
  const library = tempDir('tmp-owners');
  const first = openTestStation({ libraryDir: library });
  const tmpRoot = path.join(first.paths.store, 'tmp');
  const mine = fs.readdirSync(tmpRoot);
  assert.equal(mine.length, 1, 'this opening has its own folder');
  fs.writeFileSync(path.join(tmpRoot, mine[0]!, 'copy-in-progress'), 'x');
  // a folder of a process that no longer runs (pid 2^22 + 1 exceeds Linux's pid range), and a stray file from an old version
  fs.mkdirSync(path.join(tmpRoot, '4194305-123'));
  fs.writeFileSync(path.join(tmpRoot, '4194305-123', 'orphan'), 'x');
  fs.writeFileSync(path.join(tmpRoot, 'old-style-orphan'), 'x');
  const second = openTestStation({ libraryDir: library });
  const both = fs.readdirSync(tmpRoot);
  try {
    assert.equal(both.length, 2, 'the dead owner\'s folder and the stray file are gone; the second opening has a folder of its own');
    assert.ok(both.includes(mine[0]!));
    assert.ok(fs.existsSync(path.join(tmpRoot, mine[0]!, 'copy-in-progress')), 'the live owner\'s copy is untouched');
  } finally {
    await first.close();
    await second.close();
  }
  assert.deepEqual(fs.readdirSync(tmpRoot), [], 'each opening removes its own folder when it closes');
});

test('a writer kept waiting by another process is told the library is busy, in the reader\'s language', async () => {
  const dir = tempDir('locked-src');
  writeScreeningExams(dir, 1);
  const station = openTestStation({ busyTimeoutMs: 200 });
  try {
    await station.handlers.importPaths({ paths: [dir] });
    const examId = (await station.handlers.worklistQuery(all)).rows[0]!.examId;
    const other = new Database(station.paths.database);
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    try {
      await assert.rejects(station.handlers.setExamStatus({ examId, status: 'read' }), (e: unknown) => {
        const err = e as { code: string; key: string };
        return err.code === 'busy' && err.key === 'error.libraryBusy';
      });
      // reading goes on meanwhile (WAL)
      assert.equal((await station.handlers.worklistQuery(all)).total, 1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await station.handlers.setExamStatus({ examId, status: 'read' })).status, 'read');
  } finally {
    await station.close();
  }
});

/** An image as an import commits it (4 × 4, a left CC of one exam). */
const record = (sop: string, fileHash = '0'.repeat(32)) => ({
    attributes: {
      sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', instanceNumber: 1,
      rows: 4, columns: 4, bitsAllocated: 16, bitsStored: 12, photometricInterpretation: 'MONOCHROME2', numberOfFrames: null,
      imageLaterality: 'L' as const, viewCode: null, viewModifierCodes: [], viewPosition: 'CC', viewLabel: 'LCC', presentationIntent: 'FOR PRESENTATION' as const,
      forProcessing: false, isImage: true, pixelSpacing: null, imagerPixelSpacing: null, estimatedRadiographicMagnificationFactor: null,
      patientOrientation: null, windowCenters: [], windowWidths: [], windowExplanations: [], voiLutFunction: null, breastImplantPresent: null, partialView: null,
      patient: { id: 'P1', issuer: '', name: 'A^B', birthDate: '19600101', sex: 'F' },
      study: { uid: '1.2.3', date: '20250101', time: null, accession: null, description: null },
      series: { uid: '1.2.3.1', modality: 'MG', number: 1, description: null, bodyPart: null },
    },
    fileHash, fileSize: 1, warnings: [], readableLength: null,
  });

test('an exam touched by two imports shows only when both have finished', () => {
  const station = openTestStation();
  try {
    const { imports, worklist } = station.db;
    const counts = { filesSeen: 1, imported: 1, duplicates: 0, rejected: 0, skipped: 0 };
    const a = imports.beginJob('1:1', null);
    const b = imports.beginJob('2:2', null);
    imports.commitBatch(a, [record('1.1')], [], counts);
    imports.commitBatch(b, [record('1.2')], [], counts);
    assert.equal(worklist.countExams(), 0);
    imports.finishJob(a, 'done', counts);
    assert.equal(worklist.countExams(), 0, 'still held by the other job');
    imports.finishJob(b, 'done', counts);
    assert.equal(worklist.countExams(), 1);
    // a SOP Instance UID another process committed meanwhile is a duplicate, not an error
    const c = imports.beginJob('3:3', null);
    const { lateDuplicates } = imports.commitBatch(c, [record('1.1')], [], counts);
    assert.equal(lateDuplicates.length, 1);
    imports.finishJob(c, 'done', counts);
    assert.equal(worklist.countExams(), 1);
  } finally {
    void station.close();
  }
});

test('a display rendition is recorded once: "none" never replaces one made, and only the process that records "none" says why', () => {
  const station = openTestStation();
  try {
    const { imports } = station.db;
    const counts = { filesSeen: 2, imported: 2, duplicates: 0, rejected: 0, skipped: 0 };
    const job = imports.beginJob('1:1', null);
    imports.commitBatch(job, [record('1.1', 'a'.repeat(32)), record('1.2', 'b'.repeat(32))], [], counts);
    imports.finishJob(job, 'done', counts);
    const rendition = (hash: string) => {
      const reader = new Database(station.db.file, { readonly: true });
      try {
        return (reader.prepare('SELECT display_rendition FROM instances WHERE file_hash = ?').get(hash) as { display_rendition: number | null }).display_rendition;
      } finally {
        reader.close();
      }
    };
    // two processes refuse the same image (too large, or unreadable): the first records it, the second is told it need not log
    assert.equal(imports.setRendition('a'.repeat(32), 0), true);
    assert.equal(imports.setRendition('a'.repeat(32), 0), false);
    assert.equal(rendition('a'.repeat(32)), 0);
    // one made it, another failed on it: the rendition made stays, whichever comes first
    assert.equal(imports.setRendition('b'.repeat(32), 1024), true);
    assert.equal(imports.setRendition('b'.repeat(32), 0), false);
    assert.equal(rendition('b'.repeat(32)), 1024);
    assert.equal(imports.setRendition('a'.repeat(32), 1024), true, 'a rendition made after another process gave up on it is recorded');
    assert.equal(rendition('a'.repeat(32)), 1024);
  } finally {
    void station.close();
  }
});
