// The storage SCP's DIMSE side, on dcmjs-dimse: one StorageScp per TCP connection. It negotiates the
// presentation contexts of negotiation.ts, asks its session whether the caller is admitted (called
// and calling AE titles), answers C-ECHO, and streams each C-STORE data set to a file of the
// session's (received-file.ts) without ever parsing or holding it whole: the C-STORE response says
// success only once the file is on disk. Whatever the caller does (a malformed PDU, a PDU larger
// than it was allowed, a dropped connection, an A-ABORT halfway through a data set), the connection
// ends and the half file goes; files stored before stay. The session (receiver.ts) does the rest.

import type { Socket } from 'node:net';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation, requests as dimseRequests, responses as dimseResponses } from 'dcmjs-dimse';
import type { RefusalReason } from '../../common/dicom-node.ts';
import { errorForLog, log } from '../base/log.ts';
import { decideContext, isAcceptedStorageClass } from './negotiation.ts';
import { ReceivedFile } from './received-file.ts';
import { PduStream } from './pdu-stream.ts';
import { quietDimseLogs } from './dimse-quiet.ts';

const { Scp, Dataset, Implementation, constants, responses } = dimse;
const { PresentationContextResult, RejectResult, RejectSource, RejectReason, Status, AbortSource, AbortReason } = constants;

type Association = dimseAssociation.Association;
type CStoreRequest = dimseRequests.CStoreRequest;
type PresentationContext = dimseAssociation.PresentationContext;

// the receiver logs for itself (a cut-short command data set ends the association, and says why)
quietDimseLogs();

/**
 * The largest PDU the SCP receives (advertised in A-ASSOCIATE-AC): dcmtk's own maximum. A data
 * set's fragments go straight from the socket to the file (pdu-stream.ts), so a large PDU costs no
 * copy, and a sender that fills it sends 8 times fewer PDUs than at dcmtk's and Orthanc's default of
 * 16 KiB (200 mammograms received into memory, no disk in the way: about 7 % less time).
 */
export const MAX_PDU_LENGTH = 128 * 1024;
Implementation.setMaxPduLength(MAX_PDU_LENGTH);
/** Any PDU longer than this (an A-ASSOCIATE-RQ may carry many contexts) ends the connection. */
const MAX_ANY_PDU = 1024 * 1024;
/**
 * The most a command (or a data set the station does not write, a query's identifier) may hold:
 * a command is a few hundred bytes; dcmjs-dimse gathers it in memory until its last fragment.
 */
const MAX_GATHERED = 1024 * 1024;
/**
 * A connection must ask for an association within this time (dcmjs-dimse's association timeout only
 * runs on connections it opened itself): an idle socket holds one of the listener's connections.
 */
const ASSOCIATE_RQ_WITHIN_MS = 30_000;
/** Bytes waiting to be written before the socket is paused, and resumed. */
const PAUSE_AT = 32 * 1024 * 1024;
const RESUME_AT = 4 * 1024 * 1024;

/** C-STORE status codes (PS3.4 GG.4, PS3.7 C). */
const STORE_STATUS = {
  success: 0x0000,
  sopClassNotSupported: 0x0122,
  outOfResources: 0xa700,
  cannotUnderstand: 0xc000,
  processingFailure: 0x0110,
  unrecognizedOperation: 0x0211,
} as const;

export interface AssociationInfo {
  callingAe: string;
  calledAe: string;
  remoteAddress: string;
}

/** What the SCP needs from the receiver for one connection. */
export interface AssociationSession {
  /** Whether the caller may associate: null admits it; otherwise why it is refused. */
  admit(info: AssociationInfo): Promise<RefusalReason | null>;
  /** The next file's names (unfinished, whole) and its folder, opened. */
  nextFile(): { partPath: string; finalPath: string; folder: FileHandle };
  /** A data set is being received (its bytes so far), for the status. */
  receiving(bytes: number): void;
  /** A data set is on disk, whole: it is the library's now, whether or not its response reaches the caller. */
  stored(file: { path: string; bytes: number }): void;
  /** A C-STORE was answered with a failure. */
  failed(status: number): void;
  /** The connection ended: after a release, or any other way (abort, drop, timeout, protocol error). */
  ended(outcome: 'released' | 'aborted'): void;
}

/**
 * The DIMSE commands a caller may send (PS3.7 E.1): C-STORE, C-ECHO, and the queries and retrievals
 * answered "unrecognized operation". Anything else (a response, an N- service, a command that does
 * not parse) aborts the association: dcmjs-dimse would wait, or never answer.
 */
const C_STORE_RQ = 0x0001;
const CALLER_COMMANDS = new Set([C_STORE_RQ, 0x0030, 0x0020, 0x0021, 0x0010, 0x0fff]);

/** dcmjs-dimse's internals the SCP wraps (not in its typings): the P-DATA-TF handler and the command being received. */
interface NetworkInternals {
  _processPDataTf(pdu: unknown): Promise<void>;
  _performDimse(context: unknown, command: { getCommandFieldType(): number }): void;
  dimse?: { getCommandFieldType(): number } | undefined;
}
const networkPrototype = Object.getPrototypeOf(Scp.prototype) as NetworkInternals;

/** A UID as it may be written into File Meta Information: at most 64 characters, digits and dots. */
// digits in dot-separated components, none empty (PS3.5 9.1; leading zeros, seen from some
// modalities, are let through); dcmjs-dimse drops other characters from a command's UID before the
// station sees it, so that "../x/2" reaches here as "....2"
const UID = /^(?=.{1,64}$)[0-9]+(\.[0-9]+)*$/;

type StoreOutcome = { status: number; file: ReceivedFile | null };

export class StorageScp extends Scp {
  private admitted = false;
  private released = false;
  private endedOnce = false;
  private current: ReceivedFile | null = null;
  /** The outcome of the data set just received, answered by cStoreRequest. */
  private outcome: StoreOutcome | null = null;
  private paused = false;
  private callingAe = '';
  private readonly conn: Socket;
  private readonly associateRqTimer: NodeJS.Timeout;

  constructor(socket: Socket, private readonly session: AssociationSession, options: { associateRqWithinMs?: number } = {}) {
    super(socket, { associationTimeout: 30_000, pduTimeout: 5 * 60_000, connectTimeout: 5 * 60_000 });
    this.conn = socket;
    socket.setNoDelay(true);
    this.splitPdus(socket);
    this.on('networkError', (error: unknown) => {
      log.debug(`DICOM receiver: connection error: ${errorForLog(error)}`);
      socket.destroy();
    });
    this.on('close', () => this.end());
    socket.on('close', () => this.end());
    const waitMs = options.associateRqWithinMs ?? ASSOCIATE_RQ_WITHIN_MS;
    this.associateRqTimer = setTimeout(() => {
      log.warn(`DICOM receiver: connection from ${socket.remoteAddress ?? '?'} closed: no association asked for within ${waitMs / 1000} s`);
      socket.destroy();
    }, waitMs);
    this.associateRqTimer.unref();
  }

  /**
   * Puts a PduStream (pdu-stream.ts) between the socket and dcmjs-dimse: C-STORE data sets go
   * straight to their file, the rest to dcmjs-dimse's own reader, and a PDU no peer may send (an
   * unknown type, one longer than allowed) ends the connection before it is gathered in memory.
   */
  private splitPdus(socket: Socket): void {
    const dimseReaders = socket.listeners('data') as ((chunk: Buffer) => void)[];
    socket.removeAllListeners('data');
    const internals = this as unknown as NetworkInternals & { lastPduTime?: number };
    const pdus = new PduStream({ maxPData: MAX_PDU_LENGTH + 6, maxOther: MAX_ANY_PDU, maxGathered: MAX_GATHERED }, {
      passOn: (bytes) => { for (const read of dimseReaders) read(bytes); },
      takesDataset: () => {
        try { return internals.dimse?.getCommandFieldType() === C_STORE_RQ; } catch { return false; }
      },
      datasetBytes: (bytes) => { this.current?.write(bytes); },
      violation: (reason) => {
        log.warn(`DICOM receiver: connection from ${socket.remoteAddress ?? '?'} ended: ${reason} is not allowed`);
        socket.destroy();
      },
    });
    socket.on('data', (chunk: Buffer) => {
      // dcmjs-dimse's PDU timeout counts from the last PDU it saw; data set fragments bypass it
      internals.lastPduTime = Date.now();
      pdus.push(chunk);
      // the data set's writes lag behind the network: stop reading until the disk catches up
      if (this.current && this.current.writableLength > PAUSE_AT && !this.paused) {
        this.paused = true;
        socket.pause();
      }
    });
  }

  /** After each P-DATA-TF: a command just read that the SCP does not take aborts the association. */
  async _processPDataTf(pdu: unknown): Promise<void> {
    await networkPrototype._processPDataTf.call(this, pdu);
    const command = (this as unknown as NetworkInternals).dimse;
    if (command && !this.knownCommand(command)) this.protocolError();
  }

  _performDimse(context: unknown, command: { getCommandFieldType(): number }): void {
    if (!this.knownCommand(command)) { this.protocolError(); return; }
    networkPrototype._performDimse.call(this, context, command);
  }

  private knownCommand(command: { getCommandFieldType(): number }): boolean {
    let field: unknown;
    try { field = command.getCommandFieldType(); } catch { return false; }
    return typeof field === 'number' && CALLER_COMMANDS.has(field);
  }

  private protocolError(): void {
    if (this.conn.destroyed) return;
    log.warn(`DICOM receiver: association from "${this.callingAe.replace(/[^\x20-\x7e]/g, '?')}" aborted: a command the station does not take`);
    try { this.sendAbort(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu); } catch { /* the connection ends anyway */ }
    // the A-ABORT goes out first; a caller that does not close is cut off
    this.conn.end();
    setTimeout(() => this.conn.destroy(), 1000).unref();
  }

  private resumeWhenDrained = (queued: number): void => {
    if (this.paused && queued < RESUME_AT) {
      this.paused = false;
      this.conn.resume();
    }
  };

  override associationRequested(association: Association): void {
    clearTimeout(this.associateRqTimer);
    const info: AssociationInfo = {
      callingAe: association.getCallingAeTitle().trim(),
      calledAe: association.getCalledAeTitle().trim(),
      remoteAddress: this.conn.remoteAddress ?? '',
    };
    void this.session.admit(info).then((refusal) => {
      if (this.conn.destroyed) return;
      if (refusal) {
        const [result, source, reason] = refusal === 'called_ae' ? [RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized]
          : refusal === 'calling_ae' ? [RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized]
            : [RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.LocalLimitExceeded];
        this.sendAssociationReject(result, source, reason);
        this.conn.end();
        return;
      }
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const decision = decideContext(context.getAbstractSyntaxUid(), context.getTransferSyntaxUids());
        if (decision.result === 'accept') context.setResult(PresentationContextResult.Accept, decision.transferSyntaxUid);
        else context.setResult(decision.result === 'abstract-syntax-not-supported'
          ? PresentationContextResult.RejectAbstractSyntaxNotSupported : PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      // the AC advertises the station's own maximum (dcmjs-dimse would echo the caller's, even 0: unlimited)
      association.setMaxPduLength(MAX_PDU_LENGTH);
      this.admitted = true;
      this.callingAe = info.callingAe;
      this.sendAssociationAccept();
    }, (error: unknown) => {
      log.error(`DICOM receiver: association could not be admitted: ${errorForLog(error)}`);
      this.conn.destroy();
    });
  }

  override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
    this.outcome = null;
    const refuse = (status: number) => {
      this.outcome = { status, file: null };
      return new Writable({ write: (_chunk, _encoding, callback) => callback() });
    };
    if (!this.admitted || !context || context.getResult() !== PresentationContextResult.Accept) return refuse(STORE_STATUS.sopClassNotSupported);
    const sopClassUid = String(request.getAffectedSopClassUid() ?? '');
    const sopInstanceUid = String(request.getAffectedSopInstanceUid() ?? '');
    if (sopClassUid !== context.getAbstractSyntaxUid() || !isAcceptedStorageClass(sopClassUid)) return refuse(STORE_STATUS.sopClassNotSupported);
    if (!UID.test(sopInstanceUid)) return refuse(STORE_STATUS.cannotUnderstand);
    let names;
    try {
      names = this.session.nextFile();
    } catch {
      return refuse(STORE_STATUS.outOfResources); // the station is closing
    }
    const file = new ReceivedFile(names.partPath, names.finalPath, {
      sopClassUid, sopInstanceUid, transferSyntaxUid: context.getAcceptedTransferSyntaxUid()!, sourceAeTitle: this.callingAe,
    }, names.folder, this.resumeWhenDrained);
    file.on('error', () => undefined); // reported through the outcome
    this.current = file;
    this.outcome = { status: STORE_STATUS.success, file };
    return file;
  }

  override createDatasetFromStoreWritableStream(writable: Writable, context: PresentationContext, callback: (dataset: InstanceType<typeof Dataset>) => void): void {
    const outcome = this.outcome;
    const answer = () => callback(new Dataset({}, context?.getAcceptedTransferSyntaxUid()));
    if (!outcome?.file) { answer(); return; }
    const file = outcome.file;
    file.once('finish', () => {
      this.current = null;
      this.session.stored({ path: file.finalPath, bytes: file.bytes });
      answer();
    });
    file.once('error', (error: NodeJS.ErrnoException) => {
      this.current = null;
      outcome.status = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? STORE_STATUS.outOfResources : STORE_STATUS.processingFailure;
      log.warn(`DICOM receiver: a received data set could not be written: ${error.code ?? error.name}`);
      answer();
    });
    this.session.receiving(file.bytes);
  }

  override cStoreRequest(request: CStoreRequest, callback: (response: dimseResponses.CStoreResponse) => void): void {
    const response = responses.CStoreResponse.fromRequest(request);
    const status = this.outcome?.status ?? STORE_STATUS.processingFailure;
    this.outcome = null;
    if (status !== STORE_STATUS.success) this.session.failed(status);
    response.setStatus(status);
    callback(response);
  }

  override cEchoRequest(request: dimseRequests.CEchoRequest, callback: (response: dimseResponses.CEchoResponse) => void): void {
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override cFindRequest(request: dimseRequests.CFindRequest, callback: (responses: dimseResponses.CFindResponse[]) => void): void {
    const response = responses.CFindResponse.fromRequest(request);
    response.setStatus(STORE_STATUS.unrecognizedOperation);
    callback([response]);
  }

  override cMoveRequest(request: dimseRequests.CMoveRequest, callback: (responses: dimseResponses.CMoveResponse[]) => void): void {
    const response = responses.CMoveResponse.fromRequest(request);
    response.setStatus(STORE_STATUS.unrecognizedOperation);
    callback([response]);
  }

  override cGetRequest(request: dimseRequests.CGetRequest, callback: (responses: dimseResponses.CGetResponse[]) => void): void {
    const response = responses.CGetResponse.fromRequest(request);
    response.setStatus(STORE_STATUS.unrecognizedOperation);
    callback([response]);
  }

  override associationReleaseRequested(): void {
    this.released = true;
    this.sendAssociationReleaseResponse();
    this.end();
  }

  override abort(): void {
    this.conn.destroy();
  }

  /**
   * The connection's end, once: a half-received data set goes; one received whole and being put on
   * disk is finished first (it is stored, though its response may never reach the caller); then the
   * session learns how the association ended.
   */
  private end(): void {
    if (this.endedOnce) return;
    this.endedOnce = true;
    clearTimeout(this.associateRqTimer);
    const file = this.current;
    const finishing = file && file.writableEnded && !file.destroyed
      ? new Promise<void>((resolve) => { file.once('close', resolve); })
      : null;
    if (!finishing) file?.destroy();
    void Promise.resolve(finishing).then(() => this.session.ended(this.admitted && this.released ? 'released' : 'aborted'));
  }
}
