// The storage SCP against independent peers: dcmtk's echoscu and storescu as callers, storescp in
// bit-preserving mode as the reference for "stored byte for byte as received". Tests needing dcmtk
// skip with a message where it is absent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { StationService } from '../../main/service/station.ts';
import type { ReceiverSettings, ReceiverStatus } from '../../common/dicom-node.ts';
import { parseOperationInput } from '../../common/api.ts';
import { log } from '../../main/base/log.ts';
import { tempDir } from '../helpers/paths.ts';
import { makeMammoFile, writeScreeningExams } from '../helpers/mammo-files.ts';
import { Relay, SKIP_NO_DCMTK_NET, echoscu, runTool, storescu } from '../helpers/dicom-peers.ts';
import { HAS_DCMTK, dcmtk } from '../helpers/pixel-files.ts';

const AET = 'BINOME';
const MODALITY = 'MODALITY';

function receiverStation(options: { libraryDir?: string; overrides?: Partial<ReceiverSettings>; batchSize?: number } = {}): StationService {
  return new StationService({
    libraryDir: options.libraryDir ?? tempDir('rx-lib'), version: 'test', runtime: 'node', renditions: false,
    import: { batchSize: options.batchSize },
    // port 0: a free port, as the system chooses it
    receiver: { overrides: { enabled: true, port: 0, aeTitle: AET, allowedCallers: [MODALITY], ...options.overrides } },
  });
}

async function started(station: StationService): Promise<number> {
  const status = await station.startReceiver();
  assert.equal(status?.state, 'listening', JSON.stringify(status?.failure));
  return status!.port!;
}

async function statusOf(station: StationService): Promise<ReceiverStatus> {
  return (await station.handlers.receiverStatus({})).status!;
}

/** Waits until `check` holds (polling), or fails after `ms`. */
async function until<T>(what: string, check: () => T | Promise<T>, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The data set of a Part 10 file: what follows its File Meta Information. */
function datasetBytes(file: string): Buffer {
  const b = fs.readFileSync(file);
  assert.equal(b.toString('latin1', 128, 132), 'DICM');
  const groupLength = b.readUInt32LE(140); // (0002,0000) UL, explicit VR little endian
  return b.subarray(144 + groupLength);
}

/** The transfer syntax named in a Part 10 file's meta information. */
function metaTransferSyntax(file: string): string {
  const b = fs.readFileSync(file).subarray(0, 1024);
  const at = b.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00]));
  const length = b.readUInt16LE(at + 6);
  return b.toString('latin1', at + 8, at + 8 + length).replace(/\0+$/, '');
}

function storedFiles(station: StationService): string[] {
  const rows = station.db.connection.prepare('SELECT file_hash FROM instances ORDER BY id').all() as { file_hash: string }[];
  return rows.map((r) => station.store.pathFor(r.file_hash));
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

test('C-ECHO from an allowed caller; unknown calling or called AE titles refused, and the refusal logged without patient data', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const station = receiverStation();
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  log.setLevel('info');
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => { logged.push(String(chunk)); return write(chunk, ...rest); }) as typeof process.stderr.write;
  try {
    const port = await started(station);
    const ok = await echoscu(port, MODALITY, AET);
    assert.equal(ok.code, 0, ok.output);
    const stranger = await echoscu(port, 'STRANGER', AET);
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.output, /Calling AE Title Not Recognized/);
    const wrongCalled = await echoscu(port, MODALITY, 'SOMEONE');
    assert.notEqual(wrongCalled.code, 0);
    assert.match(wrongCalled.output, /Called AE Title Not Recognized/);
    const status = await statusOf(station);
    assert.equal(status.totals.refused, 2);
    assert.deepEqual(status.associations.filter((a) => a.state === 'refused').map((a) => [a.callingAe, a.refusal]).sort(),
      [[MODALITY, 'called_ae'], ['STRANGER', 'calling_ae']]);
    assert.ok(logged.some((l) => /association refused: calling AE title not in the allow-list \(calling "STRANGER"/.test(l)), logged.join(''));
  } finally {
    process.stderr.write = write;
    log.setLevel('warn');
    await station.close();
  }
});

test('an exam sent by storescu is stored byte for byte as received (as storescp -B keeps it), imported, and in the worklist once the association ends; no patient data in the log', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const source = tempDir('rx-src');
  const [exam] = writeScreeningExams(source, 1, { seed: 'rx-bytes' });
  const station = receiverStation();
  const reference = tempDir('rx-storescp');
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  log.setLevel('info');
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => { logged.push(String(chunk)); return write(chunk, ...rest); }) as typeof process.stderr.write;
  let storescp: ReturnType<typeof spawn> | null = null;
  try {
    const port = await started(station);
    const sent = await storescu(port, MODALITY, AET, exam!.files);
    assert.equal(sent.code, 0, sent.output);
    const status = await until('the association\'s import', async () => {
      const s = await statusOf(station);
      return s.associations.find((a) => a.state === 'released' && a.imported) ? s : null;
    });
    const association = status.associations.find((a) => a.state === 'released')!;
    assert.equal(association.received, 4);
    assert.deepEqual(association.imported, { imported: 4, duplicates: 0, rejected: 0, exams: 1 });
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(page.total, 1);
    assert.equal(page.rows[0]!.patientId, exam!.patientId);
    assert.equal(page.rows[0]!.imageCount, 4);
    assert.deepEqual(page.rows[0]!.views, ['RCC', 'LCC', 'RMLO', 'LMLO']);

    // the same files through dcmtk's own receiver, keeping what it receives bit for bit
    const refPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => { const p = (probe.address() as net.AddressInfo).port; probe.close(() => resolve(p)); });
    });
    storescp = spawn('storescp', ['--bit-preserving', '-od', reference, '-aet', 'REFERENCE', String(refPort)], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
    await until('storescp listening', () => new Promise<boolean>((resolve) => {
      const s = net.connect(refPort, '127.0.0.1', () => { s.destroy(); resolve(true); }).on('error', () => resolve(false));
    }));
    const refSent = await storescu(refPort, MODALITY, 'REFERENCE', exam!.files);
    assert.equal(refSent.code, 0, refSent.output);
    const referenceSets = filesUnder(reference).map((f) => datasetBytes(path.join(reference, f)).toString('base64')).sort();
    const ours = storedFiles(station);
    assert.equal(ours.length, 4);
    assert.deepEqual(ours.map((f) => datasetBytes(f).toString('base64')).sort(), referenceSets, 'our stored data sets are storescp\'s bit-preserved ones');
    for (const f of ours) assert.equal(metaTransferSyntax(f), '1.2.840.10008.1.2.1');
    // nothing left where files are received
    assert.deepEqual(filesUnder(path.join(station.paths.root, 'incoming')), []);
    const text = logged.join('');
    assert.match(text, /association \d+ from "MODALITY" \(127\.0\.0\.1\) accepted/);
    for (const secret of [exam!.patientId, 'PATIENT0', 'TEST']) assert.ok(!text.includes(secret), `the log names ${secret}`);
  } finally {
    process.stderr.write = write;
    log.setLevel('warn');
    storescp?.kill();
    await station.close();
  }
});

test('JPEG-LS proposed by storescu is accepted as such and stored compressed; a damaged image is kept in quarantine and its exam marked incomplete', { skip: SKIP_NO_DCMTK_NET || (HAS_DCMTK ? false : 'dcmtk\'s dcmcjpls is not installed') }, async () => {
  const source = tempDir('rx-jls');
  const [exam] = writeScreeningExams(source, 1, { seed: 'rx-jls', rows: 256, columns: 192 });
  const jls = path.join(source, 'jls.dcm');
  dcmtk('dcmcjpls', exam!.files[0]!, jls);
  // Rows says twice the rows the pixel data holds: the import refuses it (dcmtk sends it as it is)
  const damaged = Buffer.from(makeMammoFile({ patientId: exam!.patientId, patientName: 'TEST^PATIENT0', studyUid: exam!.studyUid, studyDate: '20250115', laterality: 'L', view: 'CC', instanceNumber: 9, rows: 64, columns: 48 }));
  const rowsAt = damaged.indexOf(Buffer.from([0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00]));
  damaged.writeUInt16LE(128, rowsAt + 8);
  const damagedFile = path.join(source, 'damaged.dcm');
  fs.writeFileSync(damagedFile, damaged);
  const station = receiverStation();
  try {
    const port = await started(station);
    const sent = await storescu(port, MODALITY, AET, [jls, ...exam!.files.slice(1), damagedFile], { extra: ['-xt'] });
    assert.equal(sent.code, 0, sent.output);
    await until('the import', async () => (await statusOf(station)).associations.find((a) => a.imported));
    const syntaxes = storedFiles(station).map(metaTransferSyntax).sort();
    assert.deepEqual(syntaxes, ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.4.80']);
    const quarantined = await station.handlers.quarantineList({ limit: 10 });
    assert.equal(quarantined.length, 1);
    assert.equal(quarantined[0]!.keptCopy, true, 'a received file that cannot be imported is kept');
    assert.match(quarantined[0]!.file, /received from MODALITY/);
    assert.equal(filesUnder(path.join(station.paths.root, 'quarantine')).length, 1);
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(page.rows[0]!.imageCount, 4);
    assert.equal(page.rows[0]!.rejectedFiles, 1);
  } finally {
    await station.close();
  }
});

/** An exam of four small views and a fifth, large image of the same exam, sent last. */
function examWithLargeLastImage(): { files: string[]; patientId: string } {
  const source = tempDir('rx-drop');
  const [exam] = writeScreeningExams(source, 1, { seed: 'rx-drop' });
  const large = path.join(source, 'large.dcm');
  fs.writeFileSync(large, makeMammoFile({ patientId: exam!.patientId, patientName: 'TEST^PATIENT0', studyUid: exam!.studyUid, studyDate: '20250115', laterality: 'R', view: 'CC', instanceNumber: 5, rows: 2048, columns: 1536, forProcessing: true }));
  return { files: [...exam!.files, large], patientId: exam!.patientId };
}

test('an exam stays out of the worklist while its association is open, and appears when it is released', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const { files } = examWithLargeLastImage();
  const station = receiverStation({ batchSize: 1 });
  let relay: Relay | null = null;
  try {
    relay = await Relay.start(await started(station));
    relay.holdAfterResponses(4); // storescu's fifth image waits in the relay
    const sending = storescu(relay.port, MODALITY, AET, files);
    const instances = () => (station.db.connection.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
    await until('four images committed', () => instances() === 4);
    assert.equal((await statusOf(station)).associations[0]!.state, 'active');
    assert.equal((await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { filter: { scope: 'all' } }))).total, 0, 'hidden while the association is open');
    relay.release();
    const sent = await sending;
    assert.equal(sent.code, 0, sent.output);
    await until('the association\'s import', async () => (await statusOf(station)).associations.find((a) => a.imported));
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(page.total, 1);
    assert.equal(page.rows[0]!.imageCount, 4);
    assert.equal(page.rows[0]!.objectCount, 1);
  } finally {
    await relay?.close();
    await station.close();
  }
});

test('a connection dropped in the middle of an image leaves no half exam and no half file, keeps every completed image, and a resend completes the exam', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const { files, patientId } = examWithLargeLastImage();
  const station = receiverStation({ batchSize: 1 });
  let relay: Relay | null = null;
  try {
    const port = await started(station);
    relay = await Relay.start(port);
    relay.holdAfterResponses(4);
    let child: ReturnType<typeof spawn> | null = null;
    const sending = storescu(relay.port, MODALITY, AET, files, { onSpawn: (c) => { child = c; } });
    // a third of the fifth image reaches the station, then the sender dies and the connection drops
    await relay.pass(2 * 1024 * 1024);
    const incoming = path.join(station.paths.root, 'incoming');
    await until('the fifth image arriving', () => filesUnder(incoming).some((f) => f.endsWith('.part')));
    child!.kill('SIGKILL');
    relay.cut();
    await sending;
    const ended = await until('the association\'s end', async () => (await statusOf(station)).associations.find((a) => a.imported));
    assert.equal(ended.state, 'aborted');
    assert.equal(ended.received, 4);
    // the association's folder goes once its import has ended (its record and the half file with it)
    await until('no half file left', () => filesUnder(incoming).length === 0, 5000);
    const db = station.db.connection;
    assert.equal((db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n, 4, 'the four completed images are kept');
    for (const f of storedFiles(station)) assert.ok(fs.statSync(f).size > 0);
    assert.equal((await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { filter: { scope: 'all' } }))).total, 0, 'no half exam shown');
    const unfinished = await station.handlers.unfinishedImports({});
    assert.equal(unfinished.length, 1);
    assert.equal(unfinished[0]!.receivedFrom, MODALITY);
    assert.equal(unfinished[0]!.examsHeldBack, 1);

    // the modality sends the exam again: what was stored counts as duplicates, the exam completes
    const resent = await storescu(port, MODALITY, AET, files);
    assert.equal(resent.code, 0, resent.output);
    await until('the second association\'s import', async () => (await statusOf(station)).associations.find((a) => a.state === 'released' && a.imported));
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(page.total, 1);
    assert.equal(page.rows[0]!.patientId, patientId);
    assert.equal(page.rows[0]!.imageCount, 4);
    assert.equal(page.rows[0]!.objectCount, 1);
    assert.deepEqual(await station.handlers.unfinishedImports({}), []);
  } finally {
    await relay?.close();
    await station.close();
  }
});

test('images that join an exam already shown leave it shown while their association is open, and when it is cut short (a new exam is held back; this one was read already)', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const { files } = examWithLargeLastImage();
  const station = receiverStation({ batchSize: 1 });
  let relay: Relay | null = null;
  try {
    const port = await started(station);
    const first = await storescu(port, MODALITY, AET, files.slice(0, 4));
    assert.equal(first.code, 0, first.output);
    await until('the exam shown', async () => (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).total === 1);
    // a fifth view of the same exam, then the large image, cut a third of the way in
    const source = path.dirname(files[0]!);
    const header = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows[0]!;
    const extra = path.join(source, 'extra.dcm');
    fs.writeFileSync(extra, makeMammoFile({ patientId: header.patientId, patientName: 'TEST^PATIENT0', studyUid: header.studyInstanceUid, studyDate: '20250115', laterality: 'L', view: 'CC', instanceNumber: 6 }));
    relay = await Relay.start(port);
    relay.holdAfterResponses(1);
    let child: ReturnType<typeof spawn> | null = null;
    const sending = storescu(relay.port, MODALITY, AET, [extra, files[4]!], { onSpawn: (c) => { child = c; } });
    const instances = () => (station.db.connection.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
    await until('the fifth view committed', () => instances() === 5);
    const during = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(during.total, 1, 'still shown while the association is open');
    await relay.pass(2 * 1024 * 1024);
    await until('the large image arriving', () => filesUnder(path.join(station.paths.root, 'incoming')).some((f) => f.endsWith('.part')));
    child!.kill('SIGKILL');
    relay.cut();
    await sending;
    const ended = await until('the association\'s end', async () => (await statusOf(station)).associations.find((a) => a.state === 'aborted' && a.imported));
    assert.equal(ended.received, 1);
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(page.total, 1, 'still shown after the association was cut short');
    assert.equal(page.rows[0]!.imageCount, 5, 'with the view that arrived whole');
    assert.deepEqual((await station.handlers.unfinishedImports({})).filter((u) => u.examsHeldBack > 0), [], 'nothing held back');
  } finally {
    await relay?.close();
    await station.close();
  }
});

/** Connects, sends `bytes`, and resolves with whether the station closed the connection within `ms` (and what it answered). */
function sendRaw(port: number, bytes: Buffer, ms = 5000): Promise<{ closed: boolean; answer: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => { socket.destroy(); resolve({ closed: false, answer: Buffer.concat(chunks) }); }, ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve({ closed: true, answer: Buffer.concat(chunks) }); });
  });
}

/** An A-ASSOCIATE-RQ (PS3.8 9.3.2) proposing one context of `abstractSyntax` in explicit VR little endian. */
function associateRq(calling: string, called: string, abstractSyntax: string): Buffer {
  const item = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
  const uid = (type: number, value: string) => item(type, Buffer.from(value, 'latin1'));
  const ae = (t: string) => Buffer.from(t.padEnd(16, ' '), 'latin1');
  const context = item(0x20, Buffer.concat([Buffer.from([1, 0, 0, 0]), uid(0x30, abstractSyntax), uid(0x40, '1.2.840.10008.1.2.1')]));
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(16384);
  const user = item(0x50, Buffer.concat([item(0x51, maxLength), uid(0x52, '1.2.3.4')]));
  const body = Buffer.concat([Buffer.from([0, 1, 0, 0]), ae(called), ae(calling), Buffer.alloc(32), uid(0x10, '1.2.840.10008.3.1.1.1'), context, user]);
  const header = Buffer.from([0x01, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

test('malformed input over the wire ends that connection only: garbage, an oversized PDU, a command that is not DICOM; the receiver goes on', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const station = receiverStation();
  try {
    const port = await started(station);
    const garbage = await sendRaw(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4)));
    assert.ok(garbage.closed, 'not a PDU: the connection ends');
    // a P-DATA-TF announcing 4 GiB: refused at its header, not gathered in memory
    const huge = Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]);
    const oversized = await sendRaw(port, huge);
    assert.ok(oversized.closed, 'an oversized PDU ends the connection at once');
    // an admitted association whose command is not a DICOM data set
    const rq = associateRq(MODALITY, AET, '1.2.840.10008.1.1');
    const command = Buffer.from([0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00]);
    const pdv = Buffer.concat([Buffer.from([0, 0, 0, command.length + 2, 1, 0x03]), command]);
    const pdata = Buffer.concat([Buffer.from([0x04, 0, 0, 0, 0, pdv.length]), pdv]);
    const bad = await new Promise<{ closed: boolean; answer: Buffer }>((resolve) => {
      const chunks: Buffer[] = [];
      const socket = net.connect(port, '127.0.0.1', () => socket.write(rq));
      socket.on('data', (c: Buffer) => { chunks.push(c); if (c[0] === 0x02) socket.write(pdata); });
      socket.on('error', () => undefined);
      const timer = setTimeout(() => { socket.destroy(); resolve({ closed: false, answer: Buffer.concat(chunks) }); }, 5000);
      socket.on('close', () => { clearTimeout(timer); resolve({ closed: true, answer: Buffer.concat(chunks) }); });
    });
    assert.equal(bad.answer[0], 0x02, 'the association was accepted');
    assert.ok(bad.closed, 'the malformed command ends it');
    // an association request that stops halfway
    const half = await sendRaw(port, rq.subarray(0, 40), 500);
    assert.equal(half.closed, false, 'a slow caller is waited for (up to the association timeout), not refused');
    const echo = await echoscu(port, MODALITY, AET);
    assert.equal(echo.code, 0, 'the receiver still answers');
    assert.equal((await statusOf(station)).state, 'listening');
  } finally {
    await station.close();
  }
});

test('a second station on the same library: the same port is reported taken, another port receives too; settings move the listener', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const library = tempDir('rx-shared');
  const first = receiverStation({ libraryDir: library });
  const firstPort = await started(first);
  const second = receiverStation({ libraryDir: library, overrides: { port: firstPort } });
  try {
    const taken = await second.startReceiver();
    assert.equal(taken?.state, 'failed');
    assert.equal(taken?.failure?.code, 'port_in_use');
    // the library's settings (not this run's overrides) move the first station's listener
    const free = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => { const p = (probe.address() as net.AddressInfo).port; probe.close(() => resolve(p)); });
    });
    await assert.rejects(() => Promise.resolve().then(() => parseOperationInput('setSettings', { receiver: { enabled: true, aeTitle: 'BAD\\AE', port: free, openToNetwork: false, allowedCallers: [] } })), /aeTitle/);
    const third = new StationService({ libraryDir: library, version: 'test', runtime: 'node', renditions: false, receiver: {} });
    try {
      const settings = await third.handlers.setSettings(parseOperationInput('setSettings', { receiver: { enabled: true, aeTitle: 'READER', port: free, openToNetwork: false, allowedCallers: ['CT1', 'CT1', MODALITY] } }));
      assert.deepEqual(settings.receiver.allowedCallers, ['CT1', MODALITY]);
      const status = await third.startReceiver();
      assert.equal(status?.state, 'listening');
      assert.equal(status?.port, free);
      assert.equal(status?.host, '127.0.0.1');
      assert.equal((await echoscu(free, MODALITY, 'READER')).code, 0);
      assert.equal((await echoscu(firstPort, MODALITY, AET)).code, 0, 'the first station still receives');
      await third.handlers.setSettings(parseOperationInput('setSettings', { receiver: { ...settings.receiver, enabled: false } }));
      assert.equal((await third.handlers.receiverStatus({})).status?.state, 'off');
      assert.notEqual((await echoscu(free, MODALITY, 'READER')).code, 0, 'disabled: nobody listens');
    } finally {
      await third.close();
    }
  } finally {
    await second.close();
    await first.close();
  }
});

test('files a stopped station received but did not import are imported by the next receiver: a released association\'s exam shown, one cut short by the station\'s death held back; unfinished files removed', async () => {
  const library = tempDir('rx-recover');
  const source = tempDir('rx-recover-src');
  const [released, cut, older] = writeScreeningExams(source, 3, { seed: 'rx-recover' });
  // as a killed process leaves them: its own folder (a pid that is gone), one folder per association,
  // with the record the receiver writes (who sent; released or not)
  const owner = path.join(library, 'incoming', '999999999-1-deadbeef');
  const leave = (name: string, files: string[], record: object | null) => {
    const dir = path.join(owner, name);
    fs.mkdirSync(dir, { recursive: true });
    files.forEach((f, i) => fs.copyFileSync(f, path.join(dir, `${String(i + 1).padStart(6, '0')}.dcm`)));
    if (record) fs.writeFileSync(path.join(dir, 'association.json'), JSON.stringify(record));
    return dir;
  };
  leave('000003', released!.files, { callingAe: MODALITY, released: true });
  // the station died while this association went on: two of the four images had come
  const cutDir = leave('000004', cut!.files.slice(0, 2), { callingAe: MODALITY, released: false });
  fs.writeFileSync(path.join(cutDir, '000003.part'), Buffer.alloc(1000));
  // a folder left by a station that wrote no record: taken as not released
  leave('000005', older!.files, null);
  const station = receiverStation({ libraryDir: library });
  try {
    await started(station);
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { filter: { scope: 'all' } }));
    assert.deepEqual(page.rows.map((r) => [r.patientId, r.imageCount]), [[released!.patientId, 4]], 'only the released association\'s exam is shown');
    const unfinished = await station.handlers.unfinishedImports({});
    assert.equal(unfinished.length, 2);
    assert.deepEqual(unfinished.map((u) => u.receivedFrom).sort(), [MODALITY, null].sort());
    assert.equal(unfinished.reduce((n, u) => n + u.examsHeldBack, 0), 2);
    const db = station.db.connection;
    assert.equal((db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n, 4 + 2 + 4, 'every whole file is kept');
    assert.deepEqual(filesUnder(path.join(library, 'incoming')), []);
    // the store check covers the held-back exams' files too
    assert.deepEqual(await station.handlers.checkStore({ content: true }), { checked: 10, damaged: [] });
  } finally {
    await station.close();
  }
  // the command line says what to do: the sender must send again (there are no files here to import)
  const listed = spawnSync(process.execPath, [path.join(import.meta.dirname, '..', '..', 'bin', 'binome.js'), 'list', '--all', '--library', library], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`it came over the network from "${MODALITY}": have that sender send the exam\\(s\\) again`));
  assert.match(listed.stdout, /holds 1 exam\(s\) back \(TEST PATIENT\d+\); it came over the network/, 'and whose exam it is');
});

test('a station stopped after a sender released its association, its images all or partly in the library already: the next start completes that import and shows the exam (it was held back until sent again)', async () => {
  const library = tempDir('rx-complete');
  const source = tempDir('rx-complete-src');
  const [allIn, partIn, notReleased] = writeScreeningExams(source, 3, { seed: 'rx-complete' });
  // What a station killed during the import of a released association leaves: the import job
  // still 'running' under a process that is gone, holding the exams of the files it had stored
  // (these files are imported, then the job put back in that state), and the association's folder
  // with its record and the files not stored yet.
  const jobs: number[] = [];
  const first = receiverStation({ libraryDir: library });
  try {
    for (const files of [allIn!.files, partIn!.files.slice(0, 2), notReleased!.files]) {
      await first.handlers.importPaths({ paths: files });
      const db = first.db.connection;
      const job = (db.prepare('SELECT max(id) AS id FROM import_jobs').get() as { id: number }).id;
      const study = (db.prepare('SELECT max(id) AS id FROM studies').get() as { id: number }).id;
      db.prepare("UPDATE import_jobs SET status = 'running', finished_at = NULL, owner = '999999999:1' WHERE id = ?").run(job);
      db.prepare('INSERT INTO study_holds (study_ref, job_ref) VALUES (?, ?)').run(study, job);
      db.prepare('UPDATE studies SET pending_job = ? WHERE id = ?').run(job, study);
      jobs.push(job);
    }
  } finally {
    await first.close();
  }
  const owner = path.join(library, 'incoming', '999999999-1-deadbeef');
  const leave = (name: string, files: string[], record: object) => {
    const dir = path.join(owner, name);
    fs.mkdirSync(dir, { recursive: true });
    files.forEach((f, i) => fs.copyFileSync(f, path.join(dir, `${String(i + 3).padStart(6, '0')}.dcm`)));
    fs.writeFileSync(path.join(dir, 'association.json'), JSON.stringify(record));
  };
  leave('000001', [], { callingAe: MODALITY, released: true, importJob: jobs[0] });
  leave('000002', partIn!.files.slice(2), { callingAe: MODALITY, released: true, importJob: jobs[1] });
  // not released (the station died while it went on): held back, as before
  leave('000003', [], { callingAe: MODALITY, released: false, importJob: null });
  const station = receiverStation({ libraryDir: library });
  try {
    await started(station);
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { filter: { scope: 'all' } }));
    assert.deepEqual(page.rows.map((r) => [r.patientId, r.imageCount]).sort(), [[allIn!.patientId, 4], [partIn!.patientId, 4]], 'the released associations\' exams are shown, whole');
    const unfinished = await station.handlers.unfinishedImports({});
    assert.deepEqual(unfinished.map((u) => [u.jobId, u.examsHeldBack]), [[jobs[2], 1]], 'the unreleased one stays held back');
    const status = (id: number) => (station.db.connection.prepare('SELECT status FROM import_jobs WHERE id = ?').get(id) as { status: string }).status;
    assert.deepEqual(jobs.map(status), ['done', 'done', 'interrupted']);
    assert.deepEqual(filesUnder(path.join(library, 'incoming')), []);
  } finally {
    await station.close();
  }
});

/** An implicit VR little endian element (PS3.5 7.1.3), its value padded to an even length. */
function implicitElement(group: number, element: number, value: Buffer): Buffer {
  const padded = value.length % 2 ? Buffer.concat([value, Buffer.from([0])]) : value;
  const head = Buffer.alloc(8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(element, 2);
  head.writeUInt32LE(padded.length, 4);
  return Buffer.concat([head, padded]);
}

/** A C-STORE-RQ command set (PS3.7 9.3.1.1) for context 1. */
function cStoreCommand(sopClass: string, sopInstance: string): Buffer {
  const us = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
  const body = Buffer.concat([
    implicitElement(0x0000, 0x0002, Buffer.from(sopClass, 'latin1')),
    implicitElement(0x0000, 0x0100, us(0x0001)),
    implicitElement(0x0000, 0x0110, us(1)),
    implicitElement(0x0000, 0x0700, us(0)),
    implicitElement(0x0000, 0x0800, us(0x0000)),
    implicitElement(0x0000, 0x1000, Buffer.from(sopInstance, 'latin1')),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([implicitElement(0x0000, 0x0000, length), body]);
}

/** A P-DATA-TF of one PDV on context 1. */
function pdataOf(control: number, value: Buffer): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv[4] = 1;
  pdv[5] = control;
  const head = Buffer.from([0x04, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(value.length + 6, 2);
  return Buffer.concat([head, pdv, value]);
}

test('a C-STORE whose Affected SOP Instance UID is not a UID is refused (C000), whatever dcmjs-dimse made of its characters; the association goes on', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const station = receiverStation();
  try {
    const port = await started(station);
    const mg = '1.2.840.10008.5.1.4.1.1.1.2';
    const status = await new Promise<number>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(associateRq(MODALITY, AET, mg)));
      let answer = Buffer.alloc(0);
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('no C-STORE response')); }, 10_000);
      socket.on('data', (c: Buffer) => {
        if (c[0] === 0x02) {
          // accepted: the command, then a small data set in explicit VR little endian
          socket.write(pdataOf(0x03, cStoreCommand(mg, '../../../../tmp/x/PWNED2')));
          socket.write(pdataOf(0x02, Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x4d, 0x47])));
          return;
        }
        answer = Buffer.concat([answer, c]);
        const at = answer.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00]));
        if (at >= 0 && answer.length >= at + 10) { clearTimeout(timer); socket.destroy(); resolve(answer.readUInt16LE(at + 8)); }
      });
      socket.on('error', () => undefined);
    });
    assert.equal(status.toString(16), 'c000');
    assert.equal((db(station).prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n, 0);
    assert.equal((await echoscu(port, MODALITY, AET)).code, 0, 'the receiver still answers');
  } finally {
    await station.close();
  }
});

const db = (station: StationService) => station.db.connection;

test('a connection that never asks for an association is closed after the wait allowed (30 s by default); one that asks in time is admitted', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const station = new StationService({
    libraryDir: tempDir('rx-idle'), version: 'test', runtime: 'node', renditions: false,
    receiver: { overrides: { enabled: true, port: 0, aeTitle: AET, allowedCallers: [MODALITY] }, associateRqWithinMs: 800 },
  });
  try {
    const port = await started(station);
    const started_ = Date.now();
    const idle = await sendRaw(port, Buffer.alloc(0), 5000);
    assert.ok(idle.closed, 'the idle connection was closed');
    const waited = Date.now() - started_;
    assert.ok(waited >= 700 && waited < 4000, `closed after ${waited} ms`);
    assert.equal((await echoscu(port, MODALITY, AET)).code, 0, 'a caller that asks at once is admitted');
  } finally {
    await station.close();
  }
});

test('binome receive: options, refusal of bad ones, and a run that receives', { skip: SKIP_NO_DCMTK_NET }, async () => {
  const bin = path.join(import.meta.dirname, '..', '..', 'bin', 'binome.js');
  const help = await runTool(process.execPath, [bin, 'receive', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.output, /Usage: binome receive \[--port N\] \[--aet TITLE\] \[--allow CALLING_AE \.\.\.\]/);
  const bad = await runTool(process.execPath, [bin, 'receive', '--aet', 'MUCH_TOO_LONG_AE_TITLE']);
  assert.equal(bad.code, 2);
  assert.match(bad.output, /--aet must be an AE title/);
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => { const p = (probe.address() as net.AddressInfo).port; probe.close(() => resolve(p)); });
  });
  const library = tempDir('rx-cli');
  const child = spawn(process.execPath, [bin, 'receive', '--library', library, '--port', String(port), '--aet', 'CLI_SCP', '--allow', MODALITY], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
  try {
    await until('the receiver listening', () => /listening|on 127\.0\.0\.1:/.test(output), 30_000);
    assert.match(output, new RegExp(`AE CLI_SCP on 127\\.0\\.0\\.1:${port} \\(this computer only\\); accepts calling AE MODALITY`));
    const source = tempDir('rx-cli-src');
    const [exam] = writeScreeningExams(source, 1, { seed: 'rx-cli' });
    const sent = await storescu(port, MODALITY, 'CLI_SCP', exam!.files);
    assert.equal(sent.code, 0, sent.output);
    await until('the association line', () => /released: 4 received/.test(output));
    assert.match(output, /association 1 from "MODALITY" \(127\.0\.0\.1\) released: 4 received \([^)]*\), 4 imported, 0 duplicate\(s\), 0 rejected/);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.on('close', r));
  }
  assert.match(output, /Stopped\./);
  const listed = await runTool(process.execPath, [bin, 'list', '--library', library]);
  assert.match(listed.output, /RCC LCC RMLO LMLO\s+4/);
});
