// Whose exam is it, and what the worklist shows: patients are told apart by more than their ID,
// breast imaging is the default worklist, and a DICOMDIR found in a folder reports what it lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseOperationInput } from '../../common/api.ts';
import { tempDir } from '../helpers/paths.ts';
import { makeMammoFile } from '../helpers/mammo-files.ts';
import { openTestStation } from '../helpers/station.ts';
import { writePart10 } from '../../main/dicom/write.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';

const query = (input: object = {}) => parseOperationInput('worklistQuery', input);

function writeExam(dir: string, o: { patientId: string; name: string; birth: string; studyUid: string; date: string }): void {
  fs.mkdirSync(dir, { recursive: true });
  let n = 1;
  for (const view of ['CC', 'MLO'] as const) for (const laterality of ['R', 'L'] as const) {
    const bytes = Buffer.from(makeMammoFile({ patientId: o.patientId, patientName: o.name, studyUid: o.studyUid, studyDate: o.date, laterality, view, instanceNumber: n++ }));
    // the helper writes birth date 19600101: give each woman her own
    const at = bytes.indexOf(Buffer.from('19600101'));
    bytes.write(o.birth, at, 'latin1');
    fs.writeFileSync(path.join(dir, `${laterality}${view}.dcm`), bytes);
  }
}

test('two women with the same Patient ID are two patients; the same woman under a new name stays one', async () => {
  const dir = tempDir('identity');
  writeExam(path.join(dir, 'a-2024'), { patientId: 'SYN000001', name: 'RICHARD^NATHALIE', birth: '19620304', studyUid: '1.2.826.1.1', date: '20240110' });
  writeExam(path.join(dir, 'a-2026'), { patientId: 'SYN000001', name: 'RICHARD^NATHALIE', birth: '19620304', studyUid: '1.2.826.1.2', date: '20260110' });
  writeExam(path.join(dir, 'b-2025'), { patientId: 'SYN000001', name: 'DUBOIS^NATHALIE', birth: '19581120', studyUid: '1.2.826.1.3', date: '20250601' });
  // married since: new family name, same birth date
  writeExam(path.join(dir, 'a-2027'), { patientId: 'SYN000001', name: 'MARTIN^NATHALIE', birth: '19620304', studyUid: '1.2.826.1.4', date: '20270110' });
  const station = openTestStation();
  try {
    await station.handlers.importPaths({ paths: [dir] });
    const page = await station.handlers.worklistQuery(query());
    assert.equal(page.total, 4);
    const byUid = new Map(page.rows.map((r) => [r.studyInstanceUid, r]));
    const a2026 = byUid.get('1.2.826.1.2')!;
    const b2025 = byUid.get('1.2.826.1.3')!;
    assert.notEqual(a2026.patientKey, b2025.patientKey, 'DUBOIS and RICHARD are not merged');
    assert.ok(page.rows.every((r) => r.sharedPatientId), 'every exam warns that its ID is shared');
    assert.equal(b2025.patientName, 'DUBOIS^NATHALIE', 'each keeps her own name');
    assert.equal(a2026.patientName, 'RICHARD^NATHALIE');

    const detail = await station.handlers.examDetail({ examId: a2026.examId });
    assert.deepEqual(detail.priors.map((p) => p.studyInstanceUid).sort(), ['1.2.826.1.1', '1.2.826.1.4'], 'her priors are hers only');
    assert.equal(detail.identity.otherPatientsWithSameId, 1);
    assert.equal(detail.identity.differsFromPatient, false);
    const married = await station.handlers.examDetail({ examId: byUid.get('1.2.826.1.4')!.examId });
    assert.equal(married.exam.patientKey, a2026.patientKey, 'same birth date: the same woman');
    assert.equal(married.identity.differsFromPatient, true, 'her exam says its name differs from her record');
    const other = await station.handlers.examDetail({ examId: b2025.examId });
    assert.deepEqual(other.priors, []);
  } finally {
    await station.close();
  }
});

test('exams without a Patient ID are never merged', async () => {
  const dir = tempDir('no-id');
  writeExam(path.join(dir, 'x'), { patientId: '', name: 'ANONYMOUS', birth: '19700101', studyUid: '1.2.826.2.1', date: '20240101' });
  writeExam(path.join(dir, 'y'), { patientId: '', name: 'ANONYMOUS', birth: '19700101', studyUid: '1.2.826.2.2', date: '20250101' });
  const station = openTestStation();
  try {
    await station.handlers.importPaths({ paths: [dir] });
    const page = await station.handlers.worklistQuery(query());
    assert.equal(page.total, 2);
    assert.notEqual(page.rows[0]!.patientKey, page.rows[1]!.patientKey);
  } finally {
    await station.close();
  }
});

test('demo sets made with different seeds never share a Patient ID', async () => {
  const ids = new Set<string>();
  for (const seed of ['one', 'two']) {
    const out = tempDir(`seed-${seed}`);
    await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed, patients: 3, priors: 0, variants: false }, out, { workers: 1 });
    for (const f of fs.readdirSync(out)) if (fs.statSync(path.join(out, f)).isDirectory()) ids.add(f);
  }
  assert.equal(ids.size, 6, [...ids].join(' '));
});

test('the worklist shows breast imaging by default, and every modality on demand, with modalities listed', async () => {
  const dir = tempDir('scope');
  writeExam(path.join(dir, 'mg'), { patientId: 'P1', name: 'A^B', birth: '19600101', studyUid: '1.2.826.3.1', date: '20250101' });
  const ct = (modality: string, uid: string, bodyPart?: string) => writePart10({
    SOPClassUID: modality === 'CT' ? '1.2.840.10008.5.1.4.1.1.2' : '1.2.840.10008.5.1.4.1.1.6.1', SOPInstanceUID: `${uid}.1.1`,
    StudyInstanceUID: uid, SeriesInstanceUID: `${uid}.1`, Modality: modality, PatientID: 'P1', PatientName: 'A^B', PatientBirthDate: '19600101',
    StudyDate: '20250202', ...(bodyPart ? { BodyPartExamined: bodyPart } : {}),
    SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', Rows: 2, Columns: 2, BitsAllocated: 16, BitsStored: 12, HighBit: 11,
    PixelRepresentation: 0, PixelData: [new Uint16Array(4).buffer], _vrMap: { PixelData: 'OW' },
  });
  fs.writeFileSync(path.join(dir, 'ct.dcm'), ct('CT', '1.2.826.3.2'));
  fs.writeFileSync(path.join(dir, 'us.dcm'), ct('US', '1.2.826.3.3', 'BREAST'));
  const station = openTestStation();
  try {
    const summary = await station.handlers.importPaths({ paths: [dir] });
    assert.equal(summary.rejected, 0, JSON.stringify(summary.problems));
    const breast = await station.handlers.worklistQuery(query());
    assert.deepEqual(breast.rows.map((r) => r.modalities.join()).sort(), ['MG', 'US']);
    const all = await station.handlers.worklistQuery(query({ filter: { scope: 'all' } }));
    assert.deepEqual(all.rows.map((r) => r.modalities.join()).sort(), ['CT', 'MG', 'US']);
  } finally {
    await station.close();
  }
});

test('a DICOMDIR found inside an imported folder reports the files it lists but the folder lacks', async () => {
  const dir = tempDir('dicomdir-in-folder');
  writeExam(path.join(dir, 'IMAGES'), { patientId: 'P2', name: 'C^D', birth: '19600101', studyUid: '1.2.826.4.1', date: '20250101' });
  const record = (file: string) => ({ DirectoryRecordType: 'IMAGE', ReferencedFileID: ['IMAGES', file] });
  fs.writeFileSync(path.join(dir, 'DICOMDIR'), writePart10({
    SOPClassUID: '1.2.840.10008.1.3.10', SOPInstanceUID: '1.2.826.4.9', FileSetID: 'TEST',
    // the STUDY record names the exam its IMAGE records belong to: the exam lacks what its media lacks
    DirectoryRecordSequence: [{ DirectoryRecordType: 'STUDY', StudyInstanceUID: '1.2.826.4.1' }, record('RCC.dcm'), record('LCC.dcm'),
      { ...record('GONE1.dcm'), ReferencedSOPInstanceUIDInFile: '1.2.826.4.1.99' }, record('..\\..\\etc\\passwd')],
  }));
  const station = openTestStation();
  try {
    const summary = await station.handlers.importPaths({ paths: [dir] });
    assert.equal(summary.imported, 4);
    assert.equal(summary.ignored, 1);
    assert.deepEqual(summary.missingFiles.map((f) => path.basename(f)), ['GONE1.dcm', 'passwd']);
    assert.equal(summary.missing, 2);
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.incompleteExams, 1, 'the exam is marked incomplete');
    const [row] = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { filter: { scope: 'all' } }))).rows;
    assert.equal(row!.rejectedFiles, 2);
  } finally {
    await station.close();
  }
});

/** A dose report of one exam whose Patient's Name is these bytes under this Specific Character Set, without a birth date. */
function japaneseReport(file: string, charset: string[], nameBytes: Buffer, sop: string): void {
  const even = nameBytes.length % 2 ? Buffer.concat([nameBytes, Buffer.from(' ')]) : nameBytes;
  const placeholder = 'Q'.repeat(even.length);
  const bytes = Buffer.from(writePart10({
    SpecificCharacterSet: charset, SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.67', SOPInstanceUID: sop, StudyInstanceUID: '1.2.826.0.1.3680043.77.53.7',
    SeriesInstanceUID: '1.2.826.0.1.3680043.77.53.7.2', Modality: 'SR', PatientID: 'P-JP', PatientName: placeholder, StudyDate: '20250301',
  }));
  even.copy(bytes, bytes.indexOf(placeholder));
  fs.writeFileSync(file, bytes);
}

test('a Japanese exam filed before its names were decoded (ISO 2022 IR 87, read as Latin-1) takes its later files, her name then read as they say; another woman\'s name is still another woman (a probe: without a birth date, the later file was refused as another patient\'s)', async () => {
  const dir = tempDir('identity-jis');
  const jis = Buffer.from('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B', 'latin1');
  // the library's first file as read before (its name's bytes taken as Latin-1, as a file naming no set is read)
  japaneseReport(path.join(dir, 'before.dcm'), [''], jis, '1.2.826.0.1.3680043.77.53.7.1');
  japaneseReport(path.join(dir, 'after.dcm'), ['', 'ISO 2022 IR 87'], jis, '1.2.826.0.1.3680043.77.53.7.3');
  japaneseReport(path.join(dir, 'other.dcm'), ['', 'ISO 2022 IR 87'], Buffer.from('Suzuki^Hanako=\x1b$B?(LZ\x1b(B^\x1b$BNh;R\x1b(B', 'latin1'), '1.2.826.0.1.3680043.77.53.7.4');
  const station = openTestStation();
  try {
    await station.handlers.importPaths({ paths: [path.join(dir, 'before.dcm')] });
    const [before] = (await station.handlers.worklistQuery(query({ filter: { scope: 'all' } }))).rows;
    assert.equal(before!.patientName, jis.toString('latin1'));
    const after = await station.handlers.importPaths({ paths: [path.join(dir, 'after.dcm')] });
    assert.deepEqual([after.imported, after.rejected], [1, 0], JSON.stringify(after.problems));
    const rows = (await station.handlers.worklistQuery(query({ filter: { scope: 'all' } }))).rows;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.patientName, 'Yamada^Tarou=山田^太郎', 'named as her files say now');
    const other = await station.handlers.importPaths({ paths: [path.join(dir, 'other.dcm')] });
    assert.deepEqual([other.imported, other.rejected, other.problems[0]?.code], [0, 1, 'study_conflict']);
  } finally {
    await station.close();
  }
});
