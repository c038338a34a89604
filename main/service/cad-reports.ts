// Mammography CAD SRs, both ways (issue 9):
// - out: each finished AI analysis is also written as a Mammography CAD SR (main/dicom/cad-sr-write.ts)
//   and stored in its exam through the import pipeline, like any received object (so it is sent on,
//   exported and kept as the exam's files are);
// - in: every Mammography CAD SR that reaches the library (imported, received, written by another
//   station) is read once into its marks (main/dicom/cad-sr-read.ts), shown in the viewer under its
//   algorithm's name.
// One task at a time, after each import and each finished analysis, and at start for what a stopped
// station left undone. Nothing here throws at a caller: a report that cannot be read keeps its reason.

import { modelClasses } from '../../common/ai/model-manifest.ts';
import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { modelCaveat, modelCaveatInEnglish } from '../../common/ai/model-caveat.ts';
import { scoreScaleText } from '../../common/i18n/messages.ts';
import type { StationContext } from './context.ts';
import type { AiAnalysis } from '../ai/analysis.ts';
import { imagesTheModelReads } from '../ai/analysis.ts';
import { cadSrDataset, newInstanceUid } from '../dicom/cad-sr-write.ts';
import type { CadSrImage } from '../dicom/cad-sr-write.ts';
import { derivedUid } from '../dicom/uid.ts';
import { writePart10 } from '../dicom/write.ts';
import { errorForLog, log } from '../base/log.ts';
import { currentOwner, isOwnerAlive } from '../base/process-owner.ts';
import { isDiskFull } from '../import/importer.ts';
import { DISK, ROOM_LOOK_MS, roomMadeSince, type DiskLook } from '../base/disk.ts';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** A CAD SR larger than this is not read (a real one is kilobytes; this is not one). */
const MAX_SR_BYTES = 16 * 1024 * 1024;
const READ_TIMEOUT_MS = 60_000;
const DEVICE_UID_SETTING = 'station.deviceUid';
/** Tries of an SR whose import failed for another cause than a full disk, before it is left for the next start. */
const MAX_SR_TRIES = 3;

/**
 * The series of the CAD SRs a model's analyses of an exam are written in: one per model version and
 * exam, the same at every station (another station's SR of the same analysis is known by it).
 */
export function cadSrSeriesUid(studyUid: string, model: { id: string; version: string }): string {
  return derivedUid('binome-cad-sr-series', studyUid, model.id, model.version);
}

export class CadReportService {
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private pending = false;
  /**
   * An SR not written for a full disk is tried again this long after (room may be made without an
   * import or an analysis that would kick it: it waited for the next one, or the next start).
   */
  retryAfterDiskFullMs = 60_000;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The disk the library is on (tests give another). */
  disk: DiskLook = DISK;
  /**
   * The disk's free bytes when an SR was last refused for a full disk: room made since (roomMadeSince)
   * tries again at once, not at the end of the minute (the panel's "disk full" stayed up to a minute
   * after IT freed space, where the AI's own wait ended within 2 s: a probe).
   */
  private freeWhenFull: number | null = null;
  /**
   * Claims this process could not give up after a failed write (the library full or busy): job id →
   * the SR's UID. Given up at the next run. Left claimed by a live process, the SR was written only
   * at the next start (a probe: a full disk, then space freed).
   */
  private readonly unreleased = new Map<number, { sopUid: string; exam: string }>();
  /** Failed tries of a job's SR other than a full disk's, since the station started. */
  private readonly failedTries = new Map<number, number>();
  /** A full disk said in the log, not said again for each SR until one is written (a probe's log: 6 in 15 s). */
  private diskFullSaid = false;

  /**
   * Whether SRs wait for room on the library's disk (from the first refused for it until one is written):
   * the AI models panel says the disk is full then too (an analysis stored in SQLite's free pages, its SR
   * refused with ENOSPC, showed nothing there: a probe).
   */
  get diskFull(): boolean {
    return this.diskFullSaid;
  }

  constructor(
    private readonly ctx: StationContext,
    private readonly tmpDir: string,
    private readonly analysis: () => AiAnalysis | null,
    /** Called with the exam whose CAD reports changed (the viewer asks again); null: the library's disk became full for them, or had room again (the AI models panel asks again). */
    private readonly onChange: (examId: number | null) => void,
    /** Called with each SR the station stored (to be sent on to a PACS). */
    private readonly onWritten: (instanceId: number) => void = () => undefined,
  ) {}

  /** Reads the CAD SRs not read yet and writes the SRs of finished analyses that have none; resolves when done. */
  kick(): Promise<void> {
    // a run that has not started yet covers this kick too (imports and analyses end in bursts)
    if (this.pending) return this.chain;
    this.pending = true;
    this.chain = this.chain.then(() => { this.pending = false; return this.work(); }).catch((error: unknown) => log.warn(`CAD SR: ${errorForLog(error)}`));
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.chain;
  }

  private async work(): Promise<void> {
    if (this.closed) return;
    const refused = this.giveUpClaims();
    if (refused) {
      // still full (or busy): tried again a while later, with nothing else to kick it
      log.warn(`CAD SR of ${refused.exam}: its claim could not be given up yet (${errorForLog(refused.error)}); tried again later`);
      this.retryLater();
      return;
    }
    this.ctx.db.cadReports.releaseDeadClaims(isOwnerAlive);
    for (const jobId of this.ctx.db.cadReports.jobsWithoutSr()) {
      if (this.closed) return;
      await this.writeSr(jobId);
    }
    for (;;) {
      const batch = this.ctx.db.cadReports.unread();
      if (!batch.length || this.closed) return;
      for (const sr of batch) {
        let read: Parameters<typeof this.ctx.db.cadReports.record>[1];
        try {
          // parsed on an import thread: a large report takes seconds that the main loop does not have
          const answer = sr.fileSize > MAX_SR_BYTES
            ? { problem: 'unreadable' as const, message: `The CAD SR is ${sr.fileSize} bytes, more than a CAD SR can be` }
            : await this.ctx.importer.runTask('readCadSr', { file: this.ctx.store.pathFor(sr.fileHash) }, READ_TIMEOUT_MS);
          if ('problem' in answer) {
            // the reader's refusals say what is wrong in words without patient data
            log.warn(`CAD SR of exam ${sr.examId} not read (${answer.problem}): ${answer.message}`);
            read = { problem: answer.problem };
          } else read = answer.report;
        } catch (error) {
          if (this.closed) return; // the threads stop with the station: read at the next start
          log.warn(`CAD SR of exam ${sr.examId} not read (unreadable): ${errorForLog(error)}`);
          read = { problem: 'unreadable' };
        }
        this.ctx.db.cadReports.record(sr, read);
        this.onChange(sr.examId);
      }
    }
  }

  /** Gives up the claims whose SRs were not written (`unreleased`); the library's error while it will not (and whose claim), else null. */
  private giveUpClaims(): { error: unknown; exam: string } | null {
    for (const [jobId, { sopUid, exam }] of this.unreleased) {
      try {
        this.ctx.db.cadReports.releaseSr(jobId, sopUid);
      } catch (error) {
        return { error, exam };
      }
      this.unreleased.delete(jobId);
    }
    return null;
  }

  /** Kicks again after retryAfterDiskFullMs; sooner where SRs wait for a full disk and room is made meanwhile (looked at every ROOM_LOOK_MS). */
  private retryLater(): void {
    if (this.retryTimer || this.closed) return;
    const until = Date.now() + this.retryAfterDiskFullMs;
    const wait = () => {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.closed) return;
        if (Date.now() >= until || (this.diskFullSaid && roomMadeSince(this.freeWhenFull, this.ctx.store.root, this.disk) !== null)) void this.kick();
        else wait();
      }, Math.max(0, Math.min(ROOM_LOOK_MS, until - Date.now())));
      this.retryTimer.unref(); // a station closing does not wait for it: the next start writes what is left
    };
    wait();
  }

  /** The station's own observer UID (Device Observer UID): one per library, made once. */
  private deviceUid(): string {
    const known = this.ctx.db.settings.get(DEVICE_UID_SETTING);
    if (known) return known;
    const made = newInstanceUid();
    this.ctx.db.settings.set(DEVICE_UID_SETTING, made);
    return this.ctx.db.settings.get(DEVICE_UID_SETTING) ?? made;
  }

  /** Writes and stores the CAD SR of one finished analysis (when its model is still installed). */
  private async writeSr(jobId: number): Promise<void> {
    const result = this.ctx.db.ai.jobResult(jobId);
    if (!result) return;
    const model = this.analysis()?.availableModels.find((m) => m.manifest.id === result.model.id && m.manifest.version === result.model.version);
    if (!model) return; // written when the model is back (its name, version and operating points go in the SR)
    const detail = this.ctx.db.worklist.examDetail(result.examId);
    if (!detail) return;
    const instances = detail.series.flatMap((s) => s.instances.map((i) => ({ ...i, seriesUid: s.seriesInstanceUid })));
    const byId = new Map(instances.map((i) => [i.instanceId, i]));
    // the images the model read, as the analysis chose them: a spot or magnification view it did not
    // read, or an image it could not read (damaged in the store), is not in the SR's Image Library nor
    // a "successful detection" (a PACS would read "nothing found")
    const unread = new Set(result.unreadImages.map((u) => u.instanceId));
    const read = new Set([...imagesTheModelReads(detail, model.manifest).map((i) => i.instanceId).filter((id) => !unread.has(id)), ...result.findings.map((f) => f.instanceId)]);
    const analysed = instances.filter((i) => read.has(i.instanceId));
    const first = analysed[0] && this.ctx.db.worklist.instanceFile(analysed[0].instanceId);
    if (!first) return;
    const header = DicomMetaDictionary.naturalizeDataset(
      DicomMessage.readFile((await fs.promises.readFile(this.ctx.store.pathFor(first.fileHash))).buffer as ArrayBuffer, { untilTag: '7FE00010', includeUntilTagValue: false }).dict,
    ) as Record<string, unknown>;
    const images: CadSrImage[] = analysed.map((i) => ({
      sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid, seriesUid: i.seriesUid, laterality: i.imageLaterality as 'R' | 'L', viewCode: i.viewCode,
    }));
    const manifest = model.manifest;
    const sopUid = newInstanceUid();
    if (!this.ctx.db.cadReports.claimSr(jobId, sopUid, currentOwner())) return; // another process wrote it, or the job ran again meanwhile
    const file = path.join(this.tmpDir, `cad-sr-${jobId}-${Date.now()}.dcm`);
    const caveat = modelCaveat({ trainedOn: manifest.training.data, notForDiagnosticUse: manifest.intendedUse.notForDiagnosticUse });
    try {
      // (its folder made again where it went: StoreWriter.putFile)
      await fs.promises.mkdir(this.tmpDir, { recursive: true });
      const dataset = cadSrDataset({
        study: { ...header, StudyInstanceUID: detail.exam.studyInstanceUid } as never,
        images,
        findings: result.findings.flatMap((f) => {
          const image = byId.get(f.instanceId);
          return image ? [{ sopInstanceUid: image.sopInstanceUid, class: f.class, score: f.score, x: f.x, y: f.y, box: f.box }] : [];
        }),
        // a synthetic-trained model (or one not for diagnostic use) says so in its SR too: any station that shows its marks can say it
        // and what its certainties are on: a vendor's 87 (0–100) and the shipped model's 0.87 (0–1) went out
        // alike, "no units", and a PACS or another CAD viewer could not tell them apart (a vendor's probe)
        algorithm: { id: manifest.id, name: manifest.name, version: manifest.version,
          parameters: [caveat ? modelCaveatInEnglish(caveat) : null, `Scores: ${scoreScaleText('en', { ...manifest.output.scoreScale, prevalence: manifest.output.scoreScale.prevalence ?? null })}`]
            .filter(Boolean).join('. ') },
        classes: modelClasses(manifest),
        operatingPoints: manifest.calibration.operatingPoints,
        defaultOperatingPoint: manifest.calibration.defaultOperatingPoint,
        examScore: result.examScore,
        breastScores: result.breastScores,
        device: { uid: this.deviceUid(), name: 'Binome', manufacturer: 'Binome', softwareVersion: this.ctx.version },
        // one series per model version in each exam, the same at every station
        seriesUid: cadSrSeriesUid(detail.exam.studyInstanceUid, manifest),
        contentTime: new Date(),
      }, sopUid);
      await fs.promises.writeFile(file, writePart10(dataset));
      // Not stopped by the station closing (one small file; close() waits for it): an SR import cut
      // short keeps what it stored and holds its exam back, and this exam's images would have left
      // the worklist until the next start rewrote the SR.
      const summary = await this.ctx.importer.importStaged([{ path: file, label: `CAD SR ${manifest.name} ${manifest.version}` }], { ...this.ctx.backgroundImportOptions(), signal: undefined });
      if (summary.imported !== 1) {
        const diskFull = summary.stoppedBy?.code === 'disk_full' || summary.problems.some((p) => p.code === 'disk_full');
        // the problems' codes as the error's, which the log shows (never their words, which may quote the file):
        // it said "Error (message withheld)" and nothing else (a probe)
        const codes = [...new Set([summary.stoppedBy, ...summary.problems].flatMap((p) => (p ? [p.code] : [])))].slice(0, 5).join(',');
        throw Object.assign(new Error(`the CAD SR was not stored (${summary.status}, ${summary.rejected} rejected)`), diskFull ? { code: 'ENOSPC', problems: codes } : { problems: codes });
      }
      const stored = this.ctx.db.worklist.instanceBySopUid(sopUid);
      this.ctx.db.cadReports.storedSr(jobId, sopUid);
      this.failedTries.delete(jobId);
      log.info(`CAD SR written for exam ${result.examId} (${manifest.id} ${manifest.version})`);
      if (this.diskFullSaid) { this.diskFullSaid = false; log.warn('CAD SRs are written again: the library has room again'); this.onChange(null); }
      if (stored !== null) this.onWritten(stored);
      this.ctx.events.emit('worklistChanged', { reason: 'import' });
    } catch (error) {
      // the library full or busy too: given up at the next run (tried again a while after a full disk)
      this.unreleased.set(jobId, { sopUid, exam: `exam ${result.examId} (${manifest.id} ${manifest.version})` });
      this.giveUpClaims();
      // the station closing stops the import: the SR is written at the next start
      if (this.closed || this.ctx.backgroundImportOptions().signal?.aborted) log.info(`CAD SR of exam ${result.examId} (${manifest.id} ${manifest.version}) left for the next start (the station is closing)`);
      else {
        // tried again a while later, whatever the cause: an import refused without a disk-full code (a full
        // disk seen by another process on the library) left the SR unwritten until the next start (a probe);
        // a few times for a cause that is not a full disk, where it may be the SR itself
        const tries = (this.failedTries.get(jobId) ?? 0) + 1;
        this.failedTries.set(jobId, tries);
        const again = isDiskFull(error) || tries < MAX_SR_TRIES;
        if (isDiskFull(error)) this.freeWhenFull = this.disk.freeBytes(this.ctx.store.root);
        const problems = (error as { problems?: string } | null)?.problems;
        const said = `CAD SR of exam ${result.examId} (${manifest.id} ${manifest.version}) not written: ${problems !== undefined ? `its import refused it (${problems || 'no problem said'}) ` : ''}${errorForLog(error)}${again ? '; tried again later' : '; left for the next start'}`;
        // a full disk once, until an SR is written again (each SR's every try said it)
        if (!isDiskFull(error)) log.warn(said);
        else if (this.diskFullSaid) log.debug(said);
        else { this.diskFullSaid = true; log.warn(`${said}, every ${Math.round(this.retryAfterDiskFullMs / 1000)} s (said again once they are written)`); this.onChange(null); }
        if (again) this.retryLater();
      }
    } finally {
      await fs.promises.rm(file, { force: true });
    }
  }
}
