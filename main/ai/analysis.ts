// The AI second reader's loop: the models found (bundled with the application and in the library's
// models folder, checked on a worker thread), every breast exam queued for each (ai_jobs, migration
// 0005), the exam a reader opens first (before the next image of an exam under way in the background),
// one image at a time, each through the model on
// a worker thread (image-analysis.ts), and the findings and scores stored with the model's name,
// version, the provider that ran it and the timings. Scores: a breast's is its best image's (the
// image score, or its best finding's), the exam's its best breast's. An image that cannot be read
// (damaged or missing in the store, no pixel spacing) is recorded as such and the others are read;
// the exam fails when none could be. A job that fails keeps its reason; a job of a process that died is queued again; a job a reader cancels stops (its image on the
// worker is abandoned) and its result, if one comes anyway, is dropped. With several models, exams
// show one (shownModel): the one chosen, else the last found.

import type { LibraryDatabase } from '../db/library-database.ts';
import type { AiJob, ClaimedJob, ModelRef, StoredFinding, UnreadImage } from '../db/ai-jobs.ts';
import { AI_CHOSEN_MODEL_SETTING, AI_LAST_FOUND_SETTING, AI_SHOWN_MODEL_SETTING, AI_SHOWN_VERSION_SETTING } from '../db/records.ts';
import { isBusyError, isFullError } from '../db/connection.ts';
import type { StoreLayout } from '../dicom/store.ts';
import type { ModelManifest, ExecutionProvider } from '../../common/ai/model-manifest.ts';
import { showableText } from '../../common/ai/model-manifest.ts';
import type { AiNotAnalysed, ExamDetail, InstanceDetail } from '../../common/domain.ts';
import { breastPlaneSpacing } from '../../common/hanging/scale.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';
import { MODEL_CHANGED_CODES, PIXEL_FAILURE_CODES, UNREADABLE_IMAGE_CODES } from '../../common/ai/not-read.ts';
import { currentOwner, isOwnerAlive } from '../base/process-owner.ts';
import { errorForLog, log } from '../base/log.ts';
import { DISK, ROOM_LOOK_MS, roomMadeSince, type DiskLook } from '../base/disk.ts';
import { InferenceRunner } from './inference.ts';
import type { StartChild } from '../base/child-process.ts';
import { manifestDigest, resultsDigest } from './manifest-digest.ts';
import { MODEL_FAULTS } from '../../common/ai/failure-reason.ts';
import { compareVersions } from './model-discovery.ts';
import { scoreExamImages } from './two-view.ts';
import type { ImageFinding } from './image-analysis.ts';
import type { ReplacedModel } from './model-package.ts';

/** Why a model's analyses wait in this process (AiAnalysis.heldFor). */
export type ModelHold = 'overran' | 'changed';

/** The library setting where a running station notes that it holds a model (AiAnalysis.noteHold): "<why> <owner>". */
const heldBySetting = (model: { id: string; version: string }) => `ai.heldBy:${model.id} ${model.version}`;

/**
 * The library setting where a running station notes the model its "automatic" shows ("<model id> <owner>"):
 * `binome models --show auto` beside it named the last found shown, while the station's models panel
 * (whose automatic is the model it showed since its start, or took from another station) named another,
 * and wrote it back (a probe). Read by automaticModel in a process that only lists the models.
 */
const AUTOMATIC_BY_STATION_SETTING = 'ai.automaticBy';

export interface FoundModel {
  folder: string; manifest: ModelManifest; /** manifest.json's SHA-256 as found. */ manifestSha256: string; provider: ExecutionProvider;
  /** The providers its manifest prefers that could not open it here, and why (their messages, cut short by openSession): a clinic's IT person asked why its GPU was not used (a probe). */
  fallbacks?: { provider: ExecutionProvider; reason: string }[];
}

/** Views a manifest names, as the ACR label's view part (RCC → CC, LMLOID → MLO). */
function viewOf(label: string | null): string | null {
  const m = label ? /^[RL](XCCL|XCCM|MLO|CC|ML|LM)/.exec(label) : null;
  return m ? m[1]! : null;
}

/**
 * Why a model does not read an image, or null when it does: not its presentation intent, view or a
 * breast's image ('view': a spot or magnification view, an image FOR PROCESSING), or pixels coarser
 * than its manifest allows ('pixel-size'). The viewer says so over the image: no mark there is not
 * "nothing found".
 */
export function whyNotRead(image: InstanceDetail, manifest: ModelManifest): AiNotAnalysed['reason'] | null {
  if (!image.isImage || !manifest.input.presentationIntent.includes(image.forProcessing ? 'FOR PROCESSING' : 'FOR PRESENTATION')
    || !manifest.input.views.includes(viewOf(image.viewLabel) as never) || (image.imageLaterality !== 'R' && image.imageLaterality !== 'L')) return 'view';
  // a breast with an implant, where the model leaves such images to the reader: its implant-displaced views are still read
  if (manifest.intendedUse.implants?.use === 'not-analysed' && image.breastImplantPresent === true && !/ID$/.test(image.viewLabel ?? '')) return 'implant';
  const max = manifest.input.maxSourceSpacingMm;
  const spacing = max === undefined ? null : breastPlaneSpacing(image);
  // an image that does not say its spacing fails as such when read (image_no_spacing), as before
  if (spacing && Math.max(spacing.row, spacing.column) > max! * (1 + 1e-6)) return 'pixel-size';
  return null;
}

/** The images of an exam a model reads (whyNotRead). */
export function imagesTheModelReads(detail: ExamDetail, manifest: ModelManifest): InstanceDetail[] {
  return detail.series.flatMap((s) => s.instances).filter((i) => whyNotRead(i, manifest) === null);
}

/** How long an idle loop waits before it looks for exams other processes imported. */
const IDLE_WAKE_MS = 60_000;
/**
 * How often an idle loop looks for jobs queued by another process of the library, and for those of a
 * process that died: a second station idled for a minute while the first worked through an import
 * alone, and took a killed one's exam up 45 s late (a probe). Each look is a read of the queue's
 * index; a write lock is taken only when there is a job to claim or to put back.
 */
const IDLE_POLL_MS = 5_000;
/** How often a station looks whether another process chose another model to show. */
const SHOWN_MODEL_POLL_MS = 2000;

// an analysis records its manifest's digest (manifest-digest.ts); the file's own checksum, which analyses recorded until 2026-12-06, is read as the same manifest
const refOf = ({ manifest, manifestSha256 }: FoundModel): ModelRef => ({
  id: manifest.id, version: manifest.version, sha256: manifest.sha256, manifestSha256: manifestDigest(manifest), manifestFileSha256: manifestSha256, resultsSha256: resultsDigest(manifest),
});
/** A model's id and version as one key (a found model's manifest, or a job's model). */
const modelKey = ({ id, version }: { id: string; version: string }) => `${id} ${version}`;

/**
 * A library that did not answer, said by its code (SQLITE_BUSY, SQLITE_FULL, ENOSPC): what the IT person
 * acts on; its stack, logged every 5 s while it lasts, said nothing more. Anything else with its stack.
 */
export function libraryErrorForLog(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (isBusyError(error) || isFullError(error)) ? code : errorForLog(error);
}

/** Failures of what an exam is (no image the model reads, the exam or its model gone): logged by their code, not as an unexpected error with its stack. */
const EXAM_FAILURES: readonly string[] = ['no_images', 'images_too_coarse', 'exam_gone', 'model_unavailable', ...MODEL_CHANGED_CODES];

/** Runs this process has claimed, over every AiAnalysis it opens (two on one library must not give one owner twice). */
let runsInThisProcess = 0;

/**
 * How long the loop waits after an analysis could not be stored for a full library (SQLITE_FULL,
 * ENOSPC) before it takes the next job: each run until space is freed would be thrown away.
 */
const FULL_RETRY_MS = 30_000;
/** How long the loop waits when the library was busy past its wait (another process's long write). */
const BUSY_RETRY_MS = 5_000;

/**
 * How often a busy station looks for the analyses of a process that died (a read of the running
 * jobs, a look at each owner's process; a write only for one that died): at 30 s, a killed station's
 * exam waited 18–21 s while another station was busy (a probe), against "within seconds" idle.
 */
const ORPHANS_EVERY_MS = 10_000;

/**
 * A write to the library, tried again while another process holds it (each try waits the
 * connection's busy timeout): a result computed over minutes is not thrown away for a lock that
 * lasts a little longer. Other errors, and the last SQLITE_BUSY, pass.
 */
async function whileLibraryBusy<T>(write: () => T, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusyError(error) || attempt >= tries) throw error;
      await new Promise((r) => setTimeout(r, 2000).unref());
    }
  }
}

/**
 * How many exam ids an earlier version's analyses are looked at and kept for at a time
 * (keepEarlierAnalyses): at 90,000 exams, each kept, 22 ms of the main thread a step (29 at most),
 * 8.6 s in all; 2 ms where there is none to keep (npm run bench -- worklist).
 */
export const CARRY_STEP = 250;

/** How long a count of the exams an earlier version of a model analysed (olderVersionAnalysed) is used again. */
const OLDER_COUNT_MS = 20_000;

export class AiAnalysis {
  private readonly runner: InferenceRunner;
  /** olderVersionAnalysed's last count of each model version, when it was made and this version's analyses done then. */
  private readonly olderCounted = new Map<string, { at: number; done: number; value: { version: string; exams: number } | null }>();
  private models: FoundModel[] = [];
  refused: { folder: string; problem: ModelProblem }[] = [];
  /** Models not used because the library holds the same model id (its copy is used instead). */
  replaced: ReplacedModel[] = [];
  /** Whether the models have been found (start has checked them, but those in `checking`). */
  ready = false;
  /** Model folders whose check runs long (set aside, inference.ts): their model is used once it passes. */
  checking: string[] = [];
  private prepared = false;
  /** The earlier versions' analyses being kept (keepEarlierAnalyses), one run after another. */
  private keeping: Promise<void> = Promise.resolve();
  /** Started to list the models only (binome models): nothing analysed, nothing shown of its own. */
  private listOnly = false;
  private closed = false;
  /**
   * The model shown, without a choice, once the first models were found (at start), or as another
   * process started on the library since shows it (prepare's watch): kept shown in this run when a
   * model whose check was set aside is found later and sorts last. Readers saw one model's scores
   * for a minute, then another's. The next start follows the usual rule.
   */
  private shownAtStart: string | null = null;
  private wake: (() => void) | null = null;
  /** The shown-model settings as last seen, and the timer that looks for another process's choice. */
  private seenShown = '';
  private shownWatch: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private readonly current = new AbortController();
  /** The jobs under way in this process, each with what stops it alone (a reader's cancel): one, or
   *  two while an opened exam is analysed between another's images. */
  private readonly running = new Set<{ examId: number; stop: AbortController }>();
  /** Runs whose end could not be written (the library busy past every wait): job id → the run's owner. */
  private readonly unrecorded = new Map<number, string>();
  private orphansSeenAt = 0;
  /** Until when the loop waits, an analysis having met a full library (FULL_RETRY_MS). */
  private fullUntil = 0;
  /** The disk's free bytes when an analysis last could not be stored for a full library (null: not told). */
  private freeWhenFull: number | null = null;
  private readonly disk: DiskLook;
  /** Why the library last failed to answer the loop (its code), said once in the log; null while it answers. */
  private libraryProblem: string | null = null;
  /**
   * Whether the library's disk was full at the loop's last try (at start, or storing a result): the
   * analyses wait for room. Said in the AI models panel and its top-bar button: only the log said it,
   * and the panel read "ready, 0 waiting" (an IT probe).
   */
  libraryFull = false;
  private readonly fullRetryMs: number;
  private unqueuedSeenAt = Date.now();
  private readonly idleWakeMs: number;

  constructor(
    private readonly db: LibraryDatabase,
    private readonly store: StoreLayout,
    private readonly modelRoots: string[],
    /** An exam's analysis changed; null: every exam's shown analysis may have (another model is shown). */
    private readonly onChange: (examId: number | null) => void = () => undefined,
    options: { threads?: number; idleWakeMs?: number; checkAsideMs?: number; checkTimeoutMs?: number; fullRetryMs?: number; runTimeoutMs?: number; startCheckChild?: StartChild; disk?: DiskLook } = {},
  ) {
    this.disk = options.disk ?? DISK;
    this.runner = new InferenceRunner({ threads: options.threads, checkAsideMs: options.checkAsideMs, checkTimeoutMs: options.checkTimeoutMs, runTimeoutMs: options.runTimeoutMs, startCheckChild: options.startCheckChild });
    this.idleWakeMs = options.idleWakeMs ?? IDLE_WAKE_MS;
    this.fullRetryMs = options.fullRetryMs ?? FULL_RETRY_MS;
  }

  /**
   * Finds the models, queues what they have not analysed, and starts working through the queue;
   * with `analyse: false`, only finds them (a command that lists the models or chooses the shown one).
   */
  async start(options: { analyse?: boolean } = {}): Promise<void> {
    this.listOnly = options.analyse === false;
    let found: Awaited<ReturnType<InferenceRunner['discover']>>;
    try {
      found = await this.runner.discover(this.modelRoots, undefined, this.db.ai.modelIds());
    } catch (error) {
      // the AI thread itself could not run (its code could not be loaded): said where a model's
      // refusal is (the AI models panel, its top-bar warning, `binome models`), not left "starting"
      // for ever (a command listing the models waited for good)
      log.error(`AI second reader: no model could be checked: ${errorForLog(error)}`);
      const what = showableText(String((error as Error)?.message ?? error).slice(0, 300));
      const refused = this.modelRoots.slice(0, 1).map((folder) => ({ folder, problem: { code: 'ai_thread_failed' as const, params: { what } } }));
      found = { models: [], refused, replaced: [], checking: [], complete: Promise.resolve({ models: [], refused, replaced: [] }) };
    }
    this.checking = found.checking;
    this.found(found);
    this.shownAtStart = this.models.at(-1)?.manifest.id ?? null;
    // the model found last at the previous start, once its checks had all ended, its check set aside
    // again: shown once it passes (until then, the last found now); without it, a model whose check
    // runs past its patience at every start was never the automatic choice (a probe)
    const lastFound = this.readSetting(AI_LAST_FOUND_SETTING);
    if (found.checking.length && lastFound && !this.models.some((m) => m.manifest.id === lastFound)) this.shownAtStart = lastFound;
    if (!found.checking.length && !this.listOnly) this.rememberLastFound();
    // a command that only lists the models (binome models) says the one the library shows now, where it
    // runs it: it named the last it found, which every station on the library and the worklist did not show (an IT probe)
    if (this.listOnly) this.followLibraryShown();
    this.ready = true;
    // the pages that asked while the models were being found (a window opened at launch) read them again:
    // the worklist's hint said the shipped model was not installed, its flags off, until a reload (a probe)
    this.onChange(null);
    // a folder whose check runs long: the others' models are used meanwhile, its own once it passes
    if (found.checking.length) {
      found.complete.then((all) => {
        if (this.closed) return;
        this.checking = [];
        this.found(all);
        if (!this.listOnly) {
          this.rememberLastFound();
          this.modelsAdded();
        // the library's shown model found late (its check set aside on a loaded machine): named shown now,
        // as where it was found at once (binome models marked the last found shown: a clean-clone run)
        } else this.followLibraryShown();
      }, (error: unknown) => {
        this.checking = [];
        // (the station stopping ends the checks still running: no failure to say, a probe's ERROR and stack at each Ctrl-C)
        if (this.closed) return;
        log.error(`AI second reader: a model's check failed: ${errorForLog(error)}`);
      });
    }
    // a command that only lists the models changes nothing a running station shows
    if (this.listOnly) return;
    this.loop = this.run();
  }

  /** The models found (at start, or once the checks set aside have ended), said in the log where new. */
  private found(found: Pick<Awaited<ReturnType<InferenceRunner['discover']>>, 'models' | 'refused' | 'replaced'>): void {
    // folder names as JSON strings: a name may hold control characters (never written raw to a terminal or log)
    for (const r of found.refused) if (!this.refused.some((e) => e.folder === r.folder && e.problem.code === r.problem.code)) log.warn(`AI model refused (${refusalCode(r.problem)}): ${JSON.stringify(r.folder)}`);
    for (const m of found.models) {
      if (this.models.includes(m)) continue;
      // (the runtime's messages name library files, never patient data; made printable: they quote the model's file)
      const fellBack = (m.fallbacks ?? []).map((f) => `${f.provider} could not be used: ${JSON.stringify(f.reason)}`).join('; ');
      log.info(`AI model ${m.manifest.id} ${m.manifest.version} on ${m.provider}${fellBack ? ` (${fellBack})` : ''}`);
    }
    this.models = found.models;
    this.refused = found.refused;
    this.replaced = found.replaced;
  }

  /**
   * Models found after the loop began (a check set aside): their analyses queued, as at start. Before
   * the library is prepared, prepare does it for every model.
   */
  private modelsAdded(): void {
    if (this.prepared) {
      try {
        for (const m of this.models) {
          this.db.ai.requeueOtherFile(refOf(m));
          this.requeueModelChanged(m);
          this.holdOverran(m);
        }
        this.showModel();
        this.queueNewExams();
        void this.keepEarlierAnalyses(this.models);
      } catch (error) {
        // the library busy: the idle loop's minute look queues them (queueUnqueued)
        log.warn(`AI: the analyses of a model found late could not be queued now (${libraryErrorForLog(error)})`);
      }
    }
    this.onChange(null);
  }

  /**
   * The library's part of starting: the shown model written, the analyses of a process that died or
   * of another file queued again, every exam not analysed queued. Run by the loop before its first
   * job, and again until the library answers: a library busy or full at start threw here once, and
   * the AI never ran in that process, its jobs "queued" for good (a probe).
   */
  private prepare(): void {
    this.showModel();
    this.requeueOrphans();
    // once, at start (models are found then; a read of every job of each model, not at every import)
    for (const m of this.models) {
      const { requeued, kept } = this.db.ai.requeueOtherFile(refOf(m));
      if (requeued) log.warn(`AI model ${m.manifest.id} ${m.manifest.version}: its file or its manifest changed without a new version; ${requeued} analyses made with the other file or manifest queued again`);
      if (kept) log.info(`AI model ${m.manifest.id} ${m.manifest.version}: its manifest's words changed without a new version; ${kept} analyses kept (the same file and settings give the same results)`);
      // installed back over a newer version (a downgrade): said, for the IT person who did it (silent, a probe)
      const newer = this.newerVersionAnalysed(m.manifest);
      if (newer) log.warn(`AI model ${m.manifest.id} ${m.manifest.version}: older than version ${newer}, which analysed exams of this library; exams show this version's analyses, made again where it has none`);
      this.requeueModelChanged(m);
      this.holdOverran(m);
    }
    this.queueNewExams();
    // another process on the library (binome models --show, another window) may choose the shown
    // model: its choice is in the database at once, and this process's pages hear of it here
    // (watched once the rest is done: a start tried again does not watch twice)
    this.seenShown = this.shownSettings();
    let seenChosen = this.db.settings.get(AI_CHOSEN_MODEL_SETTING) ?? '';
    this.shownWatch = setInterval(() => {
      let now: string;
      try {
        // a model chosen elsewhere (binome models --show, another station) is shown here where it runs
        // here; where it does not, this station shows its own again: a CLI that had found a model this
        // station does not run wrote it as the shown one, and every exam's triage score went blank
        // (no analysis of it) until a restart (a probe). Only on a change of the choice: two stations
        // running different models do not take turns rewriting it.
        const chosen = this.db.settings.get(AI_CHOSEN_MODEL_SETTING) ?? '';
        const choiceChanged = chosen !== seenChosen;
        if (choiceChanged) { seenChosen = chosen; this.showModel(); }
        now = this.shownSettings();
        // no choice, and another process started on the library since wrote the model it shows: shown
        // here too where it runs here (written over it, the two would take turns). Every exam's score
        // follows the library's (the worklist's SQL reads it); this station's AI models panel named its
        // own meanwhile, and its exams showed the other's (a probe's two stations, whose starts had set
        // a slow model's check aside once and not the other time).
        if (!choiceChanged && chosen === '' && now !== this.seenShown) this.followLibraryShown();
      } catch {
        return; // the library busy: next time
      }
      if (now !== this.seenShown) { this.seenShown = now; this.onChange(null); }
    }, SHOWN_MODEL_POLL_MS);
    this.shownWatch.unref();
    this.prepared = true;
  }

  /**
   * An earlier version's analyses kept for each model where it gives the same results (its manifest's
   * words alone changed: AiTables.carryOver), in steps of CARRY_STEP exam ids, the event loop free between
   * them (100,000 exams in one read and write held the main thread for seconds); then what is left for it
   * to analyse again, said in the log. Never throws: a library busy meanwhile leaves the rest to be
   * analysed. One model at a time (models found late start another), so that the log counts each whole.
   */
  private keepEarlierAnalyses(models: readonly FoundModel[]): Promise<void> {
    this.keeping = this.keeping.then(() => this.keepEarlierAnalysesNow(models));
    return this.keeping;
  }

  private async keepEarlierAnalysesNow(models: readonly FoundModel[]): Promise<void> {
    for (const m of models) {
      try {
        const { keepNext } = this.db.ai.carryOver(refOf(m));
        let kept = 0;
        for (let step = keepNext(CARRY_STEP); step !== null && !this.closed; step = keepNext(CARRY_STEP)) {
          kept += step;
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (kept) {
          log.info(`AI model ${m.manifest.id} ${m.manifest.version}: ${kept} analyses of an earlier version kept (the same file and settings give the same results; no CAD SR written again)`);
          this.onChange(null);
        }
        if (this.newerVersionAnalysed(m.manifest)) continue;
        const older = this.olderVersionAnalysed(m.manifest, this.db.ai.countsOf(m.manifest).done);
        if (older) log.info(`AI model ${m.manifest.id} ${m.manifest.version}: ${older.exams} exam(s) analysed by version ${older.version} are analysed again under this version; their earlier scores show meanwhile`);
      } catch (error) {
        log.warn(`AI model ${m.manifest.id} ${m.manifest.version}: its earlier version's analyses could not all be kept (${libraryErrorForLog(error)}); the rest are analysed again`);
      }
    }
  }

  /**
   * A model's analyses that failed because its folder changed under a running station (its file
   * damaged or removed, its manifest edited: model_refused, model_changed), queued again now that
   * this very model (id and version; checked at this start) runs here: they lasted "until the
   * station starts again", and then stayed failed.
   */
  private requeueModelChanged(m: FoundModel): void {
    const again = this.db.ai.requeueModelChanged(refOf(m));
    if (again) log.info(`AI model ${m.manifest.id} ${m.manifest.version}: ${again} analyses that failed when its folder changed under a running station queued again`);
  }

  /**
   * A model that ran past its time limit on an image at an earlier start, with this very file and
   * manifest (its failed analysis still failed), is held from the start: its analyses wait. Started
   * again, it ran its queue again, held the AI thread another 5 minutes on the same kind of image
   * (the shown model's new exams waiting behind it) and left a core spinning inside the run, at every
   * start (a vendor's probe: a model that loops on textured images). Analysing that exam again (its
   * failure cleared) lets the next start try the model once more; a new file or version too.
   */
  private holdOverran(m: FoundModel): void {
    const key = modelKey(m.manifest);
    if (this.overran.has(key)) return;
    const last = this.db.ai.lastOverrun(m.manifest);
    if (!last) return;
    this.overran.add(key);
    this.noteHold(m.manifest, 'overran');
    log.warn(`AI model ${m.manifest.id} ${m.manifest.version} ran past its time limit on an image of exam ${last.examId} (${last.finishedAt ?? '?'}) with this file: `
      + 'its analyses wait; analysing that exam again lets the next start try it once more');
  }

  /** Whether this model's analyses wait in this process: its run overran its time limit, here or at an earlier start (holdOverran), or its folder changed under it. */
  isHeld(model: { id: string; version: string }): boolean {
    return this.heldFor(model) !== null;
  }

  /**
   * Why this model's analyses wait in this process: 'overran' (its run overran its time limit), or
   * 'changed' (its folder changed since this process read it: they wait for a station started since).
   * The exams waiting said "queued" while the one whose run met the change said why (a vendor's
   * probe): each says it, by the same words.
   */
  heldFor(model: { id: string; version: string }): ModelHold | null {
    const key = modelKey(model);
    return this.overran.has(key) ? 'overran' : this.changed.has(key) ? 'changed' : null;
  }

  /**
   * Why a station running on the library holds this model (its note, its process alive), for a process
   * that only lists the models (binome models); null in a station, which answers for itself (heldFor).
   * `binome models` said a model was fine that the running station held, its folder changed under it, or
   * overran and since analysed again (a probe).
   */
  heldByRunningStation(model: { id: string; version: string }): ModelHold | null {
    if (!this.listOnly) return null;
    const [why, owner] = this.readSetting(heldBySetting(model))?.split(' ') ?? [];
    return (why === 'overran' || why === 'changed') && owner !== undefined && isOwnerAlive(owner) ? why : null;
  }

  /** Notes this station's hold of a model in the library, for the commands that list the models (heldByRunningStation). */
  private noteHold(model: { id: string; version: string }, why: ModelHold): void {
    if (this.listOnly) return;
    try {
      this.db.settings.set(heldBySetting(model), `${why} ${currentOwner()}`);
    } catch (error) {
      log.debug(`AI: the hold of ${model.id} ${model.version} could not be noted in the library (${libraryErrorForLog(error)})`);
    }
  }

  get availableModels(): readonly FoundModel[] {
    return this.models;
  }

  /**
   * The model exams show (their score, marks and the worklist's triage), whichever model ran last:
   * the one chosen in the AI models panel where it runs here, else the last found (the library's
   * over the application's, by folder name within a folder) when this run began: a model found
   * later in the run (its check set aside) does not take its place until the next start; the one
   * another process started on the library since shows, where it runs here (prepare's watch).
   */
  get shownModel(): FoundModel | undefined {
    const chosen = this.db.settings.get(AI_CHOSEN_MODEL_SETTING);
    return this.models.find((m) => m.manifest.id === chosen) ?? this.automaticModel();
  }

  /**
   * The model "automatic" shows now, the one function behind the station's models panel and `binome
   * models`: in a station, the one it showed since its start (or took from another station); in a process
   * that only lists the models, the one a station running on the library notes as its automatic
   * (noteAutomatic), where it runs here, else the last found (as a station's next start shows).
   */
  automaticModel(): FoundModel | undefined {
    return this.models.find((m) => m.manifest.id === this.shownAtStart) ?? this.models.at(-1);
  }

  /** The model a station running on the library notes as its automatic choice, where its process is alive; null where none. */
  private runningStationAutomatic(): string | null {
    const [id, owner] = this.readSetting(AUTOMATIC_BY_STATION_SETTING)?.split(' ') ?? [];
    return id && owner !== undefined && isOwnerAlive(owner) ? id : null;
  }

  /** Notes this station's automatic choice in the library (runningStationAutomatic), for the commands that list the models. */
  private noteAutomatic(): void {
    if (this.listOnly) return;
    const id = this.automaticModel()?.manifest.id;
    if (!id) return;
    try {
      this.db.settings.setChanged({ [AUTOMATIC_BY_STATION_SETTING]: `${id} ${currentOwner()}` });
    } catch (error) {
      log.debug(`AI: the automatic choice could not be noted in the library (${libraryErrorForLog(error)})`);
    }
  }

  /**
   * Chooses the model exams show (null: the last found). The choice is kept in the library: a model
   * chosen and later removed is shown again once it is back. Returns false, changing nothing, for a
   * model that does not run here.
   */
  choose(modelId: string | null): boolean {
    if (modelId !== null && !this.models.some((m) => m.manifest.id === modelId)) return false;
    this.db.settings.set(AI_CHOSEN_MODEL_SETTING, modelId ?? '');
    // "automatic" asked for where this process only lists models: the last found, as a station's start
    // shows (it kept the library's shown model, the old choice: `binome models --show auto` named it
    // shown beside "exams show the last model found", a probe). A station keeps the model it showed
    // since start, or took from another station (two stations would otherwise take turns).
    // Beside a running station, its automatic (noted by it): the last found named here, the station wrote
    // back its own at once, and its panel and this command named different models (a probe).
    if (modelId === null && this.listOnly) {
      const running = this.runningStationAutomatic();
      this.shownAtStart = running && this.models.some((m) => m.manifest.id === running) ? running : this.models.at(-1)?.manifest.id ?? null;
    }
    this.showModel();
    this.seenShown = this.shownSettings(); // the caller tells its pages
    return true;
  }

  private shownSettings(): string {
    return [AI_CHOSEN_MODEL_SETTING, AI_SHOWN_MODEL_SETTING, AI_SHOWN_VERSION_SETTING].map((key) => this.db.settings.get(key) ?? '').join('\n');
  }

  /**
   * The newest earlier version of this model that analysed exams of this library this one has not, and
   * how many: they are analysed again under this one (an upgrade), their earlier scores shown meanwhile.
   * Said nowhere, an upgrade queued a whole library again in silence (an IT person's probe). Null where none.
   * `doneNow`: this version's analyses done (countsOf), which its callers have read already.
   */
  olderVersionAnalysed(manifest: Pick<ModelManifest, 'id' | 'version'>, doneNow: number): { version: string; exams: number } | null {
    // counted again at most every OLDER_COUNT_MS (at 100,000 exams a count takes the main thread 90–160 ms,
    // and the models panel, open, asks every 2 s while analyses end); meanwhile, less the exams this
    // version has analysed since (exact while it analyses those again, as it does first)
    const key = `${manifest.id}\n${manifest.version}`;
    const kept = this.olderCounted.get(key);
    if (kept && Date.now() - kept.at < OLDER_COUNT_MS) {
      const exams = kept.value ? Math.max(0, kept.value.exams - (doneNow - kept.done)) : 0;
      return kept.value && exams > 0 ? { version: kept.value.version, exams } : null;
    }
    const older = this.db.ai.versionsDone(manifest.id).filter((v) => compareVersions(v, manifest.version) < 0);
    const exams = older.length === 0 ? 0 : this.db.ai.examsDoneOnlyBy(manifest.id, older, manifest.version);
    const value = exams === 0 ? null : { version: older.reduce((a, v) => (compareVersions(v, a) > 0 ? v : a)), exams };
    this.olderCounted.set(key, { at: Date.now(), done: doneNow, value });
    return value;
  }

  /** The newest version of this model (its id) that analysed exams of the library, where it is newer than this one (a downgrade); else null. */
  newerVersionAnalysed(manifest: Pick<ModelManifest, 'id' | 'version'>): string | null {
    const newest = this.db.ai.versionsDone(manifest.id).reduce<string | null>((a, v) => (a === null || compareVersions(v, a) > 0 ? v : a), null);
    return newest !== null && compareVersions(newest, manifest.version) > 0 ? newest : null;
  }

  /** A setting, or null where the library cannot be read now (busy): nothing of it is needed to start. */
  private readSetting(key: string): string | null {
    try {
      return this.db.settings.get(key) || null;
    } catch {
      return null;
    }
  }

  /** Keeps the model found last, every check ended, for the next start's automatic choice (AI_LAST_FOUND_SETTING). */
  private rememberLastFound(): void {
    try {
      this.db.settings.set(AI_LAST_FOUND_SETTING, this.models.at(-1)?.manifest.id ?? '');
    } catch (error) {
      log.warn(`AI: the model found last could not be kept for the next start (${libraryErrorForLog(error)})`);
    }
  }

  /** Takes the model the library shows (as another process wrote it) as this run's default, where it runs here. */
  private followLibraryShown(): void {
    const inLibrary = this.db.settings.get(AI_SHOWN_MODEL_SETTING);
    if (this.models.some((m) => m.manifest.id === inLibrary)) this.shownAtStart = inLibrary!;
    this.noteAutomatic();
  }

  /** Writes the shown model and its version where the worklist's SQL reads them (every exam's triage score follows: migrations 0010, 0015). */
  private showModel(): void {
    const shown = this.shownModel;
    // not a version whose folder changed under this station (held: 'changed'): another station that
    // read the folder since runs the version there now, and shows it; written back here, it hid that
    // station's results on every station, the worklist "queued" for good, when the model was chosen
    // here (a vendor's probe)
    if (shown && !this.changed.has(modelKey(shown.manifest))) this.db.settings.setChanged({ [AI_SHOWN_MODEL_SETTING]: shown.manifest.id, [AI_SHOWN_VERSION_SETTING]: shown.manifest.version });
    this.noteAutomatic();
  }

  /** Queues the exams no model has analysed yet (after an import) and wakes the loop. */
  queueNewExams(): void {
    // the shown model's jobs first: of one exam's jobs the one queued first runs first (claimNext), its triage score before the other models' analyses
    const shown = this.shownModel;
    for (const m of [...this.models].sort((a, b) => Number(b === shown) - Number(a === shown))) this.db.ai.enqueueAll(refOf(m));
    this.wake?.();
  }

  /** The exams without a job of a model found here (imported by another process), queued; a read first, so a minute's check writes nothing when there are none. */
  private queueUnqueued(): void {
    if (!this.models.some((m) => this.db.ai.hasUnqueued(refOf(m)))) return;
    log.info('AI: exams imported by another process queued');
    this.queueNewExams();
  }

  /** The exam a reader opens goes first. */
  prioritize(examId: number): void {
    for (const m of this.shownLast()) this.db.ai.prioritize(examId, refOf(m));
    this.wake?.();
  }

  /** Queues the exam again, first in line, after a cancel or a failure; returns whether any of its analyses was queued (none: all done already). */
  requeue(examId: number): boolean {
    let queued = false;
    for (const m of this.shownLast()) queued = this.db.ai.requeue(examId, refOf(m)) || queued;
    this.wake?.();
    return queued;
  }

  /**
   * The models, the shown one last: each job put first in line goes above those before it, so the
   * analysis the reader sees (the shown model's) runs first of an exam's.
   */
  private shownLast(): FoundModel[] {
    const shown = this.shownModel;
    return [...this.models].sort((a, b) => Number(a === shown) - Number(b === shown));
  }

  /** Cancels the exam's queued or running jobs; the one running here stops now. Returns how many were cancelled. */
  cancel(examId: number): number {
    const cancelled = this.db.ai.cancel(examId);
    for (const r of this.running) if (r.examId === examId) r.stop.abort();
    return cancelled;
  }

  /** Waits, or less where the station closes meanwhile (close wakes it); true where it was woken before its time. */
  private pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = null; resolve(false); }, ms);
      timer.unref();
      this.wake = () => { clearTimeout(timer); this.wake = null; resolve(true); };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.shownWatch) clearInterval(this.shownWatch);
    // its automatic choice no longer holds: the next start's is the last found
    if (!this.listOnly) {
      try {
        if (this.readSetting(AUTOMATIC_BY_STATION_SETTING)?.endsWith(` ${currentOwner()}`)) this.db.settings.set(AUTOMATIC_BY_STATION_SETTING, '');
      } catch { /* the library busy or closed: the note names a process that will be gone */ }
    }
    this.current.abort();
    this.wake?.();
    // the models' checks first: nothing to save there, and a greedy one held its memory while the
    // analysis under way was waited for (5–7 s, a probe)
    this.runner.stopChecks();
    await this.loop?.catch(() => undefined);
    // runs whose end could not be written, tried once more: not left running under this process
    this.releaseUnrecorded();
    await this.runner.close();
  }

  private async run(): Promise<void> {
    for (let prepared = false; !prepared && !this.closed;) {
      try {
        this.prepare();
        prepared = true;
        this.libraryAnswers();
      } catch (error) {
        await this.libraryFailed('the library could not be prepared', error);
      }
    }
    // before the first job: an exam about to be kept is not analysed again here
    await this.keepEarlierAnalyses(this.models);
    while (!this.closed) {
      try {
        await this.runNext();
        this.libraryAnswers();
      } catch (error) {
        // the library busy past its wait (another process's long write), or its disk full (taking a job writes: it read "could not be read", a probe): the loop lives on
        await this.libraryFailed('the next job could not be taken from the queue', error);
      }
    }
  }

  /**
   * The library did not answer the loop: said in the log once, not at every try (a station left on a
   * full disk wrote the same SQLITE_FULL line every 5 s, 17,000 a day), again when the reason changes,
   * and once more when it answers; a full disk is tried again less often than a busy library, which
   * another process frees within seconds.
   */
  private async libraryFailed(what: string, error: unknown): Promise<void> {
    const reason = libraryErrorForLog(error);
    const waitMs = isFullError(error) ? this.fullRetryMs : BUSY_RETRY_MS;
    if (reason !== this.libraryProblem) {
      log.warn(`AI: ${what} now (${reason}); trying again every ${Math.max(1, Math.round(waitMs / 1000))} s, said again when it changes`);
      this.libraryProblem = reason;
      this.setLibraryFull(isFullError(error));
      if (isFullError(error)) this.freeWhenFull = this.disk.freeBytes(this.store.root);
    }
    // a full disk: tried again as soon as room is made, not at the end of the wait (the panel's notice stayed
    // 39 s after IT freed space on this path, a probe); it goes once the library answers (libraryAnswers)
    if (isFullError(error)) await this.pauseForRoom(waitMs);
    else await this.pause(waitMs);
  }

  /** The bytes freed on the disk since the library was last found full, where enough to go on (roomMadeSince); else null. */
  private roomMade(): number | null {
    return roomMadeSince(this.freeWhenFull, this.store.root, this.disk);
  }

  /** Waits `ms`, looking at the disk every ROOM_LOOK_MS: less where room is made meanwhile, or the loop is woken (closed, a job). */
  private async pauseForRoom(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.closed && Date.now() < until) {
      if (await this.pause(Math.min(ROOM_LOOK_MS, until - Date.now())) || this.roomMade() !== null) return;
    }
  }

  private setLibraryFull(full: boolean): void {
    if (full === this.libraryFull) return;
    this.libraryFull = full;
    this.onChange(null);
  }

  /**
   * The library answers the loop again after it did not: said once, at the warning's level (said as
   * information, it never showed where the warning did: `binome serve` logs warnings only, a probe).
   */
  private libraryAnswers(): void {
    if (this.libraryProblem === null) return;
    log.warn(`AI: the library answers again (it did not: ${this.libraryProblem}); the queue goes on`);
    this.libraryProblem = null;
    this.setLibraryFull(false);
  }

  private async runNext(): Promise<void> {
    // the library full at the last store: a while before the next run (which would be thrown away too)
    const full = this.fullUntil - Date.now();
    if (full > 0) {
      await this.pause(Math.min(full, ROOM_LOOK_MS));
      const freed = this.roomMade();
      if (freed !== null) {
        // said at once, in the log and the AI models panel: its "disk full" stayed until the next result was
        // stored, minutes with a slow model (a probe)
        this.fullUntil = 0;
        log.warn(`AI: the library's disk has room again (${Math.round(freed / (1 << 20))} MB more free); the queue goes on`);
        this.setLibraryFull(false);
      }
      return;
    }
    // one job, claimed and run; or a wait for one
    this.releaseUnrecorded();
    this.takeUpOrphans();
    const job = this.db.ai.claimNext(this.runOwner(), this.modelRefs(), { shownFirst: this.shownRef() });
    if (!job) {
      // an analysis another process of the library left running when it was killed is taken up
      // (it showed "analysing" until some station started again)
      if (this.takeUpOrphans(true)) return;
      // nothing to do: wait for an import, an opened exam, or a few seconds (then jobs other processes
      // queued, or left by dying, are claimed above); each minute, the exams another process of the
      // library imported or received meanwhile are queued (its imports do not wake this loop: a
      // station left serving showed them unanalysed until a reader opened one)
      let timer: NodeJS.Timeout | undefined;
      const woken = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(true);
        timer = setTimeout(() => resolve(false), Math.min(this.idleWakeMs, IDLE_POLL_MS)).unref();
      });
      clearTimeout(timer);
      this.wake = null;
      if (!woken && !this.closed && Date.now() - this.unqueuedSeenAt >= this.idleWakeMs) {
        this.unqueuedSeenAt = Date.now();
        this.queueUnqueued();
      }
      return;
    }
    // an exam a reader opened (or asked for again) is not interrupted for another she opens: it
    // ends first, then the others first in line, the last opened first (an earlier opening waits
    // while the reader opens others: they are the exams on her screen)
    await this.execute(job, job.priority === 0);
  }

  /**
   * A job this process runs, queued again as the station closes: left running under a process that
   * is gone, it showed "analysing" to the library's other stations and to `binome list` until some
   * station started again and took it up (a probe: job 233 after a SIGINT). A result stored before
   * the close stays (only a running job is given back). The library busy: the next start takes it up.
   */
  private giveBack(job: ClaimedJob): void {
    try {
      this.db.ai.release(job.id, job.owner);
    } catch (error) {
      log.warn(`AI: the analysis of exam ${job.examId}, cut short by the close, could not be queued again (${libraryErrorForLog(error)}); the next start takes it up`);
    }
  }

  /** Jobs whose end could not be written (the library busy): queued again as soon as it answers. */
  private releaseUnrecorded(): void {
    for (const [id, owner] of this.unrecorded) {
      try {
        this.db.ai.release(id, owner);
        this.unrecorded.delete(id);
      } catch { /* still busy: next time */ }
    }
  }

  /**
   * The analyses of processes that are gone queued again; said in the log: taken back in silence, two
   * stations in other containers on one library took each other's analyses every few seconds and
   * nothing said why (an IT person's probe; README: a library's processes run on one computer).
   */
  private requeueOrphans(): number {
    const taken = this.db.ai.requeueOrphans(isOwnerAlive);
    if (taken) log.warn(`AI: ${taken} ${taken === 1 ? 'analysis' : 'analyses'} left running by a process that no longer runs on this computer queued again (a process of another computer or container sharing the library looks so too: not supported)`);
    return taken;
  }

  /**
   * The analyses of a process that died, queued again (an exam a reader opened among them, first in
   * line still); how many. At most every 10 s unless `now` (the loop idle): a busy station took them up only once its queue was
   * empty, hours with a large one, the opened exam showing "analysing" all along.
   */
  private takeUpOrphans(now = false): number {
    if (!now && Date.now() - this.orphansSeenAt < ORPHANS_EVERY_MS) return 0;
    this.orphansSeenAt = Date.now();
    try {
      return this.requeueOrphans();
    } catch {
      return 0; // the library busy: next time
    }
  }

  /**
   * The owner of one run: this process and the run's number. A run cancelled while its model still
   * computed ends after the reader asked again and a new run of the same job began; with the process
   * alone as owner, the old run's result was stored as the new one's, and each wrote its CAD SR (two
   * SRs of one analysis, both sent on). isOwnerAlive reads the process from it.
   */
  private runOwner(): string {
    return `${currentOwner()}:${++runsInThisProcess}`;
  }

  /**
   * The models whose jobs this process runs: not one whose run overran its time limit. Such a run
   * cannot be interrupted (onnxruntime aborts the process when its thread is stopped inside it), so
   * its thread stays inside it, maybe for ever; a second such run took the last thread the pool may
   * start, and every other model's analyses then waited their 5 minutes for a thread and failed (a
   * probe: a dropped-in model that hangs on some images). Its jobs stay queued, held at the next start
   * too until that exam is analysed again (holdOverran).
   */
  private modelRefs(): ModelRef[] {
    return this.models.filter((m) => !this.overran.has(modelKey(m.manifest)) && !this.changed.has(modelKey(m.manifest))).map((m) => refOf(m));
  }

  /** Models (id and version) whose run overran in this process, or at an earlier start with the same file (holdOverran): not run here. */
  private readonly overran = new Set<string>();
  /** Models (id and version) whose folder changed since this process read it (model_changed, model_refused): not run again here. */
  private readonly changed = new Set<string>();
  /** Models (id and version) an unexpected failure of which was logged with its stack in this process. */
  private readonly stackLogged = new Set<string>();

  private shownRef(): ModelRef | undefined {
    const shown = this.shownModel;
    return shown && refOf(shown);
  }

  /**
   * Runs a claimed job to its end: stored, failed with its reason, or dropped when cancelled. Cut
   * short by the station closing, it goes back to the queue (see giveBack). `mayYield`: between
   * two of its images, the exams readers have opened meanwhile are analysed first (see yieldToOpened).
   */
  private async execute(job: ClaimedJob, mayYield: boolean): Promise<void> {
    // running before anyone hears of it: a cancel from then on stops this job
    const running = { examId: job.examId, stop: new AbortController() };
    this.running.add(running);
    this.onChange(job.examId);
    try {
      await this.analyze(job, AbortSignal.any([this.current.signal, running.stop.signal]), mayYield);
    } catch (error) {
      if (this.closed) {
        this.giveBack(job);
        return;
      }
      if (running.stop.signal.aborted) {
        log.info(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} cancelled`);
        return; // its row says cancelled already; the cancel told the readers
      }
      if ((error as { code?: string })?.code === 'no_thread') {
        // no thread came free for it (those there inside runs that overran): it never ran, and is
        // queued again rather than failed as the model's timeout
        log.warn(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} waited for a thread that did not come free; queued again`);
        this.unrecorded.set(job.id, job.owner);
        this.releaseUnrecorded();
      } else if (isBusyError(error)) {
        // the library held by another process past every wait: not the exam's failure; its job is
        // queued again once the library answers (its result, if it had one, is computed again)
        log.warn(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} not stored: the library stayed busy; queued again later`);
        this.unrecorded.set(job.id, job.owner);
      } else if (isFullError(error)) {
        // the library's disk full: not the exam's failure either (it was recorded as a lasting one,
        // SQLITE_FULL, and never tried again once space was freed); given back to the queue, and the
        // loop waits a while before its next run
        log.warn(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} not stored: the library is full (${libraryErrorForLog(error)}); queued again, next try in ${Math.round(this.fullRetryMs / 1000)} s`);
        this.unrecorded.set(job.id, job.owner);
        this.releaseUnrecorded();
        this.fullUntil = Date.now() + this.fullRetryMs;
        this.freeWhenFull = this.disk.freeBytes(this.store.root);
        this.setLibraryFull(true);
      } else {
        const code = (error as { code?: string })?.code ?? 'analysis_failed';
        const view = (error as { view?: string })?.view;
        // its folder holds another model, or its manifest was edited, since this process read it: not
        // run here again (a process left running with the old manifest went on claiming the model's new
        // exams and failing each for good, while a process started since ran them: a probe); its jobs
        // wait for a process that read the folder as it is now (this one, started again)
        if ((code === 'model_changed' || code === 'model_refused') && !this.changed.has(modelKey(job.model))) {
          this.changed.add(modelKey(job.model));
          this.noteHold(job.model, 'changed');
          log.warn(`AI model ${job.model.id} ${job.model.version}: its folder changed since this station started; its analyses (exam ${job.examId}'s among them) wait until this station is started again, or run on a station of the library started since`);
        }
        // a failure of an image, said by its code and view (the IT person's words for it); anything
        // else is unexpected, and its stack says where
        // an unexpected error's stack once per model in this process: a model that fails every exam
        // wrote seven lines an exam, a large library's log flooded (a probe)
        const firstOfModel = !this.stackLogged.has(modelKey(job.model));
        this.stackLogged.add(modelKey(job.model));
        // a model's own fault said as one, and where its words are (the line named a code IT could not tell
        // from a station's fault: a probe; its words are the model's, kept out of the log)
        const modelFault = MODEL_FAULTS.includes(code) ? ': a fault of the model, to tell whoever supplied it (its words: `binome models`, the AI models panel)' : '';
        log.warn(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} failed: ${view !== undefined ? `${code} (${viewForLog(view)})${modelFault}` : EXAM_FAILURES.includes(code) ? code
          : firstOfModel ? errorForLog(error) : `${code} (as before with this model; its stack was logged then)`}`);
        try {
          await whileLibraryBusy(() => this.db.ai.fail(job.id, job.owner, code, String((error as Error)?.message ?? error).slice(0, 300)));
        } catch (recordError) {
          log.warn(`AI: the failure of exam ${job.examId} could not be recorded (${libraryErrorForLog(recordError)}); queued again later`);
          this.unrecorded.set(job.id, job.owner);
        }
      }
    } finally {
      this.running.delete(running);
    }
    this.onChange(job.examId);
  }

  /**
   * The exams a reader opened (or asked to analyse again) while another exam was being analysed, run
   * before that exam's next image: a model slow enough to take a minute an exam kept the opened exam
   * waiting for the whole of the other. The interrupted exam keeps what its images gave so far.
   */
  private async yieldToOpened(paused: ClaimedJob): Promise<void> {
    // said while it waits: the worklist and its AI panel read "paused", not a second "analysing"
    const mark = (on: boolean) => {
      try {
        this.db.ai.setPaused(paused.id, paused.owner, on);
        this.onChange(paused.examId);
      } catch { /* the library busy: a word on screen, not worth holding the analysis for */ }
    };
    mark(true);
    try {
      await this.runOpened(paused);
    } finally {
      mark(false);
    }
  }

  private async runOpened(paused: ClaimedJob): Promise<void> {
    while (!this.closed && this.fullUntil <= Date.now()) {
      let job: ClaimedJob | null;
      try {
        // the exams opened after it was paused, the last first: the paused exam opened meanwhile goes on before those opened earlier
        job = this.db.ai.claimNext(this.runOwner(), this.modelRefs(), { firstInLineAbove: paused, shownFirst: this.shownRef() });
      } catch (error) {
        // the library busy (a large import in another process): the running exam goes on, the
        // opened one is taken at its next image or next in line; not a failure of the running exam
        log.warn(`AI: the exams opened meanwhile could not be taken now: ${errorForLog(error)}`);
        return;
      }
      if (!job) return;
      await this.execute(job, false);
    }
  }

  /** Whether this process still holds a job it runs (a read; the library busy: it does, until the next image). */
  private stillHeld(job: ClaimedJob): boolean {
    try {
      return this.db.ai.holds(job.id, job.owner);
    } catch {
      return true;
    }
  }

  /** Whether an exam opened or asked for again waits (in this process or another on the library). */
  private openedWaiting(running: AiJob): boolean {
    this.takeUpOrphans();
    try {
      return this.db.ai.firstInLineWaiting(this.modelRefs(), running);
    } catch {
      return false; // the library busy: asked again at the next image
    }
  }

  private async analyze(job: ClaimedJob, signal: AbortSignal, mayYield: boolean): Promise<void> {
    const model = this.models.find((m) => m.manifest.id === job.model.id && m.manifest.version === job.model.version);
    if (!model) throw Object.assign(new Error('the model is no longer available'), { code: 'model_unavailable' });
    const manifest = model.manifest;
    const detail = this.db.worklist.examDetail(job.examId);
    if (!detail) throw Object.assign(new Error('the exam is no longer in the library'), { code: 'exam_gone' });
    const images = imagesTheModelReads(detail, manifest);
    if (!images.length) {
      // a reduced copy of a screening exam: its four views are the model's, their pixels are not
      const coarse = detail.series.some((s) => s.instances.some((i) => whyNotRead(i, manifest) === 'pixel-size'));
      if (coarse) throw Object.assign(new Error(`the images' pixels are coarser than the ${manifest.input.maxSourceSpacingMm} mm the model reads`), { code: 'images_too_coarse' });
      throw Object.assign(new Error('no image of the exam is one the model reads (views, laterality, presentation intent)'), { code: 'no_images' });
    }
    const floor = Math.min(...manifest.calibration.operatingPoints.map((p) => p.threshold));
    // weighed across views, a finding's partner in the other view may score below what is shown
    const readFloor = Math.min(floor, manifest.output.twoView?.partnerFloor ?? floor);
    // each thread checks that the model's folder still holds this model (inference.worker.ts)
    const expected = { id: manifest.id, version: manifest.version, manifestDigest: manifestDigest(manifest), resultsDigest: resultsDigest(manifest) };
    const timings = { decodeMs: 0, preprocessMs: 0, modelMs: 0, postprocessMs: 0, loadMs: 0 };
    const read: { image: InstanceDetail; laterality: 'R' | 'L'; viewLabel: string | null; findings: ImageFinding[]; imageScore: number }[] = [];
    // an image that cannot be read leaves the others to read: the exam fails only when none could be
    const unreadImages: UnreadImage[] = [];
    let firstFailure: unknown = null;
    let provider = model.provider as string;
    for (const [n, image] of images.entries()) {
      if (mayYield && n > 0 && this.openedWaiting(job)) {
        await this.yieldToOpened(job);
        signal.throwIfAborted(); // cancelled, or the station closing, while the opened exams ran
      }
      if (n > 0 && !this.stillHeld(job)) {
        // cancelled in another process of the library (its cancel reaches only its own runs), or
        // taken up by another after this one was thought dead: the rest of the exam is not computed
        log.info(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} stopped: cancelled or taken up by another process`);
        return;
      }
      const file = this.db.worklist.instanceFile(image.instanceId);
      let result: Awaited<ReturnType<InferenceRunner['analyzeImage']>>;
      try {
        if (!file) throw Object.assign(new Error('no file in the library'), { code: 'ENOENT' });
        result = await this.runner.analyzeImage({ file: this.store.pathFor(file.fileHash), modelFolder: model.folder, floor: readFloor, expected }, { signal });
      } catch (error) {
        if ((error as { code?: string })?.code === 'timeout') {
          this.overran.add(modelKey(manifest));
          this.noteHold(manifest, 'overran');
          // (in the words of the exam's failure: this line said "analysed again" alone, a probe)
          log.warn(`AI model ${manifest.id} ${manifest.version} ran past ${Math.round(this.runner.runTimeoutMs / 1000)} s on an image of exam ${job.examId}: `
            + 'its analyses wait until that exam is analysed again and the station starts again (a run that cannot be interrupted holds its thread); the other models go on');
          // said as the model's, with the view: not "analyzeImage took longer than 300 s and was stopped" (it goes on)
          const view = image.viewLabel ?? image.imageLaterality ?? '?';
          throw Object.assign(new Error(`${view}: the model ran longer than ${Math.round(this.runner.runTimeoutMs / 1000)} s on this image; its analyses wait until this exam is analysed again and the station starts again`), { code: 'timeout', view });
        }
        if ((error as { code?: string })?.code === 'no_thread') throw error; // not the exam's failure: queued again (execute)
        const failure = imageFailure(error, image);
        if (!isUnreadableImage(failure)) throw failure;
        log.warn(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version}: ${failure.code} (${viewForLog(failure.view)}); the exam's other images are tried`);
        unreadImages.push({ instanceId: image.instanceId, view: failure.view, code: failure.code });
        firstFailure ??= failure;
        continue;
      }
      provider = result.provider;
      for (const key of Object.keys(result.timings) as (keyof typeof result.timings)[]) timings[key] += result.timings[key];
      timings.loadMs += result.loadMs;
      read.push({ image, laterality: image.imageLaterality as 'R' | 'L', viewLabel: image.viewLabel, findings: result.findings, imageScore: result.imageScore });
    }
    // not one image read: the exam's failure is its first image's (said with its view, as before)
    if (unreadImages.length === images.length) throw firstFailure;
    const findings: StoredFinding[] = [];
    const breastScores: Partial<Record<'R' | 'L', number>> = {};
    for (const [i, scored] of scoreExamImages(read, manifest.output, floor).entries()) {
      const { image, laterality } = read[i]!;
      // on the model's own scale: its minimum, not 0, is "nothing found" (a logit scale runs below 0, an ordinal one starts at 1)
      breastScores[laterality] = Math.max(breastScores[laterality] ?? -Infinity, scored.imageScore);
      for (const f of scored.findings) findings.push({ instanceId: image.instanceId, class: f.class, score: f.score, x: f.x, y: f.y, box: f.box });
    }
    const examScore = Math.max(model.manifest.output.scoreScale.min, ...Object.values(breastScores));
    const result = { provider, timings, examScore, breastScores, images: images.length - unreadImages.length, findings, unreadImages };
    if (!await whileLibraryBusy(() => this.db.ai.complete(job.id, job.owner, result))) {
      log.info(`AI analysis of exam ${job.examId} by ${job.model.id} ${job.model.version} ended after it was cancelled: result dropped`);
    }
    // stored: the library has room again
    this.setLibraryFull(false);
  }
}

/**
 * A failure on one image, said so the reader can act: the image could not be read (damaged in the
 * store, or pixel data the station cannot decode), or it was missing from the store, or the model
 * gave an output its manifest does not allow or stopped with an error on it; with the view,
 * which the reader's words name. Other failures (the model, the thread) pass as they are.
 */
function imageFailure(error: unknown, image: { viewLabel: string | null; imageLaterality: string | null }): unknown {
  const e = error as { name?: string; code?: string; message?: string };
  // the ACR view label (RMLO, LCC, RXCCL…), which carries the laterality
  const view = image.viewLabel ?? image.imageLaterality ?? '?';
  const failure = (code: string, said = e?.message) => Object.assign(new Error(`${view}: ${said}`), { code, view });
  if (e?.name === 'PixelDataError') {
    // what the image is, not damage (no pixel spacing for a model in millimetres, an input of gigabytes,
    // no breast, a breast larger than a fixed input); anything else it says is damage
    return failure((e.code && PIXEL_FAILURE_CODES[e.code]) || 'image_unreadable');
  }
  if (e?.name === 'DicomParseError') return failure('image_unreadable');
  if (e?.code === 'model_output_invalid' || e?.code === 'model_run_failed') return failure(e.code);
  if (e?.code === 'ENOENT' || e?.code === 'EISDIR') return failure('image_missing', 'not in the store');
  return error;
}

/** A failure of one image (UNREADABLE_IMAGE_CODES): the exam's other images are still read. */
function isUnreadableImage(failure: unknown): failure is Error & { code: string; view: string } {
  const f = failure as { code?: unknown; view?: unknown } | null;
  return typeof f?.code === 'string' && (UNREADABLE_IMAGE_CODES as readonly string[]).includes(f.code) && typeof f.view === 'string';
}

/** A view label as the log may carry it (letters only: the label is the station's own, but never quoted raw), else '?'. */
const viewForLog = (view: string | undefined) => (view && /^[A-Z]{1,12}$/.test(view) ? view : '?');

/**
 * A refusal's code for the log, with its kind where the code covers several (tensor_mismatch:
 * output_not_finite read as a wrong output name to an IT person reading the log alone, a probe).
 * Codes and kinds only: the message's parameters may hold a manifest's text.
 */
export function refusalCode(problem: ModelProblem): string {
  const kind = problem.params?.kind;
  return typeof kind === 'string' && /^[a-z_]{1,40}$/.test(kind) ? `${problem.code}: ${kind}` : problem.code;
}
