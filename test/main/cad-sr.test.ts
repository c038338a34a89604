// Mammography CAD SR both ways (issue 9, parts 3 and 4). Out: each finished analysis is stored in
// its exam as a Mammography CAD SR that dicom3tools' dciodvfy and dcmtk's dsrdump (which checks the
// IOD's relationship constraints) accept without an error, and that reads back to the very marks the
// station found. In: a CAD SR written by hand from PS3.16 TID 4000 (test/fixtures/vendor-cad-sr.dump,
// not by the station's writer) and built by dcmtk's dump2dcm shows its marks on the right images,
// under the vendor's algorithm name, honouring each finding's rendering intent; one that is not a
// Mammography CAD Report keeps its reason and breaks nothing.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import dcmjs from 'dcmjs';
import { readCadSr } from '../../main/dicom/cad-sr-read.ts';
import { MAMMOGRAPHY_CAD_SR_CLASS } from '../../main/dicom/cad-sr-codes.ts';
import { fitLongString, seriesDescription } from '../../main/dicom/cad-sr-write.ts';
import { CONCEPTS, FINDING_CODES } from '../../main/dicom/cad-sr-codes.ts';
import { writeTinyModel } from '../helpers/onnx-models.ts';
import { openTestStation } from '../helpers/station.ts';
import { tempDir } from '../helpers/paths.ts';
import { writeFourViews } from '../helpers/mammo-files.ts';
import { SKIP_NO_DUMP2DCM, writeVendorCadSr } from '../helpers/vendor-cad-sr.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Importer } from '../../main/import/importer.ts';
import type { CadReportService } from '../../main/service/cad-reports.ts';
import { log } from '../../main/base/log.ts';
import type { ImportProgress } from '../../common/domain.ts';
import { aiStateText, cadMarksLabel } from '../../renderer/ai/ai-state.ts';
import { makeI18n } from '../../renderer/i18n.tsx';

const has = (tool: string, ...args: string[]) => spawnSync(tool, args, { stdio: 'ignore' }).error === undefined;
const SKIP_NO_VALIDATORS = has('dciodvfy') && has('dsrdump', '--version') ? false : 'dicom3tools\' dciodvfy or dcmtk\'s dsrdump is not installed (apt-get install dicom3tools dcmtk)';

type Station = ReturnType<typeof openTestStation>;
const examsOf = async (station: Station) =>
  (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);

const storedPath = (station: Station, instanceId: number) => station.store.pathFor(station.db.worklist.instanceFile(instanceId)!.fileHash);

/** The exam's analysis, and the SOP Instance UID of the CAD SR written for it once it is stored in the library. */
async function storedSrOf(station: Station, examId: number, what: string, ms?: number): Promise<{ job: number; srUid: string }> {
  // the exam queued once the station has found its models (a clean-clone run on a loaded machine asked before: no job yet)
  const job = await waitFor(`${what}: the exam queued`, () => (station.db.connection.prepare('SELECT id FROM ai_jobs WHERE study_ref = ?').get(examId) as { id: number } | undefined)?.id, ms);
  const srUid = await waitFor(what, () => {
    const uid = station.db.cadReports.srOf(job);
    return uid && station.db.worklist.instanceBySopUid(uid) !== null && uid;
  }, ms);
  return { job, srUid };
}

/** dciodvfy's errors and dsrdump's (which checks the Mammography CAD SR relationship constraints). */
function validate(file: string): { errors: string[] } {
  const iod = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  const sr = spawnSync('dsrdump', ['-Ee', file], { encoding: 'utf8' });
  const errors = [
    ...`${iod.stdout}${iod.stderr}`.split('\n').filter((l) => /^Error/.test(l)),
    ...`${sr.stdout}${sr.stderr}`.split('\n').filter((l) => /^[EF]:/.test(l)),
    ...(sr.status === 0 ? [] : [`dsrdump exited with ${sr.status}`]),
  ];
  return { errors };
}

test('each finished analysis is stored in its exam as a Mammography CAD SR that dciodvfy and dsrdump accept, and that reads back to the same marks', { timeout: 300_000, skip: SKIP_NO_VALIDATORS }, async () => {
  const models = tempDir('cad-sr-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'cad-sr-out' });
    const [examId] = await examsOf(station);
    const results = await waitFor('the analysis', async () => {
      const r = await station.handlers.aiResults({ examId: examId! });
      return r.state?.status === 'done' && r;
    });
    const { job, srUid } = await storedSrOf(station, examId!, 'the CAD SR');
    const srInstance = station.db.worklist.instanceBySopUid(srUid)!;
    // in the exam, as an SR series of its own
    const detail = await station.handlers.examDetail({ examId: examId!, purpose: 'prefetch' });
    const srSeries = detail.series.find((s) => s.instances.some((i) => i.instanceId === srInstance))!;
    assert.equal(srSeries.modality, 'SR');
    assert.equal(srSeries.instances[0]!.sopClassUid, MAMMOGRAPHY_CAD_SR_CLASS);

    const file = storedPath(station, srInstance);
    const { errors } = validate(file);
    assert.deepEqual(errors, [], 'dciodvfy and dsrdump find no error');

    // the same patient and study as the images
    const sr = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(fs.readFileSync(file).buffer as ArrayBuffer).dict) as Record<string, unknown>;
    assert.equal(sr.StudyInstanceUID, detail.exam.studyInstanceUid);
    assert.equal(sr.PatientID, detail.exam.patientId);

    // its marks are the findings, on the same images and pixels (all of them, those below the default operating point optional)
    const stored = station.db.ai.jobResult(job)!.findings;
    assert.ok(stored.length > 0, 'the tiny model marked bright places');
    const images = new Map(detail.series.flatMap((s) => s.instances).map((i) => [i.sopInstanceUid, i.instanceId]));
    const read = readCadSr(fs.readFileSync(file));
    assert.equal(read.algorithmName, 'Bright spots (test fixture)');
    assert.equal(read.marks.length, stored.length);
    const threshold = results.model!.operatingPoint.threshold;
    for (const f of stored) {
      const m = read.marks.find((r) => images.get(r.imageUid) === f.instanceId && Math.abs(r.x - f.x) < 0.01 && Math.abs(r.y - f.y) < 0.01);
      assert.ok(m, `finding at ${f.x}, ${f.y} of image ${f.instanceId} is in the SR`);
      assert.equal(m.class, f.class);
      assert.ok(Math.abs(m.certainty! - f.score) < 1e-4);
      for (let k = 0; k < 4; k++) assert.ok(Math.abs(m.box[k]! - f.box[k]!) < 0.01, `box ${m.box} vs ${f.box}`);
      assert.equal(m.intent, f.score >= threshold ? 'required' : 'optional');
    }
    // a synthetic-trained model says so in its SR (Algorithm Parameters): any station showing its marks can say it
    // and what its scores are on (a vendor's 87 on 0–100 and a 0.87 on 0–1 went out alike, "no units": a vendor's probe)
    assert.equal(read.algorithmParameters, 'Not for diagnostic use: trained on synthetic images. Scores: uncalibrated, 0–1: not a probability');
    // the station's own SR is recognised: its marks are not shown a second time as another CAD's
    await waitFor('the SR read', () => (station.db.connection.prepare('SELECT count(*) AS n FROM cad_reports WHERE written_here = 1').get() as { n: number }).n === 1);
    assert.deepEqual((await station.handlers.aiResults({ examId: examId! })).cadReports, []);
  } finally {
    await station.close();
  }
  // the model uninstalled: its findings can no longer be labelled from its manifest, its SR stands in for them, labelled by itself
  const again = openTestStation({ libraryDir: path.dirname(station.paths.database), modelRoots: [tempDir('no-models')] });
  try {
    // (once its models are found: until then, none is said not installed, nor its SR taken for it)
    await waitFor('the AI started', async () => (await again.handlers.aiModels({})).state === 'ready');
    const [examId] = await examsOf(again);
    const results = await again.handlers.aiResults({ examId: examId! });
    assert.equal(results.model, null);
    // the model named, so that the reader is told its scale and flag are not known here (read as the shipped model's 0–1, a probe)
    assert.deepEqual(results.modelNotHere, { id: 'org.binome.tests.bright-spots', version: '0.1.0' });
    assert.match(aiStateText(makeI18n('en').t, results, { showScore: true, locale: 'en' }),
      /^analysed · exam score [\d.]+ · right breast [\d.]+ · left breast [\d.]+ · org\.binome\.tests\.bright-spots 0\.1\.0 is not installed at this station \(removed, or run by another station on this library\): what its scores mean, and where it flags an exam, are not known here/);
    assert.equal(results.cadReports.length, 1);
    const own = results.cadReports[0]!;
    assert.equal(own.algorithmName, 'Bright spots (test fixture)');
    assert.equal(own.algorithmParameters, 'Not for diagnostic use: trained on synthetic images. Scores: uncalibrated, 0–1: not a probability');
    assert.equal(cadMarksLabel(makeI18n('en').t, own).warning, 'Not for diagnostic use: trained on synthetic images', 'over its marks, the caveat');
    assert.equal(own.marks.length, again.db.ai.findings(examId!).length);
  } finally {
    await again.close();
  }
});

test('the SR names as analysed only the images the model read: a view it does not read is neither in its Image Library nor a successful detection', { timeout: 300_000 }, async () => {
  const models = tempDir('cad-sr-views-models');
  writeTinyModel(models, (m) => { m.input.views = ['CC']; });
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'cad-sr-views' });
    const progress: ImportProgress[] = [];
    station.on('importProgress', (p) => progress.push(p));
    const [examId] = await examsOf(station);
    const { srUid } = await storedSrOf(station, examId!, 'the CAD SR');
    // the station's own SR is no reader's import: no progress for the worklist to show (it showed
    // "Importing: 0 of 1 files" and disabled its Import buttons as each analysis ended, a probe)
    assert.deepEqual(progress, []);
    const sr = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(fs.readFileSync(storedPath(station, station.db.worklist.instanceBySopUid(srUid)!)).buffer as ArrayBuffer).dict);
    // every image the content tree refers to (Image Library, detections, marks)
    const referred = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) { node.forEach(walk); return; }
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'ReferencedSOPInstanceUID' && typeof value === 'string') referred.add(value);
        else walk(value);
      }
    };
    walk(sr.ContentSequence);
    const images = (await station.handlers.examDetail({ examId: examId! })).series.flatMap((s) => s.instances).filter((i) => i.isImage && !i.forProcessing);
    assert.ok(images.some((i) => /MLO/.test(i.viewLabel ?? '')), 'the exam has views the model does not read');
    assert.deepEqual([...referred].sort(), images.filter((i) => /^[RL]CC$/.test(i.viewLabel ?? '')).map((i) => i.sopInstanceUid).sort());
    // the detections performed are the model's classes (masses alone here): a one-class model said it
    // had looked for calcification clusters, distortions and asymmetries too, and found none (a probe)
    const performed: string[] = [];
    const detections = (node: unknown): void => {
      if (Array.isArray(node)) { node.forEach(detections); return; }
      if (!node || typeof node !== 'object') return;
      const item = node as { ConceptNameCodeSequence?: { CodeValue?: string }[]; ConceptCodeSequence?: { CodeValue?: string }[] };
      if (item.ConceptNameCodeSequence?.[0]?.CodeValue === CONCEPTS.detectionPerformed.value) performed.push(item.ConceptCodeSequence?.[0]?.CodeValue ?? '');
      Object.values(node).forEach(detections);
    };
    detections(sr.ContentSequence);
    assert.deepEqual(performed, [FINDING_CODES.mass!.value]);
  } finally {
    await station.close();
  }
});

test('an exam whose woman\'s name and ID are longer than their VRs allow (as PACS send them) gets its CAD SR and its display renditions, both copied as received (dcmjs refused the whole file, the name quoted in its error: a probe)', { timeout: 300_000 }, async () => {
  const models = tempDir('cad-sr-long-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models], renditions: true });
  const name = `LONG${'X'.repeat(68)}^ANNE`, id = `ID${'7'.repeat(68)}`;
  try {
    const folder = tempDir('cad-sr-long-exam');
    // 1200 rows: over the display rendition's 1024, so one is made
    writeFourViews(folder, { patientId: id, patientName: name, studyUid: '1.2.826.0.1.3680043.10.1417.9.77.1', studyDate: '20251201', rows: 1200, columns: 900 });
    const summary = await station.handlers.importPaths({ paths: [folder] });
    assert.equal(summary.imported, 4);
    const [examId] = await examsOf(station);
    await waitFor('the exam analysed', () => station.db.ai.examState(examId!)?.status === 'done', 120_000);
    const { srUid } = await storedSrOf(station, examId!, 'the CAD SR', 120_000);
    const sr = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(fs.readFileSync(storedPath(station, station.db.worklist.instanceBySopUid(srUid)!)).buffer as ArrayBuffer).dict);
    assert.equal(sr.PatientID, id);
    const pn = sr.PatientName as { Alphabetic?: string }[] | string;
    assert.equal(typeof pn === 'string' ? pn : pn[0]?.Alphabetic, name);
    const renditions = await waitFor('the display renditions', () => {
      const sides = station.db.connection.prepare('SELECT i.display_rendition AS side FROM instances i JOIN series s ON s.id = i.series_ref WHERE s.study_ref = ? AND i.is_image = 1').all(examId) as { side: number | null }[];
      return sides.length === 4 && sides.every((r) => r.side !== null) && sides;
    }, 120_000);
    assert.deepEqual(renditions.map((r) => r.side), [1024, 1024, 1024, 1024], 'made (0: none could be)');
  } finally {
    await station.close();
  }
});

test('a vendor\'s CAD SR, written by hand from TID 4000 and built by dcmtk, shows its marks on the right images under its algorithm\'s name, honouring rendering intent', { timeout: 300_000, skip: SKIP_NO_DUMP2DCM }, async () => {
  const station = openTestStation({ modelRoots: [tempDir('no-models')] });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'cad-sr-in' });
    const [examId] = await examsOf(station);
    const detail = await station.handlers.examDetail({ examId: examId!, purpose: 'prefetch' });
    const instances = detail.series.flatMap((s) => s.instances.map((i) => ({ ...i, seriesUid: s.seriesInstanceUid })));
    const rcc = instances.find((i) => i.viewLabel === 'RCC')!;
    const lmlo = instances.find((i) => i.viewLabel === 'LMLO')!;
    assert.ok(rcc && lmlo && rcc.seriesUid === lmlo.seriesUid, 'the demo exam has RCC and LMLO in one series');
    const header = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(fs.readFileSync(storedPath(station, rcc.instanceId)).buffer as ArrayBuffer, { untilTag: '7FE00010' }).dict) as Record<string, unknown>;
    const name = header.PatientName as { Alphabetic?: string }[] | string;
    const values = {
      studyUid: detail.exam.studyInstanceUid, patientId: String(header.PatientID), patientName: typeof name === 'string' ? name : name[0]?.Alphabetic ?? '',
      rcc: { sopUid: rcc.sopInstanceUid, seriesUid: rcc.seriesUid, sopClassUid: rcc.sopClassUid }, lmloUid: lmlo.sopInstanceUid,
      a: [120, 200] as [number, number], aRadius: 30, b: [40, 60] as [number, number], c: [80, 90] as [number, number],
    };
    const dir = tempDir('vendor-sr');
    const file = path.join(dir, 'vendor-cad-sr.dcm');
    writeVendorCadSr(file, { ...values, srUid: '1.2.826.0.1.3680043.9.7433.77.2.1' });
    // not a Mammography CAD Report at its root: read, refused with its reason, nothing drawn
    const wrong = path.join(dir, 'wrong-root.dcm');
    writeVendorCadSr(wrong, { ...values, srUid: '1.2.826.0.1.3680043.9.7433.77.2.2', wrongRoot: true });

    // broken coordinates: a mass centred off its image (another image's coordinates, or garbage), and
    // one whose circle reaches 10 km beyond it: the first is not drawn (counted as unplaced), the second's box is cut to the image
    const offImage = path.join(dir, 'off-image.dcm');
    writeVendorCadSr(offImage, { ...values, srUid: '1.2.826.0.1.3680043.9.7433.77.2.3', a: [-500, -800] });
    const hugeCircle = path.join(dir, 'huge-circle.dcm');
    writeVendorCadSr(hugeCircle, { ...values, srUid: '1.2.826.0.1.3680043.9.7433.77.2.4', aRadius: 1e7 });

    const summary = await station.handlers.importPaths({ paths: [file, wrong, offImage, hugeCircle] });
    assert.equal(summary.imported, 4, JSON.stringify(summary.problems));
    const all = await waitFor('the reports read', async () => {
      const r = (await station.handlers.aiResults({ examId: examId! })).cadReports;
      return r.length === 4 && r;
    });
    // (imported on parallel threads: told apart by what they hold)
    const offRead = all.find((r) => r.problem === null && !r.marks.some((m) => m.class === 'mass'))!;
    assert.deepEqual(offRead.marks.map((m) => m.class), ['calcification'], 'the off-image mass is not drawn');
    assert.equal(offRead.unplaced, 1);
    const hugeRead = all.find((r) => r.marks.some((m) => m.class === 'mass' && m.box[0] === -0.5))!;
    assert.deepEqual(hugeRead.marks.find((m) => m.class === 'mass')!.box, [-0.5, -0.5, rcc.columns! - 0.5, rcc.rows! - 0.5]);
    const reports = all.filter((r) => r !== offRead && r !== hugeRead);
    const vendor = reports.find((r) => r.problem === null);
    const refused = reports.find((r) => r.problem !== null);
    assert.equal(refused!.problem, 'not_cad_sr');
    assert.deepEqual(refused!.marks, []);
    assert.equal(vendor!.problem, null);
    assert.equal(vendor!.algorithmName, 'AcmeCAD');
    assert.equal(vendor!.algorithmVersion, '7.2');
    assert.equal(vendor!.manufacturer, 'Acme Imaging');
    assert.equal(vendor!.summary, 'All algorithms succeeded; with findings');
    // the required mass on RCC (its impression said required), the optional cluster on LMLO (found by
    // reference into the image library); the not-for-presentation asymmetry never leaves the station
    assert.deepEqual(vendor!.marks.map((m) => [m.class, m.intent, m.instanceId]).sort(), [
      ['calcification', 'optional', lmlo.instanceId], ['mass', 'required', rcc.instanceId],
    ]);
    const mass = vendor!.marks.find((m) => m.class === 'mass')!;
    assert.deepEqual([mass.x, mass.y, mass.box, mass.certainty, mass.label], [120, 200, [90, 170, 150, 230], 87, 'Mammography breast density']);
    const cluster = vendor!.marks.find((m) => m.class === 'calcification')!;
    assert.deepEqual([cluster.x, cluster.y], [40, 60]);
    assert.equal(vendor!.unplaced, 0);
  } finally {
    await station.close();
  }
});

// ---- hostile or unusual vendor reports, read directly ----

const srCode = (value: string, scheme: string, meaning: string) => [{ CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning }];
/** A minimal vendor Mammography CAD SR: one finding, its algorithm name as a TEXT property, one SCOORD on an image. */
function minimalVendorSr(options: { algorithmName: string; graphicType?: string; graphicData?: number[]; charset?: string | null }): Record<string, unknown> {
  return {
    ...(options.charset === null ? {} : { SpecificCharacterSet: options.charset ?? 'ISO_IR 192' }),
    SOPClassUID: MAMMOGRAPHY_CAD_SR_CLASS, SOPInstanceUID: '1.2.826.0.1.3680043.9.7433.77.3.1', StudyInstanceUID: '1.2.826.0.1.3680043.9.7433.77.3.2',
    SeriesInstanceUID: '1.2.826.0.1.3680043.9.7433.77.3.3', Modality: 'SR', Manufacturer: 'Vendor',
    ValueType: 'CONTAINER', ConceptNameCodeSequence: srCode('111036', 'DCM', 'Mammography CAD Report'), ContinuityOfContent: 'SEPARATE',
    ContentSequence: [{
      RelationshipType: 'CONTAINS', ValueType: 'CODE', ConceptNameCodeSequence: srCode('111059', 'DCM', 'Single Image Finding'),
      ConceptCodeSequence: srCode('F-01796', 'SRT', 'Mammography breast density'),
      ContentSequence: [
        { RelationshipType: 'HAS PROPERTIES', ValueType: 'TEXT', ConceptNameCodeSequence: srCode('111001', 'DCM', 'Algorithm Name'), TextValue: options.algorithmName },
        { RelationshipType: 'INFERRED FROM', ValueType: 'SCOORD', ConceptNameCodeSequence: srCode('111041', 'DCM', 'Outline'),
          GraphicType: options.graphicType ?? 'POINT', GraphicData: options.graphicData ?? [10.5, 20.5],
          ContentSequence: [{ RelationshipType: 'SELECTED FROM', ValueType: 'IMAGE',
            ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.1.2', ReferencedSOPInstanceUID: '1.2.826.0.1.3680043.9.7433.77.3.4' }] }] },
      ],
    }],
  };
}

test('a vendor report\'s words inside its content tree are read in its own character set (UTF-8, latin1, or UTF-8 where it names none)', async () => {
  const { writePart10 } = await import('../../main/dicom/write.ts');
  const utf8 = readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Détecteur 検出' })));
  assert.equal(utf8.algorithmName, 'Détecteur 検出');
  const none = readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Détecteur', charset: null })));
  assert.equal(none.algorithmName, 'Détecteur');
  // ISO_IR 100: the same number of bytes as the UTF-8 the writer gave ("é" is two bytes there, one and a space here)
  const bytes = Buffer.from(writePart10(minimalVendorSr({ algorithmName: 'Détecteur X', charset: 'ISO_IR 100' })));
  const at = bytes.indexOf(Buffer.from('Détecteur X', 'utf8'));
  Buffer.from('D\xe9tecteur X ', 'latin1').copy(bytes, at);
  assert.equal(readCadSr(bytes).algorithmName, 'Détecteur X');
});

test('an outline with more points than a function call may take arguments is read, not refused', async () => {
  const { writePart10, TRANSFER_SYNTAX } = await import('../../main/dicom/write.ts');
  // implicit VR: a GraphicData longer than explicit VR's 64 KiB limit, spliced in after writing
  const placeholder = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5];
  const bytes = Buffer.from(writePart10(minimalVendorSr({ algorithmName: 'Big', graphicType: 'POLYLINE', graphicData: placeholder }), TRANSFER_SYNTAX.implicitLittle));
  const tag = Buffer.from([0x70, 0x00, 0x22, 0x00, 24, 0, 0, 0]);
  const at = bytes.indexOf(tag);
  assert.ok(at > 0);
  const points = new Float32Array(400_000);
  for (let i = 0; i < points.length; i++) points[i] = 100.5 + (i % 200);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(points.byteLength);
  const big = Buffer.concat([bytes.subarray(0, at + 4), length, Buffer.from(points.buffer), bytes.subarray(at + 8 + 24)]);
  const read = readCadSr(big);
  assert.equal(read.marks.length, 1);
  assert.deepEqual(read.marks[0]!.box, [100, 101, 298, 299], "x at even places, y at odd ones");
  // its bounds from every point, its outline kept thinned (not 3 MB of points in the database)
  assert.equal(read.marks[0]!.outline!.length, 512);
});

test('spatial coordinates of a graphic type DICOM does not define, or with fewer or more values than their type has, mark nothing', async () => {
  const { writePart10 } = await import('../../main/dicom/write.ts');
  assert.equal(readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Odd', graphicType: 'HYPERCUBE', graphicData: [10.5, 20.5, 30.5, 40.5] }))).marks.length, 0);
  assert.equal(readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Odd', graphicType: 'CIRCLE', graphicData: [10.5, 20.5] }))).marks.length, 0);
  // an ellipse is four points, a point one: other counts are broken reports, not zero-sized marks
  assert.equal(readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Odd', graphicType: 'ELLIPSE', graphicData: [10.5, 20.5] }))).marks.length, 0);
  assert.equal(readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Odd', graphicType: 'POINT', graphicData: [10.5, 20.5, 30.5, 40.5] }))).marks.length, 0);
  assert.equal(readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Odd', graphicType: 'ELLIPSE', graphicData: [10.5, 20.5, 30.5, 20.5, 20.5, 15.5, 20.5, 25.5] }))).marks.length, 1);
  const circle = readCadSr(writePart10(minimalVendorSr({ algorithmName: 'Odd', graphicType: 'CIRCLE', graphicData: [10.5, 20.5, 15.5, 20.5] }))).marks;
  assert.deepEqual(circle.map((m) => [m.x, m.y, m.box]), [[10, 20, [5, 15, 15, 25]]]);
});

test('a station killed while it stores an analysis\'s CAD SR: the next start writes it, once, and leaves no temporary file', { timeout: 300_000 }, async () => {
  const { fork } = await import('node:child_process');
  const models = tempDir('cad-sr-kill-models');
  writeTinyModel(models);
  const libraryDir = tempDir('cad-sr-kill');
  // the exam imported with no model, then analysed by the child
  const first = openTestStation({ libraryDir, modelRoots: [tempDir('no-models')] });
  await first.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'cad-sr-kill' });
  const [examId] = await examsOf(first);
  await first.close();
  const child = fork(path.join(import.meta.dirname, '..', 'helpers', 'cad-sr-child.ts'), [libraryDir, models], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'ignore', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitFor('the child storing the SR', () => out.includes('storing'), 120_000);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const station = openTestStation({ libraryDir, modelRoots: [models] });
  try {
    const { srUid } = await storedSrOf(station, examId, 'the CAD SR written at the next start', 60_000);
    await station.handlers.aiResults({ examId: examId! });
    const srs = station.db.connection.prepare('SELECT sop_uid FROM instances WHERE sop_class_uid = ?').all(MAMMOGRAPHY_CAD_SR_CLASS) as { sop_uid: string }[];
    assert.deepEqual(srs.map((s) => s.sop_uid), [srUid], 'one SR for the analysis');
    const left = fs.readdirSync(libraryDir, { recursive: true }).map(String).filter((f) => /cad-sr-.*\.dcm$/.test(f));
    assert.deepEqual(left, [], 'no temporary SR file left in the library');
    assert.deepEqual(await station.handlers.unfinishedImports({}), [], 'no import left holding the exam back');
    assert.equal(station.db.worklist.countExams(), 1, 'the exam shows in the worklist');
  } finally {
    await station.close();
  }
});

/**
 * A library with one exam imported without a model, then a station with the tiny model whose CAD SR
 * import fails once as `failOnce` does (the exam imported first: the station analysing it sees no
 * import afterwards, whose look for other processes' imports would kick the SR's writing); its retries
 * come after CAD_SR_RETRY_MS (default 500 ms). `refused()`: how many SR imports failed so.
 */
async function stationWhoseSrImportFailsOnce(name: string, failOnce: () => Promise<unknown>) {
  const models = tempDir(`${name}-models`);
  writeTinyModel(models);
  const libraryDir = tempDir(name);
  const importing = openTestStation({ libraryDir, modelRoots: [tempDir('no-models')] });
  await importing.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: name });
  const [examId] = await examsOf(importing);
  await importing.close();
  const station = openTestStation({ libraryDir, modelRoots: [models] });
  const inner = station as unknown as { importer: Importer; cadReports: CadReportService };
  inner.cadReports.retryAfterDiskFullMs = Number(process.env.CAD_SR_RETRY_MS ?? 500);
  const importStaged = inner.importer.importStaged.bind(inner.importer);
  let refused = 0;
  mock.method(inner.importer, 'importStaged', async (...args: Parameters<Importer['importStaged']>) => {
    if (args[0][0]?.label?.startsWith('CAD SR') && refused === 0) {
      refused++;
      return failOnce() as never;
    }
    return importStaged(...args);
  });
  return { station, examId: examId!, refused: () => refused };
}

test('an analysis\'s CAD SR not written for a full disk is tried again a while later by itself, with no import or analysis to kick it; its claim, which the full library would not give up either, is given up then (it stayed claimed by the live process until a restart, a probe)', { timeout: 300_000 }, async () => {
  const { station, examId, refused } = await stationWhoseSrImportFailsOnce('cad-sr-full', async () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  });
  // the library full too when the claim is given up after the failed write
  const releaseSr = station.db.cadReports.releaseSr.bind(station.db.cadReports);
  let releases = 0;
  mock.method(station.db.cadReports, 'releaseSr', (...args: Parameters<typeof releaseSr>) => {
    if (releases++ < 2) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return releaseSr(...args);
  });
  const warnings = mock.method(log, 'warn', () => undefined);
  // the AI models panel is told the disk is full while SRs wait for room, and told again once one is written
  // (an analysis stored in SQLite's free pages, its SR refused with ENOSPC, showed nothing there: a probe)
  const told: Promise<boolean>[] = [];
  (station as unknown as { events: { on(name: 'aiChanged', listener: (e: { examId: number | null }) => void): void } }).events
    .on('aiChanged', ({ examId: changed }) => { if (changed === null) told.push(station.handlers.aiModels({}).then((m) => m.libraryFull === true)); });
  try {
    await waitFor('the SR refused for want of space', () => refused() === 1, 120_000);
    await storedSrOf(station, examId, 'the CAD SR written once there was room', 20_000);
    await waitFor('the panel told twice', () => told.length >= 2);
    assert.deepEqual((await Promise.all(told)).slice(-2), [true, false]);
    const said = warnings.mock.calls.map((c) => String(c.arguments[0]));
    // said as a full disk, once, without the stack (a probe's log: six of them in 15 s, six lines each); and said again once written
    const notWritten = said.filter((m) => /^CAD SR of exam \d+ \(\S+ \S+\) not written/.test(m));
    assert.equal(notWritten.length, 1, said.join('\n'));
    assert.match(notWritten[0]!, /^CAD SR of exam \d+ \(org\.binome\.tests\.bright-spots 0\.1\.0\) not written: Error ENOSPC \(message withheld; set BINOME_LOG_LEVEL=debug\); tried again later, every \d+ s \(said again once they are written\)$/);
    await waitFor('said written again', () => warnings.mock.calls.some((c) => c.arguments[0] === 'CAD SRs are written again: the library has room again'));
    assert.equal(releases, 3, 'the claim given up once the library answered');
    // the claim not given up said with its exam and model, as the other lines (it named neither)
    assert.ok(said.some((m) => /^CAD SR of exam \d+ \(org\.binome\.tests\.bright-spots 0\.1\.0\): its claim could not be given up yet \(/.test(m)), said.join('\n'));
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('an analysis\'s CAD SR not written for a full disk is tried again as soon as room is made on the disk, not at the end of its wait (the panel said "disk full" up to a minute after IT freed space, a probe)', { timeout: 300_000 }, async () => {
  const { station, examId, refused } = await stationWhoseSrImportFailsOnce('cad-sr-room', async () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  });
  const inner = station as unknown as { cadReports: CadReportService };
  // a wait no test would see out: only the room made can end it
  inner.cadReports.retryAfterDiskFullMs = 600_000;
  let free = 10 << 20;
  inner.cadReports.disk = { freeBytes: () => free, writable: () => true };
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    await waitFor('the SR refused for want of space', () => refused() === 1, 120_000);
    await waitFor('the panel told the disk is full', async () => (await station.handlers.aiModels({})).libraryFull === true);
    // a few looks at the disk with little freed: still waiting
    free += 1 << 20;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.equal(station.db.cadReports.jobsWithoutSr().length, 1, 'not tried again for a megabyte freed');
    free += 200 << 20;
    await storedSrOf(station, examId, 'the CAD SR written within seconds of the room made', 15_000);
    assert.notEqual((await station.handlers.aiModels({})).libraryFull, true, 'the panel no longer says the disk is full');
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('an analysis\'s CAD SR whose import was refused without a disk-full code (a full disk as another process saw it) is tried again a while later by itself, and the log says which problem', { timeout: 300_000 }, async () => {
  const { station, examId, refused } = await stationWhoseSrImportFailsOnce('cad-sr-refused',
    async () => ({ status: 'failed', imported: 0, rejected: 1, problems: [{ code: 'store_failed' }] }));
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    await waitFor('the SR refused', () => refused() === 1, 120_000);
    // before, written only at the next start
    await storedSrOf(station, examId, 'the CAD SR written a while later', 20_000);
    assert.ok(warnings.mock.calls.some((c) => /^CAD SR of exam \d+ \(\S+ \S+\) not written: its import refused it \(store_failed\) Error[\s\S]*; tried again later$/.test(String(c.arguments[0]))),
      warnings.mock.calls.map((c) => String(c.arguments[0])).join('\n'));
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('a CAD SR another process of the library stores (binome receive, binome import) is read by a running station within seconds, without an event', { timeout: 120_000 }, async () => {
  const { writePart10 } = await import('../../main/dicom/write.ts');
  const library = tempDir('cad-sr-other-process');
  // the station the reader uses (it reads CAD SRs), and another that only imports, as `binome receive` does
  const reading = openTestStation({ libraryDir: library, renditions: true });
  const importing = openTestStation({ libraryDir: library });
  try {
    const file = path.join(tempDir('cad-sr-other-file'), 'vendor.dcm');
    fs.writeFileSync(file, writePart10(minimalVendorSr({ algorithmName: 'Elsewhere' })));
    const summary = await importing.handlers.importPaths({ paths: [file] });
    assert.equal(summary.imported, 1, JSON.stringify(summary.problems));
    // a StationService in this process is another "process" for events: none reaches the reading one
    const read = await waitFor('the report read by the other station', () =>
      reading.db.connection.prepare('SELECT algorithm_name FROM cad_reports').pluck().get() as string | undefined, 20_000);
    assert.equal(read, 'Elsewhere');
  } finally {
    await importing.close();
    await reading.close();
  }
});

test('two stations sharing a study (through a PACS): the other station\'s SR of the very model whose findings show is not drawn a second time (its marks are this station\'s own findings)', { timeout: 300_000 }, async () => {
  const models = tempDir('cad-sr-shared-models');
  writeTinyModel(models);
  const first = openTestStation({ modelRoots: [models] });
  const files: string[] = [];
  let srFile = '';
  try {
    await first.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'cad-sr-shared' });
    const [examId] = await examsOf(first);
    await waitFor('the analysis', async () => (await first.handlers.aiResults({ examId: examId! })).state?.status === 'done');
    const { srUid } = await storedSrOf(first, examId!, 'the CAD SR');
    const copies = tempDir('cad-sr-shared-files');
    const detail = await first.handlers.examDetail({ examId: examId!, purpose: 'prefetch' });
    for (const instance of detail.series.flatMap((s) => s.instances)) {
      const copy = path.join(copies, `${instance.instanceId}.dcm`);
      fs.copyFileSync(storedPath(first, instance.instanceId), copy);
      files.push(copy);
      if (instance.sopInstanceUid === srUid) srFile = copy;
    }
    assert.ok(first.db.worklist.instanceBySopUid(srUid) !== null && files.length === 5, 'four images and the SR');
  } finally {
    await first.close();
  }
  // the second station has the same model: it analyses the study too
  const second = openTestStation({ modelRoots: [models], renditions: true });
  try {
    await second.handlers.importPaths({ paths: files });
    const [examId] = await examsOf(second);
    await waitFor('the report read', () => second.db.connection.prepare('SELECT count(*) FROM cad_reports').pluck().get() === 1);
    const results = await waitFor('its own analysis', async () => {
      const r = await second.handlers.aiResults({ examId: examId! });
      return r.state?.status === 'done' && r;
    });
    assert.ok(results.findings.length > 0);
    assert.deepEqual(results.cadReports, [], 'the first station\'s SR of the same model: its marks are these findings');
    // another CAD that gives the same algorithm name and version, in a series of its own, is not that
    // analysis: its marks are shown (it was hidden by the name alone)
    const message = dcmjs.data.DicomMessage.readFile(new Uint8Array(fs.readFileSync(srFile)).buffer);
    const element = (set: Record<string, unknown>, tag: string) => set[tag] as { Value: unknown[] };
    element(message.dict, '0020000E').Value = ['2.25.31415926535897932384626433832795'];
    element(message.dict, '00080018').Value = ['2.25.27182818284590452353602874713527'];
    element(message.meta, '00020003').Value = ['2.25.27182818284590452353602874713527'];
    const vendor = path.join(tempDir('cad-sr-shared-vendor'), 'same-name.dcm');
    fs.writeFileSync(vendor, Buffer.from(message.write()));
    assert.equal((await second.handlers.importPaths({ paths: [vendor] })).imported, 1);
    const shown = await waitFor('the other CAD\'s report read', async () => {
      const r = await second.handlers.aiResults({ examId: examId! });
      return r.cadReports.length === 1 && r;
    });
    assert.equal(shown.cadReports[0]!.algorithmName, results.model!.name);
    assert.ok(shown.cadReports[0]!.marks.length > 0, 'its marks are drawn');
  } finally {
    await second.close();
  }
});

test('a version of the model no process runs any more (a library copy, removed): exams show the installed version\'s analysis, not "queued" for good; with no version installed, only the shown analysis\'s own SR stands in for its findings', { timeout: 300_000 }, async () => {
  const library = tempDir('ai-versions-library');
  const application = tempDir('ai-versions-app'), libraryCopy = tempDir('ai-versions-copy');
  writeTinyModel(application);
  // (another threshold under its marks: another analysis, and SR, than 0.1.0's; the same results would be kept: carryOver)
  writeTinyModel(libraryCopy, (m) => { m.version = '0.2.0'; m.calibration.operatingPoints[0]!.threshold = 0.69; });
  const stateOf = async (station: Station, examId: number) => {
    const results = await station.handlers.aiResults({ examId });
    const row = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.find((r) => r.examId === examId)!;
    return { status: results.state?.status, model: results.model?.version ?? null, findings: results.findings.length, row: row.ai?.status, reports: results.cadReports.map((r) => r.algorithmVersion) };
  };
  // analysed by the application's model 0.1.0, its SR written
  let station = openTestStation({ libraryDir: library, modelRoots: [application] });
  let examId: number;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-versions' });
    [examId] = await examsOf(station) as [number];
    await storedSrOf(station, examId, 'the SR of 0.1.0');
  } finally {
    await station.close();
  }
  // a copy of the model under another version runs (the library's over the application's), analyses, writes its SR
  station = openTestStation({ libraryDir: library, modelRoots: [application, libraryCopy] });
  try {
    await waitFor('0.2.0\'s SR', () => (station.db.connection.prepare(`SELECT count(*) AS n FROM ai_jobs WHERE model_version = '0.2.0' AND cad_sr_uid IS NOT NULL`).get() as { n: number }).n === 1);
    // and, as a copy removed while its analyses were queued leaves them, a queued job of a third version
    station.db.ai.enqueue(examId, { id: 'org.binome.tests.bright-spots', version: '0.3.0', sha256: 'x' });
  } finally {
    await station.close();
  }
  // the copy removed: the installed 0.1.0's analysis shows, done, in the viewer and the worklist
  station = openTestStation({ libraryDir: library, modelRoots: [application] });
  try {
    await waitFor('the AI started', () => station.db.settings.get('ai.shownVersion') === '0.1.0');
    const shown = await stateOf(station, examId);
    assert.deepEqual({ ...shown, findings: shown.findings > 0 }, { status: 'done', model: '0.1.0', findings: true, row: 'done', reports: [] });
  } finally {
    await station.close();
  }
  // no version installed: the newest analysis shows, and only its own SR stands in (not one per version)
  station = openTestStation({ libraryDir: library, modelRoots: [tempDir('no-models')] });
  try {
    await waitFor('the AI started', async () => (await station.handlers.aiModels({})).state === 'ready');
    station.db.connection.prepare(`DELETE FROM ai_jobs WHERE model_version = '0.3.0'`).run();
    station.db.connection.prepare(`DELETE FROM settings WHERE key = 'ai.shownVersion'`).run();
    const shown = await stateOf(station, examId);
    // (its findings are the SR's marks: none besides, not every stored one under no operating point)
    assert.deepEqual({ status: shown.status, model: shown.model, reports: shown.reports, findings: shown.findings }, { status: 'done', model: null, reports: ['0.2.0'], findings: 0 });
  } finally {
    await station.close();
  }
});

test('an LO attribute of the SR (the model\'s name and version as Series Description) is cut to 64 bytes of UTF-8 between characters, never inside one', () => {
  // a probe's manifest: 63 letters, then an emoji (two UTF-16 units, four bytes): cut by units it left half
  // a character (U+FFFD) and 66 bytes, which dciodvfy refuses
  const name = `${'A'.repeat(63)}🙂 <b>x</b>`;
  assert.equal(fitLongString(name), 'A'.repeat(63));
  assert.equal(fitLongString(`${'é'.repeat(40)}`), 'é'.repeat(32), 'two bytes each: 32 fit');
  assert.equal(fitLongString('Binome synthetic-exam detector 0.4.1'), 'Binome synthetic-exam detector 0.4.1');
  for (const value of [name, '🙂'.repeat(20), 'ß'.repeat(70)]) {
    const cut = fitLongString(value);
    assert.ok(Buffer.byteLength(cut, 'utf8') <= 64 && !cut.includes('\uFFFD') && value.startsWith(cut), cut);
  }  // the version kept whole, the name cut (a probe: a 55-character name with Arabic left "<name> 1" of 1.0.0)
  const described = seriesDescription(`Détecteur ${'ع'.repeat(50)}`, '1.0.0');
  assert.ok(described.endsWith(' 1.0.0') && Buffer.byteLength(described, 'utf8') <= 64, described);
  assert.equal(seriesDescription('Binome synthetic-exam detector', '0.5.2'), 'Binome synthetic-exam detector 0.5.2');
  // cut at a word's end, and said cut (a vendor's probe read "… Ärzte G 1.0.0-rc.1+build.7", its last word one letter)
  const long = seriesDescription('Modèle Détecteur Élégant Ça Où Ärzte Größe Überall', '1.0.0-rc.1+build.7');
  assert.equal(long, 'Modèle Détecteur Élégant Ça Où… 1.0.0-rc.1+build.7');
  assert.ok(Buffer.byteLength(long, 'utf8') <= 64);
  // a version so long it would leave no room for the name (the contract allows 64 characters): the version is
  // cut, the name's first words kept (a probe's 60-character version left "… 999…9" alone)
  assert.equal(seriesDescription('Acme mammography detector', '9'.repeat(60)), `Acme mammography… ${'9'.repeat(41)}…`);
  assert.equal(seriesDescription('Acme', `1.2.3-${'x'.repeat(55)}`), `Acme 1.2.3-${'x'.repeat(50)}…`);
});

test('a new version of a model whose manifest\'s words alone changed keeps the earlier version\'s analyses, their marks and their CAD SR (none analysed nor sent again), said as that version\'s; a version that changes what makes results analyses again (0.5.6, its texts alone new, analysed a whole library again, one more SR series each for the PACS: a probe)', { timeout: 300_000 }, async () => {
  const models = tempDir('cad-sr-carry-models');
  writeTinyModel(models);
  const libraryDir = tempDir('cad-sr-carry');
  const srsIn = (s: Station) => (s.db.connection.prepare('SELECT sop_uid FROM instances WHERE sop_class_uid = ? ORDER BY id').all(MAMMOGRAPHY_CAD_SR_CLASS) as { sop_uid: string }[]).map((r) => r.sop_uid);
  const idle = (s: Station) => s.db.connection.prepare(`SELECT count(*) FROM ai_jobs WHERE status IN ('queued', 'running') OR (status = 'done' AND cad_sr_uid IS NULL)`).pluck().get() === 0;
  let station = openTestStation({ libraryDir, modelRoots: [models] });
  let examId: number, before: { job: number; srUid: string }, findings: unknown;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'probe44-carry' });
    [examId] = await examsOf(station) as [number];
    before = await storedSrOf(station, examId, 'the first version\'s CAD SR');
    findings = station.db.ai.jobResult(before.job)!.findings;
    assert.ok((findings as unknown[]).length > 0, 'the tiny model marked bright places');
  } finally {
    await station.close();
  }
  // 0.1.1: its limits reworded, the same file and settings
  writeTinyModel(models, (m) => { m.version = '0.1.1'; m.intendedUse.limits = ['tests only: it marks bright places, never lesions']; m.training.validatedOn = 'nothing, said otherwise'; });
  station = openTestStation({ libraryDir, modelRoots: [models] });
  try {
    const kept = await waitFor('the exam shown with the new version', async () => {
      const r = await station.handlers.aiResults({ examId });
      return r.model?.version === '0.1.1' && r.state?.status === 'done' && r;
    });
    assert.equal(kept.state!.resultsVersion, '0.1.0', 'said as the earlier version\'s run');
    const job = station.db.connection.prepare(`SELECT id, cad_sr_uid FROM ai_jobs WHERE study_ref = ? AND model_version = '0.1.1'`).get(examId) as { id: number; cad_sr_uid: string };
    assert.deepEqual(station.db.ai.jobResult(job.id)!.findings, findings, 'the same marks, on the same images');
    assert.equal(job.cad_sr_uid, before!.srUid, 'its CAD SR is the earlier run\'s');
    await waitFor('the queue idle', () => idle(station));
    assert.deepEqual(srsIn(station), [before!.srUid], 'no second SR written (nor sent)');
    const i18n = makeI18n('fr');
    assert.match(aiStateText(i18n.t, kept, { showScore: true, locale: 'fr' }), /analysé par la version 0\.1\.0 \(la 0\.1\.1 donne les mêmes résultats\u202f: même fichier du modèle, mêmes réglages\)/);
    assert.equal((await station.handlers.aiModels({})).models[0]!.olderAnalysed, undefined, 'nothing left to analyse again');
  } finally {
    await station.close();
  }
  // 0.1.2: its marks kept from a lower score: analysed again, its own SR
  writeTinyModel(models, (m) => { m.version = '0.1.2'; m.calibration.operatingPoints[0]!.threshold = 0.6; });
  station = openTestStation({ libraryDir, modelRoots: [models] });
  try {
    await waitFor('analysed again under 0.1.2', async () => {
      const r = await station.handlers.aiResults({ examId });
      return r.model?.version === '0.1.2' && r.state?.status === 'done' && r.state.resultsVersion === undefined;
    });
    await waitFor('its own SR', () => idle(station) && srsIn(station).length === 2);
  } finally {
    await station.close();
  }
});
