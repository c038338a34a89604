// The command line: binome import | list | serve, each with --help and --library.
// Exit codes: 0 success, 1 failure, 2 wrong usage, 3 finished but some files were rejected, missing or not files.

import path from 'node:path';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { modelCaveat, modelCaveatInEnglish } from '../common/ai/model-caveat.ts';
import type { ExamSummary, ImportProgress, ImportSummary } from '../common/domain.ts';
import { describeProblem } from '../common/import-problems.ts';
import { describeModelProblem } from '../common/ai/model-problems.ts';
import { describeImportSummary } from '../common/import-summary.ts';
import { formatPersonNames, translate } from '../common/i18n/messages.ts';
import { StationService } from './service/station.ts';
import { DEFAULT_DEMO_OPTIONS, TRANSFER_SYNTAXES, markDemoPriorsRead, writeDemoExams } from './service/demo.ts';
import type { DemoOptions, TransferSyntaxName } from './service/demo.ts';
import { defaultLibraryDir } from './base/library.ts';
import { startLoopbackHost } from './transport/http.ts';
import { localClient } from './transport/local-client.ts';
import { errorForLog, log } from './base/log.ts';
import { STOP_SIGNALS, endIfTasksLeft, waitForTasksLeft } from './service/end-process.ts';
import { ApiError } from '../common/api.ts';
import { aeTitleSchema } from '../common/dicom-node.ts';
import type { AssociationStatus, ReceiverSettings, ReceiverStatus } from '../common/dicom-node.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;

const USAGE: Record<string, string> = {
  main: `Binome ${VERSION} — offline mammography reading station

Usage: binome <command> [options]

Commands:
  import <path>...   import DICOM files, folders (recursively) or DICOMDIRs into the library
  list               list the exams of the worklist
  check              check the stored files against what the library recorded
  serve              serve the station on the loopback interface and print the URL to open
  receive            receive images from modalities and PACS over DICOM (C-STORE SCP) into the library
  demo               generate synthetic exams (DICOM and ground truth), optionally import them
  models             list the AI models (running, refused and why) and choose the one exams show

Options for every command:
  --library <dir>    the library folder (default: ${defaultLibraryDir()})
  -h, --help         show help for a command

Run "binome <command> --help" for the options of a command.`,
  import: `Usage: binome import <path>... [--library <dir>] [--quiet] [--durable]

Imports DICOM Part 10 files, folders (searched recursively; symbolic links to files are followed,
links to folders are not) and DICOMDIR files (their referenced files are imported). Duplicates
(same SOP Instance UID) are skipped and counted. Files that are not DICOM (notes, licences) are
skipped, and pipes, sockets and devices are never opened; damaged DICOM files, and files whose UIDs
the library holds for another exam or patient, are reported with the reason and kept in the
quarantine list, and their exams are marked incomplete; the rest imports.

  --quiet        no progress line
  --durable      flush every stored file to disk before its batch commits (slower; survives power loss)
  --verbose      list every duplicate and every rejected file (by default: the first 10)

Exit codes: 0 all imported (duplicates included), 3 some files were rejected, are missing from a DICOMDIR's media or are not files,
1 the import failed, 2 wrong usage.`,
  list: `Usage: binome list [--library <dir>] [--search <text>] [--status new|in_progress|read] [--all] [--limit N] [--json]

Lists exams, newest first: patient, exam date, modalities, views present, image count, status.
By default only breast imaging (MG, and breast US or MR); --all lists every exam.`,
  check: `Usage: binome check [--library <dir>] [--content] [--exam ID]

Checks that every stored file of the library is there with the size recorded at import; with
--content, also re-reads each file and checks its bytes against their content address (slower).

Exit codes: 0 all files sound, 1 some files are missing or damaged, 2 wrong usage.`,
  demo: `Usage: binome demo --patients N [--priors K] [--seed S] [--size full|reduced]
                   [--transfer-syntax explicit|jpeg-ls|htj2k|j2k] [--plain] [--out <dir>] [--library <dir>]

Writes synthetic 4-view screening exams — DICOM Part 10 files (Digital Mammography X-Ray, For
Presentation) and a ground-truth.json per exam (lesions with class, size, clock position and their
boxes in each image's pixel coordinates) — deterministically for a given seed. With --library the
exams are imported into that library as well (into its demo/ folder when --out is not given).
Synthetic images: not patients, not for diagnosis.

  --patients N          number of women (default 4)
  --priors K            earlier exams per woman, 1–2 years apart (default 1)
  --seed S              the seed (default "binome")
  --size full|reduced   3328×2560 at 0.07 mm, or 832×640 at 0.28 mm (default reduced)
  --transfer-syntax T   explicit (default), jpeg-ls, htj2k or j2k: lossless compression
  --plain               no variants (by default the women cycle through: standard, MONOCHROME1 and
                        SIGMOID, stored flipped with FOR PROCESSING twins, additional views (XCCL,
                        spot, magnification) in JPEG-LS, implant with implant-displaced views in
                        JPEG 2000, priors from a second detector with another pixel spacing)
  --abnormal-rate R     share of women with a lesion in the current exam (default 0.6)
  --contrast LO,HI      lesion contrast range, 0.3 subtle … 1.5 obvious (default 0.6,1.3)`,
  models: `Usage: binome models [--library <dir>] [--show <model id>|auto] [--json]

Checks the AI models as the station does when it starts: those shipped with the application and
those in the library's models folder (where a clinic drops a model in: a folder holding model.onnx
and manifest.json). Lists the models that run (where each was installed, the provider it runs on,
its analyses in this library) and every refused folder with the reason, and says which model exams
show (score, marks, worklist triage). Analyses nothing. A running station finds a new model at its
next start.

  --show ID    exams show this model from now on (it must run here); "auto": the last found
               (the library's before the application's)
  --json       the list as JSON

Exit codes: 0 every model folder loads, 1 some folder was refused (or --show failed), 2 wrong usage.`,
  serve: `Usage: binome serve [--library <dir>] [--port N] [--no-dicom]

Serves the station (the same renderer and API as the desktop window) on http://127.0.0.1 only, with
a random token required on every request. Prints the URL to open; stop with Ctrl+C. The DICOM
receiver (C-STORE SCP) runs too, as the library's settings say (see binome receive --help).

  --port N       listen on this port (default: a free one)
  --no-dicom     no DICOM receiver in this run`,
  receive: `Usage: binome receive [--port N] [--aet TITLE] [--allow CALLING_AE ...] [--network] [--library <dir>]

Runs the station's DICOM receiver alone: a storage SCP (C-STORE, C-ECHO) for mammography, breast
tomosynthesis, Mammography CAD SR, secondary capture and dose reports, in native, JPEG lossless,
JPEG-LS, JPEG 2000 and HTJ2K transfer syntaxes. Each file is stored byte for byte as received and
flushed to disk before its C-STORE response says success, then imported (duplicates, quarantine);
an exam shows in the worklist once the association that brings it is released. Stop with Ctrl+C.

By default it uses the library's settings (those of the receiver panel: AE title BINOME, port 11112,
127.0.0.1 only, nobody allowed); the options below apply to this run only.

  --port N            listen on this port
  --aet TITLE         the station's AE title (callers must call it so)
  --allow CALLING_AE  a calling AE title allowed to send (repeat for several); anyone else is refused
  --network           listen on every network interface (default: 127.0.0.1 only)

Exit codes: 0 stopped, 1 could not listen (the port is taken: another Binome?), 2 wrong usage.`,
};

class UsageError extends Error {}

function formatBytes(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

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

/** An API error as the command line reports it: in English, from its message key when it has one. */
function apiMessage(error: ApiError): string {
  return error.key ? translate('en', error.key, error.params) : error.message;
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
  const text = describeImportSummary('en', summary, verbose ? Number.MAX_SAFE_INTEGER : 3);
  const rate = summary.seconds > 0 ? summary.imported / summary.seconds : 0;
  if (text.ending) say(text.ending);
  say(text.headline);
  if (summary.imported) say(`  into ${summary.examsTouched} exam(s) in ${summary.seconds.toFixed(2)} s (${rate.toFixed(0)} files/s, ${formatBytes(summary.bytes)})`);
  for (const sentence of text.details) say(sentence);
  if (summary.duplicates && verbose) for (const f of summary.duplicateFiles) say(`  duplicate (already in the library): ${f}`);
  else if (summary.duplicates) say('  duplicates have the same SOP Instance UID as an image already in the library (--verbose lists them)');
  const shown = verbose ? summary.problems : summary.problems.slice(0, 10);
  for (const p of shown) say(`  rejected: ${p.file}: ${describeProblem('en', p)}`);
  if (shown.length < summary.problems.length || shown.length < summary.rejected) say(`  … and ${summary.rejected - shown.length} more rejected file(s) (--verbose lists them all)`);
  for (const example of text.examples) say(`  ${example}`);
  if (verbose) for (const f of summary.skippedFiles) say(`  skipped, not DICOM: ${f}`);
  else if (summary.skipped) say('  files that are not DICOM (notes, licences) were skipped (--verbose lists them)');
  if (summary.incompleteExams) say(`  ${summary.incompleteExams} exam(s) lack files that were rejected: they are marked incomplete in the worklist`);
}

async function commandImport(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    library: { type: 'string' }, quiet: { type: 'boolean' }, durable: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.import + '\n'); return EXIT.ok; }
  if (!positionals.length) throw new UsageError('binome import needs at least one path');
  const service = openService(values.library, { durable: values.durable ?? false });
  const api = localClient(service.handlers);
  const tty = out.isTTY && !values.quiet;
  const showProgress = (p: ImportProgress) => {
    if (values.quiet) return;
    const line = `importing: ${p.filesDone}/${p.filesTotal} files, ${p.imported} imported, ${p.duplicates} duplicates, ${p.rejected} rejected, ${p.skipped} skipped, ${formatBytes(p.bytes)}`;
    if (tty) out.write(`\r${line}\x1b[K`);
    else if (p.phase === 'done') out.write(line + '\n');
  };
  service.on('importProgress', showProgress);
  const stop = () => { void service.close(); };
  process.once('SIGINT', stop);
  try {
    const summary = await api.importPaths({ paths: positionals });
    if (tty) out.write('\n');
    reportImport(summary, out, values.verbose ?? false);
    if (summary.status !== 'done') return EXIT.failure;
    // something named was not imported: rejected, missing from a DICOMDIR's media, or not a file at all
    return summary.rejected || summary.missing || summary.notFiles ? EXIT.partial : EXIT.ok;
  } finally {
    process.off('SIGINT', stop);
    await service.close();
  }
}

function padEnd(text: string, width: number): string {
  return text.length > width ? text.slice(0, width - 1) + '…' : text.padEnd(width);
}

function formatDate(d: string | null): string {
  return d && d.length === 8 ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : '—';
}

async function commandList(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: {
    library: { type: 'string' }, search: { type: 'string' }, status: { type: 'string', multiple: true }, all: { type: 'boolean' },
    limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.list + '\n'); return EXIT.ok; }
  const service = openService(values.library);
  const api = localClient(service.handlers);
  try {
    let page;
    try {
      page = await api.worklistQuery({
        filter: { text: values.search, status: values.status as never, scope: values.all ? 'all' : 'breast' },
        limit: values.limit === undefined ? 100 : Number(values.limit),
      });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'bad_request') throw new UsageError(error.message.replace(/^Invalid input for worklistQuery: /, ''));
      throw error;
    }
    if (values.json) { out.write(printableJson(page) + '\n'); return EXIT.ok; }
    const unfinished = await api.unfinishedImports({});
    if (!page.total && !unfinished.length) {
      const others = values.all ? 0 : (await api.worklistQuery({ filter: { scope: 'all' }, limit: 1 })).total;
      out.write(others ? `No breast imaging exam here; ${others} other exam(s): binome list --all\n` : 'The worklist is empty. Import exams with: binome import <folder>\n');
      return EXIT.ok;
    }
    if (page.rows.length) out.write(`${padEnd('ID', 7)}${padEnd('Patient', 28)}${padEnd('Patient ID', 18)}${padEnd('Exam date', 12)}${padEnd('Mod.', 8)}${padEnd('Views', 26)}${padEnd('Images', 8)}Status\n`);
    page.rows.forEach((e: ExamSummary) => {
      const notes = [e.rejectedFiles ? `incomplete: ${e.rejectedFiles} file(s) rejected` : '', e.sharedPatientId ? 'Patient ID shared with another patient' : ''].filter(Boolean);
      out.write(`${padEnd(String(e.examId), 7)}${padEnd(e.patientName.replace(/\^/g, ' ').trim() || '—', 28)}${padEnd(e.patientId || '—', 18)}` +
        `${padEnd(formatDate(e.studyDate), 12)}${padEnd(e.modalities.join(' ') || '—', 8)}${padEnd(e.views.join(' ') || '—', 26)}${padEnd(String(e.imageCount), 8)}${e.status.replace('_', ' ')}` +
        `${notes.length ? `  (${notes.join('; ')})` : ''}\n`);
    });
    if (page.total > page.rows.length) out.write(`(${page.rows.length} of ${page.total} exams shown; use --limit or --search)\n`);
    for (const job of unfinished) {
      const whose = job.patientNames.length ? ` (${formatPersonNames(job.patientNames)})` : '';
      out.write(`Note: an import started ${new Date(job.startedAt).toLocaleString()} did not finish and holds ${job.examsHeldBack} exam(s) back${whose}; ` +
        (job.paths ? `complete it with: binome import ${job.paths.map((p) => JSON.stringify(p)).join(' ')}\n`
          // received over the network: the files are with the sender, not here
          : job.receivedFrom ? `it came over the network from ${JSON.stringify(job.receivedFrom)}: have that sender send the exam(s) again.\n`
            // a prior's retrieval cut short: the next search of her priors fetches it again
            : job.fetchedFrom ? `it was fetched from the PACS ${JSON.stringify(job.fetchedFrom)}: it is fetched again the next time one of her exams is opened (her priors are searched at most every 5 minutes).\n`
            : 'import the same files again to complete it.\n'));
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
  if (examId !== undefined && !(Number.isInteger(examId) && examId > 0)) throw new UsageError('--exam must be an exam ID (a whole number, as binome list shows it)');
  const service = openService(values.library);
  try {
    const result = await localClient(service.handlers).checkStore({ examId, content: values.content ?? false });
    const what = { missing: 'missing from the store', size: 'size differs from the one recorded at import', content: 'content differs from its address', codestream: 'a compressed frame ends before its end marker (cut short before it was imported)' };
    for (const d of result.damaged) out.write(`  damaged: image ${d.instanceId} of exam ${d.examId}: ${what[d.reason]}\n`);
    out.write(`Checked ${result.checked} stored file(s)${values.content ? ' (size and content)' : ' (size)'}: ${result.damaged.length ? `${result.damaged.length} damaged` : 'all sound'}.\n`);
    return result.damaged.length ? EXIT.failure : EXIT.ok;
  } finally {
    await service.close();
  }
}

async function commandModels(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: { library: { type: 'string' }, show: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.models + '\n'); return EXIT.ok; }
  // the refusals are this command's output: not repeated as warnings on stderr
  log.setLevel('error');
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
      const where = { application: 'the application', library: 'this library' };
      // folder names and manifests come from whoever put a model there: no control characters reach the terminal
      const say = (line: string) => out.write(`${printable(line)}\n`);
      say(`AI models of the library ${path.dirname(status.libraryModelsFolder ?? '')} (a model dropped into ${status.libraryModelsFolder} is found at the station's next start)`);
      if (!status.models.length) say('  No model runs at this station.');
      const caveatOf = (m: (typeof status.models)[number]) => {
        const caveat = modelCaveat(m);
        return caveat ? ` — ${modelCaveatInEnglish(caveat).toLowerCase()}` : '';
      };
      for (const m of status.models) {
        const a = m.analyses;
        say(`  ${m.shown ? 'shown ' : '      '} ${m.id} ${m.version} "${m.name}", in ${where[m.source]} (${m.folder}), on ${m.provider}: ` +
          `${a.done} analysed, ${a.queued + a.running} waiting, ${a.failed} failed${caveatOf(m)}`);
        // why they failed (a model failing every exam: what to tell whoever supplied it)
        for (const f of m.failures ?? []) say(`          ${f.count} failed: ${f.code}${f.detail ? ` (the last: ${f.detail})` : ''}`);
      }
      for (const r of status.replaced) say(`  not used ${r.id} ${r.version} (${r.folder}, in ${where[r.source]}): this library's ${r.by} has the same model id`);
      for (const r of status.refused) say(`  refused ${r.folder} (in ${where[r.source]}): ${describeModelProblem('en', r.problem)}`);
      const shown = status.models.find((m) => m.shown);
      say(status.chosen
        ? `Exams show the chosen model${shown?.id === status.chosen ? '' : ` (${status.chosen}: it does not run here, so the last found meanwhile)`}.`
        : 'Exams show the last model found (automatic; binome models --show ID chooses one).');
    }
    return failed || status.refused.length ? EXIT.failure : EXIT.ok;
  } finally {
    await service.close();
    // a check past its time limit, still inside a model run: Node stopping its thread at exit made
    // onnxruntime abort the process minutes later (exit 134, a core dump; a probe): waited for
    await waitForTasksLeft((line) => process.stderr.write(`binome: ${line}\n`));
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
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const options: DemoOptions = { ...DEFAULT_DEMO_OPTIONS, variants: !values.plain };
  options.patients = integer('patients', values.patients, options.patients, 1, 10_000);
  options.priors = integer('priors', values.priors, options.priors, 0, 5);
  if (values.seed !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(values.seed)) throw new UsageError('--seed may hold letters, digits, ".", "_" and "-" (at most 64)');
    options.seed = values.seed;
  }
  if (values.size !== undefined) {
    if (values.size !== 'full' && values.size !== 'reduced') throw new UsageError('--size must be full or reduced');
    options.size = values.size;
  }
  if (values['transfer-syntax'] !== undefined) {
    if (!(values['transfer-syntax'] in TRANSFER_SYNTAXES)) throw new UsageError(`--transfer-syntax must be one of ${Object.keys(TRANSFER_SYNTAXES).join(', ')}`);
    options.transferSyntax = values['transfer-syntax'] as TransferSyntaxName;
  }
  if (values['abnormal-rate'] !== undefined) {
    const r = Number(values['abnormal-rate']);
    if (!(r >= 0 && r <= 1)) throw new UsageError('--abnormal-rate must be between 0 and 1');
    options.abnormalRate = r;
  }
  if (values.contrast !== undefined) {
    const [lo, hi] = values.contrast.split(',').map(Number);
    if (!(lo! > 0 && hi! >= lo! && hi! <= 3)) throw new UsageError('--contrast must be LO,HI with 0 < LO ≤ HI ≤ 3');
    options.contrast = [lo!, hi!];
  }
  if (!values.out && !values.library) throw new UsageError('binome demo needs --out <dir>, --library <dir>, or both');
  const service = values.library ? openService(values.library) : null;
  const outDir = path.resolve(values.out ?? path.join(service!.paths.root, 'demo', options.seed));
  try {
    const tty = out.isTTY && !values.quiet;
    const summary = await writeDemoExams(options, outDir, (p) => { if (tty) out.write(`\rgenerating: ${p.imagesDone}/${p.imagesTotal} images\x1b[K`); });
    if (tty) out.write('\n');
    out.write(`Generated ${summary.images} image(s) in ${summary.exams} exam(s) of ${summary.patients} synthetic women into ${summary.outDir} ` +
      `in ${summary.seconds.toFixed(1)} s (${summary.secondsPerExam.toFixed(2)} s per exam, ${options.size} size, ${formatBytes(summary.bytes)}).\n`);
    out.write(`Ground truth: ground-truth.json in each exam folder; index in demo.json. Synthetic images: not patients, not for diagnosis.\n`);
    if (!service) return EXIT.ok;
    const imported = await localClient(service.handlers).importPaths({ paths: [outDir] });
    markDemoPriorsRead(service, summary.priorStudyUids);
    out.write(`${describeImportSummary('en', imported).headline}\n  into ${imported.examsTouched} exam(s) of ${service.paths.root}` +
      `${imported.duplicates ? `; ${imported.duplicates} already there` : ''}\n`);
    // a reduced copy's pixels (0.28 mm) are coarser than the shipped AI model reads: said before its analyses fail
    if (options.size === 'reduced') out.write('Reduced size: the shipped AI model does not analyse these exams (it reads pixels of 0.1 mm or finer); --size full makes exams it reads.\n');
    if (!values.out && imported.status === 'done') {
      // generated inside the library only to be imported: the store has the images now
      await Promise.all(summary.dicomFiles.map((f) => fs.promises.rm(f, { force: true })));
      out.write(`The ground truth stays in ${outDir}.\n`);
    }
    return imported.status === 'done' ? EXIT.ok : EXIT.failure;
  } finally {
    await service?.close();
  }
}

/** What the receiver's status says about where it listens, in one line. */
function receiverLine(status: ReceiverStatus | null): string {
  if (!status || status.state === 'off') return 'DICOM receiver: off (enable it in the receiver panel, or run binome receive)';
  const s = status.settings;
  if (status.state === 'failed') {
    const why = status.failure?.code === 'port_in_use' ? 'the port is taken (another Binome, or another program)'
      : status.failure?.code === 'permission_denied' ? 'the system does not allow this port' : 'an error';
    return `DICOM receiver: could not listen on port ${s.port}: ${why}`;
  }
  const callers = s.allowedCallers.length ? `accepts calling AE ${s.allowedCallers.join(', ')}` : 'refuses every caller until one is allowed';
  return `DICOM receiver: AE ${s.aeTitle} on ${status.host}:${status.port} (${s.openToNetwork ? 'open to the network' : 'this computer only'}); ${callers}`;
}

function associationLine(a: AssociationStatus): string {
  const who = `association ${a.id} from "${a.callingAe}" (${a.remoteAddress})`;
  if (a.state === 'refused') return `${who} refused: ${a.refusal === 'calling_ae' ? 'calling AE title not allowed' : a.refusal === 'called_ae' ? `called AE title "${a.calledAe}" is not this station's` : 'too busy'}`;
  const i = a.imported!;
  return `${who} ${a.state}: ${a.received} received (${formatBytes(a.bytes)}), ${i.imported} imported, ${i.duplicates} duplicate(s), ${i.rejected} rejected, ${a.failed} refused C-STORE(s)` +
    (a.state === 'aborted' ? '; its exams are held back until sent again' : '');
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
const sayStopped = (out: NodeJS.WriteStream, signal: NodeJS.Signals | null) => { if (signal !== 'SIGHUP') out.write('Stopped.\n'); };

async function commandReceive(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: {
    library: { type: 'string' }, port: { type: 'string' }, aet: { type: 'string' }, allow: { type: 'string', multiple: true },
    network: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.receive + '\n'); return EXIT.ok; }
  const overrides: Partial<ReceiverSettings> = { enabled: true };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be a number from 1 to 65535');
    overrides.port = port;
  }
  const title = (value: string, option: string) => {
    const parsed = aeTitleSchema.safeParse(value);
    if (!parsed.success) throw new UsageError(`${option} must be an AE title: 1 to 16 printable ASCII characters, no backslash`);
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
    out.write(`Receiving into library ${service.paths.root}. Press Ctrl+C to stop.\n`);
    // one line per association once its import has ended (or its refusal)
    const said = new Set<number>();
    const unsubscribe = service.on('receiverChanged', (s) => {
      for (const a of [...s.associations].reverse()) {
        if (said.has(a.id) || (a.state !== 'refused' && a.imported === null)) continue;
        said.add(a.id);
        out.write(`${printable(associationLine(a))}\n`);
      }
    });
    await stopped;
    unsubscribe();
    return EXIT.ok;
  } finally {
    await service.close();
    sayStopped(out, signal);
  }
}

async function commandServe(args: string[], out: NodeJS.WriteStream): Promise<number> {
  const { values } = parseArgs({ args, options: { library: { type: 'string' }, port: { type: 'string' }, 'no-dicom': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out.write(USAGE.serve + '\n'); return EXIT.ok; }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a number from 0 to 65535');
  const stopped = waitForStop();
  // a server never ends for a background task's unexpected failure (as the Electron main process):
  // said in the log, without its data; the readers' requests go on
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${errorForLog(reason)}`));
  const service = openService(values.library, { renditions: true, ai: true, receiver: values['no-dicom'] ? undefined : {}, pacs: true });
  let host: Awaited<ReturnType<typeof startLoopbackHost>> | null = null;
  try {
    // a host that cannot start (the renderer not built, the port taken) ends the command: the
    // station's service (its AI analysing the library) is closed with it, not left running deaf to Ctrl+C
    host = await startLoopbackHost({ service, rendererDir: path.join(ROOT, 'app', 'dist', 'renderer'), port });
    out.write(`Binome is serving library ${service.paths.root}\nOpen this URL in Chromium or Chrome (it carries this run's access token):\n  ${host.openUrl}\nPress Ctrl+C to stop.\n`);
    if (!values['no-dicom']) out.write(`${printable(receiverLine(await service.startReceiver()))}\n`);
    sayStopped(out, await stopped);
    return EXIT.ok;
  } finally {
    await host?.close();
    await service.close();
    // a model run still going after the close's wait: the process ends by SIGTERM here, not aborted
    // by onnxruntime as Node stops its thread at exit (exit 134, a core dump)
    await endIfTasksLeft();
  }
}

export async function main(argv: string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (!process.env.BINOME_LOG_LEVEL) log.setLevel('warn'); // the command line reports for itself
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
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      err.write(`binome: ${(error as Error).message}\nRun "binome ${command && USAGE[command] ? `${command} ` : ''}--help" for usage.\n`);
      return EXIT.usage;
    }
    err.write(`binome: ${error instanceof ApiError ? apiMessage(error) : (error as Error)?.message ?? String(error)}\n`);
    log.debug((error as Error)?.stack ?? '');
    return EXIT.failure;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
