// What an import says it did, and what it does with entries that are not plain files. A folder of
// 4 images, 1 FOR PROCESSING image and 1 dose report imported 6 files, not 6 images: the summary
// says each kind apart. Symbolic links to files are followed (a folder of links into an archive is
// a common export); links to folders are not (they could loop, or lead anywhere); a FIFO is never
// opened (opening one for reading blocks until someone writes to it: the import would never end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { makeMammoFile } from '../helpers/mammo-files.ts';
import { writePart10 } from '../../main/dicom/write.ts';
import { describeImportSummary } from '../../common/import-summary.ts';

const HAS_MKFIFO = process.platform !== 'win32' && ['/usr/bin/mkfifo', '/bin/mkfifo'].some((p) => fs.existsSync(p));
/** An import that takes longer than this is taken as hanging (these take well under a second). */
const HANG_MS = 20_000;

const base = { patientId: 'P-ENT', patientName: 'ENTRY^TEST', studyUid: '1.2.826.0.1.3680043.77.1', studyDate: '20250301' };

function writeKinds(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  let n = 1;
  for (const laterality of ['R', 'L'] as const) for (const view of ['CC', 'MLO'] as const) {
    fs.writeFileSync(path.join(dir, `${laterality}${view}.dcm`), makeMammoFile({ ...base, laterality, view, instanceNumber: n++ }));
  }
  fs.writeFileSync(path.join(dir, 'raw-RCC.dcm'), makeMammoFile({ ...base, laterality: 'R', view: 'CC', instanceNumber: 9, forProcessing: true }));
  fs.writeFileSync(path.join(dir, 'dose.dcm'), writePart10({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.67', SOPInstanceUID: '1.2.826.0.1.3680043.77.1.99', StudyInstanceUID: base.studyUid,
    SeriesInstanceUID: '1.2.826.0.1.3680043.77.1.98', Modality: 'SR', PatientID: base.patientId, PatientName: base.patientName,
    PatientBirthDate: '19600101', StudyDate: base.studyDate,
  }));
}

function withDeadline<T>(task: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${HANG_MS} ms`)), HANG_MS); });
  return Promise.race([task, deadline]).finally(() => clearTimeout(timer));
}

test('the summary says images for reading, FOR PROCESSING images and other objects apart, in English and in French', async () => {
  const dir = tempDir('import-kinds');
  writeKinds(dir);
  const station = openTestStation();
  try {
    const summary = await station.handlers.importPaths({ paths: [dir] });
    assert.deepEqual([summary.imported, summary.importedImages, summary.importedForProcessing, summary.importedOther], [6, 4, 1, 1]);
    const en = describeImportSummary('en', summary);
    assert.equal(en.headline, 'Imported 6 files: 4 images for reading, 1 FOR PROCESSING image (kept, not shown), 1 other object (such as a dose report).');
    assert.deepEqual(en.details, []);
    const fr = describeImportSummary('fr', summary);
    assert.match(fr.headline, /^Fichiers importés\u202f: 6 — 4 images pour la lecture, 1 image brute/);

    const again = await station.handlers.importPaths({ paths: [dir] });
    assert.deepEqual([again.imported, again.duplicates], [0, 6]);
    assert.equal(describeImportSummary('en', again).headline, 'Nothing new was imported.');
    assert.deepEqual(describeImportSummary('en', again).details, ['6 files already in the library (same SOP Instance UID) were skipped.']);
    assert.deepEqual(describeImportSummary('fr', again).details, ['6 fichiers déjà dans la bibliothèque (même SOP Instance UID) ont été ignorés.']);
  } finally {
    await station.close();
  }
});

test('a FIFO, links to files, a link to a folder and a broken link: files followed, the rest named and never opened, and the import ends', { skip: HAS_MKFIFO ? false : 'mkfifo is not available (FIFOs are a POSIX thing)' }, async () => {
  const archive = tempDir('import-archive');
  writeKinds(archive);
  const dir = tempDir('import-links');
  fs.symlinkSync(path.join(archive, 'RCC.dcm'), path.join(dir, 'link-RCC.dcm'));
  fs.symlinkSync(path.join(archive, 'LCC.dcm'), path.join(dir, 'link-LCC.dcm'));
  fs.symlinkSync(archive, path.join(dir, 'link-to-folder'));
  fs.symlinkSync(path.join(archive, 'gone.dcm'), path.join(dir, 'broken-link.dcm'));
  execFileSync('mkfifo', [path.join(dir, 'pipe.dcm')]);
  const station = openTestStation();
  try {
    const summary = await withDeadline(station.handlers.importPaths({ paths: [dir] }), 'import of a folder with a FIFO');
    assert.equal(summary.status, 'done');
    assert.equal(summary.importedImages, 2, 'the two links to files were followed');
    assert.equal(summary.imported, 2, 'the link to the folder was not followed');
    assert.equal(summary.rejected, 0);
    assert.equal(summary.notFiles, 3);
    assert.deepEqual(summary.notFileEntries.map((e) => [path.basename(e.file), e.code]).sort(),
      [['broken-link.dcm', 'broken_link'], ['link-to-folder', 'link_to_folder'], ['pipe.dcm', 'not_regular_file']]);
    const en = describeImportSummary('en', summary);
    assert.ok(en.details.includes('3 entries were not opened (not files to read here).'), en.details.join(' / '));
    assert.ok(en.examples.some((line) => /pipe\.dcm — not a regular file/.test(line)), en.examples.join(' / '));

    // a FIFO named on its own is not opened either
    const named = await withDeadline(station.handlers.importPaths({ paths: [path.join(dir, 'pipe.dcm')] }), 'import of a FIFO named alone');
    assert.deepEqual([named.imported, named.rejected, named.notFiles], [0, 0, 1]);
  } finally {
    await station.close();
  }
});

test('a folder too deep for the system is reported by its own path, and the rest of the walk still imports', { skip: process.platform === 'win32' ? 'a POSIX path limit' : false }, async () => {
  const dir = tempDir('import-deep');
  writeKinds(path.join(dir, 'a-first'));
  writeKinds(path.join(dir, 'z-after'));
  // 22 folders of 200 characters below 'm-deep': deeper than PATH_MAX (4096), made one level at a time
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    fs.mkdirSync('m-deep');
    process.chdir('m-deep');
    for (let i = 0; i < 22; i++) { fs.mkdirSync('d'.repeat(200)); process.chdir('d'.repeat(200)); }
  } finally {
    process.chdir(cwd);
  }
  const station = openTestStation();
  try {
    const summary = await withDeadline(station.handlers.importPaths({ paths: [dir] }), 'import of a folder with a deep subfolder');
    // the same six files in both folders: the second set are duplicates, but every file was reached
    assert.equal(summary.filesSeen, 12);
    assert.deepEqual([summary.imported, summary.duplicates], [6, 6]);
    // a folder is not a file: not counted among the files refused ("1 file was not imported: it is in the
    // quarantine list", a probe), but among the entries not opened, with its reason
    assert.deepEqual([summary.rejected, summary.problems.length, summary.notFiles], [0, 0, 1]);
    const deep = summary.notFileEntries.find((p) => p.code === 'path_too_long');
    assert.ok(deep, JSON.stringify(summary.notFileEntries.map((p) => p.code)));
    assert.ok(deep.file.startsWith(path.join(dir, 'm-deep')) && deep.file.length > 4000, 'reported by its own path, not the folder named');
    const said = describeImportSummary('en', summary);
    assert.ok(!said.details.some((line) => /file was not imported/.test(line)), said.details.join(' / '));
    assert.ok(said.details.includes('1 entry was not opened (not a file to read here).'), said.details.join(' / '));
    assert.deepEqual(station.db.imports.quarantineList(10), [], 'no folder in the quarantine list');
  } finally {
    await station.close();
    // Node's rm cannot name paths that long; rm(1) walks them relative to each folder
    execFileSync('rm', ['-rf', dir]);
  }
});

test('importing the same files again restores stored copies that went missing, were cut short or replaced by something else', { skip: HAS_MKFIFO ? false : 'mkfifo is not available' }, async () => {
  const dir = tempDir('import-restore');
  writeKinds(dir);
  const station = openTestStation();
  try {
    await station.handlers.importPaths({ paths: [dir] });
    const files = station.db.worklist.storedFiles(null);
    const [gone, cut, piped, kept] = files.map((f) => station.store.pathFor(f.fileHash)) as [string, string, string, string];
    fs.rmSync(gone);
    fs.truncateSync(cut, 100);
    fs.rmSync(piped);
    execFileSync('mkfifo', [piped]);
    assert.equal((await station.handlers.checkStore({ content: false })).damaged.length, 3);

    const again = await withDeadline(station.handlers.importPaths({ paths: [dir] }), 're-import');
    assert.deepEqual([again.imported, again.duplicates, again.repaired], [0, 6, 3]);
    assert.ok(describeImportSummary('en', again).details.includes('Of these, 3 restored the library’s copies, which were missing or damaged in the store.'));
    assert.deepEqual((await station.handlers.checkStore({ content: true })).damaged, [], 'every stored file whole again');
    assert.ok(fs.statSync(piped).isFile());
    assert.ok(fs.existsSync(kept));

    // other bytes under the same SOP Instance UID never take the place of the library's copy
    const original = fs.readFileSync(path.join(dir, 'RCC.dcm'));
    const rccStored = files.map((f) => station.store.pathFor(f.fileHash)).find((p) => fs.readFileSync(p).equals(original))!;
    fs.rmSync(rccStored);
    const changed = Buffer.from(original);
    changed[changed.length - 2] ^= 0xff; // a pixel changed: same UIDs, other bytes
    const other = path.join(tempDir('import-restore-other'), 'RCC.dcm');
    fs.writeFileSync(other, changed);
    const wrong = await station.handlers.importPaths({ paths: [other] });
    assert.deepEqual([wrong.duplicates, wrong.repaired], [1, 0]);
    assert.equal((await station.handlers.checkStore({ content: false })).damaged.length, 1, 'still missing: only its own bytes restore it');
    assert.equal((await station.handlers.importPaths({ paths: [path.join(dir, 'RCC.dcm')] })).repaired, 1);
  } finally {
    await station.close();
  }
});
