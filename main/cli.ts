// The command line: binome import | list | serve, each with --help and --library.
// Exit codes: 0 success, 1 failure, 2 wrong usage, 3 finished but some files were rejected, missing or not files;
// an import stopped by a signal 128 + its number (130 Ctrl+C, 143 SIGTERM, 129 SIGHUP), what it stored kept.

import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { modelCaveat, modelCaveatInEnglish } from '../common/ai/model-caveat.ts';
import type { ModelCaveat } from '../common/ai/model-caveat.ts';
import type { ExamSummary, ImportProgress, ImportSummary, UnfinishedImport } from '../common/domain.ts';
import { describeProblem } from '../common/import-problems.ts';
import { describeModelProblem } from '../common/ai/model-problems.ts';
import { failureReason, isKnownFailure } from '../common/ai/failure-reason.ts';
import { describeImportSummary } from '../common/import-summary.ts';
import { formatPersonNames, translate } from '../common/i18n/messages.ts';
import { StationService } from './service/station.ts';
import { CLI_TEXT, cliLocale, formatBytes as bytesIn, formatDecimal } from './cli-text.ts';
import { DEFAULT_DEMO_OPTIONS, TRANSFER_SYNTAXES, markDemoPriorsRead, writeDemoExams } from './service/demo.ts';
import type { DemoOptions, TransferSyntaxName } from './service/demo.ts';
import { defaultLibraryDir } from './base/library.ts';
import { LibraryOpenError } from './base/library-open-error.ts';
import { startLoopbackHost } from './transport/http.ts';
import { localClient } from './transport/local-client.ts';
import { LOG_LEVEL_SET, errorForLog, log, warnIfLogLevelUnknown } from './base/log.ts';
import { STOP_SIGNALS, endIfTasksLeft, waitForTasksLeft } from './service/end-process.ts';
import { ignoredModelMemorySetting } from './service/ai.ts';
import { ApiError } from '../common/api.ts';
import { EXAM_STATUSES } from '../common/domain.ts';
import { modelIdSchema, providerLabel } from '../common/ai/model-manifest.ts';
import { aeTitleSchema } from '../common/dicom-node.ts';
import type { AssociationStatus, ReceiverSettings, ReceiverStatus } from '../common/dicom-node.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;

/** The terminal's language, and what the command line says in it (cli-text.ts). */
const LOCALE = cliLocale();
const TEXT = CLI_TEXT[LOCALE];
const USAGE = TEXT.usage(VERSION, defaultLibraryDir());

class UsageError extends Error {}

const formatBytes = (n: number) => bytesIn(LOCALE, n);
const decimal = (value: number, digits: number) => formatDecimal(LOCALE, value, digits);
/** What must be said of a model wherever it shows (model-caveat.ts), in the terminal's language. */
const modelCaveatText = (caveat: ModelCaveat) => (LOCALE === 'fr' ? translate('fr', `ai.${caveat}`) : modelCaveatInEnglish(caveat));

/** A station for one command; only `serve` makes display renditions (the others end soon: the app or a server makes them later). */
function openService(library: string | undefined, options: { durable?: boolean; renditions?: boolean; ai?: boolean | 'find-only'; receiver?: Partial<ReceiverSettings>; pacs?: boolean } = {}): StationService {
  const libraryDir = library ?? defaultLibraryDir();
  return new StationService({ libraryDir, version: VERSION, runtime: `node ${process.versions.node}`,
    import: { durable: options.durable ?? false }, renditions: options.renditions ?? false,
    // the AI second reader runs where the station serves readers: the models shipped with it, and the library's own
    ai: options.ai ? { modelRoots: [path.join(ROOT, 'models'), path.join(path.resolve(libraryDir), 'models')], analyse: options.ai !== 'find-only' } : undefined,
    receiver: options.receiver ? { overrides: options.receiver } : undefined,
    // the PACS outbox and priors run where the station serves readers
    pacs: options.pacs ? {} : undefined });
}

/**
 * The folder named with --library to a command that only reads a library must hold one: a mistyped
 * path made a new empty library there, which `binome models` reported as "0 analysed" (a probe), and a
 * parent folder that happened to exist got one too (a re-probe). A folder with a models folder and no
 * library yet is taken (models checked before the station's first start); the default library is
 * the user's own, made where it is missing.
 */
function assertLibrary(library: string | undefined): void {
  if (library === undefined) return;
  const folder = path.resolve(library);
  const holds = (name: string) => fs.existsSync(path.join(folder, name));
  let isFolder = false;
  try { isFolder = fs.statSync(folder).isDirectory(); } catch { /* missing: said below */ }
  if (!isFolder || !(holds('worklist.sqlite') || holds('models'))) throw new UsageError(TEXT.noLibrary(printable(folder)));
}

/** An API error as the command line reports it: in the terminal's language, from its message key when it has one. */
function apiMessage(error: ApiError): string {
  return error.key ? translate(LOCALE, error.key, error.params) : error.message;
}

/** The import's summary in the same words as the page's (describeImportSummary), then the files one by one. */
/**
 * A line as the terminal should show it: control characters (a file name may hold escape
 * sequences that recolour or retitle the terminal, or a newline that forges a report line) and
 * bidirectional overrides written as \xNN or \uNNNN.
 */
export function printable(line: string): string {
  return line.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * JSON for the terminal or a pipe: JSON.stringify escapes control characters but writes
 * bidirectional overrides and line separators as they are (a model folder named with U+202E showed
 * the rest of its line backwards); written as \\uNNNN, the same JSON.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function reportImport(summary: ImportSummary, out: NodeJS.WriteStream, verbose: boolean): void {
  const say = (line: string) => out.write(`${printable(line)}\n`);
  const text = describeImportSummary(LOCALE, summary, verbose ? Number.MAX_SAFE_INTEGER : 3);
  const rate = summary.seconds > 0 ? summary.imported / summary.seconds : 0;
  if (text.ending) say(text.ending);
  say(text.headline);
  if (summary.imported) say(TEXT.importedInto(summary.examsTouched, decimal(summary.seconds, 2), rate.toFixed(0), formatBytes(summary.bytes)));
  for (const sentence of text.details) say(sentence);
  if (summary.duplicates && verbose) for (const f of summary.duplicateFiles) say(TEXT.duplicateFile(f));
  else if (summary.duplicates) say(TEXT.duplicatesHint);
  const shown = verbose ? summary.problems : summary.problems.slice(0, 10);
  for (const p of shown) say(TEXT.rejectedFile(p.file, describeProblem(LOCALE, p)));
  if (shown.length < summary.problems.length || shown.length < summary.rejected) say(TEXT.moreRejected(summary.rejected - shown.length));
  for (const example of text.examples) say(`  ${example}`);
  if (verbose) for (const f of summary.skippedFiles) say(TEXT.skippedFile(f));
  else if (summary.skipped) say(TEXT.skippedHint);
  if (summary.incompleteExams) say(TEXT.incompleteExams(summary.incompleteExams));
}

async function commandImport(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    library: { type: 'string' }, read: { type: 'boolean' }, quiet: { type: 'boolean' }, durable: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.import + '\n'); return EXIT.ok; }
  if (!positionals.length) throw new UsageError(TEXT.importNeedsPath);
  // Ctrl+C, a service manager's SIGTERM, the terminal closed: the import stops at its next batch boundary
  // (the service closed), says so, what it kept and how to complete it, and exits 128 + the signal's
  // number. In place before the station opens, and kept until it has closed: a SIGTERM ended the
  // process at once (143, saying nothing), and a second Ctrl+C must not cut the close short.
  let signal: NodeJS.Signals | null = null;
  let service: StationService | null = null;
  // one close, awaited whoever asks (a second service.close() returns before the first has ended)
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= service?.close() ?? Promise.resolve());
  const onStop = (received: NodeJS.Signals) => {
    // the terminal gone: what is written there fails (EIO), and must not end the close
    if (received === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    if (signal) return;
    signal = received;
    void close();
  };
  for (const s of STOP_SIGNALS) process.on(s, onStop);
  try {
    service = openService(values.library, { durable: values.durable ?? false });
    return await importWith(service, close, positionals, values, out, () => signal);
  } finally {
    await close();
    for (const s of STOP_SIGNALS) process.off(s, onStop);
  }
}

/** The exit status of a command stopped by a signal, as a shell gives it: 128 + its number (130 for Ctrl+C, 143 for SIGTERM). */
const stoppedStatus = (signal: NodeJS.Signals) => 128 + (os.constants.signals[signal] ?? 15);

/** The command that completes an unfinished import of `paths`, into the library named, where one was (the default one otherwise). */
function completeCommand(paths: readonly string[], library: string | undefined, read = false): string {
  return `binome import ${paths.map((p) => JSON.stringify(p)).join(' ')}${library === undefined ? '' : ` --library ${JSON.stringify(path.resolve(library))}`}${read ? ' --read' : ''}`;
}

async function importWith(service: StationService, close: () => Promise<void>, positionals: string[], values: { library?: string; read?: boolean; quiet?: boolean; verbose?: boolean },
  out: NodeJS.WriteStream, stoppedBy: () => NodeJS.Signals | null): Promise<number> {
  const api = localClient(service.handlers);
  const tty = out.isTTY && !values.quiet;
  const showProgress = (p: ImportProgress) => {
    if (values.quiet) return;
    const line = TEXT.importing({ done: p.filesDone, total: p.filesTotal, imported: p.imported, duplicates: p.duplicates, rejected: p.rejected, skipped: p.skipped, bytes: formatBytes(p.bytes) });
    if (tty) out.write(`\r${line}\x1b[K`);
    else if (p.phase === 'done') out.write(line + '\n');
  };
  service.on('importProgress', showProgress);
  const early = stoppedBy();
  let summary: ImportSummary | null = null;
  try {
    if (!early) summary = await api.importPaths({ paths: positionals });
  } catch (error) {
    // the service closed under the import by the stop: said below as a stop, not as its error
    if (!stoppedBy()) throw error;
  }
  const signal = stoppedBy();
  if (signal && summary?.status !== 'done') {
    if (tty && summary) out.write('\n');
    await close();
    await reportStopped(signal, summary, positionals, values, out);
    return stoppedStatus(signal);
  }
  if (summary === null) return EXIT.failure; // not reached: no summary is a stop, said above
  if (tty) out.write('\n');
  reportImport(summary, out, values.verbose ?? false);
  // earlier exams brought in to compare with: read where they were made, not new exams in the reading
  // list (the audit says this import did it); only exams it brought in whole: one with images before
  // it (a current exam to read, an image of it on the archive too) is left as it is
  if (values.read && summary.jobId > 0) {
    let marked = 0;
    for (const examId of service.db.worklist.examsBroughtInBy(summary.jobId)) {
      if (service.db.worklist.setExamStatus(examId, 'read', (id) => service.db.audit.record('import-read', 'status:read', id))) marked++;
    }
    out.write(`${TEXT.importMarkedRead(marked)}\n`);
  }
  if (summary.status !== 'done') return EXIT.failure;
  // something named was not imported: rejected, missing from a DICOMDIR's media, or not a file at all
  return summary.rejected || summary.missing || summary.notFiles ? EXIT.partial : EXIT.ok;
}

/**
 * An import stopped by a signal: what it kept, then the words `binome list` says of an unfinished
 * import (the exams it holds back, the command that completes it), read from the library once the
 * station has closed. Not where the terminal is gone (SIGHUP).
 */
async function reportStopped(signal: NodeJS.Signals, summary: ImportSummary | null, positionals: string[],
  values: { library?: string; read?: boolean }, out: NodeJS.WriteStream): Promise<void> {
  if (signal === 'SIGHUP') return;
  const say = (line: string) => out.write(`${printable(line)}\n`);
  const command = (paths: readonly string[]) => completeCommand(paths, values.library, values.read ?? false);
  let job: UnfinishedImport | undefined;
  if (summary && summary.jobId > 0) {
    // the library as `binome list` would read it: the stopped station closed first
    const again = openService(values.library);
    try {
      job = (await localClient(again.handlers).unfinishedImports({})).find((j) => j.jobId === summary.jobId);
    } catch (error) {
      log.debug(`reading the stopped import back: ${errorForLog(error)}`);
    } finally {
      await again.close();
    }
  }
  if (!summary || !job) {
    say(`${TEXT.importStoppedEarly(signal)}${TEXT.completeWith(command(positionals.map((p) => path.resolve(p))))}`);
    return;
  }
  say(TEXT.importStopped(signal, summary.imported));
  say(TEXT.unfinished(new Date(job.startedAt).toLocaleString(LOCALE === 'fr' ? 'fr-FR' : undefined), job.examsHeldBack, '') +
    TEXT.completeWith(command(job.paths ?? positionals.map((p) => path.resolve(p)))));
}

/** The text in a column of `width`, cut with an ellipsis where longer, a space always left before the next column (it ran into it). */
function padEnd(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width - 2) + '… ' : text.padEnd(width);
}

function formatDate(d: string | null): string {
  return d && d.length === 8 ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : '—';
}

async function commandList(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: {
    library: { type: 'string' }, search: { type: 'string' }, status: { type: 'string', multiple: true }, all: { type: 'boolean' },
    limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.list + '\n'); return EXIT.ok; }
  // said here in the terminal's language, not as the API's schema says it (in English)
  if (values.status?.some((s) => !(EXAM_STATUSES as readonly string[]).includes(s))) throw new UsageError(TEXT.statusValues);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError(TEXT.wholeNumber('limit', 1, 500));
  assertLibrary(values.library);
  const service = openService(values.library);
  const api = localClient(service.handlers);
  try {
    let page;
    try {
      page = await api.worklistQuery({
        filter: { text: values.search, status: values.status as never, scope: values.all ? 'all' : 'breast' },
        limit,
      });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'bad_request') throw new UsageError(error.message.replace(/^Invalid input for worklistQuery: /, ''));
      throw error;
    }
    if (values.json) { out.write(printableJson(page) + '\n'); return EXIT.ok; }
    const unfinished = await api.unfinishedImports({});
    if (!page.total && !unfinished.length) {
      const others = values.all ? 0 : (await api.worklistQuery({ filter: { scope: 'all' }, limit: 1 })).total;
      out.write(`${others ? TEXT.noBreastExam(others) : TEXT.emptyWorklist}\n`);
      return EXIT.ok;
    }
    const [id, patient, patientId, date, modalities, views, images, status] = TEXT.columns;
    if (page.rows.length) out.write(`${padEnd(id!, 7)}${padEnd(patient!, 28)}${padEnd(patientId!, 18)}${padEnd(date!, 12)}${padEnd(modalities!, 8)}${padEnd(views!, 26)}${padEnd(images!, 8)}${status}\n`);
    page.rows.forEach((e: ExamSummary) => {
      const notes = [e.rejectedFiles ? TEXT.incompleteNote(e.rejectedFiles) : '', e.sharedPatientId ? TEXT.sharedIdNote : ''].filter(Boolean);
      // names, IDs and codes as the files wrote them: no control or direction characters reach the terminal (a
      // patient name's ESC [31m turned the IT person's terminal red, its U+202E wrote the rest of the line backwards: a probe)
      out.write(`${padEnd(String(e.examId), 7)}${padEnd(printable(e.patientName.replace(/\^/g, ' ').trim()) || '—', 28)}${padEnd(printable(e.patientId) || '—', 18)}` +
        `${padEnd(formatDate(e.studyDate), 12)}${padEnd(printable(e.modalities.join(' ')) || '—', 8)}${padEnd(printable(e.views.join(' ')) || '—', 26)}${padEnd(String(e.imageCount), 8)}${TEXT.status[e.status] ?? e.status}` +
        `${notes.length ? `  (${notes.join('; ')})` : ''}\n`);
    });
    if (page.total > page.rows.length) out.write(`${TEXT.moreRows(page.rows.length, page.total)}\n`);
    for (const job of unfinished) {
      const whose = job.patientNames.length ? ` (${formatPersonNames(job.patientNames)})` : '';
      out.write(printable(TEXT.unfinished(new Date(job.startedAt).toLocaleString(LOCALE === 'fr' ? 'fr-FR' : undefined), job.examsHeldBack, whose) +
        // into this library: the default one is another (a --library left out imported the rest elsewhere)
        (job.paths ? TEXT.completeWith(completeCommand(job.paths, values.library))
          // received over the network: the files are with the sender, not here
          : job.receivedFrom ? TEXT.receivedFrom(JSON.stringify(job.receivedFrom))
            // a prior's retrieval cut short: the next search of her priors fetches it again
            : job.fetchedFrom ? TEXT.fetchedFrom(JSON.stringify(job.fetchedFrom))
            : TEXT.importAgain)) + '\n');
    }
    return EXIT.ok;
  } finally {
    await service.close();
  }
}

async function commandCheck(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: { library: { type: 'string' }, content: { type: 'boolean' }, exam: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.check + '\n'); return EXIT.ok; }
  const examId = values.exam === undefined ? undefined : Number(values.exam);
  if (examId !== undefined && !(Number.isInteger(examId) && examId > 0)) throw new UsageError(TEXT.examMustBeId);
  assertLibrary(values.library);
  const service = openService(values.library);
  try {
    const api = localClient(service.handlers);
    // an exam that is not there has no file to check: said so, not "0 stored files checked: all sound" (a probe)
    if (examId !== undefined) {
      try {
        await api.examDetail({ examId, purpose: 'refresh' });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'not_found') { out.write(`binome: ${TEXT.noSuchExam(examId)}\n`); return EXIT.failure; }
        throw error;
      }
    }
    const result = await api.checkStore({ examId, content: values.content ?? false });
    for (const d of result.damaged) out.write(`${TEXT.damaged(d.instanceId, d.examId, TEXT.damagedWhy[d.reason])}\n`);
    out.write(`${TEXT.checked(result.checked, values.content ?? false, result.damaged.length)}\n`);
    return result.damaged.length ? EXIT.failure : EXIT.ok;
  } finally {
    await service.close();
  }
}

async function commandModels(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: { library: { type: 'string' }, show: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.models + '\n'); return EXIT.ok; }
  if (values.show !== undefined && values.show !== 'auto' && !modelIdSchema.safeParse(values.show).success) throw new UsageError(TEXT.notModelId(values.show));
  // the refusals are this command's output: not repeated as warnings on stderr
  log.setLevel('error');
  // …but a memory setting the station ignores is said here, where the IT person who set it looks
  const memory = ignoredModelMemorySetting();
  if (memory) process.stderr.write(`binome: ${TEXT.memorySettingIgnored(memory.value, memory.mb, memory.minMb)}\n`);
  assertLibrary(values.library);
  const service = openService(values.library, { ai: 'find-only' });
  try {
    const api = localClient(service.handlers);
    let status = await api.aiModels({});
    // every folder's check ended: one running long (set aside) is listed once it passes or is refused
    while (status.state === 'starting' || status.checking?.length) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await api.aiModels({});
    }
    let failed = false;
    if (values.show !== undefined) {
      try {
        status = await api.chooseAiModel({ modelId: values.show === 'auto' ? null : values.show });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        out.write(`${apiMessage(error)}\n`);
        failed = true;
      }
    }
    if (values.json) {
      out.write(printableJson(status) + '\n');
    } else {
      const where = TEXT.modelsWhere;
      // folder names and manifests come from whoever put a model there: no control characters reach the terminal
      const say = (line: string) => out.write(`${printable(line)}\n`);
      say(TEXT.modelsHeader(path.dirname(status.libraryModelsFolder ?? ''), status.libraryModelsFolder ?? ''));
      if (!status.models.length) say(TEXT.noModel);
      const caveatOf = (m: (typeof status.models)[number]) => {
        const caveat = modelCaveat(m);
        return caveat ? modelCaveatText(caveat) : '';
      };
      const indent = ' '.repeat(TEXT.shownMark.length);
      for (const m of status.models) {
        const a = m.analyses;
        say(`  ${m.shown ? TEXT.shownMark : indent} ${TEXT.modelLine({ id: m.id, version: m.version, name: m.name, where: where[m.source], folder: m.folder, provider: providerLabel(m.provider),
          done: a.done, waiting: a.queued + a.running, failed: a.failed, cancelled: a.cancelled, caveat: caveatOf(m) })}`);
        // why an accelerator its manifest prefers was not used (CUDA's libraries missing): what the clinic's IT person looks for
        for (const f of m.fallbacks ?? []) say(`  ${indent}  ${TEXT.providerFellBack(providerLabel(f.provider), f.reason)}`);
        // a fixed input at a fixed pixel size: the breasts it cannot read, said before exams fail for it
        if (m.field) say(`  ${indent}  ${TEXT.modelField(m.field.width, m.field.height, m.field.small)}`);
        // installed back over a newer version (a downgrade): its older results show again, said (it was silent, a probe)
        if (m.held) say(`  ${indent}  ${TEXT.modelHeld(m.held)}`);
        if (m.newerAnalysed) say(`  ${indent}  ${TEXT.newerAnalysed(m.newerAnalysed)}`);
        if (m.olderAnalysed) say(`  ${indent}  ${TEXT.olderAnalysed(m.olderAnalysed.version, m.olderAnalysed.exams)}`);
        // why they failed (a model failing every exam: what to tell whoever supplied it)
        // (in words, then its code: "model_run_failed" alone told IT nothing of whose fault it was, a probe; a
        // model's own fault carries its words in the reason; an unknown code its last detail after it: a known
        // one's English detail said the words again, in English in a French terminal, a probe)
        for (const f of m.failures ?? []) {
          say(`  ${indent}  ${TEXT.modelFailures(f.count, f.code, failureReason((key, params) => translate(LOCALE, key, params), f.code, f.detail),
            isKnownFailure(f.code) ? undefined : f.detail ?? undefined)}`);
        }
      }
      // an older version in the library in place of the application's: said as such (a vendor's probe read only "has the same model id")
      for (const r of status.replaced) say(TEXT.notUsed(r.id, r.version, r.folder, where[r.source], r.by, r.byVersion, r.byOlder ? r.byVersion : null));
      for (const r of status.refused) say(TEXT.refusedModel(r.folder, where[r.source], describeModelProblem(LOCALE, r.problem)));
      const shown = status.models.find((m) => m.shown);
      // automatic, beside a station that keeps the model it showed since its start: not "the last found" of
      // another marked shown above (a vendor's probe, a model put in a folder while a station ran)
      const last = status.models.at(-1);
      say(status.chosen ? TEXT.showsChosen(shown?.id === status.chosen ? null : status.chosen)
        : shown && last && shown.id !== last.id ? TEXT.showsKept(shown.id, last.id) : TEXT.showsLast);
      // automatic asked for: a station running now keeps what it shows since its start (two stations would
      // otherwise take turns), which this command cannot see: said, not claimed (a probe read "shown" here
      // beside a station that went back to another)
      if (values.show === 'auto') say(TEXT.showsLastRunning);
      // a model chosen: a station running now shows it only if it runs it, which this command cannot see (it
      // said "Exams show the chosen model" of one put in a folder since a station started, which that station
      // did not run: a vendor's probe)
      else if (status.chosen) say(TEXT.showsChosenRunning);
    }
    return failed || status.refused.length ? EXIT.failure : EXIT.ok;
  } finally {
    await service.close();
    // a check past its time limit, still inside a model run: Node stopping its thread at exit made
    // onnxruntime abort the process minutes later (exit 134, a core dump; a probe): waited for
    await waitForTasksLeft((what, seconds) => process.stderr.write(`binome: ${what === 'waiting' ? TEXT.checkRunWaiting(seconds) : TEXT.checkRunLeft(seconds)}\n`));
  }
}

async function commandDemo(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: {
    patients: { type: 'string' }, priors: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' },
    'transfer-syntax': { type: 'string' }, plain: { type: 'boolean' }, out: { type: 'string' }, library: { type: 'string' },
    'abnormal-rate': { type: 'string' }, contrast: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.demo + '\n'); return EXIT.ok; }
  const integer = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(TEXT.wholeNumber(name, min, max));
    return n;
  };
  const options: DemoOptions = { ...DEFAULT_DEMO_OPTIONS, variants: !values.plain };
  options.patients = integer('patients', values.patients, options.patients, 1, 10_000);
  options.priors = integer('priors', values.priors, options.priors, 0, 5);
  if (values.seed !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(values.seed)) throw new UsageError(TEXT.seedChars);
    options.seed = values.seed;
  }
  if (values.size !== undefined) {
    if (values.size !== 'full' && values.size !== 'reduced') throw new UsageError(TEXT.sizeValues);
    options.size = values.size;
  }
  if (values['transfer-syntax'] !== undefined) {
    if (!(values['transfer-syntax'] in TRANSFER_SYNTAXES)) throw new UsageError(TEXT.transferSyntaxValues(Object.keys(TRANSFER_SYNTAXES).join(', ')));
    options.transferSyntax = values['transfer-syntax'] as TransferSyntaxName;
  }
  if (values['abnormal-rate'] !== undefined) {
    const r = Number(values['abnormal-rate']);
    if (!(r >= 0 && r <= 1)) throw new UsageError(TEXT.abnormalRate);
    options.abnormalRate = r;
  }
  if (values.contrast !== undefined) {
    const [lo, hi] = values.contrast.split(',').map(Number);
    if (!(lo! > 0 && hi! >= lo! && hi! <= 3)) throw new UsageError(TEXT.contrast);
    options.contrast = [lo!, hi!];
  }
  if (!values.out && !values.library) throw new UsageError(TEXT.demoNeedsOut);
  const service = values.library ? openService(values.library) : null;
  const outDir = path.resolve(values.out ?? path.join(service!.paths.root, 'demo', options.seed));
  try {
    const tty = out.isTTY && !values.quiet;
    const summary = await writeDemoExams(options, outDir, (p) => { if (tty) out.write(`\r${TEXT.generating(p.imagesDone, p.imagesTotal)}\x1b[K`); })
      .catch((error: unknown) => {
        // said in the terminal's language, not as the system's "ENOSPC: no space left on device, write" (a probe)
        if ((error as NodeJS.ErrnoException)?.code === 'ENOSPC') throw new Error(TEXT.demoDiskFull(outDir), { cause: error });
        throw error;
      });
    if (tty) out.write('\n');
    out.write(`${TEXT.generated({ images: summary.images, exams: summary.exams, patients: summary.patients, outDir: summary.outDir,
      seconds: decimal(summary.seconds, 1), perExam: decimal(summary.secondsPerExam, 2), size: options.size, bytes: formatBytes(summary.bytes) })}\n`);
    out.write(`${TEXT.groundTruth}\n`);
    if (!service) return EXIT.ok;
    const imported = await localClient(service.handlers).importPaths({ paths: [outDir] });
    markDemoPriorsRead(service, summary.priorStudyUids);
    out.write(`${describeImportSummary(LOCALE, imported).headline}\n${TEXT.importedIntoLibrary(imported.examsTouched, service.paths.root, imported.duplicates)}\n`);
    // a reduced copy's pixels (0.28 mm) are coarser than the shipped AI model reads: said before its analyses fail
    if (options.size === 'reduced') out.write(`${TEXT.reducedNotAnalysed}\n`);
    if (!values.out && imported.status === 'done') {
      // generated inside the library only to be imported: the store has the images now
      await Promise.all(summary.dicomFiles.map((f) => fs.promises.rm(f, { force: true })));
      out.write(`${TEXT.groundTruthStays(outDir)}\n`);
    }
    return imported.status === 'done' ? EXIT.ok : EXIT.failure;
  } finally {
    await service?.close();
  }
}

/** What the receiver's status says about where it listens, in one line. */
function receiverLine(status: ReceiverStatus | null): string {
  if (!status || status.state === 'off') return TEXT.receiverOff;
  const s = status.settings;
  if (status.state === 'failed') {
    const why = status.failure?.code === 'port_in_use' ? TEXT.portTaken : status.failure?.code === 'permission_denied' ? TEXT.portDenied : TEXT.anError;
    return TEXT.cannotListen(s.port, why);
  }
  const callers = s.allowedCallers.length ? TEXT.accepts(s.allowedCallers.join(', ')) : TEXT.refusesAll;
  return TEXT.listening(s.aeTitle, status.host ?? '', status.port ?? s.port, s.openToNetwork, callers);
}

function associationLine(a: AssociationStatus): string {
  const who = TEXT.association(a.id, a.callingAe, a.remoteAddress);
  const because = TEXT.refusedBecause;
  if (a.state === 'refused') return TEXT.associationRefused(who, a.refusal === 'calling_ae' ? because.calling_ae : a.refusal === 'called_ae' ? because.called_ae(a.calledAe) : because.busy);
  const i = a.imported!;
  return TEXT.associationEnded(who, { state: a.state, received: a.received, bytes: formatBytes(a.bytes), imported: i.imported, duplicates: i.duplicates, rejected: i.rejected, failed: a.failed });
}

/**
 * Resolves at the first Ctrl+C, SIGTERM or SIGHUP (the terminal closed: it killed serve at once, its
 * analysis left "running"), with the signal. Call it before starting anything: its handlers are in
 * place at once, so a stop asked for while the station starts (the URL is printed, the receiver
 * still starting) is a clean stop, not the default signal's death. A second Ctrl+C (npm and the
 * terminal both forward it) must not cut the shutdown short.
 */
export function waitForStop(): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => {
        // the terminal gone: what is written there fails (EIO), and must not end the shutdown
        if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
        resolve(signal);
      });
    }
  });
}

/** "Stopped." where the terminal is still there to read it. */
const sayStopped = (out: NodeJS.WriteStream, signal: NodeJS.Signals | null) => { if (signal !== 'SIGHUP') out.write(`${TEXT.stopped}\n`); };

async function commandReceive(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: {
    library: { type: 'string' }, port: { type: 'string' }, aet: { type: 'string' }, allow: { type: 'string', multiple: true },
    network: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.receive + '\n'); return EXIT.ok; }
  const overrides: Partial<ReceiverSettings> = { enabled: true };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(TEXT.portRange(1));
    overrides.port = port;
  }
  const title = (value: string, option: string) => {
    const parsed = aeTitleSchema.safeParse(value);
    if (!parsed.success) throw new UsageError(TEXT.aeTitle(option));
    return parsed.data;
  };
  if (values.aet !== undefined) overrides.aeTitle = title(values.aet, '--aet');
  if (values.allow) overrides.allowedCallers = values.allow.map((a) => title(a, '--allow'));
  if (values.network) overrides.openToNetwork = true;
  let signal: NodeJS.Signals | null = null;
  const stopped = waitForStop().then((s) => { signal = s; });
  const service = openService(values.library, { receiver: overrides });
  try {
    const status = await service.startReceiver();
    out.write(`${printable(receiverLine(status))}\n`);
    if (status?.state !== 'listening') return EXIT.failure;
    out.write(`${TEXT.receiving(service.paths.root)}\n`);
    // one line per association once its import has ended (or its refusal)
    const said = new Set<number>();
    const unsubscribe = service.on('receiverChanged', (s) => {
      for (const a of [...s.associations].reverse()) {
        if (said.has(a.id) || (a.state !== 'refused' && a.imported === null)) continue;
        said.add(a.id);
        out.write(`${printable(associationLine(a))}\n`);
      }
    });
    // stopped, or the library taken over by another computer (this one asleep): a service manager sees it end
    const takenBy = await Promise.race([stopped.then(() => null), service.taken]);
    unsubscribe();
    if (takenBy !== null) { process.stderr.write(`binome: ${TEXT.libraryTaken(printable(takenBy))}\n`); return EXIT.failure; }
    return EXIT.ok;
  } finally {
    await service.close();
    sayStopped(out, signal);
  }
}

/** Whether a port of 127.0.0.1 can be listened on now (listened on and let go at once). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function commandServe(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: { library: { type: 'string' }, port: { type: 'string' }, 'no-dicom': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.serve + '\n'); return EXIT.ok; }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(TEXT.portRange(0));
  // a start that cannot serve fails before the station opens: opened, its AI writes to the library
  // (the model exams show, every exam queued for it), and a failed start switched what a running
  // station on the same library showed (an IT person's probe)
  const rendererDir = path.join(ROOT, 'app', 'dist', 'renderer');
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) { process.stderr.write(`binome: ${TEXT.rendererMissing(path.join(rendererDir, 'index.html'))}\n`); return EXIT.failure; }
  if (port !== 0 && !await portIsFree(port)) { process.stderr.write(`binome: ${TEXT.portInUse(port)}\n`); return EXIT.failure; }
  const stopped = waitForStop();
  // a server never ends for a background task's unexpected failure (as the Electron main process):
  // said in the log, without its data; the readers' requests go on
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${errorForLog(reason)}`));
  const service = openService(values.library, { renditions: true, ai: true, receiver: values['no-dicom'] ? undefined : {}, pacs: true });
  let host: Awaited<ReturnType<typeof startLoopbackHost>> | null = null;
  let signal: NodeJS.Signals | null = null;
  try {
    // a host that cannot start all the same (the port taken since it was looked at) ends the command: the
    // station's service (its AI analysing the library) is closed with it, not left running deaf to Ctrl+C
    try {
      host = await startLoopbackHost({ service, rendererDir, port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') { process.stderr.write(`binome: ${TEXT.portInUse(port)}\n`); return EXIT.failure; }
      throw error;
    }
    out.write(`${TEXT.serving(service.paths.root, host.openUrl)}\n`);
    if (!values['no-dicom']) out.write(`${printable(receiverLine(await service.startReceiver()))}\n`);
    // stopped, or the library taken over by another computer (this one asleep): a service manager sees it end
    const ended = await Promise.race([stopped, service.taken.then((host) => ({ host }))]);
    if (typeof ended === 'object') { process.stderr.write(`binome: ${TEXT.libraryTaken(printable(ended.host))}\n`); return EXIT.failure; }
    signal = ended;
    return EXIT.ok;
  } finally {
    await host?.close();
    await service.close();
    // said once stopped, not as the stop began (a model run may hold the close 15 s: a probe)
    if (signal) sayStopped(out, signal);
    // a model run still going after the close's wait: the process ends by SIGTERM here, not aborted
    // by onnxruntime as Node stops its thread at exit (exit 134, a core dump)
    await endIfTasksLeft();
  }
}

/**
 * A usage error in the terminal's language: node's argument parser says its own in English, with the
 * option quoted (and "Did you forget…" after a newline, which the terminal showed as \x0a).
 */
function usageMessage(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1]?.replace(/ <value>$/, '') ?? '?';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return TEXT.unknownOption(quoted);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return TEXT.optionValue(quoted);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return TEXT.unexpectedArgument(quoted);
  return error.message;
}

export async function main(argv: string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  warnIfLogLevelUnknown();
  if (!LOG_LEVEL_SET) log.setLevel('warn'); // the command line reports for itself
  try {
    switch (command) {
      case 'import': return await commandImport(rest, out);
      case 'list': return await commandList(rest, out);
      case 'serve': return await commandServe(rest, out);
      case 'receive': return await commandReceive(rest, out);
      case 'demo': return await commandDemo(rest, out);
      case 'check': return await commandCheck(rest, out);
      case 'models': return await commandModels(rest, out);
      case undefined: case '-h': case '--help': case 'help':
        out.write(USAGE.main + '\n');
        return command === undefined ? EXIT.usage : EXIT.ok;
      case '--version': case '-v':
        out.write(`${VERSION}\n`);
        return EXIT.ok;
      default:
        throw new UsageError(TEXT.unknownCommand(command));
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      err.write(`binome: ${printable(usageMessage(error as Error))}\n${TEXT.runHelp(command && USAGE[command] ? `${command} ` : '')}\n`);
      return EXIT.usage;
    }
    const said = error instanceof ApiError ? apiMessage(error)
      // the library's disk full or read-only, or the library used from another computer, said in the terminal's language
      : error instanceof LibraryOpenError ? translate(LOCALE, error.key, error.params).replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, '')
      : (error as Error)?.message ?? String(error);
    err.write(`binome: ${said}\n`);
    log.debug((error as Error)?.stack ?? '');
    return EXIT.failure;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
