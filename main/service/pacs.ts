// An existing PACS as the station's scale-out, over DICOMweb (main/net/dicomweb.ts) or DIMSE
// (main/net/dimse-client.ts):
// - the nodes (settings, key 'pacs'; passwords kept there, never answered over the API);
// - priors: when a reader opens an exam (or the next one is prefetched), each node that serves
//   priors is asked for the woman's studies (QIDO-RS or C-FIND by Patient ID and issuer); those
//   breast studies the library lacks are fetched in the background, one search per woman at a time:
//   over DICOMweb (WADO-RS) into a staging folder of this process and imported through the usual
//   pipeline; over DIMSE by C-MOVE to this station's own storage SCP, whose import takes them as it
//   takes a modality's (the PACS must know the station as a move destination; its AE title is
//   admitted by the receiver);
// - the outbox (main/db/pacs.ts): stored objects queued for nodes that receive results are sent
//   (STOW-RS or C-STORE) by a loop that backs off while a node is away (5 s doubling to 10 min),
//   wakes when something is queued or a reader asks to retry, and takes over what stopped processes
//   left.
// Failures are recorded (a code, a detail without patient data) and shown in the PACS panel; none is
// thrown at the reader, and the log names nodes by id with counts and codes only.

import fs from 'node:fs';
import path from 'node:path';
import type { ApiHandlers } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import { MAX_PACS_NODES, nodeView, pacsNodeInput } from '../../common/pacs.ts';
import type { PacsFailure, PacsStatus, PacsTestResult, StoredPacsNode } from '../../common/pacs.ts';
import type { z } from 'zod';
import { DEFAULT_BACKOFF } from '../db/pacs.ts';
import type { Backoff, OutboxItem } from '../db/pacs.ts';
import * as dicomweb from '../net/dicomweb.ts';
import type { DicomWebNode, FoundStudy, RetrieveLimits } from '../net/dicomweb.ts';
import * as dimse from '../net/dimse-client.ts';
import type { DimseNode } from '../net/dimse-client.ts';
import { PacsError } from '../net/pacs-error.ts';
import type { ReceiverStatus } from '../../common/dicom-node.ts';
import { storedReceiverSettings } from './receiver.ts';
import { currentOwner, isOwnerAlive, ownedFolderName, ownerFromFolderName } from '../base/process-owner.ts';
import { openRegularFile } from '../base/regular-file.ts';
import type { Importer } from '../import/importer.ts';
import { errorForLog, log } from '../base/log.ts';
import type { StationContext } from './context.ts';

export interface PacsOptions {
  backoff?: Backoff;
  retrieve?: Partial<RetrieveLimits>;
  /** How often the outbox looks for items other processes queued (and orphans), when nothing is due sooner. */
  pollMs?: number;
  /** A woman's priors are not searched again on a node within this time of the last search that succeeded. */
  freshMs?: number;
  /** At most this many of a woman's studies missing here are fetched per search (the newest first). */
  maxStudies?: number;
}

const STATUS_EVERY_MS = 250;
/** Modalities whose studies are fetched as priors (a breast reading station): mammography and breast ultrasound/MR are not told apart by QIDO, so MG only. */
const PRIOR_MODALITIES = new Set(['MG']);

const { DEFAULT_RETRIEVE_LIMITS, filesOf } = dicomweb;

const webNode = (node: StoredPacsNode): DicomWebNode => {
  if (node.protocol !== 'dicomweb' || !node.baseUrl) throw new PacsError('other', 'not a DICOMweb node');
  return { baseUrl: node.baseUrl, username: node.username, password: node.password, timeoutSeconds: node.timeoutSeconds };
};
const dimseNode = (node: StoredPacsNode): DimseNode => {
  if (node.protocol !== 'dimse' || !node.dimse) throw new PacsError('other', 'not a DIMSE node');
  return { ...node.dimse, timeoutSeconds: node.timeoutSeconds };
};
/**
 * The AE title this station calls with, and C-MOVE sends to: its receiver's (this run's, where this
 * process runs one: `binome receive --aet` may override the stored one).
 */
const stationAe = (ctx: Pick<StationContext, 'db'>, receiver: ReceiverStatus | null): string => receiver?.settings.aeTitle ?? storedReceiverSettings(ctx).aeTitle;

/** "Test connection": a QIDO-RS query for one study, or a C-ECHO. Resolves with the HTTP status (DICOMweb); throws a PacsError. */
async function probeNode(node: StoredPacsNode, callingAe: string): Promise<number | null> {
  if (node.protocol === 'dimse') {
    await dimse.echo(dimseNode(node), callingAe);
    return null;
  }
  return dicomweb.probe(webNode(node));
}

function findStudies(node: StoredPacsNode, callingAe: string, patientId: string, issuer: string): Promise<FoundStudy[]> {
  return node.protocol === 'dimse' ? dimse.findStudies(dimseNode(node), callingAe, patientId, issuer) : dicomweb.findStudies(webNode(node), patientId, issuer);
}

const failureOf = (error: unknown): { code: PacsFailure; detail: string | null } =>
  error instanceof PacsError ? { code: error.code, detail: error.detail } : { code: 'other', detail: (error as Error)?.name ?? null };

/**
 * The retrieved files whose header names another patient (Patient ID, or Issuer of Patient ID where
 * both are known) or another study than the one asked for. Files that are not readable DICOM are not
 * among them: the import quarantines those with their reason. Headers are read on the import threads
 * (a PACS's file may be crafted to stall a parser: never on the main loop).
 */
async function objectsNotOf(importer: Importer, files: string[], patient: { patientId: string; issuer: string }, studyUid: string): Promise<Set<string>> {
  const foreign = new Set<string>();
  for (const file of files) {
    let inspection;
    try {
      inspection = await importer.runTask('inspect', { file });
    } catch {
      continue;
    }
    const ids = inspection.kind === 'instance' ? { patient: inspection.attributes.patient.id, issuer: inspection.attributes.patient.issuer, study: inspection.attributes.study.uid }
      : inspection.kind === 'damaged' ? { patient: null, issuer: '', study: inspection.studyUid } : null;
    if (!ids) continue;
    if ((ids.study !== null && ids.study !== studyUid) || (ids.patient !== null && ids.patient.trim() !== patient.patientId.trim())
      || (ids.issuer && patient.issuer && ids.issuer.trim() !== patient.issuer.trim())) foreign.add(file);
  }
  return foreign;
}

/** A URL's scheme, host and port (null for what is not a URL). */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** The nodes' input merged with what is stored: an absent password keeps the stored one, for the same server and user. */
export function mergeNodes(input: z.output<typeof pacsNodeInput>[], stored: readonly StoredPacsNode[]): StoredPacsNode[] {
  return input.map((n) => {
    const before = stored.find((s) => s.id === n.id);
    // the stored password goes only to the server and user it was given for: a node whose URL now
    // names another server (or another user) needs it typed again, else whoever can edit the
    // settings could have it sent to a server of theirs
    const origin = before?.baseUrl ? originOf(before.baseUrl) : null;
    const sameAccount = origin !== null && n.protocol === 'dicomweb' && !!n.baseUrl && originOf(n.baseUrl) === origin && before!.username === (n.username || null);
    const password = n.password === undefined ? (sameAccount ? before!.password : null) : n.password;
    const web = n.protocol === 'dicomweb';
    return { id: n.id, name: n.name, protocol: n.protocol, baseUrl: web ? n.baseUrl : null, dimse: web ? null : n.dimse,
      username: web ? n.username || null : null, password: web && n.username ? password : null,
      queryPriors: n.queryPriors, receiveResults: n.receiveResults, timeoutSeconds: n.timeoutSeconds };
  });
}

/** The PACS panel's status. `sending`: whether this process runs the outbox. */
export function pacsStatus(ctx: Pick<StationContext, 'db'>, sending: boolean): PacsStatus {
  const pacs = ctx.db.pacs;
  return {
    nodes: pacs.nodes().map((n) => ({ node: nodeView(n), outbox: pacs.nodeCounts(n.id), health: pacs.health(n.id) })),
    failedItems: pacs.failedItems(50),
    sending,
  };
}

export class PacsService {
  private closed = false;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly searching = new Set<number>();
  private readonly waiting: (() => void)[] = [];
  private retrievals = 0;
  private stagingDir: string | null = null;
  private readonly offQueued: () => void;
  private readonly owner = currentOwner();

  /** `receiver`: this process's storage SCP, where C-MOVE sends (null: none runs here, another process of the library may). */
  constructor(private readonly ctx: StationContext, private readonly options: PacsOptions = {}, private readonly receiver: () => ReceiverStatus | null = () => null) {
    this.offQueued = ctx.db.pacs.onQueued(() => this.wake());
  }

  /** The AE title this station calls with (and C-MOVE sends to). */
  callingAe(): string {
    return stationAe(this.ctx, this.receiver());
  }

  private get backoff(): Backoff {
    return this.options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Takes over what stopped processes left (items being sent, staging folders) and starts the outbox loop. */
  start(): void {
    if (this.loopDone || this.closed) return;
    const root = path.join(this.ctx.paths.root, 'pacs-incoming');
    try {
      fs.mkdirSync(root, { recursive: true });
      for (const entry of fs.readdirSync(root)) {
        const owner = ownerFromFolderName(entry);
        if (owner && !isOwnerAlive(owner)) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
      }
      this.stagingDir = path.join(root, ownedFolderName());
      fs.mkdirSync(this.stagingDir);
    } catch (error) {
      log.warn(`PACS: no staging folder for priors: ${errorForLog(error)}`);
    }
    this.loopDone = this.loop().catch((error: unknown) => log.error(`PACS outbox stopped: ${errorForLog(error)}`));
  }

  get sending(): boolean {
    return this.loopDone !== null && !this.closed;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wakeUp = null; resolve(); }, ms);
      this.wakeUp = () => { clearTimeout(timer); resolve(); };
    });
  }

  private async loop(): Promise<void> {
    const pollMs = this.options.pollMs ?? 15_000;
    let lastOrphanCheck = 0;
    while (!this.closed) {
      let item: OutboxItem | null = null;
      try {
        if (Date.now() - lastOrphanCheck >= pollMs) {
          lastOrphanCheck = Date.now();
          const orphans = this.ctx.db.pacs.requeueOrphans(isOwnerAlive);
          if (orphans) log.info(`PACS outbox: ${orphans} item(s) a stopped process was sending queued again`);
        }
        const nodes = this.ctx.db.pacs.nodes().filter((n) => n.receiveResults).map((n) => n.id);
        item = this.ctx.db.pacs.claimNext(this.owner, nodes);
        if (!item) {
          const due = this.ctx.db.pacs.nextDue(nodes);
          const wait = due === null ? pollMs : Math.max(0, Math.min(pollMs, due - Date.now()));
          await this.sleep(Math.max(wait, 20));
          continue;
        }
      } catch (error) {
        // the library busy in another process, the disk full: try again a little later
        log.warn(`PACS outbox: ${errorForLog(error)}`);
        await this.sleep(1000);
        continue;
      }
      await this.send(item);
    }
  }

  private async send(item: OutboxItem): Promise<void> {
    const node = this.ctx.db.pacs.nodes().find((n) => n.id === item.nodeId);
    try {
      if (!node) throw new PacsError('node_removed', null);
      const bytes = await this.readStored(item);
      const answer = node.protocol === 'dimse' ? await dimse.storeObject(dimseNode(node), this.callingAe(), bytes, this.abort.signal)
        : await dicomweb.storeInstance(webNode(node), bytes, this.abort.signal);
      this.ctx.db.pacs.markSent(item.id);
      if (answer.warning) log.info(`PACS ${node.id}: object stored with a warning`);
    } catch (error) {
      if (this.closed && !(error instanceof PacsError && error.code !== 'other')) {
        // the station closes mid-send: the item waits for the next start
        this.ctx.db.pacs.requeueOrphans((owner) => owner !== this.owner);
        return;
      }
      const failure = failureOf(error);
      const permanent = ['refused_by_pacs', 'too_large', 'missing_file', 'node_removed'].includes(failure.code);
      try {
        const delay = this.ctx.db.pacs.markFailed(item.id, failure, permanent, this.backoff);
        log.warn(`PACS ${item.nodeId}: sending failed (${failure.code}${failure.detail ? `, ${failure.detail}` : ''})${permanent ? '' : `; next try in ${Math.round(delay / 1000)} s`}`);
      } catch (dbError) {
        log.error(`PACS outbox: the failure could not be recorded: ${errorForLog(dbError)}`);
      }
    }
    this.changed(null);
  }

  private async readStored(item: OutboxItem): Promise<Buffer> {
    let opened;
    try {
      opened = await openRegularFile(this.ctx.store.pathFor(item.fileHash));
    } catch {
      throw new PacsError('missing_file', 'not in the store');
    }
    try {
      if (opened.stat.size !== item.fileSize) throw new PacsError('missing_file', 'size differs from the record');
      return await opened.handle.readFile();
    } finally {
      await opened.handle.close();
    }
  }

  /** Searches the priors of an exam's woman on every node that serves priors, in the background. Never throws. */
  prioritize(examId: number): void {
    if (this.closed || !this.stagingDir) return;
    try {
      const nodes = this.ctx.db.pacs.nodes().filter((n) => n.queryPriors);
      if (!nodes.length) return;
      const patient = this.ctx.db.pacs.examPatient(examId);
      if (!patient || !patient.patientId.trim() || this.searching.has(patient.patientRef)) return;
      const started = nodes.filter((n) => this.ctx.db.pacs.beginRetrieval(patient.patientRef, n.id, this.owner, isOwnerAlive, this.options.freshMs ?? 5 * 60_000));
      if (!started.length) return;
      this.searching.add(patient.patientRef);
      this.changed(examId);
      void this.ctx.track(this.searchPriors(examId, patient, started)).finally(() => this.searching.delete(patient.patientRef));
    } catch (error) {
      log.warn(`PACS priors not searched: ${errorForLog(error)}`);
    }
  }

  private async searchPriors(examId: number, patient: { patientRef: number; patientId: string; issuer: string; studyUid: string }, nodes: StoredPacsNode[]): Promise<void> {
    // at most two women's searches at once: the reader's next cases wait their turn
    if (this.retrievals >= 2) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.retrievals++;
    try {
      for (const node of nodes) {
        if (this.closed) {
          this.ctx.db.pacs.endRetrieval(patient.patientRef, node.id, { code: 'other', detail: 'station closed' });
          continue;
        }
        await this.searchNode(examId, patient, node);
        this.changed(examId);
      }
    } catch (error) {
      log.warn(`PACS priors: ${errorForLog(error)}`);
    } finally {
      this.retrievals--;
      this.waiting.shift()?.();
    }
  }

  /**
   * A prior fetched for her reading, older than the exam it was fetched for, was read where it was
   * made: marked read (the audit says the PACS fetch did it), not left a new exam in the reading list
   * (fetched priors stood there among today's exams, and "mark read, then next" walked into them: a
   * probe). One in progress or read here, or not (yet) imported (a C-MOVE's images still arriving), is
   * left as it is.
   */
  private markPriorRead(examId: number, studyUid: string): void {
    try {
      const priorId = this.ctx.db.imports.studyKey(studyUid);
      const current = this.ctx.db.worklist.examSummary(examId);
      const prior = priorId === null ? null : this.ctx.db.worklist.examSummary(priorId);
      if (!current?.studyDate || !prior?.studyDate || prior.status !== 'new' || prior.studyDate >= current.studyDate) return;
      if (this.ctx.db.worklist.setExamStatus(priorId!, 'read', (id) => this.ctx.db.audit.record('pacs-prior', 'status:read', id))) this.ctx.events.emit('worklistChanged', { reason: 'status', examId: priorId! });
    } catch (error) {
      log.warn(`PACS priors: a fetched prior's status not set (${errorForLog(error)})`);
    }
  }

  private async searchNode(examId: number, patient: { patientRef: number; patientId: string; issuer: string; studyUid: string }, node: StoredPacsNode): Promise<void> {
    const pacs = this.ctx.db.pacs;
    let retrieved = 0;
    let images = 0;
    try {
      const studies = await findStudies(node, this.callingAe(), patient.patientId, patient.issuer);
      // a study the library lacks, or holds only in part (a retrieval cut short) or held back, is
      // fetched; never the exam being read (no image arrives in it under the reader's eyes)
      const { known, complete } = pacs.heldStudies(studies);
      const missing = studies
        .filter((s) => !complete.has(s.studyUid) && s.studyUid !== patient.studyUid && (!s.modalities.length || s.modalities.some((m) => PRIOR_MODALITIES.has(m))))
        .sort((a, b) => (b.studyDate ?? '').localeCompare(a.studyDate ?? ''))
        .slice(0, this.options.maxStudies ?? 10);
      pacs.updateRetrieval(patient.patientRef, node.id, { found: studies.length, missing: missing.length });
      for (const study of missing) {
        if (this.closed) throw new PacsError('other', 'station closed');
        // a study the library holds already (its own exam, sent by the modality to the PACS too) is
        // completed, not taken as fetched: its results still go to the PACS
        if (!known.has(study.studyUid)) pacs.markFetched(study.studyUid, node.id);
        if (node.protocol === 'dimse') images += await this.moveStudy(node, study.studyUid);
        else await this.fetchStudy(node, patient, study.studyUid, `PACS ${node.id}, study ${retrieved + 1}`, (n) => { images += n; });
        if (!known.has(study.studyUid)) this.markPriorRead(examId, study.studyUid);
        retrieved++;
        pacs.updateRetrieval(patient.patientRef, node.id, { retrieved, images });
      }
      pacs.nodeOk(node.id);
      pacs.updateRetrieval(patient.patientRef, node.id, { retrieved, images });
      pacs.endRetrieval(patient.patientRef, node.id, null);
      if (missing.length) log.info(`PACS ${node.id}: ${retrieved} prior study(ies) fetched, ${images} object(s) imported`);
    } catch (error) {
      const failure = failureOf(error);
      log.warn(`PACS ${node.id}: priors not fetched (${failure.code}${failure.detail ? `, ${failure.detail}` : ''})`);
      try {
        pacs.updateRetrieval(patient.patientRef, node.id, { retrieved, images });
        pacs.endRetrieval(patient.patientRef, node.id, failure);
        if (failure.code !== 'other' && failure.code !== 'disk_full') pacs.nodeFailed(node.id, failure);
      } catch (dbError) {
        log.error(`PACS priors: the failure could not be recorded: ${errorForLog(dbError)}`);
      }
    }
  }

  /**
   * WADO-RS: a study into this process's staging folder, her objects of it imported (`imported`
   * counts them as they are, a failure halfway keeps what was whole).
   */
  private async fetchStudy(node: StoredPacsNode, patient: { patientId: string; issuer: string }, studyUid: string, label: string,
    imported: (count: number) => void): Promise<void> {
    const dir = fs.mkdtempSync(path.join(this.stagingDir!, 'study-'));
    try {
      let files: string[];
      let failure: unknown = null;
      try {
        files = (await dicomweb.retrieveStudy(webNode(node), studyUid, dir, { ...DEFAULT_RETRIEVE_LIMITS, ...this.options.retrieve }, this.abort.signal)).files;
      } catch (error) {
        files = filesOf(error);
        failure = error;
      }
      const cutShort = failure !== null;
      // only the woman's objects of the study asked for: a PACS (mis)configured or hostile may send another's
      const foreign = await objectsNotOf(this.ctx.importer, files, patient, studyUid);
      if (foreign.size) {
        files = files.filter((f) => !foreign.has(f));
        failure ??= new PacsError('bad_response', `${foreign.size} object(s) of another patient or study left out`);
      }
      if (files.length) {
        // what a retrieval cut short brought is kept, its exam held back (not shown as a prior of a
        // few images): the next search finds it incomplete and fetches it again, which completes it
        const summary = await this.ctx.importer.importStaged(files.map((f, i) => ({ path: f, label: `${label}, object ${i + 1}` })),
          { ...this.ctx.backgroundImportOptions(), incomplete: cutShort, keepShown: true, fetchedFrom: node.id });
        imported(summary.imported);
        this.ctx.events.emit('worklistChanged', { reason: 'import' });
      }
      if (failure) throw failure;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * C-MOVE: the PACS sends a study to this station's storage SCP (its AE title as the destination),
   * whose import takes it. Resolves with the objects the PACS says it moved.
   */
  private async moveStudy(node: StoredPacsNode, studyUid: string): Promise<number> {
    const receiver = this.receiver();
    // the port taken: most often by another process of this library, whose receiver takes the move
    if (receiver && receiver.state !== 'listening' && receiver.failure?.code !== 'port_in_use') throw new PacsError('receiver_off', null);
    const ae = this.callingAe();
    const moved = await dimse.moveStudy(dimseNode(node), ae, ae, studyUid, this.abort.signal);
    if (moved.failed) throw new PacsError('server_error', `${moved.failed} object(s) not delivered to this station`);
    return moved.completed + moved.warnings;
  }

  status(): PacsStatus {
    return pacsStatus(this.ctx, this.sending);
  }

  /** The panel's status, at most every STATUS_EVERY_MS. */
  changed(examId: number | null): void {
    if (examId !== null) { this.ctx.events.emit('pacsChanged', { examId }); return; }
    if (this.statusTimer || this.closed) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.ctx.events.emit('pacsChanged', { examId: null });
    }, STATUS_EVERY_MS);
    this.statusTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offQueued();
    this.abort.abort();
    this.wake();
    for (const w of this.waiting.splice(0)) w();
    await this.loopDone;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    if (this.stagingDir) fs.rmSync(this.stagingDir, { recursive: true, force: true });
  }
}

/** The PACS operations; `service()`: this station's PacsService (null where it runs none: the nodes can still be set, and objects queued). */
export function pacsHandlers(ctx: StationContext, service: () => PacsService | null): Pick<ApiHandlers,
  'pacsStatus' | 'setPacsNodes' | 'testPacsNode' | 'sendToPacs' | 'retryPacs' | 'pacsPriors'> {
  const status = (): PacsStatus => pacsStatus(ctx, service()?.sending ?? false);
  return {
    pacsStatus: async () => status(),
    setPacsNodes: async ({ nodes }) => {
      ctx.assertOpen();
      if (nodes.length > MAX_PACS_NODES) throw new ApiError('bad_request', 'Too many PACS nodes', 'error.badRequest', { message: 'too many PACS nodes' });
      ctx.db.pacs.setNodes(mergeNodes(nodes, ctx.db.pacs.nodes()));
      log.info(`PACS: ${nodes.length} node(s) set`);
      service()?.changed(null);
      ctx.events.emit('pacsChanged', { examId: null });
      return status();
    },
    testPacsNode: async (input) => {
      ctx.assertOpen();
      const [node] = mergeNodes([input], ctx.db.pacs.nodes());
      const started = performance.now();
      let result: PacsTestResult;
      try {
        const httpStatus = await probeNode(node!, service()?.callingAe() ?? stationAe(ctx, null));
        result = { result: 'reachable', httpStatus, ms: Math.round(performance.now() - started) };
      } catch (error) {
        const failure = failureOf(error);
        result = { result: failure.code, httpStatus: error instanceof PacsError ? error.httpStatus : null, ms: Math.round(performance.now() - started) };
      }
      log.info(`PACS ${input.id}: connection test ${result.result}${result.httpStatus ? ` (HTTP ${result.httpStatus})` : ''}`);
      return result;
    },
    sendToPacs: async ({ examId, instanceId, nodeId }) => {
      ctx.assertOpen();
      const nodes = ctx.db.pacs.nodes().filter((n) => (nodeId ? n.id === nodeId : n.receiveResults));
      if (!nodes.length) throw new ApiError('bad_request', nodeId ? 'No such PACS node' : 'No PACS node receives results', nodeId ? 'error.pacsNoSuchNode' : 'error.pacsNoNode');
      const instances = instanceId !== undefined ? [instanceId] : ctx.db.pacs.examInstances(examId!);
      if (!instances.length) throw new ApiError('not_found', 'Nothing stored to send', 'error.pacsNothingToSend');
      let queued = 0;
      for (const n of nodes) queued += ctx.db.pacs.enqueue(instances, n.id);
      if (queued === 0 && instanceId !== undefined && !ctx.db.pacs.itemsOf(instanceId).length) throw new ApiError('not_found', 'No such object', 'error.imageNotFound');
      log.info(`PACS: ${queued} item(s) queued by hand`);
      service()?.changed(null);
      return { queued, nodes: nodes.map((n) => n.id) };
    },
    retryPacs: async ({ nodeId }) => {
      ctx.assertOpen();
      ctx.db.pacs.retryNow(nodeId ?? null);
      service()?.changed(null);
      return status();
    },
    pacsPriors: async ({ examId }) => ctx.db.pacs.retrievalsForExam(examId),
  };
}
