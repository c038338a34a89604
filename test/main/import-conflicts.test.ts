// Another woman's image must never be filed into this woman's exam: a file whose SOP Instance,
// Series Instance or Study Instance UID the library already holds for another exam or another woman
// is refused and quarantined, before it is stored and again when its batch commits; a true
// duplicate stays a duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseOperationInput } from '../../common/api.ts';
import { tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { writePart10 } from '../../main/dicom/write.ts';
import { parseDicom } from '../../main/dicom/parse.ts';
import type { ParsedInstance } from '../../main/dicom/attributes.ts';
import type { StationService } from '../../main/service/station.ts';

const query = (input: object = {}) => parseOperationInput('worklistQuery', input);

interface Woman { id: string; name: string; birth: string }
const ANNE: Woman = { id: 'PAT-A', name: 'MARTIN^ANNE', birth: '19600101' };
const BRIGITTE: Woman = { id: 'PAT-B', name: 'OTHER^BRIGITTE', birth: '19700101' };

/** A small MG image of `woman`, filed under exactly the UIDs given. */
function image(woman: Woman, uids: { study: string; series: string; sop: string }, laterality: 'R' | 'L' = 'R'): Uint8Array {
  return writePart10({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.2', SOPInstanceUID: uids.sop, StudyInstanceUID: uids.study, SeriesInstanceUID: uids.series,
    Modality: 'MG', PatientID: woman.id, PatientName: woman.name, PatientBirthDate: woman.birth, StudyDate: '20250101',
    ImageLaterality: laterality, ViewPosition: 'CC', PresentationIntentType: 'FOR PRESENTATION',
    SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', Rows: 4, Columns: 4, BitsAllocated: 16, BitsStored: 12, HighBit: 11,
    PixelRepresentation: 0, PixelData: [new Uint16Array(16).fill(laterality === 'R' ? 100 : 200).buffer], _vrMap: { PixelData: 'OW' },
  });
}

const A_UIDS = { study: '1.2.826.0.1.1', series: '1.2.826.0.1.1.1', sop: '1.2.826.0.1.1.1.1' };

function write(dir: string, name: string, bytes: Uint8Array): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Every exam of the library (held back or not) with its patient and the SOP Instance UIDs of its images. */
function exams(station: StationService): { patient: string; study: string; sops: string[] }[] {
  return (station.db.connection.prepare(`SELECT p.patient_id AS patient, s.study_uid AS study,
        (SELECT group_concat(i.sop_uid, ' ') FROM series se JOIN instances i ON i.series_ref = se.id WHERE se.study_ref = s.id) AS sops
      FROM studies s JOIN patients p ON p.id = s.patient_ref ORDER BY s.study_uid`).all() as { patient: string; study: string; sops: string | null }[])
    .map((r) => ({ patient: r.patient, study: r.study, sops: (r.sops ?? '').split(' ').filter(Boolean).sort() }));
}

/** The files in the content-addressed store (not its temporary folders or renditions). */
function storedFiles(station: StationService): string[] {
  const store = path.join(station.paths.root, 'store');
  return fs.readdirSync(store, { recursive: true }).map(String).filter((f) => /^[0-9a-f]{2}[\\/][0-9a-f]{2}[\\/][0-9a-f]{32}\.dcm$/.test(f));
}

async function importOne(station: StationService, file: string) {
  return station.handlers.importPaths({ paths: [file] });
}

test('a file reusing the Series Instance UID of another woman\'s exam is refused, not filed into her exam', async () => {
  const dir = tempDir('series-conflict');
  const station = openTestStation();
  try {
    await importOne(station, write(dir, 'a.dcm', image(ANNE, A_UIDS)));
    const b = await importOne(station, write(dir, 'b.dcm', image(BRIGITTE, { study: '1.2.826.0.2.1', series: A_UIDS.series, sop: '1.2.826.0.2.1.1.1' })));
    assert.deepEqual([b.imported, b.rejected, b.duplicates], [0, 1, 0]);
    assert.deepEqual(b.problems.map((p) => [path.basename(p.file), p.code]), [['b.dcm', 'series_conflict']]);
    assert.deepEqual(exams(station), [{ patient: 'PAT-A', study: A_UIDS.study, sops: [A_UIDS.sop] }], 'her exam holds her image only');
    assert.equal(storedFiles(station).length, 1, 'the refused file was not stored');
    const [entry] = await station.handlers.quarantineList({ limit: 10 });
    assert.equal(entry!.code, 'series_conflict');
    assert.deepEqual(entry!.params, {}, 'no patient data, no UIDs in the reason');
  } finally {
    await station.close();
  }
});

test('a file reusing the Study Instance UID of another woman\'s exam is refused; her exam is not marked incomplete for it', async () => {
  const dir = tempDir('study-conflict');
  const station = openTestStation();
  try {
    await importOne(station, write(dir, 'a.dcm', image(ANNE, A_UIDS)));
    const b = await importOne(station, write(dir, 'b.dcm', image(BRIGITTE, { study: A_UIDS.study, series: '1.2.826.0.2.1.1', sop: '1.2.826.0.2.1.1.1' })));
    assert.deepEqual(b.problems.map((p) => p.code), ['study_conflict']);
    assert.equal(b.imported, 0);
    assert.deepEqual(exams(station), [{ patient: 'PAT-A', study: A_UIDS.study, sops: [A_UIDS.sop] }]);
    const row = (await station.handlers.worklistQuery(query())).rows[0]!;
    assert.equal(row.imageCount, 1);
    assert.equal(row.rejectedFiles, 0, 'the refused file is another woman\'s: her exam lacks nothing');
    // the same woman's next image of that exam still files into it
    const more = await importOne(station, write(dir, 'a2.dcm', image(ANNE, { ...A_UIDS, sop: `${A_UIDS.sop}.2` }, 'L')));
    assert.deepEqual([more.imported, more.rejected], [1, 0]);
  } finally {
    await station.close();
  }
});

test('a file reusing the SOP Instance UID of another woman\'s image is a conflict, not a duplicate', async () => {
  const dir = tempDir('sop-conflict');
  const station = openTestStation();
  try {
    await importOne(station, write(dir, 'a.dcm', image(ANNE, A_UIDS)));
    // another exam of another woman (the probe's case), then the same exam and series under another woman's name
    const other = await importOne(station, write(dir, 'b.dcm', image(BRIGITTE, { study: '1.2.826.0.2.1', series: '1.2.826.0.2.1.1', sop: A_UIDS.sop })));
    const renamed = await importOne(station, write(dir, 'c.dcm', image(BRIGITTE, A_UIDS)));
    for (const s of [other, renamed]) {
      assert.deepEqual([s.imported, s.duplicates, s.rejected], [0, 0, 1]);
      assert.equal(s.problems[0]!.code, 'uid_conflict');
    }
    assert.deepEqual(exams(station), [{ patient: 'PAT-A', study: A_UIDS.study, sops: [A_UIDS.sop] }]);
    assert.equal(storedFiles(station).length, 1);
  } finally {
    await station.close();
  }
});

test('a true duplicate stays a duplicate, whatever the case and accents of her name', async () => {
  const dir = tempDir('true-duplicate');
  const station = openTestStation();
  try {
    await importOne(station, write(dir, 'a.dcm', image(ANNE, A_UIDS)));
    const again = await importOne(station, path.join(dir, 'a.dcm'));
    assert.deepEqual([again.imported, again.duplicates, again.rejected], [0, 1, 0]);
    const rewritten = await importOne(station, write(dir, 'a-bis.dcm', image({ ...ANNE, name: 'Martin^Anne' }, A_UIDS)));
    assert.deepEqual([rewritten.imported, rewritten.duplicates, rewritten.rejected], [0, 1, 0]);
  } finally {
    await station.close();
  }
});

test('anonymised files (no Patient ID) of one exam file together; another name under the same Study Instance UID does not', async () => {
  const dir = tempDir('anonymised');
  const station = openTestStation();
  try {
    const anonymous = (name: string): Woman => ({ id: '', name, birth: '' });
    await importOne(station, write(dir, 'a.dcm', image(anonymous('ANON^1'), A_UIDS)));
    const same = await importOne(station, write(dir, 'a2.dcm', image(anonymous('ANON^1'), { ...A_UIDS, sop: `${A_UIDS.sop}.2` }, 'L')));
    assert.deepEqual([same.imported, same.rejected], [1, 0]);
    const other = await importOne(station, write(dir, 'b.dcm', image(anonymous('ANON^2'), { ...A_UIDS, sop: `${A_UIDS.sop}.3` })));
    assert.deepEqual(other.problems.map((p) => p.code), ['study_conflict']);
    assert.deepEqual(exams(station).map((e) => e.sops.length), [2]);
  } finally {
    await station.close();
  }
});

test('two conflicting files new to the library in one import: the first is filed, the second refused at commit and removed from the store', async () => {
  const dir = tempDir('same-job');
  // one batch: both pass the check before storing (neither is in the library yet); the commit tells them apart
  const station = openTestStation({ batchSize: 100 });
  try {
    write(dir, 'a-rcc.dcm', image(ANNE, A_UIDS));
    write(dir, 'a-lcc.dcm', image(ANNE, { ...A_UIDS, sop: `${A_UIDS.sop}.2` }, 'L'));
    write(dir, 'b-series.dcm', image(BRIGITTE, { study: '1.2.826.0.2.1', series: A_UIDS.series, sop: '1.2.826.0.2.1.1.1' }));
    write(dir, 'b-study.dcm', image(BRIGITTE, { study: A_UIDS.study, series: '1.2.826.0.2.1.2', sop: '1.2.826.0.2.1.2.1' }, 'L'));
    write(dir, 'b-own.dcm', image(BRIGITTE, { study: '1.2.826.0.2.2', series: '1.2.826.0.2.2.1', sop: '1.2.826.0.2.2.1.1' }));
    const summary = await station.handlers.importPaths({ paths: [dir] });
    assert.equal(summary.imported + summary.rejected, 5);
    // which of two clashing files comes first depends on the order they finish storing; each woman keeps only her own images
    const byStudy = new Map(exams(station).map((e) => [e.study, e]));
    for (const e of byStudy.values()) {
      const owner = e.patient === 'PAT-A' ? A_UIDS.study : null;
      if (owner) assert.equal(e.study, owner);
      for (const sop of e.sops) assert.equal(sop.startsWith('1.2.826.0.1.') ? 'PAT-A' : 'PAT-B', e.patient, `${sop} in ${e.patient}'s exam`);
    }
    assert.ok(summary.problems.every((p) => p.code === 'series_conflict' || p.code === 'study_conflict'), JSON.stringify(summary.problems));
    assert.equal(summary.importedImages, summary.imported);
    assert.equal(storedFiles(station).length, summary.imported, 'no file refused at commit stays in the store');
    assert.equal((await station.handlers.quarantineList({ limit: 10 })).length, summary.rejected);
    // both women's exams are listed, each with her own images only
    const page = await station.handlers.worklistQuery(query());
    for (const row of page.rows) {
      const detail = await station.handlers.examDetail({ examId: row.examId });
      const sops = detail.series.flatMap((s) => s.instances.map((i) => i.sopInstanceUid));
      assert.ok(sops.every((sop) => sop.startsWith('1.2.826.0.1.') === (row.patientId === 'PAT-A')), `${row.patientId}: ${sops.join(' ')}`);
    }
    assert.ok(page.rows.some((r) => r.patientId === 'PAT-B'), 'her own exam is filed');
  } finally {
    await station.close();
  }
});

test('two files of one import with the same SOP Instance UID for two women: one is filed, the other refused, not counted a duplicate', async () => {
  const dir = tempDir('same-job-sop');
  const station = openTestStation();
  try {
    write(dir, 'a.dcm', image(ANNE, A_UIDS));
    write(dir, 'b.dcm', image(BRIGITTE, { study: '1.2.826.0.2.1', series: '1.2.826.0.2.1.1', sop: A_UIDS.sop }));
    const summary = await station.handlers.importPaths({ paths: [dir] });
    assert.deepEqual([summary.imported, summary.duplicates, summary.rejected], [1, 0, 1]);
    assert.equal(summary.problems[0]!.code, 'uid_conflict');
    assert.equal(exams(station).length, 1);
    assert.equal(storedFiles(station).length, 1);
  } finally {
    await station.close();
  }
});

test('an uploaded file refused at commit is kept in quarantine, not lost', async () => {
  const station = openTestStation({ batchSize: 100 });
  try {
    const { uploadId } = await station.handlers.beginUpload({});
    await station.receiveUpload(uploadId, 'a.dcm', Readable.from([Buffer.from(image(ANNE, A_UIDS))]));
    const clash = Buffer.from(image(BRIGITTE, { study: '1.2.826.0.2.1', series: A_UIDS.series, sop: '1.2.826.0.2.1.1.1' }));
    await station.receiveUpload(uploadId, 'b.dcm', Readable.from([clash]));
    const summary = await station.handlers.finishUpload({ uploadId });
    assert.deepEqual([summary.imported, summary.rejected], [1, 1]);
    const [entry] = await station.handlers.quarantineList({ limit: 1 });
    assert.equal(entry!.keptCopy, true);
    const kept = fs.readdirSync(path.join(station.paths.root, 'quarantine'), { recursive: true }).map(String).filter((f) => f.endsWith('.dcm'));
    assert.equal(kept.length, 1);
    const keptBytes = fs.readFileSync(path.join(station.paths.root, 'quarantine', kept[0]!));
    const refused = (parseDicom(keptBytes) as ParsedInstance).sopInstanceUid;
    // whichever of the two came second was refused, and its bytes are what was kept
    assert.ok([A_UIDS.sop, '1.2.826.0.2.1.1.1'].includes(refused));
    assert.equal(storedFiles(station).length, 1);
  } finally {
    await station.close();
  }
});

test('a batch committed after another process filed a clashing exam meanwhile returns its records as conflicts', async () => {
  const station = openTestStation();
  try {
    const dir = tempDir('race');
    await importOne(station, write(dir, 'a.dcm', image(ANNE, A_UIDS)));
    const { imports, connection } = station.db;
    const attributes = parseDicom(image(BRIGITTE, { study: '1.2.826.0.2.1', series: A_UIDS.series, sop: '1.2.826.0.2.1.1.1' })) as ParsedInstance;
    const jobId = imports.beginJob(`${process.pid}:0`, null);
    const counts = { filesSeen: 1, imported: 1, duplicates: 0, rejected: 0, skipped: 0 };
    const record = { attributes, fileHash: '0'.repeat(32), fileSize: 1, warnings: [], readableLength: null };
    const result = imports.commitBatch(jobId, [record], [], counts);
    assert.deepEqual(result.conflicts.map((c) => c.problem.code), ['series_conflict']);
    assert.equal(result.touched.size, 0);
    assert.deepEqual({ ...connection.prepare('SELECT imported, rejected FROM import_jobs WHERE id = ?').get(jobId) as object }, { imported: 0, rejected: 1 });
    assert.deepEqual(exams(station), [{ patient: 'PAT-A', study: A_UIDS.study, sops: [A_UIDS.sop] }]);
  } finally {
    await station.close();
  }
});
