// A DIMSE client (dcmjs-dimse's Client) for a PACS node that speaks classic DICOM rather than
// DICOMweb: C-ECHO to test the connection, C-FIND at study level for a woman's priors, C-MOVE to have
// the PACS send a study to this station's storage SCP (main/net/receiver.ts imports it as it would a
// modality's images), C-STORE to send a stored object. One association per operation, released at
// its end. Every failure is a PacsError with a code (common/pacs.ts PacsFailure) and a detail
// without patient data: a query's keys (the Patient ID) never reach an error or the log.
//
// C-STORE sends the stored file's data set byte for byte: dcmjs-dimse would decode every object
// into dcmjs's form and encode it again (dropping what dcmjs does not round-trip), so the data set it
// sends is a StoredDataset whose encoding is the file's own bytes. Only where the PACS accepts none
// of the file's transfer syntax but Explicit or Implicit VR Little Endian (which dcmjs-dimse may
// convert an uncompressed object to) is the object decoded and encoded again.

import dicomParser from 'dicom-parser';
import dimse from 'dcmjs-dimse';
import type { requests as dimseRequests, responses as dimseResponses } from 'dcmjs-dimse';
import { PacsError } from './pacs-error.ts';
import { quietDimseLogs } from './dimse-quiet.ts';
import type { FoundStudy } from './dicomweb.ts';

const { Client, Dataset, constants } = dimse;
const { CEchoRequest, CFindRequest, CMoveRequest, CStoreRequest } = dimse.requests;
const { Status } = constants;

// this module reports its own failures
quietDimseLogs();

export interface DimseNode {
  /** The PACS's AE title (the called AE title). */
  aeTitle: string;
  host: string;
  port: number;
  timeoutSeconds: number;
}

type Request = dimseRequests.Request;
type Response = dimseResponses.Response;

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** A network error of dcmjs-dimse ("… -> Connection error: connect ECONNREFUSED 10.0.0.2:104") as a failure: the system's code only. */
function networkFailure(error: unknown): PacsError {
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout/i.test(message)) return new PacsError('timeout', null);
  const code = /\b(E[A-Z]{3,})\b/.exec(message)?.[1] ?? null;
  if (code === 'ETIMEDOUT') return new PacsError('timeout', code);
  return new PacsError('unreachable', code);
}

/** Why an A-ASSOCIATE-RJ came (PS3.8 9.3.4), in words without the AE titles (the panel shows the node's). */
function rejection(r: { result: number; source: number; reason: number }): PacsError {
  const reasons: Record<string, string> = {
    '1:2': 'application context not supported', '1:3': 'calling AE title (this station\'s) not recognized',
    '1:7': 'called AE title (the PACS\'s) not recognized', '3:1': 'temporary congestion', '3:2': 'too many associations',
  };
  const why = reasons[`${r.source}:${r.reason}`] ?? `source ${r.source}, reason ${r.reason}`;
  return new PacsError('association_rejected', `${r.result === 2 ? 'for now' : 'for good'}: ${why}`);
}

/** At most this many answers to one C-FIND are taken: a PACS that sends more is cut off ('too_large'). */
const MAX_FIND_ANSWERS = 1000;

/**
 * Runs one request over one association: resolves with its responses once the final one came (and
 * the association was released, or the PACS closed it), rejects with a PacsError otherwise.
 * `onResponse` sees each response as it comes (C-MOVE's progress); `keep` at most that many pending
 * responses are kept (more abort the association), none where 0: only the final one.
 */
function runRequest<R extends Response>(node: DimseNode, callingAe: string, request: Request, signal?: AbortSignal,
  onResponse?: (response: R) => void, keep = 0): Promise<R[]> {
  return new Promise<R[]>((resolve, reject) => {
    const client = new Client();
    const responses: R[] = [];
    let final: R | null = null;
    let failure: PacsError | null = null;
    let settled = false;
    let accepted = false;
    let released = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (final) resolve(responses);
      else reject(failure ?? new PacsError('bad_response', 'the association ended before the final answer'));
    };
    const onAbort = () => {
      // the caller's reason (a C-MOVE that stopped making progress), or the station closing
      failure ??= signal?.reason instanceof PacsError ? signal.reason : new PacsError('other', 'station closed');
      try { client.abort(); } catch { /* not connected yet */ }
      settle();
    };
    if (signal?.aborted) { reject(signal.reason instanceof PacsError ? signal.reason : new PacsError('other', 'station closed')); return; }
    signal?.addEventListener('abort', onAbort);
    request.on('response', (response: Response) => {
      onResponse?.(response as R);
      const pending = response.getStatus() === Status.Pending || response.getStatus() === 0xff01;
      if (!pending) final = response as R;
      if (!pending || keep > 0) responses.push(response as R);
      if (pending && keep > 0 && responses.length > keep) {
        failure ??= new PacsError('too_large', `more than ${keep} answers`);
        try { client.abort(); } catch { /* closed already */ }
        settle();
      }
    });
    client.on('associationAccepted', () => { accepted = true; });
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) => { failure = rejection(r); });
    client.on('networkError', (error: unknown) => { failure ??= networkFailure(error); settle(); });
    client.on('associationReleased', () => { released = true; });
    client.on('closed', () => {
      // released without an answer: dcmjs-dimse did not send the request (no context accepted for its
      // SOP class and transfer syntax); closed without a release: the connection dropped (tried again)
      if (!final && !failure) {
        failure = released ? new PacsError('refused_by_pacs', 'the PACS accepted neither this SOP class nor this transfer syntax')
          : accepted ? new PacsError('bad_response', 'the connection closed before the final answer') : new PacsError('unreachable', 'the connection closed');
      }
      settle();
    });
    client.addRequest(request);
    const ms = node.timeoutSeconds * 1000;
    try {
      client.send(node.host, node.port, callingAe, node.aeTitle, { connectTimeout: ms, associationTimeout: ms, pduTimeout: ms, associationLingerTimeout: 0 });
      // dcmjs-dimse's Client does not pass an A-ABORT on (and the PACS may keep the socket open): end here
      (client as unknown as { network?: { on(event: 'abort', listener: () => void): void } }).network?.on('abort', () => {
        // Orthanc aborts a request from an AE title it does not list, once the association is accepted
        failure ??= new PacsError('association_rejected', accepted ? 'aborted by the PACS after the request (does it let this station\'s AE title ask this?)'
          : 'aborted by the PACS (does it know this station\'s AE title?)');
        try { client.abort(); } catch { /* closed already */ }
        settle();
      });
    } catch (error) {
      failure = networkFailure(error);
      settle();
    }
  });
}

/** A final status that is not success, as a failure (PS3.7 C, PS3.4 C.4). */
function statusFailure(response: Response, what: string): PacsError {
  const status = response.getStatus();
  const hex = `0x${status.toString(16).padStart(4, '0')}`;
  if (status === 0xa801) return new PacsError('destination_unknown', `${what}: move destination unknown (${hex})`);
  if ((status & 0xff00) === 0xa700) return new PacsError('server_error', `${what}: out of resources (${hex})`);
  if (status === 0x0122 || status === 0x0124 || (status & 0xff00) === 0xa900 || (status & 0xf000) === 0xc000) {
    return new PacsError('refused_by_pacs', `${what}: status ${hex}`);
  }
  if (status === 0xfe00) return new PacsError('other', `${what}: cancelled`);
  return new PacsError('server_error', `${what}: status ${hex}`);
}

/** "Test connection": a C-ECHO. Throws a PacsError. */
export async function echo(node: DimseNode, callingAe: string): Promise<void> {
  const [response] = (await runRequest(node, callingAe, new CEchoRequest())).slice(-1);
  if (response!.getStatus() !== Status.Success) throw statusFailure(response!, 'C-ECHO');
}

const absent = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);

/**
 * C-FIND, Study Root, STUDY level: the studies of a Patient ID (exactly that ID: a wildcard in it is
 * escaped by leaving the study out unless its Patient ID matches), with their modalities and Issuer
 * of Patient ID. Studies of another issuer than `issuer` (where both are known) are left out.
 */
export async function findStudies(node: DimseNode, callingAe: string, patientId: string, issuer: string, limit = 100): Promise<FoundStudy[]> {
  const request = CFindRequest.createStudyFindRequest({
    PatientID: patientId, IssuerOfPatientID: '', StudyInstanceUID: '', StudyDate: '', ModalitiesInStudy: '', NumberOfStudyRelatedInstances: '',
  });
  const out: FoundStudy[] = [];
  const responses = await runRequest(node, callingAe, request, undefined, undefined, MAX_FIND_ANSWERS);
  const final = responses[responses.length - 1]!;
  if (final.getStatus() !== Status.Success) throw statusFailure(final, 'C-FIND');
  for (const response of responses) {
    if (response.getStatus() !== Status.Pending || !response.getDataset()) continue;
    const e = response.getDataset()!.getElements() as Record<string, unknown>;
    const studyUid = text(e.StudyInstanceUID);
    if (!studyUid || !UID.test(studyUid) || studyUid.length > 64) continue;
    // a PACS that treats "*" or "?" in the ID as a wildcard, or ignores the key, answers others'
    // studies: anything but her exact ID (several values, another type) is not hers
    if (!absent(e.PatientID) && !(typeof e.PatientID === 'string' && e.PatientID.trim() === patientId.trim())) continue;
    if (!absent(e.IssuerOfPatientID) && typeof e.IssuerOfPatientID !== 'string') continue;
    const theirIssuer = text(e.IssuerOfPatientID);
    if (issuer && theirIssuer && theirIssuer !== issuer) continue;
    const modalities = Array.isArray(e.ModalitiesInStudy) ? e.ModalitiesInStudy.map(text).filter((m): m is string => m !== null)
      : text(e.ModalitiesInStudy)?.split('\\') ?? [];
    const count = Number(text(e.NumberOfStudyRelatedInstances));
    const date = text(e.StudyDate);
    out.push({ studyUid, studyDate: date && /^\d{8}$/.test(date) ? date : null, modalities: modalities.filter((m) => /^[A-Z0-9 _]{1,16}$/.test(m)), issuer: theirIssuer,
      instances: Number.isInteger(count) && count > 0 && count <= 1_000_000 ? count : null });
    if (out.length >= limit) break;
  }
  return out;
}

export interface MoveResult {
  completed: number;
  failed: number;
  warnings: number;
}

/**
 * C-MOVE, Study Root, STUDY level: asks the PACS to send a study to `destinationAe` (this station's
 * storage SCP, which the PACS must know by that AE title, with its host and port). Resolves once the
 * PACS says it is done; throws a PacsError if it moved nothing it had, or refused.
 */
export async function moveStudy(node: DimseNode, callingAe: string, destinationAe: string, studyUid: string, signal?: AbortSignal,
  onProgress?: (done: MoveResult & { remaining: number | null }) => void): Promise<MoveResult> {
  if (!UID.test(studyUid)) throw new PacsError('bad_response', 'not a UID');
  const request = CMoveRequest.createStudyMoveRequest(destinationAe, studyUid);
  const counts = (r: dimseResponses.CMoveResponse): MoveResult => ({ completed: r.getCompleted() ?? 0, failed: r.getFailures() ?? 0, warnings: r.getWarnings() ?? 0 });
  // pending answers that move nothing keep the association alive forever: a move must make progress
  // (one more object sent, failed or warned) within the node's timeout
  const stalled = new AbortController();
  const forward = () => stalled.abort(signal?.reason);
  signal?.addEventListener('abort', forward);
  if (signal?.aborted) forward();
  let done = -1;
  let lastProgress = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > node.timeoutSeconds * 1000) stalled.abort(new PacsError('timeout', 'the move made no progress'));
  }, Math.min(1000, node.timeoutSeconds * 250));
  let responses: dimseResponses.CMoveResponse[];
  try {
    responses = await runRequest<dimseResponses.CMoveResponse>(node, callingAe, request, stalled.signal, (r) => {
      if (r.getStatus() !== Status.Pending) return;
      const c = counts(r);
      if (c.completed + c.failed + c.warnings !== done) { done = c.completed + c.failed + c.warnings; lastProgress = Date.now(); }
      onProgress?.({ ...c, remaining: r.getRemaining() ?? null });
    });
  } finally {
    clearInterval(watchdog);
    signal?.removeEventListener('abort', forward);
  }
  const final = responses[responses.length - 1]!;
  const result = counts(final);
  // 0xB000: some sub-operations failed (the others were moved)
  if (final.getStatus() === Status.Success || (final.getStatus() === 0xb000 && result.completed + result.warnings > 0)) return result;
  throw statusFailure(final, 'C-MOVE');
}

/**
 * A data set whose encoding is the stored file's bytes: dcmjs-dimse asks it for its elements only to
 * name the SOP class and instance in the C-STORE command, or to convert it to a transfer syntax the
 * PACS prefers (then it is decoded, once, from those bytes).
 */
class StoredDataset extends Dataset {
  private decoded = false;

  constructor(private readonly datasetBytes: Buffer, transferSyntaxUid: string, sopClassUid: string, sopInstanceUid: string) {
    super({ SOPClassUID: sopClassUid, SOPInstanceUID: sopInstanceUid }, transferSyntaxUid);
  }

  override getElements(): Record<string, unknown> {
    if (!this.decoded) {
      this.decoded = true;
      const self = this as unknown as { elements: Record<string, unknown>; _fromElementsBuffer(b: Buffer, ts: string, o: object): Record<string, unknown> };
      self.elements = self._fromElementsBuffer(this.datasetBytes, this.getTransferSyntaxUid(), {});
    }
    return super.getElements();
  }

  override getDenaturalizedDataset(writeOptions?: Record<string, unknown>, nameMap?: Record<string, unknown>): Buffer {
    // decoded: dcmjs-dimse converted it (its transcoding makes a new data set); otherwise, the bytes
    return this.decoded ? super.getDenaturalizedDataset(writeOptions, nameMap) : this.datasetBytes;
  }
}

/** Splits a DICOM Part 10 file into its meta information and data set. Throws a PacsError('missing_file') if it is not one. */
export function part10Parts(part10: Buffer): { transferSyntaxUid: string; sopClassUid: string; sopInstanceUid: string; dataset: Buffer } {
  try {
    const meta = dicomParser.readPart10Header(part10 as unknown as Uint8Array);
    const ts = meta.string('x00020010')?.trim();
    const sopClassUid = meta.string('x00020002')?.trim();
    const sopInstanceUid = meta.string('x00020003')?.trim();
    const end = (meta as unknown as { position?: number }).position ?? -1;
    if (!ts || !sopClassUid || !sopInstanceUid || end <= 132) throw new Error('incomplete meta information');
    return { transferSyntaxUid: ts, sopClassUid, sopInstanceUid, dataset: part10.subarray(end) };
  } catch (error) {
    if (error instanceof PacsError) throw error;
    throw new PacsError('missing_file', 'not a DICOM Part 10 file');
  }
}

/**
 * C-STORE of a stored DICOM Part 10 file, in its own transfer syntax (an uncompressed one may go as
 * the other Little Endian one, where the PACS prefers it). Resolves with whether the PACS warned; throws a
 * PacsError if it refused (permanent: 'refused_by_pacs') or could not be reached.
 */
export async function storeObject(node: DimseNode, callingAe: string, part10: Buffer, signal?: AbortSignal): Promise<{ warning: boolean }> {
  const parts = part10Parts(part10);
  // dcmjs-dimse proposes the SOP class with Implicit and Explicit VR Little Endian, and, for any other
  // transfer syntax, a context of its own with that one alone (preferred where accepted)
  const request = new CStoreRequest(new StoredDataset(parts.dataset, parts.transferSyntaxUid, parts.sopClassUid, parts.sopInstanceUid));
  const responses = await runRequest(node, callingAe, request, signal);
  const final = responses[responses.length - 1]!;
  const status = final.getStatus();
  if (status === Status.Success) return { warning: false };
  // warnings (PS3.4 B.2.3): coerced, elements discarded, data set does not match the SOP class
  if (status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000) return { warning: true };
  throw statusFailure(final, 'C-STORE');
}
