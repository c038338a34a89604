// A broken or hostile DICOMweb server (a tiny local HTTP server): garbage instead of JSON or
// multipart, a body larger than allowed, a 500, an answer that never comes or stops halfway. Each
// gives a clear recorded failure for the search or the outbox item, nothing is left in staging, and
// the station goes on answering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { StationService } from '../../main/service/station.ts';
import { makeMammoFile, writeScreeningExams } from '../helpers/mammo-files.ts';
import { tempDir } from '../helpers/paths.ts';
import { op } from '../helpers/station.ts';
import type { OperationResult } from '../../common/api.ts';
import { findStudies } from '../../main/net/dicomweb.ts';
import { queueForPacs } from '../../main/db/pacs.ts';

type Mode = 'redirect' | 'json-garbage' | 'no-boundary' | 'garbage-multipart' | 'huge' | 'error-500' | 'hang' | 'stall' | 'stow-refused' | 'other-patient' | 'other-study'
  | 'cut' | 'whole' | 'drip' | 'odd-values' | 'grown';
let mode: Mode = 'json-garbage';
const sockets = new Set<net.Socket>();
const STUDY = '1.2.3.4.5.6.7.8.9';
const OWN = '1.2.3.4.5.6.7.8.11';
const ownFile = (laterality: 'R' | 'L', view: 'CC' | 'MLO', instanceNumber: number) =>
  makeMammoFile({ patientId: 'P000000', patientName: 'TEST^PATIENT0', studyUid: OWN, studyDate: '20210101', laterality, view, instanceNumber });
const server = http.createServer((req, res) => {
  req.resume();
  const qido = req.method === 'GET' && req.url?.startsWith('/studies?');
  if (mode === 'hang') return; // never answers
  if (mode === 'redirect') { res.writeHead(302, { location: 'http://203.0.113.9/dicom-web/studies' }).end(); return; }
  if (mode === 'error-500') { res.writeHead(500).end('internal error with P0000 in it'); return; }
  if (req.method === 'POST') {
    if (mode === 'stow-refused') {
      res.writeHead(409, { 'content-type': 'application/dicom+json' });
      res.end(JSON.stringify({ '00081198': { vr: 'SQ', Value: [{ '00081197': { vr: 'US', Value: [43264] } }] } }));
    } else res.writeHead(500).end();
    return;
  }
  if (qido && mode === 'drip') {
    // a byte every 200 ms: never idle for the node's timeout (1 s), never done
    res.writeHead(200, { 'content-type': 'application/dicom+json' });
    const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 200);
    return;
  }
  if (qido && mode === 'odd-values') {
    // values that are not arrays, and 300 studies for a search that asked for at most 100
    const studies = Array.from({ length: 300 }, (_, i) => ({ '0020000D': { vr: 'UI', Value: [`${STUDY}.${i + 1}`] }, '00080061': { vr: 'CS', Value: 'MG' }, '00100020': { vr: 'LO', Value: 'P000000' }, '00201208': { vr: 'IS', Value: {} } }));
    res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(JSON.stringify(studies));
    return;
  }
  if (mode === 'grown') {
    // the station's own exam of her (imported from files), which the PACS holds with one object more:
    // fetched again, the new object arrives, then the connection drops
    if (qido) {
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      res.end(JSON.stringify([{ '0020000D': { vr: 'UI', Value: [OWN] }, '00100020': { vr: 'LO', Value: ['P000000'] }, '00080061': { vr: 'CS', Value: ['MG'] }, '00201208': { vr: 'IS', Value: [3] } }]));
      return;
    }
    const part = (laterality: 'R' | 'L', view: 'CC' | 'MLO', instanceNumber: number) => Buffer.concat([Buffer.from('--BB\r\nContent-Type: application/dicom\r\n\r\n'),
      ownFile(laterality, view, instanceNumber), Buffer.from('\r\n')]);
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=BB' });
    res.write(Buffer.concat([part('R', 'CC', 1), part('L', 'CC', 2), part('R', 'MLO', 3), Buffer.from('--BB\r\nContent-Type: application/dicom\r\n\r\nDICM')]),
      () => setTimeout(() => res.socket?.destroy(), 50));
    return;
  }
  if (qido && (mode === 'cut' || mode === 'whole')) {
    // the prior holds two objects, as the PACS says
    res.writeHead(200, { 'content-type': 'application/dicom+json' });
    res.end(JSON.stringify([{ '0020000D': { vr: 'UI', Value: [STUDY] }, '00100020': { vr: 'LO', Value: ['P000000'] }, '00080061': { vr: 'CS', Value: ['MG'] }, '00201208': { vr: 'IS', Value: [2] } }]));
    return;
  }
  if (mode === 'cut' || mode === 'whole') {
    // the first object whole; the connection then dropped (cut), or the second and the end (whole)
    const part = (laterality: 'R' | 'L', instanceNumber: number) => Buffer.concat([Buffer.from('--BB\r\nContent-Type: application/dicom\r\n\r\n'),
      makeMammoFile({ patientId: 'P000000', patientName: 'TEST^PATIENT0', studyUid: STUDY, studyDate: '20200101', laterality, view: 'CC', instanceNumber }), Buffer.from('\r\n')]);
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=BB' });
    if (mode === 'cut') { res.write(Buffer.concat([part('R', 1), Buffer.from('--BB\r\nContent-Type: application/dicom\r\n\r\nDICM')]), () => setTimeout(() => res.socket?.destroy(), 50)); return; }
    res.end(Buffer.concat([part('R', 1), part('L', 2), Buffer.from('--BB--\r\n')]));
    return;
  }
  if (qido) {
    if (mode === 'json-garbage') { res.writeHead(200, { 'content-type': 'application/dicom+json' }).end('<html>not json</html>'); return; }
    res.writeHead(200, { 'content-type': 'application/dicom+json' });
    res.end(JSON.stringify([{ '0020000D': { vr: 'UI', Value: [STUDY] }, '00100020': { vr: 'LO', Value: ['P000000'] }, '00080061': { vr: 'CS', Value: ['MG'] } }]));
    return;
  }
  if (mode === 'no-boundary') { res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"' }).end('whatever'); return; }
  res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=BB' });
  if (mode === 'garbage-multipart') { res.end('\x00\x01 random bytes without any boundary line at all'); return; }
  if (mode === 'other-patient' || mode === 'other-study') {
    // a well-formed instance, but of another woman (or another study) than the one asked for
    const part = mode === 'other-patient'
      ? makeMammoFile({ patientId: 'P999999', patientName: 'OTHER^WOMAN', studyUid: STUDY, studyDate: '20200101', laterality: 'R', view: 'CC', instanceNumber: 1 })
      : makeMammoFile({ patientId: 'P000000', patientName: 'TEST^PATIENT0', studyUid: '1.2.3.4.5.6.7.8.10', studyDate: '20200101', laterality: 'R', view: 'CC', instanceNumber: 1 });
    res.end(Buffer.concat([Buffer.from('--BB\r\nContent-Type: application/dicom\r\n\r\n'), part, Buffer.from('\r\n--BB--\r\n')]));
    return;
  }
  if (mode === 'stall') { res.write('--BB\r\nContent-Type: application/dicom\r\n\r\nDICM partial'); return; }
  // huge: a part that never ends, sent as fast as the client reads
  res.write('--BB\r\nContent-Type: application/dicom\r\n\r\n');
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  const pump = () => { while (!res.destroyed && res.write(chunk)); };
  res.on('drain', pump);
  pump();
});
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

const work = tempDir('pacs-hostile');
let station: StationService;
let examId: number;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  station = new StationService({ libraryDir: path.join(work, 'library'), version: 'test', runtime: 'node', renditions: false,
    pacs: { backoff: { firstMs: 100, maxMs: 400 }, pollMs: 200, freshMs: 0, retrieve: { maxStudyBytes: 1024 * 1024, maxPartBytes: 512 * 1024, minFreeBytes: 0, maxSeconds: 30 } } });
  await op(station, 'setPacsNodes', { nodes: [{ id: 'hostile', name: 'Hostile', baseUrl: `http://127.0.0.1:${port}`, username: null, queryPriors: true, receiveResults: true, timeoutSeconds: 1 }] });
  const [exam] = writeScreeningExams(path.join(work, 'exams'), 1);
  await op(station, 'importPaths', { paths: exam!.files });
  examId = (await op(station, 'worklistQuery', {})).rows[0]!.examId;
});

after(async () => {
  await station.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(work, { recursive: true, force: true });
});

async function search(): Promise<OperationResult<'pacsPriors'>[number]> {
  const before = (await op(station, 'pacsPriors', { examId }))[0]?.startedAt;
  await op(station, 'examDetail', { examId });
  const end = Date.now() + 15_000;
  for (;;) {
    const [r] = await op(station, 'pacsPriors', { examId });
    if (r && r.startedAt !== before && r.state !== 'running') return r;
    if (Date.now() > end) throw new Error('the search did not end');
    await new Promise((res) => setTimeout(res, 30));
  }
}

const staged = () => fs.readdirSync(path.join(work, 'library', 'pacs-incoming'), { recursive: true }).length;

for (const [m, code] of [['redirect', 'not_dicomweb'], ['json-garbage', 'not_dicomweb'], ['no-boundary', 'bad_response'], ['garbage-multipart', 'bad_response'], ['huge', 'too_large'],
  ['error-500', 'server_error'], ['hang', 'timeout'], ['stall', 'timeout'], ['other-patient', 'bad_response'], ['other-study', 'bad_response']] as [Mode, string][]) {
  test(`priors from a server that answers ${m}: recorded as ${code}, nothing imported or left behind`, async () => {
    mode = m;
    const r = await search();
    assert.equal(r.state, 'failed');
    assert.equal(r.failure?.code, code, JSON.stringify(r.failure));
    assert.equal(r.retrieved, 0);
    assert.equal((await op(station, 'worklistQuery', { filter: { scope: 'all' } })).total, 1, 'the station still answers, and nothing was imported');
    assert.equal(staged() <= 1, true, 'only the (empty) staging folder of this process is left');
    const status = await op(station, 'pacsStatus', {});
    assert.equal(status.nodes[0]!.health.state, 'failing');
    assert.equal(JSON.stringify(r).includes('P0000'), false, 'no patient data in the recorded failure');
  });
}

test('the outbox: a 500 keeps the item waiting with its reason; a refusal (409, Failure Reason) fails it for good; retry now queues it again', async () => {
  const instanceId = (await op(station, 'examDetail', { examId, purpose: 'prior' })).series[0]!.instances[0]!.instanceId;
  mode = 'error-500';
  await op(station, 'sendToPacs', { instanceId });
  const end = Date.now() + 10_000;
  while ((station.db.pacs.itemsOf(instanceId)[0]?.attempts ?? 0) < 2) {
    if (Date.now() > end) throw new Error('no second attempt');
    await new Promise((res) => setTimeout(res, 30));
  }
  const waiting = station.db.pacs.itemsOf(instanceId)[0]!;
  assert.ok(waiting.state === 'queued' || waiting.state === 'sending');
  assert.equal(waiting.failure?.code, 'server_error');
  mode = 'stow-refused';
  await op(station, 'retryPacs', {});
  for (;;) {
    const item = station.db.pacs.itemsOf(instanceId)[0]!;
    if (item.state === 'failed') {
      assert.equal(item.failure?.code, 'refused_by_pacs');
      assert.match(item.failure?.detail ?? '', /HTTP 409, failure reason 43264/);
      break;
    }
    if (Date.now() > end) throw new Error('not failed');
    await new Promise((res) => setTimeout(res, 30));
  }
  const status = await op(station, 'pacsStatus', {});
  assert.equal(status.failedItems.length, 1);
  assert.equal(status.nodes[0]!.outbox.failed, 1);
  mode = 'hang';
  const after = await op(station, 'retryPacs', { nodeId: 'hostile' });
  assert.equal(after.nodes[0]!.outbox.failed, 0, 'retry now queues failed items again');
});

test('a search answer dripped a byte at a time ends at the whole answer\'s limit (it never goes idle for the node\'s timeout)', async () => {
  mode = 'drip';
  const port = (server.address() as net.AddressInfo).port;
  const started = Date.now();
  await assert.rejects(() => findStudies({ baseUrl: `http://127.0.0.1:${port}`, username: null, password: null, timeoutSeconds: 1 }, 'P000000', '', 100, 1500),
    (e: unknown) => (e as { code?: string }).code === 'timeout');
  assert.ok(Date.now() - started < 5000, `ended after ${Date.now() - started} ms`);
});

test('a search answer whose values are not arrays, with more studies than asked for: read as far as it makes sense, no more than the limit', async () => {
  mode = 'odd-values';
  const port = (server.address() as net.AddressInfo).port;
  const found = await findStudies({ baseUrl: `http://127.0.0.1:${port}`, username: null, password: null, timeoutSeconds: 5 }, 'P000000', '', 100);
  assert.equal(found.length, 100);
  assert.deepEqual(found[0], { studyUid: `${STUDY}.1`, studyDate: null, modalities: [], issuer: null, instances: null });
});

test('a prior whose retrieval was cut off is held back, not shown in part; the next search fetches it again and shows it whole; a whole one is not fetched again', async () => {
  mode = 'cut';
  const cut = await search();
  assert.equal(cut.state, 'failed');
  assert.equal(cut.failure?.code, 'unreachable', 'the PACS went away under the answer');
  assert.equal((await op(station, 'worklistQuery', { filter: { scope: 'all' } })).total, 1, 'the prior of one image of two is not shown');
  const held = await op(station, 'unfinishedImports', {});
  assert.equal(held.reduce((n, u) => n + u.examsHeldBack, 0), 1, 'it is kept, held back');
  // and said as a retrieval to be fetched again, not as files to drop again
  assert.deepEqual(held.map((u) => [u.fetchedFrom, u.paths, u.receivedFrom]), [['Hostile', null, null]], 'named as the clinic named its PACS');
  assert.deepEqual(held[0]!.patientNames, ['TEST^PATIENT0'], 'whose exam it is');
  await assert.rejects(op(station, 'resumeImport', { jobId: held[0]!.jobId }), (e: { key?: string }) => e.key === 'error.resumeFetched');
  assert.equal(staged() <= 1, true);

  mode = 'whole';
  const whole = await search();
  assert.equal(whole.state, 'done', JSON.stringify(whole.failure));
  assert.deepEqual([whole.found, whole.missing, whole.retrieved], [1, 1, 1], 'the study held back counts as missing, and is fetched');
  const rows = (await op(station, 'worklistQuery', { filter: { scope: 'all' } })).rows;
  assert.deepEqual(rows.map((r) => r.imageCount).sort(), [2, 4], 'the prior is shown, whole');
  assert.deepEqual(await op(station, 'unfinishedImports', {}), []);

  const again = await search();
  assert.deepEqual([again.state, again.found, again.missing, again.retrieved], ['done', 1, 0, 0], 'whole in the library: not fetched again');

  // results on the prior fetched from the PACS are not sent back to it by themselves (each station
  // sharing the PACS would add its own SR of the same algorithm); those on her current exam are
  const instanceOf = (studyUid: string | null) => (station.db.connection.prepare(`SELECT i.id FROM instances i JOIN series se ON se.id = i.series_ref
    JOIN studies st ON st.id = se.study_ref WHERE ${studyUid ? 'st.study_uid = ?' : 'st.study_uid != ?'} LIMIT 1`).get(studyUid ?? STUDY) as { id: number }).id;
  assert.deepEqual([station.db.pacs.fetchedFromPacs(instanceOf(STUDY)), station.db.pacs.fetchedFromPacs(instanceOf(null))], [true, false]);
  assert.deepEqual(queueForPacs(station.db, instanceOf(STUDY)), []);
});

test('an exam of hers the station holds and shows, which the PACS holds with more: fetched again, it stays shown (a retrieval cut short hid it), gains what arrived, and is not taken as fetched (its results still go to the PACS)', async () => {
  const files = path.join(work, 'own');
  fs.mkdirSync(files);
  fs.writeFileSync(path.join(files, 'rcc.dcm'), ownFile('R', 'CC', 1));
  fs.writeFileSync(path.join(files, 'lcc.dcm'), ownFile('L', 'CC', 2));
  await op(station, 'importPaths', { paths: [files] });
  const own = () => station.db.connection.prepare('SELECT s.pending_job IS NULL AS shown, s.id FROM studies s WHERE s.study_uid = ?').get(OWN) as { shown: number; id: number };
  const shownBefore = (await op(station, 'worklistQuery', { filter: { scope: 'all' } })).total;
  assert.equal(own().shown, 1);
  mode = 'grown';
  const r = await search();
  assert.equal(r.state, 'failed', 'the PACS went away under the answer');
  assert.equal(own().shown, 1, 'still shown');
  const rows = (await op(station, 'worklistQuery', { filter: { scope: 'all' } })).rows;
  assert.equal(rows.length, shownBefore);
  assert.equal(rows.find((row) => row.examId === own().id)?.imageCount, 3, 'with the object that arrived whole');
  assert.deepEqual((await op(station, 'unfinishedImports', {})).filter((u) => u.examsHeldBack > 0), [], 'nothing held back');
  const instance = (station.db.connection.prepare('SELECT i.id FROM instances i JOIN series se ON se.id = i.series_ref WHERE se.study_ref = ? LIMIT 1').get(own().id) as { id: number }).id;
  assert.equal(station.db.pacs.fetchedFromPacs(instance), false, 'the station\'s own exam, completed from the PACS, is not a fetched prior');
});
