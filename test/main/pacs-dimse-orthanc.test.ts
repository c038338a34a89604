// The station against a real PACS over classic DICOM (DIMSE): Debian's Orthanc, run with this test
// inside a private network namespace (Orthanc listens on every interface). Test connection is a
// C-ECHO; the priors of an opened exam are found by C-FIND and come back by C-MOVE into the
// station's own storage SCP (Orthanc knowing the station as a move destination, its AE title
// admitted by the receiver without being in the allow-list); an object sent through the outbox is
// a C-STORE whose data set Orthanc stores byte for byte, in its own transfer syntax (JPEG-LS too);
// the outbox retries while Orthanc is stopped and drains when it is back; misconfigurations (the
// PACS's AE title wrong, the station unknown to the PACS, the receiver off) say what is wrong.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import dicomParser from 'dicom-parser';
import { runInPrivateNetwork, TestOrthanc } from '../helpers/orthanc.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = runInPrivateNetwork();

import { StationService } from '../../main/service/station.ts';
import { writeFourViews } from '../helpers/mammo-files.ts';
import { derivedUid } from '../../main/dicom/uid.ts';
import { part10Parts } from '../../main/net/dimse-client.ts';
import { tempDir } from '../helpers/paths.ts';
import { op } from '../helpers/station.ts';
import type { PacsNodeInput } from '../../common/pacs.ts';

let orthanc: TestOrthanc;
const work = tempDir('pacs-dimse');
const FAST = { backoff: { firstMs: 150, maxMs: 800 }, pollMs: 300 };
const STATION_AE = 'BINOME_TEST';

/** A station whose receiver listens on `port` (0: any) as STATION_AE, with nobody in its allow-list. */
async function openStation(libraryDir: string, port = 0, enabled = true): Promise<StationService> {
  const station = new StationService({
    libraryDir, version: 'test', runtime: 'node', renditions: false, pacs: FAST,
    receiver: { overrides: { enabled, port, aeTitle: STATION_AE, allowedCallers: [] } },
  });
  await station.startReceiver();
  return station;
}

function node(overrides: Partial<PacsNodeInput> = {}): PacsNodeInput {
  return { id: 'orthanc', name: 'Orthanc', protocol: 'dimse', dimse: { aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort }, queryPriors: true, receiveResults: true, timeoutSeconds: 5, ...overrides };
}

function writeExam(dir: string, patientId: string, studyDate: string): { studyUid: string; files: string[] } {
  const studyUid = derivedUid('pacs-dimse-test', patientId, studyDate);
  return { studyUid, files: writeFourViews(dir, { patientId, patientName: 'DIMSE^TEST', studyUid, studyDate }) };
}

/** Tells Orthanc where the station receives (its C-MOVE destination), over Orthanc's REST API. */
async function declareStation(port: number): Promise<void> {
  const r = await orthanc.rest('/modalities/binome', { method: 'PUT', body: JSON.stringify({ AET: STATION_AE, Host: '127.0.0.1', Port: port }) });
  assert.ok(r.ok, `Orthanc took the modality: HTTP ${r.status}`);
  await r.arrayBuffer();
}

async function forgetStation(): Promise<void> {
  await (await orthanc.rest('/modalities/binome', { method: 'DELETE' })).arrayBuffer();
}

const datasetOf = (bytes: Buffer) => part10Parts(bytes).dataset;

/** The search for the priors of an opened exam's woman, once it has ended (on the one node). */
async function searchEnded(station: StationService, examId: number) {
  const [search] = await waitFor('the search for priors to end', async () => {
    const r = await op(station, 'pacsPriors', { examId });
    return r.length && r[0]!.state !== 'running' ? r : null;
  }, 30_000);
  return search;
}

/** Imports the current exam's files, opens it (which starts the search for her priors) and waits for that search to end. */
async function openAndSearch(station: StationService, files: string[]) {
  await op(station, 'importPaths', { paths: files });
  const examId = (await op(station, 'worklistQuery', {})).rows[0]!.examId;
  await op(station, 'examDetail', { examId });
  return { examId, search: await searchEnded(station, examId) };
}

/** The bytes from Pixel Data's value to the end (its fragments, for a compressed image). */
function pixelBytes(bytes: Buffer): Buffer {
  const parsed = dicomParser.parseDicom(bytes as unknown as Uint8Array);
  const element = parsed.elements.x7fe00010;
  assert.ok(element, 'has pixel data');
  return bytes.subarray(element.dataOffset);
}

before(async () => {
  if (skip) return;
  orthanc = await TestOrthanc.start(path.join(work, 'orthanc'));
});

after(async () => {
  await orthanc?.stop();
  if (process.env.DBG) console.log(fs.readFileSync(path.join(work, 'orthanc', 'orthanc.log'), 'utf8').split('\n').filter((l) => /^[EW]/.test(l)).join('\n'));
  fs.rmSync(work, { recursive: true, force: true });
});

test('Test connection is a C-ECHO: reachable; the PACS\'s AE title wrong, or nothing listening, says which', { skip, timeout: 120_000 }, async () => {
  const station = await openStation(path.join(work, 'lib-echo'));
  try {
    const ok = await op(station, 'testPacsNode', node());
    assert.equal(ok.result, 'reachable', JSON.stringify(ok));
    assert.equal(ok.httpStatus, null);
    assert.equal((await op(station, 'testPacsNode', node({ dimse: { aeTitle: 'NOT_ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort } }))).result, 'association_rejected');
    assert.equal((await op(station, 'testPacsNode', node({ dimse: { aeTitle: 'ORTHANC', host: '127.0.0.1', port: await freePort() } }))).result, 'unreachable');
    // a DIMSE node keeps no DICOMweb URL nor password
    const status = await op(station, 'setPacsNodes', { nodes: [node({ baseUrl: 'http://127.0.0.1:1/x', username: 'u', password: 'p' } as Partial<PacsNodeInput>)] });
    assert.deepEqual([status.nodes[0]!.node.protocol, status.nodes[0]!.node.baseUrl, status.nodes[0]!.node.username, status.nodes[0]!.node.passwordSet], ['dimse', null, null, false]);
  } finally {
    await station.close();
  }
});

test('priors are found by C-FIND and come back by C-MOVE into the station\'s receiver when her current exam is opened', { skip, timeout: 120_000 }, async () => {
  const prior = writeExam(path.join(work, 'exams', 'prior'), 'DIMSE0001', '20230310');
  const current = writeExam(path.join(work, 'exams', 'current'), 'DIMSE0001', '20250312');
  const other = writeExam(path.join(work, 'exams', 'other'), 'DIMSE0002', '20230310');
  for (const f of [...prior.files, ...other.files]) await orthanc.upload(f);
  const station = await openStation(path.join(work, 'lib-priors'));
  try {
    await declareStation((await op(station, 'receiverStatus', {})).status!.port!);
    await op(station, 'setPacsNodes', { nodes: [node({ receiveResults: false })] });
    await op(station, 'importPaths', { paths: current.files });
    const examId = (await op(station, 'worklistQuery', {})).rows[0]!.examId;
    const opened = await op(station, 'examDetail', { examId });
    assert.equal(opened.priors.length, 0);
    const search = await searchEnded(station, examId);
    assert.equal(search!.state, 'done', JSON.stringify(search));
    assert.deepEqual([search!.found, search!.missing, search!.retrieved, search!.images], [1, 1, 1, 4], 'one study of hers, moved whole (the other woman\'s is not hers)');
    // the moved images arrive through the receiver, whose import ends when Orthanc's association does
    const detail = await waitFor('the prior in the library', async () => {
      const d = await op(station, 'examDetail', { examId, purpose: 'prior' });
      return d.priors.length && d.priors[0]!.imageCount === 4 ? d : null;
    });
    assert.equal(detail.priors[0]!.studyInstanceUid, prior.studyUid);
    assert.equal((await op(station, 'worklistQuery', {})).total, 2, 'the other woman\'s exam was not fetched');
    const received = (await op(station, 'receiverStatus', {})).status!.associations.find((a) => a.callingAe === 'ORTHANC');
    assert.ok(received && received.state === 'released' && received.received === 4, `Orthanc's association was admitted: ${JSON.stringify(received)}`);
    // each moved image has the pixels Orthanc holds, and those first imported there
    const priorDetail = await op(station, 'examDetail', { examId: detail.priors[0]!.examId, purpose: 'prior' });
    const original = new Map(prior.files.map((f) => { const b = fs.readFileSync(f); return [part10Parts(b).sopInstanceUid, b]; }));
    for (const instance of priorDetail.series[0]!.instances) {
      const stored = fs.readFileSync(station.store.pathFor(station.db.worklist.instanceFile(instance.instanceId)!.fileHash));
      assert.ok(pixelBytes(stored).equals(pixelBytes((await orthanc.fileOf(instance.sopInstanceUid))!)), 'the pixels Orthanc holds');
      assert.ok(pixelBytes(stored).equals(pixelBytes(original.get(instance.sopInstanceUid)!)), 'the pixels first sent to Orthanc');
    }
    assert.equal((await op(station, 'pacsStatus', {})).nodes[0]!.health.state, 'ok');
  } finally {
    await station.close();
  }
});

test('C-MOVE misconfigured: the station unknown to the PACS, or its receiver off, is said as such', { skip, timeout: 120_000 }, async () => {
  const prior = writeExam(path.join(work, 'exams', 'prior-2'), 'DIMSE0011', '20230310');
  const current = writeExam(path.join(work, 'exams', 'current-2'), 'DIMSE0011', '20250312');
  for (const f of prior.files) await orthanc.upload(f);
  await forgetStation();
  const unknown = await openStation(path.join(work, 'lib-unknown'));
  try {
    await op(unknown, 'setPacsNodes', { nodes: [node({ receiveResults: false })] });
    const { search } = await openAndSearch(unknown, current.files);
    // Orthanc aborts a C-MOVE from a caller it does not know (the station is its own destination)
    assert.equal(search!.state, 'failed');
    assert.equal(search!.failure?.code, 'association_rejected', JSON.stringify(search));
    assert.match(search!.failure?.detail ?? '', /this station's AE title/);
  } finally {
    await unknown.close();
  }
  const off = await openStation(path.join(work, 'lib-off'), 0, false);
  try {
    await declareStation(await freePort());
    await op(off, 'setPacsNodes', { nodes: [node({ receiveResults: false })] });
    const { search } = await openAndSearch(off, current.files);
    assert.equal(search!.failure?.code, 'receiver_off', JSON.stringify(search));
  } finally {
    await off.close();
  }
});

test('two processes on one library: the one whose receiver port is taken by the other still fetches priors by C-MOVE, into the other\'s receiver', { skip, timeout: 120_000 }, async () => {
  const prior = writeExam(path.join(work, 'exams', 'prior-3'), 'DIMSE0021', '20230310');
  const current = writeExam(path.join(work, 'exams', 'current-3'), 'DIMSE0021', '20250312');
  for (const f of prior.files) await orthanc.upload(f);
  const library = path.join(work, 'lib-shared');
  const first = await openStation(library);
  const port = (await op(first, 'receiverStatus', {})).status!.port!;
  const second = await openStation(library, port);
  try {
    assert.equal((await op(second, 'receiverStatus', {})).status!.failure?.code, 'port_in_use');
    await declareStation(port);
    await op(second, 'setPacsNodes', { nodes: [node({ receiveResults: false })] });
    const { examId, search } = await openAndSearch(second, current.files);
    assert.equal(search!.state, 'done', JSON.stringify(search));
    assert.equal(search!.images, 4);
    const detail = await waitFor('the prior in the library', async () => {
      const d = await op(second, 'examDetail', { examId, purpose: 'prior' });
      return d.priors.length && d.priors[0]!.imageCount === 4 ? d : null;
    });
    assert.equal(detail.priors[0]!.studyInstanceUid, prior.studyUid);
  } finally {
    await second.close();
    await first.close();
  }
});

async function importOne(station: StationService, file: string): Promise<{ instanceId: number; sopUid: string; bytes: Buffer }> {
  const bytes = fs.readFileSync(file);
  await op(station, 'importPaths', { paths: [file] });
  const sopUid = part10Parts(bytes).sopInstanceUid;
  const instanceId = station.db.worklist.instanceBySopUid(sopUid)!;
  assert.ok(instanceId);
  return { instanceId, sopUid, bytes };
}

test('the outbox sends by C-STORE: a peer stores the data set byte for byte, and Orthanc the same pixels, in the object\'s own transfer syntax (JPEG-LS too)', { skip, timeout: 120_000 }, async (t) => {
  const station = await openStation(path.join(work, 'lib-send'));
  // another Binome station as the PACS: its storage SCP keeps what it receives byte for byte
  const peer = new StationService({
    libraryDir: path.join(work, 'lib-peer'), version: 'test', runtime: 'node', renditions: false,
    receiver: { overrides: { enabled: true, port: 0, aeTitle: 'PEER', allowedCallers: [STATION_AE] } },
  });
  try {
    const peerPort = (await peer.startReceiver())!.port!;
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false }), node({ id: 'peer', name: 'Peer', queryPriors: false, dimse: { aeTitle: 'PEER', host: '127.0.0.1', port: peerPort } })] });
    const exam = writeExam(path.join(work, 'exams', 'send'), 'DIMSE0100', '20250101');
    const files = [exam.files[0]!];
    // a compressed object keeps its transfer syntax (dcmtk's dcmcjpls makes one, where installed)
    const jpegLs = path.join(work, 'exams', 'send', 'jpegls.dcm');
    if (spawnSync('dcmcjpls', [exam.files[1]!, jpegLs], { stdio: 'ignore' }).status === 0) files.push(jpegLs);
    else t.diagnostic('dcmtk\'s dcmcjpls is not installed: no JPEG-LS object is sent');
    const sent = [];
    for (const f of files) sent.push(await importOne(station, f));
    for (const s of sent) await op(station, 'sendToPacs', { instanceId: s.instanceId });
    await waitFor('the items to be sent to both', async () => (await op(station, 'pacsStatus', {})).nodes.every((n) => n.outbox.sent === sent.length), 30_000);
    for (const s of sent) {
      const ts = part10Parts(s.bytes).transferSyntaxUid;
      const inOrthanc = (await orthanc.fileOf(s.sopUid))!;
      assert.ok(inOrthanc, 'Orthanc has it');
      assert.equal(part10Parts(inOrthanc).transferSyntaxUid, ts);
      // Orthanc writes what its parser read (its own encoding of the rest): the pixels are the same bytes
      assert.ok(pixelBytes(inOrthanc).equals(pixelBytes(s.bytes)), 'Orthanc has the same pixel data');
      // stored at the peer once its exam shows, when the association has ended (the row exists before: hidden)
      const atPeerFile = await waitFor('the peer to import it', () => {
        const peerId = peer.db.worklist.instanceBySopUid(s.sopUid);
        return peerId === null ? null : peer.db.worklist.instanceFile(peerId);
      });
      const atPeer = fs.readFileSync(peer.store.pathFor(atPeerFile.fileHash));
      assert.equal(part10Parts(atPeer).transferSyntaxUid, ts);
      assert.ok(datasetOf(atPeer).equals(datasetOf(s.bytes)), 'the peer received the very data set stored here');
    }
    assert.deepEqual((await op(station, 'pacsStatus', {})).nodes.map((n) => n.health.state), ['ok', 'ok']);
  } finally {
    await station.close();
    await peer.close();
  }
});

test('the C-STORE outbox retries while Orthanc is stopped, and drains when it is back', { skip, timeout: 120_000 }, async () => {
  const station = await openStation(path.join(work, 'lib-retry'));
  try {
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false, timeoutSeconds: 2 })] });
    const exam = writeExam(path.join(work, 'exams', 'retry'), 'DIMSE0200', '20250102');
    const item = await importOne(station, exam.files[2]!);
    await orthanc.stop();
    await op(station, 'sendToPacs', { instanceId: item.instanceId });
    const failing = await waitFor('the node to be reported failing after retries', async () => {
      const n = (await op(station, 'pacsStatus', {})).nodes[0]!;
      return n.health.state === 'failing' && (station.db.pacs.itemsOf(item.instanceId)[0]?.attempts ?? 0) >= 2 ? n : null;
    });
    assert.equal(failing.health.failure?.code, 'unreachable');
    assert.equal(failing.outbox.sent, 0);
    await orthanc.resume();
    await waitFor('the outbox to drain', async () => (await op(station, 'pacsStatus', {})).nodes[0]!.outbox.sent === 1, 30_000);
    assert.ok(pixelBytes((await orthanc.fileOf(item.sopUid))!).equals(pixelBytes(item.bytes)));
  } finally {
    await orthanc.resume();
    await station.close();
  }
});

test('a PACS AE title set wrong: the outbox says so and waits, then sends once it is right', { skip, timeout: 120_000 }, async () => {
  const station = await openStation(path.join(work, 'lib-refused'));
  try {
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false, dimse: { aeTitle: 'WRONG_AE', host: '127.0.0.1', port: orthanc.dicomPort } })] });
    const exam = writeExam(path.join(work, 'exams', 'refused'), 'DIMSE0300', '20250103');
    const item = await importOne(station, exam.files[3]!);
    await op(station, 'sendToPacs', { instanceId: item.instanceId });
    const n = await waitFor('the node failing', async () => {
      const s = (await op(station, 'pacsStatus', {})).nodes[0]!;
      return s.health.state === 'failing' ? s : null;
    });
    // a wrong AE title is a configuration to fix: the item waits (and is sent once it is fixed)
    assert.equal(n.health.failure?.code, 'association_rejected');
    assert.equal(n.outbox.failed, 0);
    await op(station, 'setPacsNodes', { nodes: [node({ queryPriors: false })] });
    await op(station, 'retryPacs', {});
    await waitFor('sent once the AE title is right', async () => (await op(station, 'pacsStatus', {})).nodes[0]!.outbox.sent === 1, 30_000);
  } finally {
    await station.close();
  }
});
