// The DIMSE client against PACSs that misbehave: a fake PACS on loopback (dcmjs-dimse's Scp, one per
// connection, each test scripting its answers). Too many C-FIND answers are cut off; answers for
// another patient, another issuer or with a bad UID are left out; a PACS that never answers times
// out; C-MOVE and C-STORE statuses become the failure codes the panel shows (a warning is a send);
// a PACS that accepts no presentation context is said to refuse the object. Nothing here lets a
// query's Patient ID reach an error.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation, requests as dimseRequests } from 'dcmjs-dimse';
import { echo, findStudies, moveStudy, storeObject } from '../../main/net/dimse-client.ts';
import { PacsError } from '../../main/net/pacs-error.ts';
import { hostProblem } from '../../common/pacs.ts';
import { makeMammoFile } from '../helpers/mammo-files.ts';

const { Scp, Dataset, constants, responses } = dimse;
const { PresentationContextResult, Status } = constants;
const { CFindResponse, CMoveResponse, CStoreResponse, CEchoResponse } = responses;

interface Script {
  accept?: boolean;
  find?: (request: dimseRequests.CFindRequest) => InstanceType<typeof CFindResponse>[] | 'never';
  move?: () => InstanceType<typeof CMoveResponse>[] | 'stall';
  store?: () => number | 'drop';
}

let script: Script = {};
const servers: net.Server[] = [];

class FakePacs extends Scp {
  override associationRequested(association: dimseAssociation.Association): void {
    for (const { id } of association.getPresentationContexts()) {
      const context = association.getPresentationContext(id);
      if (script.accept === false) context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
      else context.setResult(PresentationContextResult.Accept, context.getTransferSyntaxUids()[0]);
    }
    this.sendAssociationAccept();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  override cEchoRequest(request: dimseRequests.CEchoRequest, callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
    const r = CEchoResponse.fromRequest(request);
    r.setStatus(Status.Success);
    callback(r);
  }

  override cFindRequest(request: dimseRequests.CFindRequest, callback: (r: InstanceType<typeof CFindResponse>[]) => void): void {
    const answers = script.find?.(request) ?? [];
    if (answers === 'never') return;
    for (const a of answers) a.setMessageIdBeingRespondedTo(request.getMessageId());
    callback(answers);
  }

  override cMoveRequest(request: dimseRequests.CMoveRequest, callback: (r: InstanceType<typeof CMoveResponse>[]) => void): void {
    const answers = script.move?.() ?? [];
    if (answers === 'stall') {
      // "still working" every 200 ms, never moving anything
      const timer = setInterval(() => {
        const r = new CMoveResponse(Status.Pending, '');
        r.setCompleted(0); r.setFailures(0); r.setWarnings(0); r.setRemaining(4);
        r.setMessageIdBeingRespondedTo(request.getMessageId());
        try { callback([r]); } catch { clearInterval(timer); }
      }, 200);
      (this as unknown as { socket: net.Socket }).socket.on('close', () => clearInterval(timer));
      return;
    }
    for (const a of answers) a.setMessageIdBeingRespondedTo(request.getMessageId());
    callback(answers);
  }

  override cStoreRequest(request: dimseRequests.CStoreRequest, callback: (r: InstanceType<typeof CStoreResponse>) => void): void {
    const status = script.store?.() ?? Status.Success;
    if (status === 'drop') { (this as unknown as { socket: net.Socket }).socket.destroy(); return; }
    const r = CStoreResponse.fromRequest(request);
    r.setStatus(status);
    callback(r);
  }
}

/** A fake PACS on 127.0.0.1 (never on every interface); resolves with its port. */
async function fakePacs(s: Script): Promise<number> {
  script = s;
  const server = net.createServer((socket) => { new FakePacs(socket, {}); });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

const node = (port: number, timeoutSeconds = 5) => ({ aeTitle: 'FAKE', host: '127.0.0.1', port, timeoutSeconds });
const PATIENT = 'HOSTILE-PATIENT-7';

function study(elements: Record<string, unknown>): InstanceType<typeof CFindResponse> {
  const r = new CFindResponse(Status.Pending, '');
  r.setDataset(new Dataset({ QueryRetrieveLevel: 'STUDY', ...elements }));
  return r;
}
const done = () => new CFindResponse(Status.Success, '');

async function failure(promise: Promise<unknown>): Promise<PacsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PacsError, String(error));
    assert.equal(String(error.message).includes(PATIENT), false, 'no Patient ID in the error');
    return error;
  }
  assert.fail('expected a failure');
}

test('C-FIND: only her own studies, of her issuer, with valid UIDs; more than 1,000 answers are cut off', async () => {
  const port = await fakePacs({
    find: () => [
      study({ PatientID: PATIENT, StudyInstanceUID: '1.2.3.1', StudyDate: '20230101', ModalitiesInStudy: ['MG', 'SR'], NumberOfStudyRelatedInstances: '5' }),
      study({ PatientID: 'SOMEONE-ELSE', StudyInstanceUID: '1.2.3.2' }),
      study({ PatientID: PATIENT, IssuerOfPatientID: 'OTHER-HOSPITAL', StudyInstanceUID: '1.2.3.3' }),
      study({ PatientID: PATIENT, StudyInstanceUID: '../../etc/passwd' }),
      study({ PatientID: PATIENT, StudyInstanceUID: '1.2..3' }),
      study({ StudyInstanceUID: '1.2.3.4', ModalitiesInStudy: 'MG' }),
      // several Patient IDs, hers among them, is not hers; nor a date or count that makes no sense
      study({ PatientID: ['SOMEONE-ELSE', PATIENT], StudyInstanceUID: '1.2.3.5' }),
      study({ PatientID: PATIENT, StudyInstanceUID: '1.2.3.6', StudyDate: 'not-a-date<script>', NumberOfStudyRelatedInstances: '1e9' }),
      done(),
    ],
  });
  const found = await findStudies(node(port), 'BINOME', PATIENT, 'OUR-HOSPITAL');
  assert.deepEqual(found.map((s) => [s.studyUid, s.studyDate, s.modalities, s.instances]), [
    ['1.2.3.1', '20230101', ['MG', 'SR'], 5],
    ['1.2.3.4', null, ['MG'], null],
    ['1.2.3.6', null, [], null],
  ]);
  const flood = await fakePacs({ find: () => [...Array.from({ length: 1100 }, (_, i) => study({ PatientID: PATIENT, StudyInstanceUID: `1.2.4.${i}` })), done()] });
  assert.equal((await failure(findStudies(node(flood, 60), 'BINOME', PATIENT, ''))).code, 'too_large');
});

test('a PACS that never answers times out; one that accepts no context refuses; one not listening is unreachable', async () => {
  const silent = await fakePacs({ find: () => 'never' });
  const started = Date.now();
  assert.equal((await failure(findStudies(node(silent, 1), 'BINOME', PATIENT, ''))).code, 'timeout');
  assert.ok(Date.now() - started < 4000, `gave up after the node's timeout (${Date.now() - started} ms)`);
  const refusing = await fakePacs({ accept: false });
  const bytes = Buffer.from(makeMammoFile({ patientId: PATIENT, patientName: 'H^P', studyUid: '1.2.5', studyDate: '20240101', laterality: 'L', view: 'CC', instanceNumber: 1 }));
  assert.equal((await failure(storeObject(node(refusing), 'BINOME', bytes))).code, 'refused_by_pacs');
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const free = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  assert.equal((await failure(echo(node(free), 'BINOME'))).code, 'unreachable');
});

test('C-MOVE and C-STORE statuses: destination unknown, partial moves, refusals for good, retries, warnings', async () => {
  const move = (status: number, completed: number, failed: number) => {
    const r = new CMoveResponse(status, '');
    r.setCompleted(completed);
    r.setFailures(failed);
    r.setWarnings(0);
    r.setRemaining(0);
    return r;
  };
  let port = await fakePacs({ move: () => [move(0xa801, 0, 0)] });
  assert.equal((await failure(moveStudy(node(port), 'BINOME', 'BINOME', '1.2.3'))).code, 'destination_unknown');
  port = await fakePacs({ move: () => [move(0xb000, 0, 4)] });
  assert.equal((await failure(moveStudy(node(port), 'BINOME', 'BINOME', '1.2.3'))).code, 'server_error', 'nothing moved');
  port = await fakePacs({ move: () => [move(Status.Pending, 1, 0), move(0xb000, 3, 1)] });
  assert.deepEqual(await moveStudy(node(port), 'BINOME', 'BINOME', '1.2.3'), { completed: 3, failed: 1, warnings: 0 });
  await assert.rejects(() => moveStudy(node(port), 'BINOME', 'BINOME', '1.2.3\\1.2.4'), /bad_response/, 'one UID only');

  const bytes = Buffer.from(makeMammoFile({ patientId: PATIENT, patientName: 'H^P', studyUid: '1.2.6', studyDate: '20240101', laterality: 'R', view: 'MLO', instanceNumber: 2 }));
  port = await fakePacs({ store: () => 0xa900 });
  assert.equal((await failure(storeObject(node(port), 'BINOME', bytes))).code, 'refused_by_pacs');
  port = await fakePacs({ store: () => 0xa700 });
  assert.equal((await failure(storeObject(node(port), 'BINOME', bytes))).code, 'server_error', 'out of resources: tried again later');
  port = await fakePacs({ store: () => 'drop' });
  assert.equal((await failure(storeObject(node(port), 'BINOME', bytes))).code, 'bad_response', 'a dropped connection is tried again, not refused for good');
  port = await fakePacs({ move: () => 'stall' });
  const started = Date.now();
  const stalled = await failure(moveStudy(node(port, 1), 'BINOME', 'BINOME', '1.2.3'));
  assert.equal(stalled.code, 'timeout');
  assert.ok(Date.now() - started < 5000, `a move that makes no progress ends after the node's timeout (${Date.now() - started} ms)`);
  port = await fakePacs({ store: () => 0xb007 });
  assert.deepEqual(await storeObject(node(port), 'BINOME', bytes), { warning: true });
  assert.equal((await failure(storeObject(node(port), 'BINOME', Buffer.from('not DICOM at all')))).code, 'missing_file');
});

test('a DIMSE node\'s host is a host name, an IPv4 or an IPv6 address, nothing else', () => {
  for (const h of ['pacs', 'pacs.clinic.lan', '10.0.0.2', '::1', 'fe80::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1']) assert.equal(hostProblem(h), null, h);
  for (const h of [':::::', 'a..b', '999.999.1.1', 'evil host', '[::1]', '-pacs', '1:2:3:4:5:6:7:8:9', 'pacs.', '']) assert.notEqual(hostProblem(h), null, h);
});
