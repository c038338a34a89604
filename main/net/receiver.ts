// The storage SCP of the station: listens (127.0.0.1 unless the user opens it to the network),
// admits callers by AE title (called: the station's; calling: one of the allow-list; anyone else is
// refused and the refusal logged), and imports what each association brings through the import
// pipeline as one job: duplicates, quarantine, identity checks as for any import, the exams held
// out of the worklist until the association ends. A released association shows its exams; one that
// ends any other way (aborted, dropped, the station closing) keeps every image it completed but
// holds its exams back, like an import that ended early, until the sender sends them again.
//
// Received files wait in <library>/incoming/<owner>/<association>/, whole (`.dcm`) or not
// (`.part`), until the database holds them on disk. A receiver that starts takes over what a
// process that is gone left there (it renames the folder into its own first, so that two stations
// starting at once never import the same folder): the whole files are imported, the rest removed.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AssociationStatus, ReceiverSettings, ReceiverStatus, RefusalReason } from '../../common/dicom-node.ts';
import type { Importer, ImportOptions, ImportStream } from '../import/importer.ts';
import { isOwnerAlive, ownedFolderName, ownerFromFolderName } from '../base/process-owner.ts';
import { errorForLog, log } from '../base/log.ts';
import { StorageScp } from './storage-scp.ts';
import type { AssociationInfo, AssociationSession } from './storage-scp.ts';

/** Associations at once; more are refused (transient: "local limit exceeded"). */
const MAX_ASSOCIATIONS = 16;
/** Ended and refused associations kept for the status panel. */
const KEEP_ENDED = 30;
/**
 * Received files are handed to the import when the association pauses (no file for IMPORT_IDLE_MS),
 * when IMPORT_BACKLOG of them wait, and at its end, not one by one as they arrive: importing
 * (checking, hashing, filing) while a data set streams in took a quarter of the receiving rate on 2
 * cores, and the association's exams stay hidden until it ends anyway. The files wait on disk,
 * flushed, in the association's folder.
 */
const IMPORT_IDLE_MS = 1000;
const IMPORT_BACKLOG = 256;

export interface ReceiverOptions {
  importer: Importer;
  /** <library>/incoming */
  incomingRoot: string;
  importOptions: () => ImportOptions;
  /** The status changed (an association began, received an image, ended; the listener started or stopped). */
  onChange: () => void;
  /** An association's import ended, or one a stopped station left was completed: its exams may be in the worklist now. */
  onImported: () => void;
  /** Calling AE titles admitted besides the allow-list: the PACS nodes that send priors here by C-MOVE. */
  movingCallers?: () => readonly string[];
  /** How long a connection may wait before asking for an association (30 s; tests shorten it). */
  associateRqWithinMs?: number;
}

/** An AE title as the log and the panel show it: printable characters only (it comes from the network). */
function shown(title: string): string {
  return title.replace(/[^\x20-\x7e]/g, '?').slice(0, 16);
}

export class DicomReceiver {
  private server: net.Server | null = null;
  private settings: ReceiverSettings | null = null;
  private state: ReceiverStatus['state'] = 'off';
  private failure: ReceiverStatus['failure'] = null;
  private address: { host: string; port: number } | null = null;
  private since: string | null = null;
  private readonly sessions = new Set<Session>();
  private readonly ended: AssociationStatus[] = [];
  private readonly totals = { associations: 0, received: 0, bytes: 0, refused: 0 };
  private nextId = 1;
  private closing = false;
  readonly ownDir: string;
  private readonly pending = new Set<Promise<unknown>>();
  private whenIdle: (() => void) | null = null;

  constructor(private readonly options: ReceiverOptions) {
    this.ownDir = path.join(options.incomingRoot, ownedFolderName());
  }

  /** Listens as the settings say (stops listening first when it already does); associations under way go on. */
  async apply(settings: ReceiverSettings): Promise<void> {
    this.settings = settings;
    await this.stopListening();
    if (!settings.enabled || this.closing) { this.setState('off', null); return; }
    const host = settings.openToNetwork ? '0.0.0.0' : '127.0.0.1';
    const server = net.createServer({ noDelay: true }, (socket) => this.connection(socket));
    server.maxConnections = MAX_ASSOCIATIONS * 2;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: settings.port, host }, () => { server.off('error', reject); resolve(); });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const failure = code === 'EADDRINUSE' ? 'port_in_use' as const : code === 'EACCES' ? 'permission_denied' as const : 'other' as const;
      log.warn(`DICOM receiver: cannot listen on ${host}:${settings.port} (${code ?? 'error'})`);
      this.setState('failed', { code: failure, detail: code ?? null });
      return;
    }
    server.on('error', (error) => log.warn(`DICOM receiver: ${errorForLog(error)}`));
    this.server = server;
    const bound = server.address() as net.AddressInfo;
    this.address = { host, port: bound.port };
    this.since = new Date().toISOString();
    log.info(`DICOM receiver: ${settings.aeTitle} listening on ${host}:${bound.port}`);
    this.setState('listening', null);
  }

  /** The port it listens on (null when it does not). */
  get port(): number | null {
    return this.address?.port ?? null;
  }

  status(): ReceiverStatus {
    // a refused association is listed with the ended ones at once, even while its socket closes
    const active = [...this.sessions].map((s) => s.entry).filter((e): e is AssociationStatus => e !== null && e.state !== 'refused');
    return {
      state: this.state, failure: this.failure, settings: this.settings!, host: this.address?.host ?? null, port: this.address?.port ?? null,
      // the latest first, whether under way or ended (an association's entry moves to the ended ones
      // when its import ends, which may be after a later refusal: the order must not change then)
      since: this.since, totals: { ...this.totals },
      associations: [...active, ...this.ended].sort((a, b) => b.id - a.id).map((e) => ({ ...e })),
    };
  }

  /**
   * Imports what processes that are gone left in the incoming folder (files whose senders were told
   * they are stored), and removes their unfinished files. An association that was released shows its
   * exams; one that was not (the process died while it went on) keeps its images but holds its exams
   * back until they are sent again, as if it had been aborted: the rest of the exam never came.
   */
  async recover(): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.options.incomingRoot, { withFileTypes: true });
    } catch {
      return;
    }
    const claimed: string[] = [];
    for (const entry of entries) {
      const owner = ownerFromFolderName(entry.name);
      if (!entry.isDirectory() || !owner || isOwnerAlive(owner)) continue;
      const target = path.join(this.ownDir, `recovered-${entry.name}`);
      await fs.promises.mkdir(this.ownDir, { recursive: true });
      // the rename claims it: a station starting at the same time finds it gone
      if (await fs.promises.rename(path.join(this.options.incomingRoot, entry.name), target).then(() => true, () => false)) claimed.push(target);
    }
    for (const dir of claimed) {
      for (const association of await fs.promises.readdir(dir, { withFileTypes: true })) {
        if (!association.isDirectory()) continue;
        // one association that cannot be taken up now (the library busy in another process, a full
        // disk) stops none of the others: its files stay where they are, for the next start
        await this.recoverAssociation(path.join(dir, association.name))
          .catch((error: unknown) => log.warn(`DICOM receiver: received files left for the next start: ${errorForLog(error)}`));
      }
      await removeEmptyFolders(dir);
    }
  }

  private async recoverAssociation(dir: string): Promise<void> {
    const names = (await fs.promises.readdir(dir)).sort();
    for (const name of names.filter((n) => n.endsWith('.part'))) await fs.promises.rm(path.join(dir, name), { force: true });
    const files = names.filter((n) => n.endsWith('.dcm')).map((n) => path.join(dir, n));
    const record = await readAssociationRecord(dir);
    if (files.length) {
      const outcome = record.released ? 'done' : 'abandoned';
      log.info(`DICOM receiver: importing ${files.length} received file(s) a stopped station had not imported (association ${record.released ? 'released' : 'not released: its exams held back'})`);
      const stream = this.options.importer.openStream(record.callingAe, { ...this.options.importOptions(), onProgress: undefined, keepShown: true });
      files.forEach((file, i) => stream.add({ path: file, label: `received earlier${record.callingAe ? ` from ${shown(record.callingAe)}` : ''} (${i + 1})` }));
      await this.track(stream.end(outcome)); // close waits for it
      this.options.onImported();
    }
    // Released, and every file it brought is in the library now (none left here): the import the
    // stopped station ran is complete, even where it had stored them all before it stopped (then
    // there was nothing above to import, and its exams would stay held back until sent again).
    if (record.released && record.importJob !== null && !(await holdsWholeFiles(dir))) {
      const shown = this.options.importer.completeReleasedImport(record.importJob);
      if (shown) {
        log.info(`DICOM receiver: the import of a released association a stopped station had not ended is complete: ${shown} exam(s) shown`);
        this.options.onImported();
      }
    }
    await clearAssociationFolder(dir);
  }

  private connection(socket: net.Socket): void {
    socket.on('error', () => undefined); // the SCP ends the association; nothing to report beyond it
    if (this.closing) { socket.destroy(); return; }
    const session = new Session(this, this.nextId++, socket.remoteAddress ?? '');
    session.bindAbort(() => socket.destroy());
    this.sessions.add(session);
    try {
      new StorageScp(socket, session, { associateRqWithinMs: this.options.associateRqWithinMs });
    } catch (error) {
      log.error(`DICOM receiver: ${errorForLog(error)}`);
      socket.destroy();
      this.sessions.delete(session);
    }
  }

  // ——— for sessions

  get settingsNow(): ReceiverSettings { return this.settings!; }

  /** Whether a PACS node that sends priors here by C-MOVE calls with this AE title. */
  movesFrom(callingAe: string): boolean {
    try {
      return this.options.movingCallers?.().includes(callingAe) ?? false;
    } catch {
      return false; // the library busy or closing: the allow-list alone decides
    }
  }
  get isClosing(): boolean { return this.closing; }
  get activeCount(): number { return [...this.sessions].filter((s) => s.entry?.state === 'active').length; }

  refused(entry: AssociationStatus): void {
    this.totals.refused++;
    this.keepEnded(entry);
    this.changed();
  }

  begun(): void {
    this.totals.associations++;
    this.changed();
  }

  received(bytes: number): void {
    this.totals.received++;
    this.totals.bytes += bytes;
    this.changed();
  }

  finished(session: Session): void {
    this.sessions.delete(session);
    if (session.entry && session.entry.state !== 'refused') this.keepEnded(session.entry);
    if (!this.sessions.size) this.whenIdle?.();
    this.changed();
  }

  /**
   * A new exam is held back until its association is released (never shown in part); images that
   * join an exam already shown (one more view, a prior a PACS moves here again because it holds
   * more of it) leave it shown, even when their association is cut short.
   */
  openStream(callingAe: string): ImportStream {
    return this.options.importer.openStream(callingAe, { ...this.options.importOptions(), onProgress: undefined, keepShown: true });
  }

  imported(): void {
    this.options.onImported();
  }

  track<T>(task: Promise<T>): Promise<T> {
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task)).catch(() => undefined);
    return task;
  }

  changed(): void {
    this.options.onChange();
  }

  private keepEnded(entry: AssociationStatus): void {
    this.ended.unshift(entry);
    this.ended.length = Math.min(this.ended.length, KEEP_ENDED);
  }

  private setState(state: ReceiverStatus['state'], failure: ReceiverStatus['failure']): void {
    this.state = state;
    this.failure = failure;
    if (state !== 'listening') { this.address = null; this.since = null; }
    this.changed();
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops listening and ends every association (their completed images stay, their exams held back); waits for their imports. */
  async close(): Promise<void> {
    this.closing = true;
    const server = this.server;
    this.server = null;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const idle = new Promise<void>((resolve) => {
      this.whenIdle = resolve;
      if (!this.sessions.size) resolve();
    });
    for (const session of this.sessions) session.abort();
    await stopped;
    await idle;
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    await removeEmptyFolders(this.ownDir);
    this.setState('off', null);
  }
}

/**
 * What a receiving station writes into an association's folder (association.json), for a station
 * that takes the folder over after it died: who sent, whether the association was released, and
 * (once released) the import job that stores its files.
 */
interface AssociationRecord {
  callingAe: string | null;
  released: boolean;
  importJob: number | null;
}

const RECORD = 'association.json';

/** `folder` (an open handle on `dir`): the record is flushed to the disk, rename included, before this resolves. */
async function writeAssociationRecord(dir: string, record: AssociationRecord, folder?: fs.promises.FileHandle): Promise<void> {
  // written whole then renamed over the last: a reader finds the old record or the new one
  const next = path.join(dir, `${RECORD}.next`);
  const file = await fs.promises.open(next, 'w');
  try {
    await file.writeFile(JSON.stringify(record));
    if (folder) await file.datasync();
  } finally {
    await file.close();
  }
  await fs.promises.rename(next, path.join(dir, RECORD));
  await folder?.sync();
}

/** A folder without a readable record (a station of an earlier version, a record cut short) counts as not released. */
async function readAssociationRecord(dir: string): Promise<AssociationRecord> {
  try {
    const value = JSON.parse(await fs.promises.readFile(path.join(dir, RECORD), 'utf8')) as Partial<AssociationRecord>;
    return {
      callingAe: typeof value.callingAe === 'string' ? value.callingAe.slice(0, 16) : null, released: value.released === true,
      importJob: Number.isSafeInteger(value.importJob) && value.importJob! > 0 ? value.importJob! : null,
    };
  } catch {
    return { callingAe: null, released: false, importJob: null };
  }
}

/**
 * Removes an association's folder once no whole received file is left in it: its record, and the
 * half file of an association cut short (being removed by its writer too, hence `force`).
 */
async function clearAssociationFolder(dir: string): Promise<void> {
  const names = await fs.promises.readdir(dir).catch(() => null);
  if (!names || names.some((n) => n.endsWith('.dcm'))) return;
  for (const name of names) await fs.promises.rm(path.join(dir, name), { force: true });
  await fs.promises.rmdir(dir).catch(() => undefined);
}

/** Whether received files whole but not imported are left in an association's folder (or it cannot be read). */
async function holdsWholeFiles(dir: string): Promise<boolean> {
  const names = await fs.promises.readdir(dir).catch(() => null);
  return !names || names.some((n) => n.endsWith('.dcm'));
}

/** Removes a folder tree's empty folders (a folder that still holds files is kept, with them). */
async function removeEmptyFolders(dir: string): Promise<void> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await removeEmptyFolders(path.join(dir, e.name));
  await fs.promises.rmdir(dir).catch(() => undefined);
}

/** One connection: its admission, its folder of received files, its import stream, its status entry. */
class Session implements AssociationSession {
  entry: AssociationStatus | null = null;
  private stream: ImportStream | null = null;
  private folder: fs.promises.FileHandle | null = null;
  private dir = '';
  private files = 0;
  private socketAbort: (() => void) | null = null;
  private done = false;
  /** Files received whole, not yet handed to the import. */
  private waiting: { path: string; label: string }[] = [];
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly receiver: DicomReceiver, readonly id: number, private readonly remoteAddress: string) {}

  abort(): void {
    this.socketAbort?.();
  }

  bindAbort(abort: () => void): void {
    this.socketAbort = abort;
  }

  async admit(info: AssociationInfo): Promise<RefusalReason | null> {
    const settings = this.receiver.settingsNow;
    const entry: AssociationStatus = {
      id: this.id, callingAe: shown(info.callingAe), calledAe: shown(info.calledAe), remoteAddress: info.remoteAddress,
      startedAt: new Date().toISOString(), endedAt: null, state: 'active', refusal: null, received: 0, bytes: 0, failed: 0, imported: null,
    };
    const refusal: RefusalReason | null = this.receiver.isClosing ? 'closing'
      : info.calledAe !== settings.aeTitle ? 'called_ae'
        : !settings.allowedCallers.includes(info.callingAe) && !this.receiver.movesFrom(info.callingAe) ? 'calling_ae'
          : this.receiver.activeCount >= MAX_ASSOCIATIONS ? 'busy' : null;
    if (refusal) {
      const why = { calling_ae: 'calling AE title not in the allow-list', called_ae: 'called AE title is not this station\'s', busy: 'too many associations at once', closing: 'the station is closing' }[refusal];
      log.warn(`DICOM receiver: association refused: ${why} (calling "${entry.callingAe}", called "${entry.calledAe}", from ${this.remoteAddress})`);
      this.entry = { ...entry, state: 'refused', refusal, endedAt: entry.startedAt };
      this.receiver.refused(this.entry);
      return refusal;
    }
    this.dir = path.join(this.receiver.ownDir, String(this.id).padStart(6, '0'));
    await fs.promises.mkdir(this.dir, { recursive: true });
    await writeAssociationRecord(this.dir, { callingAe: entry.callingAe, released: false, importJob: null });
    this.folder = await fs.promises.open(this.dir, 'r');
    this.stream = this.receiver.openStream(info.callingAe);
    this.entry = entry;
    log.info(`DICOM receiver: association ${this.id} from "${entry.callingAe}" (${this.remoteAddress}) accepted`);
    this.receiver.begun();
    return null;
  }

  nextFile(): { partPath: string; finalPath: string; folder: fs.promises.FileHandle } {
    if (!this.stream || !this.folder || this.done || this.receiver.isClosing) throw new Error('the association is ending');
    const name = String(++this.files).padStart(6, '0');
    return { partPath: path.join(this.dir, `${name}.part`), finalPath: path.join(this.dir, `${name}.dcm`), folder: this.folder };
  }

  receiving(): void {
    // the status shows counts of whole files only; nothing to do per fragment
  }

  stored(file: { path: string; bytes: number }): void {
    if (!this.stream || !this.entry) return;
    this.entry.received++;
    this.entry.bytes += file.bytes;
    this.waiting.push({ path: file.path, label: `received from ${this.entry.callingAe}, association ${this.id}, #${path.basename(file.path, '.dcm')}` });
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.waiting.length >= IMPORT_BACKLOG) this.handOver();
    else this.idleTimer = setTimeout(() => this.handOver(), IMPORT_IDLE_MS);
    this.receiver.received(file.bytes);
  }

  /** Hands the files received so far to the import. */
  private handOver(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const files = this.waiting;
    this.waiting = [];
    for (const f of files) this.stream?.add(f);
  }

  failed(): void {
    if (this.entry) this.entry.failed++;
    this.receiver.changed();
  }

  ended(outcome: 'released' | 'aborted'): void {
    if (this.done) return;
    this.done = true;
    const entry = this.entry;
    const stream = this.stream;
    if (!entry || !stream) { this.receiver.finished(this); return; }
    entry.state = outcome;
    entry.endedAt = new Date().toISOString();
    this.handOver();
    if (outcome === 'aborted') log.warn(`DICOM receiver: association ${this.id} from "${entry.callingAe}" ended without a release after ${entry.received} image(s); its exams are held back until sent again`);
    void this.receiver.track((async () => {
      try {
        // a station that dies before the import ends must still know, from the folder, that the
        // sender released the association (else its exams are held back), and which job to complete
        // (all of its files may be in the library by then, none left here to import)
        if (outcome === 'released') {
          await writeAssociationRecord(this.dir, { callingAe: entry.callingAe, released: true, importJob: stream.jobId }, this.folder ?? undefined)
            .catch((error: unknown) => log.warn(`DICOM receiver: association ${this.id}: its release could not be recorded: ${errorForLog(error)}`));
        }
        const summary = await stream.end(outcome === 'released' ? 'done' : 'abandoned');
        entry.imported = { imported: summary.imported, duplicates: summary.duplicates, rejected: summary.rejected, exams: summary.examsTouched };
        log.info(`DICOM receiver: association ${this.id}: ${summary.imported} imported, ${summary.duplicates} duplicate(s), ${summary.rejected} rejected`);
        this.receiver.imported();
      } catch (error) {
        log.error(`DICOM receiver: association ${this.id}: import failed: ${errorForLog(error)}`);
      } finally {
        await this.folder?.close().catch(() => undefined);
        await clearAssociationFolder(this.dir); // kept when files remain (an import that failed): taken over later
        this.receiver.finished(this);
      }
    })());
  }
}
