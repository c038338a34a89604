// The station against a real PACS: Debian's Orthanc with its DICOMweb plugin (basic authentication
// on), run with this test inside a private network namespace (Orthanc listens on every interface).
// Priors of an opened exam come back from Orthanc; an object sent through the outbox lands in
// Orthanc byte for byte and reads back the same over WADO-RS; the outbox retries while Orthanc is
// stopped, says so, and drains when it is back; a station started again with items queued (or left
// 'sending' by a killed process) sends them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runInPrivateNetwork, TestOrthanc, ORTHANC_PASSWORD, ORTHANC_USER } from '../helpers/orthanc.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = runInPrivateNetwork();

import { StationService } from '../../main/service/station.ts';
import { writeFourViews } from '../helpers/mammo-files.ts';
import { derivedUid } from '../../main/dicom/uid.ts';
import { retrieveStudy } from '../../main/net/dicomweb.ts';
import { tempDir } from '../helpers/paths.ts';
import { op } from '../helpers/station.ts';
import { writeTinyModel } from '../helpers/onnx-models.ts';
import { readCadSr } from '../../main/dicom/cad-sr-read.ts';
import type { PacsNodeInput } from '../../common/pacs.ts';

let orthanc: TestOrthanc;
const work = tempDir('pacs-orthanc');

const FAST = { backoff: { firstMs: 150, maxMs: 800 }, pollMs: 300 };

function openStation(libraryDir: string): StationService {
  return new StationService({ libraryDir, version: 'test', runtime: 'node', renditions: false, pacs: FAST });
}

function node(overrides: Partial<PacsNodeInput> = {}): PacsNodeInput {
  return { id: 'orthanc', name: 'Orthanc', baseUrl: orthanc.baseUrl, username: ORTHANC_USER, password: ORTHANC_PASSWORD, queryPriors: true, receiveResults: true, timeoutSeconds: 5, ...overrides };
}

/** Writes a 4-view exam of a woman; returns its files. */
function writeExam(dir: string, patientId: string, studyDate: string): { studyUid: string; files: string[] } {
  const studyUid = derivedUid('pacs-test', patientId, studyDate);
  return { studyUid, files: writeFourViews(dir, { patientId, patientName: 'PACS^TEST', studyUid, studyDate }) };
}

before(async () => {
  if (skip) return;
  orthanc = await TestOrthanc.start(path.join(work, 'orthanc'));
});

after(async () => {
  await orthanc?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('Test connection: reachable with the right password; auth refused, unreachable, not DICOMweb otherwise', { skip }, async () => {
  const station = openStation(path.join(work, 'lib-test'));
  try {
    const ok = await op(station, 'testPacsNode', node());
    assert.equal(ok.result, 'reachable');
    assert.equal(ok.httpStatus, 200);
    assert.equal((await op(station, 'testPacsNode', node({ password: 'wrong' }))).result, 'auth_refused');
    assert.equal((await op(station, 'testPacsNode', node({ baseUrl: `http://127.0.0.1:${await freePort()}/dicom-web` }))).result, 'unreachable');
    // Orthanc's REST root is not a DICOMweb service
    assert.equal((await op(station, 'testPacsNode', node({ baseUrl: `http://127.0.0.1:${orthanc.httpPort}/app` }))).result, 'not_dicomweb');
    // a saved node's password is kept when the form leaves it out, and never answered
    const status = await op(station, 'setPacsNodes', { nodes: [node()] });
    assert.equal(status.nodes[0]!.node.passwordSet, true);
    assert.equal(JSON.stringify(status).includes(ORTHANC_PASSWORD), false);
    const { password: _password, ...withoutPassword } = node();
    assert.equal((await op(station, 'testPacsNode', withoutPassword)).result, 'reachable');
  } finally {
    await station.close();
  }
});

test('priors come back from Orthanc when her current exam is opened', { skip }, async () => {
  const prior = writeExam(path.join(work, 'exams', 'prior'), 'PACS0001', '20230310');
  const current = writeExam(path.join(work, 'exams', 'current'), 'PACS0001', '20250312');
  const other = writeExam(path.join(work, 'exams', 'other'), 'PACS0002', '20230310');
  for (const f of [...prior.files, ...other.files]) await orthanc.upload(f);
  const station = openStation(path.join(work, 'lib-priors'));
  try {
    await op(station, 'setPacsNodes', { nodes: [node({ receiveResults: false })] });
    await op(station, 'importPaths', { paths: current.files });
    const page = await op(station, 'worklistQuery', {});
    assert.equal(page.total, 1);
    const examId = page.rows[0]!.examId;
    const changed: (number | null)[] = [];
    station.on('pacsChanged', ({ examId: e }) => changed.push(e));
    const opened = await op(station, 'examDetail', { examId });
    assert.equal(opened.priors.length, 0, 'no prior in the library before the PACS answers');
    const [search] = await waitFor('the search for priors to end', async () => {
      const r = await op(station, 'pacsPriors', { examId });
      return r.length && r[0]!.state !== 'running' ? r : null;
    }, 20_000);
    assert.equal(search!.state, 'done', JSON.stringify(search));
    assert.equal(search!.found, 1, 'one study of hers in Orthanc (the other woman\'s is not hers)');
    assert.equal(search!.missing, 1);
    assert.equal(search!.retrieved, 1);
    assert.equal(search!.images, 4);
    const detail = await op(station, 'examDetail', { examId, purpose: 'prior' });
    assert.deepEqual(detail.priors.map((p) => [p.studyInstanceUid, p.isPrior, p.imageCount]), [[prior.studyUid, true, 4]]);
    assert.equal((await op(station, 'worklistQuery', {})).total, 2, 'the other woman\'s exam was not fetched');
    // the fetched files are Orthanc's, byte for byte
    const priorDetail = await op(station, 'examDetail', { examId: detail.priors[0]!.examId, purpose: 'prior' });
    const instance = priorDetail.series[0]!.instances[0]!;
    const stored = await streamBytes(await station.openImage(instance.instanceId));
    assert.ok(stored.equals((await orthanc.fileOf(instance.sopInstanceUid))!));
    assert.ok(changed.includes(examId), 'the viewer was told');
    // opened again soon after: not searched again
    await op(station, 'examDetail', { examId });
    assert.equal((await op(station, 'pacsPriors', { examId }))[0]!.startedAt, search!.startedAt);
    assert.deepEqual(fs.readdirSync(path.join(work, 'lib-priors', 'pacs-incoming')).flatMap((d) => fs.readdirSync(path.join(work, 'lib-priors', 'pacs-incoming', d))), [], 'nothing left in staging');
  } finally {
    await station.close();
  }
});

async function streamBytes(opened: { stream: NodeJS.ReadableStream }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of opened.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function importOne(station: StationService, patientId: string, date: string): Promise<{ instanceId: number; sopUid: string; studyUid: string; bytes: Buffer }> {
  const exam = writeExam(path.join(work, 'exams', `${patientId}-${date}`), patientId, date);
  await op(station, 'importPaths', { paths: exam.files.slice(0, 1) });
  const page = await op(station, 'worklistQuery', { filter: { text: patientId, scope: 'all' } });
  const detail = await op(station, 'examDetail', { examId: page.rows[0]!.examId, purpose: 'prior' });
  const instance = detail.series[0]!.instances[0]!;
  return { instanceId: instance.instanceId, sopUid: instance.sopInstanceUid, studyUid: exam.studyUid, bytes: fs.readFileSync(exam.files[0]!) };
}

test('an object sent through the outbox lands in Orthanc and reads back byte-identical over WADO-RS', { skip }, async () => {
  const library = path.join(work, 'lib-send');
  const station = openStation(library);
  try {
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false })] });
    const sent = await importOne(station, 'PACS0100', '20250101');
    const { queued } = await op(station, 'sendToPacs', { instanceId: sent.instanceId });
    assert.equal(queued, 1);
    await waitFor('the item to be sent', async () => (await op(station, 'pacsStatus', {})).nodes[0]!.outbox.sent === 1, 20_000);
    const inOrthanc = await orthanc.fileOf(sent.sopUid);
    assert.ok(inOrthanc, 'Orthanc has it');
    assert.ok(inOrthanc.equals(sent.bytes), 'Orthanc stored the same bytes');
    const dir = tempDir('wado');
    const back = await retrieveStudy({ baseUrl: orthanc.baseUrl, username: ORTHANC_USER, password: ORTHANC_PASSWORD, timeoutSeconds: 5 }, sent.studyUid, dir);
    assert.equal(back.files.length, 1);
    assert.ok(fs.readFileSync(back.files[0]!).equals(sent.bytes), 'WADO-RS gives back the same bytes');
    const status = await op(station, 'pacsStatus', {});
    assert.equal(status.nodes[0]!.health.state, 'ok');
    assert.equal(status.sending, true);
  } finally {
    await station.close();
  }
});

test('each AI analysis\'s CAD SR is sent by itself to the PACS that receives results, lands in Orthanc, and reads back to the same marks', { skip, timeout: 240_000 }, async () => {
  const models = tempDir('pacs-cad-models');
  writeTinyModel(models);
  const library = path.join(work, 'lib-cad-sr');
  const station = new StationService({ libraryDir: library, version: 'test', runtime: 'node', renditions: false, pacs: FAST, ai: { modelRoots: [models] } });
  try {
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false })] });
    const written = writeExam(path.join(work, 'cad-exam'), 'PACS0300', '20250301');
    assert.equal((await op(station, 'importPaths', { paths: written.files })).imported, 4);
    const examId = (await op(station, 'worklistQuery', { filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 5 })).rows[0]!.examId;
    // analysed, its SR written and stored, then sent without anyone asking
    const srUid: string = await waitFor('the CAD SR', () => {
      const job = station.db.connection.prepare(`SELECT id FROM ai_jobs WHERE study_ref = ? AND status = 'done'`).get(examId) as { id: number } | undefined;
      const uid = job && station.db.cadReports.srOf(job.id);
      return uid && station.db.worklist.instanceBySopUid(uid) !== null ? uid : null;
    }, 180_000);
    await waitFor('the SR sent', async () => (await op(station, 'pacsStatus', {})).nodes[0]!.outbox.sent >= 1, 30_000);
    const stored = fs.readFileSync(station.store.pathFor(station.db.worklist.instanceFile(station.db.worklist.instanceBySopUid(srUid)!)!.fileHash));
    const inOrthanc = await orthanc.fileOf(srUid);
    assert.ok(inOrthanc?.equals(stored), 'Orthanc holds the SR, byte for byte');
    // read back from Orthanc over WADO-RS: the same marks as the station's findings
    const back = await retrieveStudy({ baseUrl: orthanc.baseUrl, username: ORTHANC_USER, password: ORTHANC_PASSWORD, timeoutSeconds: 5 }, written.studyUid, tempDir('wado-sr'));
    const srFile = back.files.find((f) => fs.readFileSync(f).equals(stored));
    assert.ok(srFile, 'WADO-RS gives the SR back');
    // and an independent client finds it there: dcmtk's findscu over DIMSE, an SR series of the exam
    if (spawnSync('findscu', ['--version'], { stdio: 'ignore' }).error === undefined) {
      const found = spawnSync('findscu', ['-v', '-S', '-aet', 'FINDSCU', '-aec', 'ORTHANC', '-k', 'QueryRetrieveLevel=SERIES', '-k', `StudyInstanceUID=${written.studyUid}`,
        '-k', 'Modality=SR', '-k', 'SeriesInstanceUID', '-k', 'SeriesDescription', '127.0.0.1', String(orthanc.dicomPort)], { encoding: 'utf8' });
      const said = `${found.stdout}${found.stderr}`;
      assert.equal(found.status, 0, said);
      assert.match(said, /\(0008,0060\) CS \[SR\]/, said);
      assert.match(said, /\(0008,103e\) LO \[Bright spots \(test fixture\) 0\.1\.0 ?\]/, said);
    }
    const read = readCadSr(fs.readFileSync(srFile));
    const findings = station.db.ai.findings(examId);
    assert.ok(findings.length > 0);
    assert.equal(read.marks.length, station.db.ai.jobResult((station.db.connection.prepare('SELECT id FROM ai_jobs WHERE study_ref = ?').get(examId) as { id: number }).id)!.findings.length);
    assert.equal(read.algorithmName, 'Bright spots (test fixture)');
  } finally {
    await station.close();
  }
});

test('the outbox retries while Orthanc is stopped, says so, and drains when it is back', { skip }, async () => {
  const station = openStation(path.join(work, 'lib-retry'));
  try {
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false, timeoutSeconds: 2 })] });
    const items = [await importOne(station, 'PACS0200', '20250102'), await importOne(station, 'PACS0201', '20250103')];
    await orthanc.stop();
    for (const i of items) await op(station, 'sendToPacs', { instanceId: i.instanceId });
    const failing = await waitFor('the node to be reported failing after retries', async () => {
      const s = await op(station, 'pacsStatus', {});
      const n = s.nodes[0]!;
      return n.health.state === 'failing' && (station.db.pacs.itemsOf(items[0]!.instanceId)[0]?.attempts ?? 0) >= 2 ? s : null;
    }, 20_000);
    const n = failing.nodes[0]!;
    assert.equal(n.health.failure?.code, 'unreachable');
    assert.ok(n.health.since);
    assert.equal(n.outbox.queued + n.outbox.sending, 2);
    assert.equal(n.outbox.sent, 0);
    assert.ok(n.outbox.nextAttemptAt, 'the next try is scheduled');
    await orthanc.resume();
    await waitFor('the outbox to drain', async () => (await op(station, 'pacsStatus', {})).nodes[0]!.outbox.sent === 2, 20_000);
    for (const i of items) assert.ok((await orthanc.fileOf(i.sopUid))?.equals(i.bytes));
    assert.equal((await op(station, 'pacsStatus', {})).nodes[0]!.health.state, 'ok');
  } finally {
    await orthanc.resume();
    await station.close();
  }
});

test('a station started again sends what was queued, and what a killed process left sending', { skip }, async () => {
  const library = path.join(work, 'lib-restart');
  await orthanc.stop();
  const first = openStation(library);
  let items: Awaited<ReturnType<typeof importOne>>[];
  try {
    await op(first, 'setPacsNodes', { nodes: [node({ queryPriors: false, timeoutSeconds: 2 })] });
    items = [await importOne(first, 'PACS0300', '20250104'), await importOne(first, 'PACS0301', '20250105')];
    for (const i of items) await op(first, 'sendToPacs', { instanceId: i.instanceId });
  } finally {
    await first.close();
  }
  // one item as a killed process leaves it: claimed by an owner that no longer runs
  const { LibraryDatabase } = await import('../../main/db/library-database.ts');
  const db = new LibraryDatabase(path.join(library, 'worklist.sqlite'));
  db.connection.prepare(`UPDATE pacs_outbox SET state = 'sending', owner = '999999:1' WHERE instance_ref = ?`).run(items[1]!.instanceId);
  db.close();
  await orthanc.resume();
  const second = openStation(library);
  try {
    await waitFor('both items to be sent after the restart', async () => (await op(second, 'pacsStatus', {})).nodes[0]!.outbox.sent === 2, 20_000);
    for (const i of items) assert.ok((await orthanc.fileOf(i.sopUid))?.equals(i.bytes));
  } finally {
    await second.close();
  }
});
