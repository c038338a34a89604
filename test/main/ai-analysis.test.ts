// The AI second reader's queue and analysis, end to end under Node with a tiny fixed-weight model
// (heatmap = sigmoid of the pixel: bright places score highest; a test fixture, not a detector):
// exams are queued, analysed on a worker thread through the pixel pipeline, and their findings land
// on the stored images' pixels; the exam a reader opens goes first; a cancelled job's result is
// dropped; a failed job keeps its reason; a job of a process that died is queued again.
import { after, afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { AiAnalysis } from '../../main/ai/analysis.ts';
import { manifestDigest } from '../../main/ai/manifest-digest.ts';
import { checkModelFolder } from '../../main/ai/model-package.ts';
import type { InferenceRunner } from '../../main/ai/inference.ts';
import { AI_CHOSEN_MODEL_SETTING, AI_SHOWN_MODEL_SETTING, AI_SHOWN_VERSION_SETTING } from '../../main/db/records.ts';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { fixtureManifest, modelRunsLeftReturned, slowModel, writeTinyModel } from '../helpers/onnx-models.ts';
import { choosePriors } from '../../common/hanging/engine.ts';
import { op, openTestStation } from '../helpers/station.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import { ApiError } from '../../common/api.ts';
import { currentOwner } from '../../main/base/process-owner.ts';
import { translate } from '../../common/i18n/messages.ts';
import { failureReason } from '../../renderer/ai/ai-state.ts';
import { CLI_TEXT } from '../../main/cli-text.ts';
import { tempDir } from '../helpers/paths.ts';
import { waitFor } from '../helpers/wait.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { log } from '../../main/base/log.ts';
import { makeMammoFile, writeFourViews } from '../helpers/mammo-files.ts';
import { aiStateText } from '../../renderer/ai/ai-state.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';

const { onnx } = onnxProto;

/** A folder of models holding one slow enough (4 convolutions at the input's size) to catch an analysis between images. */
function slowModelFolder(name: string): string {
  const models = tempDir(name);
  const folder = path.join(models, 'slow');
  fs.mkdirSync(folder, { recursive: true });
  const bytes = slowModel(4);
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.slow', name: 'Slow (test fixture)', imageScore: true, spacingMm: 0.3 })));
  return models;
}

/** Two model folders: the application's ('org.binome.tests.bundled') and the library's ('org.clinic.tests.own'), found in that order. */
function bundledAndLibraryModels(name: string): { bundled: string; library: string } {
  const bundled = tempDir(`${name}-bundled`), library = tempDir(`${name}-library`);
  writeTinyModel(bundled, (m) => { m.id = 'org.binome.tests.bundled'; });
  writeTinyModel(library, (m) => { m.id = 'org.clinic.tests.own'; });
  return { bundled, library };
}

// the runs closed stations could not wait for return before the process exits (onnxruntime aborts it otherwise)
after(() => modelRunsLeftReturned(), { timeout: 330_000 });
// a test that fails before its restore leaves no mock behind: the log mocked silent failed the next test too (a clean-clone run)
afterEach(() => mock.restoreAll());

test('exams are queued, analysed on a worker thread, and the findings land on bright places of the stored images', { timeout: 300_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-models');
  writeTinyModel(models);
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-analysis' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    assert.equal(exams.length, 2);
    const changed: number[] = [];
    analysis = new AiAnalysis(station.db, station.store, [models, path.join(models, 'none-here')], (id) => { if (id !== null) changed.push(id); });
    // the second exam is opened before anything runs: it goes first
    station.db.ai.enqueueAll({ id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: JSON.parse(fs.readFileSync(path.join(models, 'tiny', 'manifest.json'), 'utf8')).sha256 });
    station.db.ai.prioritize(exams[1]!, { id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: '' });
    await analysis.start();
    assert.deepEqual(analysis.availableModels.map((m) => [m.manifest.id, m.provider]), [['org.binome.tests.bright-spots', 'cpu']]);
    for (const examId of exams) await waitFor(`exam ${examId} analysed`, () => station.db.ai.examState(examId)?.status === 'done');
    assert.equal(changed[0], exams[1], 'the opened exam was analysed first');

    const state = station.db.ai.examState(exams[0]!)!;
    assert.equal(state.provider, 'cpu');
    assert.ok(state.timings!.modelMs > 0 && state.timings!.decodeMs > 0, JSON.stringify(state.timings));
    assert.ok(state.examScore! >= 0.7 && state.examScore! <= 1);
    assert.deepEqual(Object.keys(state.breastScores).sort(), ['L', 'R']);
    assert.equal(state.examScore, Math.max(state.breastScores.L!, state.breastScores.R!));
    const findings = station.db.ai.findings(exams[0]!);
    assert.ok(findings.length > 0, 'the bright places were marked');
    // each finding's centre is on its stored image, on a bright (breast, not air) pixel
    for (const f of findings.slice(0, 8)) {
      const file = station.db.worklist.instanceFile(f.instanceId)!;
      const frame = await decodeFrame(station.store.pathFor(file.fileHash));
      const { rows, columns } = frame.header;
      assert.ok(f.x >= -0.5 && f.x <= columns - 0.5 && f.y >= -0.5 && f.y <= rows - 0.5, `finding at ${f.x}, ${f.y} outside ${columns} × ${rows}`);
      const stored = frame.pixels[Math.round(f.y) * columns + Math.round(f.x)]!;
      const air = frame.pixels[0]!;
      assert.ok(Math.abs(stored - air) > 100, `finding at ${f.x.toFixed(0)}, ${f.y.toFixed(0)}: stored ${stored}, air ${air}`);
      assert.ok(f.box[0] <= f.x && f.x <= f.box[2] && f.box[1] <= f.y && f.y <= f.box[3]);
    }
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('jobs another process of the library queued while this station idles are taken up within seconds, not at its minute\'s look', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-other-queue-models');
  writeTinyModel(models);
  const station = openTestStation();
  // an hour between looks for exams other processes imported: only the idle look for queued jobs can take them
  const analysis = new AiAnalysis(station.db, station.store, [models], () => undefined, { idleWakeMs: 3_600_000 });
  const infos = mock.method(log, 'info', () => undefined);
  try {
    await analysis.start();
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-other-queue' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    // queued as another station's loop queues what it imports (nothing wakes this one)
    const [model] = analysis.availableModels;
    station.db.ai.enqueueAll({ id: model!.manifest.id, version: model!.manifest.version, sha256: model!.manifest.sha256 });
    await waitFor('the queued exams analysed by the idle station', () => exams.every((e) => station.db.ai.examState(e)?.status === 'done'), 40_000);
  } finally {
    infos.mock.restore();
    await analysis.close();
    await station.close();
  }
});

test('exams another process of the library imports while this station idles are queued and analysed (its imports do not wake this loop)', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-other-import-models');
  writeTinyModel(models);
  const station = openTestStation();
  // this station's loop, idle on an empty library, looking for other processes' imports every 300 ms
  const analysis = new AiAnalysis(station.db, station.store, [models], () => undefined, { idleWakeMs: 300 });
  const infos = mock.method(log, 'info', () => undefined);
  try {
    await analysis.start();
    assert.equal(station.db.ai.hasUnqueued({ id: 'x', version: '1', sha256: '' }), false);
    // imported through the library alone, as another process does: nothing tells this loop
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-other-import' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    assert.equal(exams.length, 2);
    await waitFor('the other process\'s exams analysed', () => exams.every((e) => station.db.ai.examState(e)?.status === 'done'), 120_000);
    assert.ok(infos.mock.calls.some((c) => /imported by another process queued/.test(String(c.arguments[0]))));
    // nothing left unqueued: the minute's check is a read that finds none
    assert.equal(station.db.ai.hasUnqueued(analysis.availableModels.map((m) => ({ id: m.manifest.id, version: m.manifest.version, sha256: m.manifest.sha256 }))[0]!), false);
  } finally {
    infos.mock.restore();
    await analysis.close();
    await station.close();
  }
});

/**
 * Makes `analysis` find the model `modelId` (in `folder`) late: its check set aside (a slow check, over
 * 10 s, on a loaded machine) until the returned function is called.
 */
function findLate(analysis: AiAnalysis, modelId: string, folder: string): () => void {
  const runner = (analysis as unknown as { runner: InferenceRunner }).runner;
  const discover = runner.discover.bind(runner);
  let release!: () => void;
  const late = new Promise<void>((resolve) => { release = resolve; });
  mock.method(runner, 'discover', async (roots: string[]) => {
    const all = await discover(roots);
    return { ...all, models: all.models.filter((m) => m.manifest.id !== modelId), checking: [folder], complete: late.then(() => all.complete) };
  });
  return release;
}

const translatorFor = (locale: 'en' | 'fr') => (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) => translate(locale, key, params);

test('a model\'s failures are told by reason, with what was wrong (the AI models panel and `binome models`: "8 failed" told a clinic nothing)', { timeout: 300_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'ai-failures' });
    const model = { id: 'm', version: '1.0.0', sha256: 'x' };
    assert.equal(station.db.ai.enqueueAll(model), 3);
    const details = ['RCC: boxes row 0: class 1 is not one of the manifest\'s 1 classes (0 to 0)', 'LMLO: boxes row 2: class 1 is not one of the manifest\'s 1 classes (0 to 0)'];
    for (const detail of details) station.db.ai.fail(station.db.ai.claimNext('me:1', [model])!.id, 'me:1', 'model_output_invalid', detail);
    station.db.ai.fail(station.db.ai.claimNext('me:1', [model])!.id, 'me:1', 'timeout', 'the model took more than 300 s');
    const failures = station.db.ai.failuresOf(model);
    assert.equal(failures.length, 2);
    assert.deepEqual(failures[0]!.code, 'model_output_invalid');
    assert.equal(failures[0]!.count, 2);
    assert.ok(details.includes(failures[0]!.detail!), failures[0]!.detail!);
    assert.deepEqual(failures[1], { code: 'timeout', count: 1, detail: 'the model took more than 300 s' });
    assert.deepEqual(station.db.ai.failuresOf({ id: 'm', version: '2.0.0' }), [], 'another version\'s failures are not this one\'s');
    // said in the reader's language, the model's own fault with what was wrong (in the check's English words)
    const en = failureReason(translatorFor('en'), 'model_output_invalid', details[0]);
    assert.match(en, /^the model gave an output its manifest does not allow for an image \(RCC\).*\(what was wrong: boxes row 0: class 1 is not one of the manifest's 1 classes \(0 to 0\)\)$/);
    assert.match(failureReason(translatorFor('fr'), 'model_output_invalid', details[0]), /\(ce qui n’allait pas, en anglais\u202f: boxes row 0: class 1 /);
    assert.doesNotMatch(failureReason(translatorFor('en'), 'timeout', 'the model took more than 300 s'), /what was wrong/, 'other reasons are said by their code alone');
    // `binome models` says it in words too, then its code ("12 failed: model_run_failed" told IT nothing of whose fault it was: a probe)
    assert.equal(CLI_TEXT.en.modelFailures(2, 'model_output_invalid', en, undefined),
      `2 failed: ${en} [model_output_invalid]`);
    assert.match(CLI_TEXT.fr.modelFailures(1, 'timeout', failureReason(translatorFor('fr'), 'timeout'), 'the model took more than 300 s'),
      /^1 en échec\u202f: le modèle a mis trop de temps sur une image\u202f: .* \[timeout\] \(le dernier\u202f: the model took more than 300 s\)$/);
  } finally {
    await station.close();
  }
});

test('the queue: a cancelled job\'s result is dropped, a failed job keeps its reason, a dead process\'s job is queued again', { timeout: 300_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-queue' });
    const [a, b] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number, number];
    const model = { id: 'm', version: '1.0.0', sha256: 'x' };
    assert.equal(station.db.ai.enqueueAll(model), 2);
    assert.equal(station.db.ai.enqueueAll(model), 0, 'queued once per model version');

    // a process that died while running a job: its job is queued again
    const claimed = station.db.ai.claimNext('999999:0', [model])!;
    assert.equal(claimed.status, 'running');
    assert.equal(station.db.ai.requeueOrphans(() => false), 1);
    assert.equal(station.db.ai.examState(claimed.examId)!.status, 'queued');

    // cancelled while running: the result that comes after is dropped
    const job = station.db.ai.claimNext('me:1', [model])!;
    assert.equal(station.db.ai.cancel(job.examId), 1);
    assert.equal(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: {}, examScore: 0.9, breastScores: { R: 0.9 }, images: 4, findings: [], unreadImages: [] }), false);
    assert.equal(station.db.ai.examState(job.examId)!.status, 'cancelled');

    // failed for what may pass: the reason stays; opening the exam queues it again, first
    const other = station.db.ai.claimNext('me:1', [model])!;
    station.db.ai.fail(other.id, 'me:1', 'worker_crashed', 'the AI thread stopped');
    assert.deepEqual(station.db.ai.examState(other.examId)!.failure, { code: 'worker_crashed', detail: 'the AI thread stopped' });
    // the worklist says why (its code, which the page says in the reader's language)
    const failedRow = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.find((r) => r.examId === other.examId)!;
    assert.deepEqual(failedRow.ai, { status: 'failed', score: null, failure: 'worker_crashed', scoreWithheld: false, paused: false, notRead: [] });
    station.db.ai.prioritize(other.examId, model);
    assert.equal(station.db.ai.examState(other.examId)!.failure, null);
    // failed for what lasts until the station starts again (its model's folder changed): opening it does not try it again
    const again = station.db.ai.claimNext('me:1', [model])!;
    assert.equal(again.examId, other.examId);
    station.db.ai.fail(again.id, 'me:1', 'model_changed', 'the model\'s folder now holds m 2.0.0');
    station.db.ai.prioritize(other.examId, model);
    assert.equal(station.db.ai.examState(other.examId)!.failure?.code, 'model_changed');
    station.db.ai.requeue(other.examId, model);
    assert.equal(station.db.ai.examState(other.examId)!.status, 'queued', 'a requeue asked for still queues it');
    // a model that ran past its time limit: opening the exam does not try it again either (its failure
    // holds the model at the next starts, holdOverran; opening it would have let it run again): her "analyse again" does
    const overran = station.db.ai.claimNext('me:1', [model])!;
    station.db.ai.fail(overran.id, 'me:1', 'timeout', 'RCC: the model ran longer than 300 s on this image');
    station.db.ai.prioritize(overran.examId, model);
    assert.equal(station.db.ai.examState(overran.examId)!.failure?.code, 'timeout');
    assert.deepEqual(station.db.ai.lastOverrun(model)?.examId, overran.examId);
    station.db.ai.requeue(overran.examId, model);
    assert.equal(station.db.ai.examState(overran.examId)!.status, 'queued');
    assert.equal(station.db.ai.lastOverrun(model), null);
    // cancelled by a reader: opening the exam again leaves it cancelled; a reader's requeue queues it, first
    station.db.ai.prioritize(job.examId, model);
    assert.equal(station.db.ai.examState(job.examId)!.status, 'cancelled');
    station.db.ai.requeue(job.examId, model);
    assert.equal(station.db.ai.examState(job.examId)!.status, 'queued');
    // triage: analysed exams by score, the others after them whichever the direction (concurrent
    // reading: the score shows before a first impression)
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'done', exam_score = 0.42 WHERE study_ref = ?`).run(a);
    for (const direction of ['desc', 'asc'] as const) {
      const rows = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction }, offset: 0, limit: 10 })).rows;
      assert.deepEqual(rows.map((r) => r.examId), [a, b], direction);
      assert.deepEqual(rows[0]!.ai, { status: 'done', score: 0.42, failure: null, scoreWithheld: false, paused: false, notRead: [] });
    }
    // read, the scored exam goes after the one still to read that the AI has not scored (an exam the AI
    // refused, to be read unaided, was listed after every read exam: a probe)
    await station.handlers.setExamStatus({ examId: a, status: 'read' });
    for (const direction of ['desc', 'asc'] as const) {
      const rows = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction }, offset: 0, limit: 10 })).rows;
      assert.deepEqual(rows.map((r) => r.examId), [b, a], direction);
    }
    await station.handlers.setExamStatus({ examId: a, status: 'new' });
    // second look: her first impression of the scored exam, not yet read, keeps it above the one the AI
    // could not score (it went below it: a probe)
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'second-look' } });
    await station.handlers.setFirstImpression({ examId: a, impression: 'normal' });
    const impressed = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    assert.deepEqual(impressed.map((r) => r.examId), [a, b]);
    // her normal first impression is said beside the score (the page flags the disagreement where the AI flags the exam)
    assert.deepEqual(impressed.map((r) => r.ai?.firstImpressionNormal ?? false), [true, false]);
    // read here without a first impression, its analysis done: said so (a held Enter closed five exams
    // unseen and the list showed them as any read exam: a probe); not the one read with her impression,
    // nor an exam marked read by anyone else (a PACS prior, the demo), nor in concurrent mode
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'done', exam_score = 0.2 WHERE study_ref = ?`).run(b);
    await station.handlers.setExamStatus({ examId: a, status: 'read' });
    await station.handlers.setExamStatus({ examId: b, status: 'read' });
    const withoutImpression = async () => new Map((await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows
      .map((r) => [r.examId, r.ai?.readWithoutImpression ?? false]));
    assert.deepEqual(await withoutImpression(), new Map([[a, false], [b, true]]));
    // the read unlocks the marks, which the viewer says it shows: not noted on a read exam, nor counted had it
    // been (the list showed such an exam, closed without an impression, as any read one: a probe)
    await station.handlers.noteAiShown({ examId: b });
    assert.equal(station.db.audit.has('local-user', 'ai:shown-before-first-impression', b), false, 'not noted on a read exam');
    station.db.audit.record('local-user', 'ai:shown-before-first-impression', b);
    assert.deepEqual(await withoutImpression(), new Map([[a, false], [b, true]]), 'its AI shown after the read');
    // not where the AI's output showed before the read (concurrent mode, then switched: the marks were on screen)
    await station.handlers.setExamStatus({ examId: b, status: 'in_progress' });
    station.db.audit.record('local-user', 'ai:shown-before-first-impression', b);
    await station.handlers.setExamStatus({ examId: b, status: 'read' });
    assert.deepEqual(await withoutImpression(), new Map([[a, false], [b, false]]), 'its AI shown before the read');
    station.db.connection.prepare(`DELETE FROM audit_log WHERE study_ref = ? AND action = 'ai:shown-before-first-impression'`).run(b);
    // (the same status set again is no change, and not audited: her read stays hers)
    station.db.worklist.setExamStatus(b, 'read', (id) => station.db.audit.record('pacs-prior', 'status:read', id));
    assert.deepEqual(await withoutImpression(), new Map([[a, false], [b, true]]), 'read again by another: no change');
    station.db.worklist.setExamStatus(b, 'new', (id) => station.db.audit.record('pacs-prior', 'status:new', id));
    station.db.worklist.setExamStatus(b, 'read', (id) => station.db.audit.record('pacs-prior', 'status:read', id));
    assert.deepEqual(await withoutImpression(), new Map([[a, false], [b, false]]), 'read by another than this reader');
    await station.handlers.setExamStatus({ examId: b, status: 'in_progress' });
    await station.handlers.setExamStatus({ examId: b, status: 'read' });
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    assert.deepEqual(await withoutImpression(), new Map([[a, false], [b, false]]), 'concurrent mode');
    // and none recorded once it is read (a stray click on a read exam's strip, its marks on screen: a probe);
    // the one given before the read is still answered as it is
    await assert.rejects(station.handlers.setFirstImpression({ examId: b, impression: 'normal' }), (e: unknown) => (e as { key?: string }).key === 'error.firstImpressionExamRead');
    assert.equal(station.db.firstImpressions.get(b, 'local-user'), null);
    assert.equal((await station.handlers.setFirstImpression({ examId: a, impression: 'normal' })).firstImpression?.impression, 'normal');
    await station.handlers.setExamStatus({ examId: a, status: 'new' });
    await station.handlers.setExamStatus({ examId: b, status: 'new' });
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'queued', exam_score = NULL WHERE study_ref = ?`).run(b);
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'queued', exam_score = NULL WHERE study_ref = ?`).run(a);
    const next = station.db.ai.claimNext('me:1', [model])!;
    assert.ok([a, b].includes(next.examId) && next.priority > 0);
    assert.deepEqual(station.db.ai.counts(), { queued: 1, running: 1, done: 0, failed: 0, cancelled: 0 });
  } finally {
    await station.close();
  }
});

test('a model installed back over a newer version that analysed the library (a downgrade) is said so in the models list, and in the log at start (its older results show again, silently: a probe)', { timeout: 180_000 }, async (t) => {
  const models = tempDir('ai-downgrade-models');
  writeTinyModel(models);
  // the test's own mock, restored whatever fails: left in place, the log said nothing to the next test, which failed too (a clean-clone run)
  const warnings = t.mock.method(log, 'warn', () => undefined);
  const station = openTestStation({ modelRoots: [models], analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-downgrade' });
    // listed, not only "ready": a check set aside on a loaded machine lists the model once it ends (a clean-clone run)
    await waitFor('the model listed', async () => (await station.handlers.aiModels({})).models.some((m) => m.id === 'org.binome.tests.bright-spots'), 120_000);
    const examId = (await station.handlers.worklistQuery({ filter: { scope: 'all' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows[0]!.examId;
    const entry = async () => (await station.handlers.aiModels({})).models.find((m) => m.id === 'org.binome.tests.bright-spots')!;
    assert.equal((await entry()).newerAnalysed, undefined, 'nothing newer analysed');
    // a newer version's analysis in the library (run before this one was put back), and an older one's
    const insert = station.db.connection.prepare(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, priority, queued_at, exam_score)
      VALUES (?, 'org.binome.tests.bright-spots', ?, '', ?, 0, '2026-12-01T00:00:00Z', 0.5)`);
    insert.run(examId, '0.0.9', 'done');
    insert.run(examId, '0.10.0', 'failed');
    assert.equal((await entry()).newerAnalysed, undefined, 'an older version, and a newer one that analysed nothing, are not said');
    insert.run(examId, '0.2.0', 'done');
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'done' WHERE model_version = '0.10.0'`).run();
    assert.equal((await entry()).newerAnalysed, '0.10.0', 'the newest, by version order (0.10 after 0.2)');
  } finally {
    await station.close();
  }
  // at the next start, the log says it too
  const again = openTestStation({ libraryDir: path.dirname(station.paths.database), modelRoots: [models] });
  try {
    await waitFor('said in the log', () => warnings.mock.calls.some((c) => String(c.arguments[0]) === 'AI model org.binome.tests.bright-spots 0.1.0: older than version 0.10.0, which analysed exams of this library; exams show this version\'s analyses, made again where it has none'), 60_000);
  } finally {
    await again.close();
  }
});

test('the exam a reader opens goes first, the prior its comparison hangs beside it next, and a prior she chooses instead after it: the comparison said "analysis queued" on the prior while other women\'s exams ran (a probe)', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-prior-first-models');
  writeTinyModel(models);
  // the models found, nothing analysed: the queue's order is what is looked at
  const station = openTestStation({ modelRoots: [models], analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 2, size: 'reduced', seed: 'ai-prior-first' });
    await waitFor('the models checked', async () => (await station.handlers.aiModels({})).state === 'ready', 60_000);
    const rows = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 20 })).rows;
    const current = rows[0]!.examId;
    const detail = await op(station, 'examDetail', { examId: current, purpose: 'open' });
    const [hung] = choosePriors(detail.exam, detail.priors);
    assert.ok(hung !== undefined, 'the exam has a prior to compare');
    const order = () => (station.db.connection.prepare(`SELECT study_ref FROM ai_jobs WHERE status = 'queued' AND priority > 0 ORDER BY priority DESC`).pluck().all() as number[]);
    assert.deepEqual(order(), [current, hung]);
    // she compares with her other prior: analysed after the exam she reads, before the prior she set aside
    const other = detail.priors.map((p) => p.examId).find((id) => id !== hung)!;
    assert.ok(other !== undefined, 'a second prior');
    await op(station, 'examDetail', { examId: other, purpose: 'prior' });
    assert.deepEqual(order(), [current, other, hung]);
    // another woman's exam: not moved by these
    assert.ok(!order().includes(rows.find((r) => ![current, hung, other].includes(r.examId))!.examId));
  } finally {
    await station.close();
  }
});

test('an analysis another process of the library left running when it was killed is taken up by a live station, not left "analysing" until some station starts again', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-orphan-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-orphan' });
    const [a, b] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number, number];
    for (const examId of [a, b]) await waitFor(`exam ${examId} analysed`, () => station.db.ai.examState(examId)?.status === 'done');
    // exam a's analysis as a killed process leaves it: running, owned by a process that is gone
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'running', owner = '999999:0', finished_at = NULL WHERE study_ref = ?`).run(a);
    // anything that wakes the station's analysis (here the reader opening exam b) takes it up, and says so
    // in the log (taken back in silence, two stations in other containers took each other's: an IT person's probe)
    const logged: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => { logged.push(String(chunk)); return write(chunk, ...rest); }) as typeof process.stderr.write;
    try {
      await op(station, 'examDetail', { examId: b, purpose: 'open' });
      await waitFor('the orphaned analysis done again', () => station.db.ai.examState(a)?.status === 'done', 20_000);
    } finally {
      process.stderr.write = write;
    }
    assert.ok(logged.some((l) => /WARN AI: 1 analysis left running by a process that no longer runs on this computer queued again/.test(l)), logged.join(''));
  } finally {
    await station.close();
  }
});

test('several models: exams show the library\'s model (the last found), whichever analysed last, in the worklist, the state and the findings', { timeout: 300_000 }, async () => {
  const { bundled, library } = bundledAndLibraryModels('ai-shown');
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-shown' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    analysis = new AiAnalysis(station.db, station.store, [bundled, library]);
    await analysis.start();
    assert.deepEqual(analysis.availableModels.map((m) => m.manifest.id), ['org.binome.tests.bundled', 'org.clinic.tests.own']);
    await waitFor('both models analysed the exam', () => station.db.ai.counts().done === 2);
    await analysis.close();
    analysis = null;
    const jobs = station.db.connection.prepare('SELECT id, model_id FROM ai_jobs WHERE study_ref = ? ORDER BY id').all(exam) as { id: number; model_id: string }[];
    // the clinic's analysis scores 0.3, the bundled model's 0.9; then the bundled model is updated: a newer job of its new version
    station.db.connection.prepare(`UPDATE ai_jobs SET exam_score = CASE model_id WHEN 'org.clinic.tests.own' THEN 0.3 ELSE 0.9 END WHERE study_ref = ?`).run(exam);
    const ownJob = jobs.find((j) => j.model_id === 'org.clinic.tests.own')!.id;
    station.db.ai.enqueueAll({ id: 'org.binome.tests.bundled', version: '0.2.0', sha256: 'x' });
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'done', exam_score = 0.95 WHERE model_version = '0.2.0'`).run();
    assert.ok((station.db.connection.prepare('SELECT max(id) AS id FROM ai_jobs').get() as { id: number }).id > ownJob, 'the bundled model\'s job is the newest');
    const state = station.db.ai.examState(exam)!;
    assert.equal(state.model.id, 'org.clinic.tests.own');
    assert.equal(state.examScore, 0.3);
    const ownFindings = station.db.connection.prepare('SELECT count(*) AS n FROM ai_findings WHERE job_ref = ?').get(ownJob) as { n: number };
    assert.equal(station.db.ai.findings(exam).length, ownFindings.n);
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    const row = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows.find((r) => r.examId === exam)!;
    assert.deepEqual(row.ai, { status: 'done', score: 0.3, failure: null, scoreWithheld: false, paused: false, notRead: [] });
    // a new version of the clinic's model, queued: while the station runs the old one, its result shows
    station.db.ai.enqueueAll({ id: 'org.clinic.tests.own', version: '0.2.0', sha256: 'y' });
    assert.equal(station.db.ai.examState(exam)!.status, 'done');
    // installed (the AI loop writes the version it runs): the exam says it is queued, and shows no other model's findings in their place
    station.db.settings.setChanged({ [AI_SHOWN_VERSION_SETTING]: '0.2.0' });
    assert.equal(station.db.ai.examState(exam)!.status, 'queued');
    assert.equal(station.db.ai.examState(exam)!.model.id, 'org.clinic.tests.own');
    assert.deepEqual(station.db.ai.findings(exam), []);
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('several models: of an exam opened, the shown model\'s analysis runs first (the one the reader sees), whichever model was found last', { timeout: 300_000 }, async () => {
  const { bundled, library } = bundledAndLibraryModels('ai-first');
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-shown-first' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    analysis = new AiAnalysis(station.db, station.store, [bundled, library]);
    await analysis.start();
    assert.equal(analysis.choose('org.binome.tests.bundled'), true, 'the clinic shows the bundled model (found first)');
    await waitFor('both models analysed the exam', () => station.db.ai.counts().done === 2);
    await analysis.close();
    // both analyses waiting again, in the background; the reader opens the exam
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'queued', priority = 0`).run();
    analysis.prioritize(exam);
    const refs = analysis.availableModels.map((m) => ({ id: m.manifest.id, version: m.manifest.version, sha256: m.manifest.sha256 }));
    assert.equal(station.db.ai.claimNext('me:1', refs)!.model.id, 'org.binome.tests.bundled');
    // both cancelled by the reader, then asked for again
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'cancelled', priority = 0`).run();
    assert.equal(analysis.requeue(exam), true);
    assert.equal(station.db.ai.claimNext('me:1', refs)!.model.id, 'org.binome.tests.bundled', 'asked for again, too');
    analysis = null;
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('several models: an exam no model has analysed yet names the model exams show (the last found); an exam not in the library is not found, and the most recent exams are queued first', { timeout: 120_000 }, async () => {
  const { bundled, library } = bundledAndLibraryModels('ai-named');
  const libraryDir = tempDir('ai-named-library');
  // its look for other processes' imports put off past the test: every 5 s, it queued the exam the other
  // station imported whenever the demo ended after a look (a clean-clone run)
  const station = openTestStation({ libraryDir, modelRoots: [bundled, library], otherImportsEveryMs: 10 * 60_000 });
  try {
    await waitFor('the models found', async () => (await station.handlers.aiModels({})).models.length === 2);
    // and the library prepared by its loop (the shown model written, the exams there queued): prepared
    // late, on a loaded machine, its start queued the exam imported below (a flake)
    await waitFor('the station\'s start written', () => station.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.clinic.tests.own');
    // imported by another process (one without models): this station queues it at its next look, not at once
    const other = openTestStation({ libraryDir, modelRoots: [tempDir('ai-named-none')] });
    try {
      await other.handlers.loadDemoExams({ patients: 1, priors: 2, size: 'reduced', seed: 'ai-named' });
    } finally {
      await other.close();
    }
    const exams = station.db.connection.prepare('SELECT id, study_date FROM studies ORDER BY id').all() as { id: number; study_date: string }[];
    assert.equal(exams.length, 3);
    const results = await station.handlers.aiResults({ examId: exams[0]!.id });
    assert.equal(results.state, null);
    assert.equal(results.model!.id, 'org.clinic.tests.own');
    await assert.rejects(station.handlers.aiResults({ examId: 424242 }), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
    // a woman's current exam before her priors: its triage score is the one the reading list needs
    // first (a version this station does not run: its loop leaves these jobs to the test)
    const notRunHere = { id: 'org.clinic.tests.own', version: '0.0.9', sha256: '0'.repeat(64) };
    station.db.ai.enqueueAll(notRunHere);
    const claimed = [0, 1, 2].map(() => station.db.ai.claimNext('me:1', [notRunHere])!.examId);
    assert.deepEqual(claimed.map((id) => exams.find((e) => e.id === id)!.study_date), exams.map((e) => e.study_date).sort().reverse());
  } finally {
    await station.close();
  }
});

test('two stations on one library: one started later shows its model, and the other shows it too where it runs it, its AI models panel and its exams alike (a probe\'s first station named its own model shown while its exams showed the other\'s)', { timeout: 120_000 }, async () => {
  const { bundled, library } = bundledAndLibraryModels('ai-two-shown');
  const libraryDir = tempDir('ai-two-shown-library');
  const shownOf = async (station: ReturnType<typeof openTestStation>) => (await station.handlers.aiModels({})).models.filter((m) => m.shown).map((m) => m.id);
  const first = openTestStation({ libraryDir, modelRoots: [bundled, library] });
  try {
    await first.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-two-shown' });
    await waitFor('the first station\'s models found and its start written', () => first.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.clinic.tests.own');
    assert.deepEqual(await shownOf(first), ['org.clinic.tests.own'], 'the last found');
    // a second station on the library that runs the bundled model alone: it shows that one
    const second = openTestStation({ libraryDir, modelRoots: [bundled] });
    try {
      await waitFor('the second station\'s start written', () => first.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.binome.tests.bundled');
      await waitFor('the first station shows it too', async () => (await shownOf(first)).join() === 'org.binome.tests.bundled', 10_000);
      const [exam] = (await first.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
      assert.equal((await first.handlers.aiResults({ examId: exam })).model?.id, 'org.binome.tests.bundled');
      // not written back: the library still names the second station's
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(first.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.binome.tests.bundled');
    } finally {
      await second.close();
    }
    // a choice made, then taken back: the first station's default is the one it showed last
    await first.handlers.chooseAiModel({ modelId: 'org.clinic.tests.own' });
    assert.deepEqual(await shownOf(first), ['org.clinic.tests.own']);
    await first.handlers.chooseAiModel({ modelId: null });
    assert.deepEqual(await shownOf(first), ['org.binome.tests.bundled']);
    // a command that lists the models (binome models: found, nothing analysed) says the one the library shows,
    // not the last it found (an IT probe)
    const lister = openTestStation({ libraryDir, modelRoots: [bundled, library], analyse: false });
    try {
      await waitFor('the lister\'s models found', async () => (await lister.handlers.aiModels({})).models.length === 2);
      assert.deepEqual(await shownOf(lister), ['org.binome.tests.bundled']);
    } finally {
      await lister.close();
    }
  } finally {
    await first.close();
  }
});

test('an exam\'s images the model does not read (views it was not made for) are listed as not analysed, not left to look like "nothing found"', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-not-analysed-models');
  writeTinyModel(models, (m) => { m.input.views = ['CC']; });
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-not-analysed' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    await waitFor('the exam analysed', async () => (await station.handlers.aiResults({ examId: exam!.examId })).state?.status === 'done', 90_000);
    const results = await station.handlers.aiResults({ examId: exam!.examId });
    const images = (await station.handlers.examDetail({ examId: exam!.examId })).series.flatMap((s) => s.instances).filter((i) => i.isImage);
    const byView = (pattern: RegExp) => images.filter((i) => pattern.test(i.viewLabel ?? '')).map((i) => i.instanceId).sort();
    assert.ok(byView(/MLO/).length >= 2 && byView(/^[RL]CC$/).length >= 2, 'the exam has CC and MLO views');
    assert.deepEqual(results.notAnalysed.map((n) => n.instanceId).sort(), images.filter((i) => !/^[RL]CC$/.test(i.viewLabel ?? '')).map((i) => i.instanceId).sort());
    assert.ok(results.notAnalysed.every((n) => n.reason === 'view'));
    assert.ok(results.findings.every((f) => byView(/^[RL]CC$/).includes(f.instanceId)), 'findings only on the views it reads');
  } finally {
    await station.close();
  }
});

test('a model made for finer pixels does not read an exam of coarser ones (a reduced copy): the exam fails saying so, in both languages, each image says why, and the finer exam beside it is analysed', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-coarse-models');
  // the reduced demo images are 0.28 mm (detector A) and 0.4 mm (B); the full-size ones 0.07 and 0.1
  writeTinyModel(models, (m) => { m.input.maxSourceSpacingMm = 0.1; });
  const warnings = mock.method(log, 'warn', () => undefined);
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-coarse' });
    const folder = tempDir('ai-fine');
    writeFourViews(folder, { patientId: 'FINE1', patientName: 'FINE^PIXELS', studyUid: '1.2.826.0.1.3680043.9.7433.89.1', studyDate: '20250101', rows: 256, columns: 192 });
    await station.handlers.importPaths({ paths: [folder] });
    const rows = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    const coarse = rows.find((r) => r.patientId !== 'FINE1')!, fine = rows.find((r) => r.patientId === 'FINE1')!;
    await waitFor('both exams analysed or failed', async () => ['failed', 'done'].includes((await station.handlers.aiResults({ examId: coarse.examId })).state?.status ?? '')
      && (await station.handlers.aiResults({ examId: fine.examId })).state?.status === 'done', 90_000);
    const results = await station.handlers.aiResults({ examId: coarse.examId });
    assert.equal(results.state!.status, 'failed');
    assert.equal(results.state!.failure!.code, 'images_too_coarse');
    assert.match(translate('en', 'ai.failure.images_too_coarse'), /coarser than the model reads/);
    assert.match(translate('fr', 'ai.failure.images_too_coarse'), /plus grands que ceux que lit le modèle/);
    // said as what the images are, not as a failure (every exam of a reduced demo library said "failed")
    const said = (locale: 'en' | 'fr') => aiStateText((k, p) => translate(locale, k, p), results, { showScore: true, locale });
    assert.equal(said('en'), 'not analysed: the images’ pixels are coarser than the model reads (a reduced copy, or a detector of larger pixels)');
    assert.match(said('fr'), /^non analysé\u202f: les pixels des images sont plus grands/);
    const images = (await station.handlers.examDetail({ examId: coarse.examId })).series.flatMap((s) => s.instances).filter((i) => i.isImage);
    const screening = images.filter((i) => /^[RL](CC|MLO)$/.test(i.viewLabel ?? ''));
    assert.ok(screening.length >= 4);
    assert.deepEqual(results.notAnalysed.filter((n) => n.reason === 'pixel-size').map((n) => n.instanceId).sort(), screening.map((i) => i.instanceId).sort());
    // a lasting failure: opening the exam does not queue it again for nothing
    await station.handlers.examDetail({ examId: coarse.examId });
    assert.equal((await station.handlers.aiResults({ examId: coarse.examId })).state!.status, 'failed');
    const fineResults = await station.handlers.aiResults({ examId: fine.examId });
    assert.deepEqual(fineResults.notAnalysed, [], 'the 0.1 mm exam is read whole');
    // what the exam is, logged by its code: not an unexpected error with its stack
    const logged = warnings.mock.calls.map((c) => String(c.arguments[0])).filter((l) => l.startsWith(`AI analysis of exam ${coarse.examId} `) && l.includes(' failed: '));
    // (naming the model: with several installed, a probe's log said the same line twice, of two models, and named neither)
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.match(logged[0]!, new RegExp(`^AI analysis of exam ${coarse.examId} by [a-z0-9._-]+ \\d+\\.\\d+\\.\\d+ failed: images_too_coarse$`));
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('an exam whose one breast the model could not read (coarser pixels), or with images naming no single breast, says so beside its score, in the worklist and the viewer, in both languages', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-one-breast-models');
  writeTinyModel(models, (m) => { m.input.maxSourceSpacingMm = 0.1; });
  const station = openTestStation({ modelRoots: [models] });
  try {
    const folder = tempDir('ai-one-breast');
    const exam = { patientId: 'HALF1', patientName: 'HALF^READ', studyUid: '1.2.826.0.1.3680043.9.7433.89.2', studyDate: '20250102', rows: 256, columns: 192 };
    let n = 1;
    for (const view of ['CC', 'MLO'] as const) for (const laterality of ['R', 'L'] as const) {
      // the left breast's images at 0.2 mm, coarser than the model reads; the right's at 0.1
      fs.writeFileSync(path.join(folder, `${laterality}${view}.dcm`), makeMammoFile({ ...exam, laterality, view, instanceNumber: n++, spacingMm: laterality === 'L' ? 0.2 : 0.1 }));
    }
    await station.handlers.importPaths({ paths: [folder] });
    const [row] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    await waitFor('the exam analysed', async () => (await station.handlers.aiResults({ examId: row!.examId })).state?.status === 'done', 90_000);
    const results = await station.handlers.aiResults({ examId: row!.examId });
    assert.deepEqual(Object.keys(results.state!.breastScores), ['R']);
    assert.deepEqual(results.state!.notRead, ['L']);
    const images = (await station.handlers.examDetail({ examId: row!.examId })).series.flatMap((s) => s.instances).filter((i) => i.isImage);
    assert.deepEqual(results.notAnalysed.map((i) => i.instanceId).sort(), images.filter((i) => i.imageLaterality === 'L').map((i) => i.instanceId).sort());
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    const listed = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows[0]!;
    assert.deepEqual(listed.ai, { status: 'done', score: results.state!.examScore, failure: null, scoreWithheld: false, paused: false, notRead: ['L'] });
    const said = (locale: 'en' | 'fr', showScore: boolean) => aiStateText((key, params) => translate(locale, key, params), results, { showScore, locale });
    // the model's scores are uncalibrated: said so, "0.93" alone reads as a probability
    assert.match(said('en', true), /^analysed · exam score \d\.\d\d \(uncalibrated, 0–1: not a probability\) · left breast not read by the model$/);
    assert.match(said('fr', true), /^analysé · score d’examen \d,\d\d \(non calibré, de 0 à 1\u202f: pas une probabilité\) · sein gauche non lu par le modèle$/);
    // in second look, before the reader's first impression: the score is held back, the unread breast is not
    assert.equal(said('en', false), 'analysed · left breast not read by the model');
    // images naming no single breast (no laterality; B): never read, said so; named neither left nor
    // right (the lateromedial view's label, LM, starts with an L)
    const other = tempDir('ai-no-laterality');
    const unnamed = { ...exam, patientId: 'NOLAT1', patientName: 'SANS^LATERALITE', studyUid: '1.2.826.0.1.3680043.9.7433.89.3' };
    fs.writeFileSync(path.join(other, 'RCC.dcm'), makeMammoFile({ ...unnamed, laterality: 'R', view: 'CC', instanceNumber: 1 }));
    fs.writeFileSync(path.join(other, 'RMLO.dcm'), makeMammoFile({ ...unnamed, laterality: 'R', view: 'MLO', instanceNumber: 2 }));
    fs.writeFileSync(path.join(other, 'CC.dcm'), makeMammoFile({ ...unnamed, laterality: null, view: 'CC', instanceNumber: 3 }));
    fs.writeFileSync(path.join(other, 'BMLO.dcm'), makeMammoFile({ ...unnamed, laterality: 'B', view: 'MLO', instanceNumber: 4 }));
    await station.handlers.importPaths({ paths: [other] });
    const noLat = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.find((r) => r.patientId === 'NOLAT1')!;
    await waitFor('the exam analysed', async () => (await station.handlers.aiResults({ examId: noLat.examId })).state?.status === 'done', 90_000);
    assert.deepEqual((await station.handlers.aiResults({ examId: noLat.examId })).state!.notRead, ['no-laterality']);
    const noLatRow = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.find((r) => r.patientId === 'NOLAT1')!;
    assert.deepEqual(noLatRow.ai!.notRead, ['no-laterality']);
    assert.equal(translate('fr', 'ai.notRead.no-laterality'), 'images sans latéralité non lues par le modèle');
  } finally {
    await station.close();
  }
});

test('the station analyses what it imports and answers aiResults: state, findings above the operating point, and what the model is', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-station-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models] });
  try {
    const changed: (number | null)[] = [];
    station.on('aiChanged', ({ examId }) => changed.push(examId));
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-station' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    const results = await (async () => {
      for (let i = 0; i < 900; i++) {
        const r = await station.handlers.aiResults({ examId: exam!.examId });
        if (r.state?.status === 'done') return r;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('not analysed in 90 s');
    })();
    assert.ok(changed.includes(exam!.examId), 'aiChanged was sent');
    // the worklist carries the state and score (concurrent reading), and sorts by it (triage)
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    const listed = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows[0]!;
    assert.deepEqual(listed.ai, { status: 'done', score: results.state!.examScore, failure: null, scoreWithheld: false, paused: false, notRead: [] });
    assert.equal(results.state!.provider, 'cpu');
    assert.deepEqual(results.model && { trainedOn: results.model.trainedOn, notForDiagnosticUse: results.model.notForDiagnosticUse, operatingPoint: results.model.operatingPoint },
      { trainedOn: 'synthetic', notForDiagnosticUse: true, operatingPoint: { name: 'default', threshold: 0.7 } });
    assert.ok(results.findings.length > 0 && results.findings.every((f) => f.score >= 0.7));
    // a library without models: no state, no model, nothing to show
    const empty = openTestStation();
    try {
      await empty.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-station-none' });
      const [none] = (await empty.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows;
      assert.deepEqual(await empty.handlers.aiResults({ examId: none!.examId }), { state: null, model: null, findings: [], notAnalysed: [], cadReports: [], firstImpression: null, shownBeforeFirstImpression: false });
    } finally {
      await empty.close();
    }
  } finally {
    await station.close();
  }
});

test('a model of the same name as the library\'s model, dropped later in a folder sorted before it, is the one refused: the name the readers know stays the model whose analyses the library has', { timeout: 180_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-known-name');
  writeTinyModel(models, (m) => { m.name = 'Clinic detector'; });
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-known-name' });
    const manifest = JSON.parse(fs.readFileSync(path.join(models, 'tiny', 'manifest.json'), 'utf8'));
    station.db.ai.enqueueAll({ id: manifest.id, version: manifest.version, sha256: manifest.sha256 });
    // the newcomer: the same file and name under another id, in a folder read first
    fs.cpSync(path.join(models, 'tiny'), path.join(models, 'aaa-newcomer'), { recursive: true });
    fs.writeFileSync(path.join(models, 'aaa-newcomer', 'manifest.json'), JSON.stringify({ ...manifest, id: 'com.other.tests.newcomer', version: '9.0.0' }));
    analysis = new AiAnalysis(station.db, station.store, [models]);
    await analysis.start({ analyse: false });
    assert.deepEqual(analysis.availableModels.map((m) => path.basename(m.folder)), ['tiny']);
    assert.deepEqual(analysis.refused.map((r) => [path.basename(r.folder), r.problem.code]), [['aaa-newcomer', 'duplicate_name']]);
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('AI models: those running and those refused (and why) are listed; the model exams show is chosen, moves every exam\'s score and the triage, is audited, and is kept while that model is away', { timeout: 180_000 }, async () => {
  const bundled = tempDir('ai-choose-bundled');
  const libraryDir = tempDir('ai-choose-library');
  const libraryModels = path.join(libraryDir, 'models');
  writeTinyModel(bundled, (m) => { m.id = 'org.binome.tests.bundled'; m.name = 'Bundled'; });
  writeTinyModel(libraryModels, (m) => { m.id = 'org.clinic.tests.own'; m.name = 'Clinic'; });
  // a vendor's model dropped in damaged: its file is not the one its manifest describes
  const damaged = tempDir('ai-choose-damaged');
  writeTinyModel(damaged, (m) => { m.id = 'com.vendor.tests.damaged'; m.sha256 = '0'.repeat(64); });
  fs.renameSync(path.join(damaged, 'tiny'), path.join(libraryModels, 'vendor-model'));
  let station = openTestStation({ libraryDir, modelRoots: [bundled, libraryModels] });
  try {
    await waitFor('the models checked', async () => (await op(station, 'aiModels', {})).state === 'ready');
    let status = await op(station, 'aiModels', {});
    assert.deepEqual(status.models.map((m) => [m.id, m.source, m.folder, m.provider, m.shown]),
      [['org.binome.tests.bundled', 'application', 'tiny', 'cpu', false], ['org.clinic.tests.own', 'library', 'tiny', 'cpu', true]]);
    assert.equal(status.chosen, null);
    assert.equal(status.libraryModelsFolder, libraryModels);
    assert.deepEqual(status.refused.map((r) => [r.source, r.folder, r.problem.code]), [['library', 'vendor-model', 'checksum_mismatch']]);
    // the French panel says why in French
    assert.match(describeModelProblem('fr', status.refused[0]!.problem), /n’est pas le fichier que décrit son manifeste/);

    // concurrent reading: the worklist shows the score before any first impression
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-choose' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    await waitFor('both models analysed the exam', () => station.db.ai.counts().done === 2);
    status = await op(station, 'aiModels', {});
    assert.deepEqual(status.models.map((m) => m.analyses.done), [1, 1]);
    // the two analyses told apart by their scores: the clinic's 0.3, the bundled model's 0.9
    station.db.connection.prepare(`UPDATE ai_jobs SET exam_score = CASE model_id WHEN 'org.clinic.tests.own' THEN 0.3 ELSE 0.9 END WHERE study_ref = ?`).run(exam);
    const listed = async () => (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows.find((r) => r.examId === exam)!.ai!.score;
    assert.equal(await listed(), 0.3);

    const told: (number | null)[] = [];
    station.on('aiChanged', ({ examId }) => told.push(examId));
    status = await op(station, 'chooseAiModel', { modelId: 'org.binome.tests.bundled' });
    assert.equal(status.chosen, 'org.binome.tests.bundled');
    assert.deepEqual(status.models.map((m) => m.shown), [true, false]);
    assert.equal(await listed(), 0.9, 'the worklist shows (and triages by) the chosen model\'s score');
    assert.equal((await op(station, 'aiResults', { examId: exam })).model!.id, 'org.binome.tests.bundled');
    assert.equal(station.db.ai.examState(exam)!.examScore, 0.9);
    assert.deepEqual(told, [null], 'the pages were told that every exam may have changed');
    const audited = station.db.connection.prepare(`SELECT action FROM audit_log WHERE action LIKE 'ai:show-model:%' ORDER BY id`).all() as { action: string }[];
    assert.deepEqual(audited.map((a) => a.action), ['ai:show-model:org.binome.tests.bundled']);

    // a model that does not run here (the refused one, or none at all) cannot be chosen: nothing changes
    for (const modelId of ['com.vendor.tests.damaged', 'org.nowhere']) {
      await assert.rejects(async () => op(station, 'chooseAiModel', { modelId }), (e: { code?: string; key?: string }) => e.code === 'bad_request' && e.key === 'error.aiModelUnknown');
    }
    // a model put in a folder while the station runs is not there yet: said so (a vendor's probe read "no model runs" of one `binome models` listed)
    assert.match(translate('fr', 'error.aiModelUnknown', { model: 'com.acme.x' }), /^Aucun modèle «\u202fcom\.acme\.x\u202f» ne fonctionne sur cette station\. Un modèle mis dans un dossier de modèles depuis le démarrage de la station fonctionne une fois celle-ci redémarrée\.$/);
    await assert.rejects(async () => op(station, 'chooseAiModel', { modelId: 'Not An Id; DROP TABLE' }), (e: { code?: string }) => e.code === 'bad_request');
    assert.equal((await op(station, 'aiModels', {})).chosen, 'org.binome.tests.bundled');
    assert.equal(await listed(), 0.9);
    await station.close();

    // restarted without the bundled model: the choice is kept, the last found is shown meanwhile; back, it is shown again
    station = openTestStation({ libraryDir, modelRoots: [libraryModels] });
    await waitFor('the models checked', async () => (await op(station, 'aiModels', {})).state === 'ready');
    status = await op(station, 'aiModels', {});
    assert.equal(status.chosen, 'org.binome.tests.bundled');
    assert.deepEqual(status.models.map((m) => [m.id, m.shown]), [['org.clinic.tests.own', true]]);
    assert.equal(await listed(), 0.3);
    await station.close();
    station = openTestStation({ libraryDir, modelRoots: [bundled, libraryModels] });
    await waitFor('the models checked', async () => (await op(station, 'aiModels', {})).state === 'ready');
    assert.equal(await listed(), 0.9);
    // automatic again: the last found
    status = await op(station, 'chooseAiModel', { modelId: null });
    assert.equal(status.chosen, null);
    assert.deepEqual(status.models.map((m) => m.shown), [false, true]);
    assert.equal(await listed(), 0.3);
  } finally {
    await station.close();
  }
});

test('a library\'s copy of a bundled model replaces it, and is said to be older when it is (an update of the application shipped a newer version that the copy kept from use)', { timeout: 120_000 }, async () => {
  const bundled = tempDir('ai-older-copy-bundled');
  const libraryDir = tempDir('ai-older-copy-library');
  const libraryModels = path.join(libraryDir, 'models');
  const model = (root: string, folder: string, id: string, version: string) => {
    const made = writeTinyModel(tempDir(`ai-older-copy-${folder}`), (m) => { m.id = id; m.version = version; });
    fs.mkdirSync(root, { recursive: true });
    fs.renameSync(made, path.join(root, folder));
  };
  model(bundled, 'updated', 'org.binome.tests.updated', '0.5.1');
  model(bundled, 'pinned', 'org.binome.tests.pinned', '1.0.0');
  model(libraryModels, 'copied-before-the-update', 'org.binome.tests.updated', '0.5.0');
  model(libraryModels, 'newer', 'org.binome.tests.pinned', '1.1.0');
  const station = openTestStation({ libraryDir, modelRoots: [bundled, libraryModels] });
  try {
    await waitFor('the models checked', async () => (await op(station, 'aiModels', {})).state === 'ready');
    const status = await op(station, 'aiModels', {});
    assert.deepEqual(status.models.map((m) => `${m.id}@${m.version}`).sort(), ['org.binome.tests.pinned@1.1.0', 'org.binome.tests.updated@0.5.0']);
    assert.deepEqual(status.replaced.map((r) => [r.source, r.id, r.version, r.by, r.byVersion, r.byOlder]).sort(), [
      ['application', 'org.binome.tests.pinned', '1.0.0', 'newer', '1.1.0', false],
      ['application', 'org.binome.tests.updated', '0.5.1', 'copied-before-the-update', '0.5.0', true],
    ]);
  } finally {
    await station.close();
  }
});

test('AI models where the station runs no AI (a command line): said so, and nothing can be chosen', async () => {
  const station = openTestStation();
  try {
    assert.deepEqual(await op(station, 'aiModels', {}), { state: 'off', models: [], refused: [], replaced: [], chosen: null, libraryModelsFolder: null });
    await assert.rejects(async () => op(station, 'chooseAiModel', { modelId: null }), (e: { code?: string; key?: string }) => e.code === 'unavailable' && e.key === 'error.aiNotRunning');
  } finally {
    await station.close();
  }
});

test('finding the models only (binome models) queues nothing and changes nothing a running station shows; choosing does', { timeout: 120_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-find-only');
  writeTinyModel(models);
  const analysis = new AiAnalysis(station.db, station.store, [models]);
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-find-only' });
    station.db.settings.set(AI_SHOWN_MODEL_SETTING, 'org.running.station');
    await analysis.start({ analyse: false });
    assert.equal(analysis.shownModel?.manifest.id, 'org.binome.tests.bright-spots');
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.running.station', 'what a running station shows is left alone');
    assert.deepEqual(station.db.ai.counts(), { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 });
    assert.equal(analysis.choose('org.binome.tests.bright-spots'), true);
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.binome.tests.bright-spots');
  } finally {
    await analysis.close();
    await station.close();
  }
});

test('a model chosen in another process on the library (binome models --show, another window): this station\'s pages hear of it', { timeout: 120_000 }, async () => {
  const bundled = tempDir('ai-other-process-bundled');
  const libraryDir = tempDir('ai-other-process');
  writeTinyModel(bundled, (m) => { m.id = 'org.binome.tests.bundled'; });
  writeTinyModel(path.join(libraryDir, 'models'), (m) => { m.id = 'org.clinic.tests.own'; });
  const roots = [bundled, path.join(libraryDir, 'models')];
  const station = openTestStation({ libraryDir, modelRoots: roots });
  const other = openTestStation({ libraryDir, modelRoots: roots });
  try {
    for (const s of [station, other]) await waitFor('the models checked', async () => (await op(s, 'aiModels', {})).state === 'ready');
    const told: (number | null)[] = [];
    station.on('aiChanged', ({ examId }) => told.push(examId));
    await op(other, 'chooseAiModel', { modelId: 'org.binome.tests.bundled' });
    await waitFor('the station told its pages', () => told.includes(null), 10_000);
    assert.deepEqual((await op(station, 'aiModels', {})).models.filter((m) => m.shown).map((m) => m.id), ['org.binome.tests.bundled']);
  } finally {
    await other.close();
    await station.close();
  }
});

test('a model chosen by a command line that found one this station does not run: the station shows its own again, and no exam\'s triage score goes blank', { timeout: 120_000 }, async () => {
  const running = tempDir('ai-cli-choice-running');
  const added = tempDir('ai-cli-choice-added');
  writeTinyModel(running);
  writeTinyModel(added, (m) => { m.id = 'org.clinic.tests.added'; });
  const station = openTestStation({ modelRoots: [running] });
  const cli = new AiAnalysis(station.db, station.store, [running, added]);
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-cli-choice' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    // the triage sort's key (the worklist holds the score back in second look, not the sort)
    const score = async () => (station.db.connection.prepare('SELECT ai_score FROM studies WHERE id = ?').get(exam) as { ai_score: number | null }).ai_score;
    await waitFor('the triage score', async () => (await score()) !== null);
    // binome models --show, in its own process: it found the added model, the station did not
    await cli.start({ analyse: false });
    assert.equal(cli.choose('org.clinic.tests.added'), true);
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.clinic.tests.added');
    await waitFor('the station showing its own model again', async () => station.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.binome.tests.bright-spots', 10_000);
    assert.notEqual(await score(), null, 'the worklist still triages');
    // the choice is kept: a station that runs the added model shows it
    assert.equal(station.db.settings.get(AI_CHOSEN_MODEL_SETTING), 'org.clinic.tests.added');
  } finally {
    await cli.close();
    await station.close();
  }
});

/**
 * A station started again on a library whose model's file or manifest changed in place (the same id
 * and version): waits until `done` says its analysis was made again, runs `check` on it, and asserts
 * the log said why it was queued again.
 */
async function startedAgainAfterModelChange(library: string, models: string, what: string, done: (station: ReturnType<typeof openTestStation>) => boolean,
  check: (station: ReturnType<typeof openTestStation>) => void = () => undefined): Promise<void> {
  const warnings = mock.method(log, 'warn', () => undefined);
  const station = openTestStation({ libraryDir: library, modelRoots: [models] });
  try {
    await waitFor(what, async () => done(station));
    check(station);
    assert.ok(warnings.mock.calls.some((c) => /its file or its manifest changed without a new version; 1 analyses made with the other file or manifest queued again/.test(String(c.arguments[0]))));
  } finally {
    await station.close();
    warnings.mock.restore();
  }
}

test('a model file replaced without a new version (its manifest\'s checksum changed with it): the analyses made with the old file are made again with the new one, and recorded with its checksum', { timeout: 180_000 }, async () => {
  const models = tempDir('ai-replaced-file');
  const folder = writeTinyModel(models);
  const library = tempDir('ai-replaced-file-library');
  const jobOf = (s: ReturnType<typeof openTestStation>) => s.db.connection.prepare('SELECT status, model_sha256 FROM ai_jobs').get() as { status: string; model_sha256: string } | undefined;
  const first = openTestStation({ libraryDir: library, modelRoots: [models] });
  let oldSha: string;
  try {
    await first.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-replaced-file' });
    await waitFor('the analysis', async () => jobOf(first)?.status === 'done');
    oldSha = jobOf(first)!.model_sha256;
  } finally {
    await first.close();
  }
  // the same model, another file (a vendor's rebuild): its bytes differ, id and version do not
  const rebuilt = onnx.ModelProto.decode(fs.readFileSync(path.join(folder, 'model.onnx')));
  rebuilt.docString = 'rebuilt';
  const bytes = onnx.ModelProto.encode(rebuilt).finish();
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
  manifest.sha256 = createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
  assert.notEqual(manifest.sha256, oldSha);
  await startedAgainAfterModelChange(library, models, 'the analysis made again with the new file', (second) => { const j = jobOf(second); return j?.status === 'done' && j.model_sha256 === manifest.sha256; });
});

test('a model\'s manifest edited without a new version (its classes swapped, the same file): the analyses made with the old manifest are made again at the next start; one recorded before the manifest\'s checksum was kept is not, nor one whose manifest\'s words alone changed', { timeout: 180_000 }, async () => {
  const models = tempDir('ai-edited-manifest');
  const folder = writeTinyModel(models, undefined, { classes: 2 });
  const library = tempDir('ai-edited-manifest-library');
  const jobOf = (s: ReturnType<typeof openTestStation>) => s.db.connection.prepare('SELECT status, manifest_sha256, finished_at FROM ai_jobs').get() as { status: string; manifest_sha256: string | null; finished_at: string } | undefined;
  // each finding by where it is and its class
  const findingsOf = (s: ReturnType<typeof openTestStation>) => (s.db.connection.prepare('SELECT instance_ref, x, y, class FROM ai_findings').all() as { instance_ref: number; x: number; y: number; class: string }[])
    .map((f) => `${f.instance_ref}:${f.x.toFixed(1)},${f.y.toFixed(1)}:${f.class}`).sort();
  // the manifest as parsed, its digest (what an analysis records: manifest-digest.ts), taken where it changes
  const digestOf = async () => {
    const checked = await checkModelFolder(folder);
    assert.ok(checked.ok);
    await checked.model.opened.session.release();
    return manifestDigest(checked.model.manifest);
  };
  let digest = await digestOf();
  const manifestSha = () => digest;
  const fileSha = () => createHash('sha256').update(fs.readFileSync(path.join(folder, 'manifest.json'))).digest('hex');
  const first = openTestStation({ libraryDir: library, modelRoots: [models] });
  let before: string[];
  let finished: string;
  try {
    await first.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-edited-manifest' });
    await waitFor('the analysis', async () => jobOf(first)?.status === 'done');
    assert.equal(jobOf(first)!.manifest_sha256, manifestSha(), 'recorded with the manifest it was made with');
    before = findingsOf(first);
    finished = jobOf(first)!.finished_at;
    assert.ok(before.length > 0);
    // as a library analysed before migration 0021: no manifest checksum kept
    first.db.connection.prepare('UPDATE ai_jobs SET manifest_sha256 = NULL').run();
  } finally {
    await first.close();
  }
  // started again, the manifest unchanged: the analysis stands, and takes the manifest's checksum
  const again = openTestStation({ libraryDir: library, modelRoots: [models] });
  try {
    await waitFor('the models found', async () => (await again.handlers.aiModels({})).state === 'ready');
    await waitFor('its checksum taken', async () => jobOf(again)?.manifest_sha256 === manifestSha());
    assert.equal(jobOf(again)!.status, 'done', 'not analysed again');
    // as a library analysed before 2026-12-06: the manifest file's own checksum kept
    again.db.connection.prepare('UPDATE ai_jobs SET manifest_sha256 = ?').run(fileSha());
  } finally {
    await again.close();
  }
  // started again, the manifest unchanged: the file's checksum taken as the digest
  const legacy = openTestStation({ libraryDir: library, modelRoots: [models] });
  try {
    await waitFor('the models found', async () => (await legacy.handlers.aiModels({})).state === 'ready');
    await waitFor('its checksum the digest', async () => jobOf(legacy)?.manifest_sha256 === manifestSha());
    assert.equal(jobOf(legacy)!.status, 'done', 'not analysed again');
  } finally {
    await legacy.close();
  }
  // the same manifest written again by an editor (indented, its keys in another order, CRLF, a byte order
  // mark): the analysis stands (the whole library was queued again for it: a vendor's probe)
  const sameContent = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const reordered = Object.fromEntries(Object.entries(sameContent).reverse());
  fs.writeFileSync(path.join(folder, 'manifest.json'), '\ufeff' + JSON.stringify(reordered, null, 2).replace(/\n/g, '\r\n'));
  assert.equal(await digestOf(), digest, 'the same digest');
  const resaved = openTestStation({ libraryDir: library, modelRoots: [models] });
  try {
    await waitFor('the models found', async () => (await resaved.handlers.aiModels({})).state === 'ready');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(jobOf(resaved)!.manifest_sha256, manifestSha());
    assert.equal(jobOf(resaved)!.status, 'done', 'not analysed again');
    assert.equal(jobOf(resaved)!.finished_at, finished);
  } finally {
    await resaved.close();
  }
  // its limits reworded, the same version: what makes results unchanged (migration 0022), the analysis
  // stands, recorded with the new manifest (a library was analysed again for a manifest's words)
  const reworded = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8').replace(/^\ufeff/, ''));
  reworded.intendedUse.limits = ['tests only: it marks bright places, never lesions'];
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(reworded));
  digest = await digestOf();
  const rewordedStart = openTestStation({ libraryDir: library, modelRoots: [models] });
  try {
    await waitFor('the models found', async () => (await rewordedStart.handlers.aiModels({})).state === 'ready');
    await waitFor('recorded with the reworded manifest', async () => jobOf(rewordedStart)?.manifest_sha256 === manifestSha());
    assert.equal(jobOf(rewordedStart)!.status, 'done', 'not analysed again');
    assert.equal(jobOf(rewordedStart)!.finished_at, finished);
  } finally {
    await rewordedStart.close();
  }
  // the vendor's class list put right in place: the same model.onnx, id and version
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8').replace(/^\ufeff/, ''));
  manifest.output.heatmap.classes.reverse();
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
  digest = await digestOf();
  await startedAgainAfterModelChange(library, models, 'the analysis made again with the edited manifest', (second) => { const j = jobOf(second); return j?.status === 'done' && j.manifest_sha256 === manifestSha(); }, (second) => {
    assert.ok(jobOf(second)!.finished_at > finished, 'made again');
    // the same places, each under the other class
    const swapped = (f: string) => f.replace(/:(mass|calcification)$/, (_, c: string) => (c === 'mass' ? ':calcification' : ':mass'));
    assert.deepEqual(findingsOf(second), before.map(swapped).sort());
  });
});

test('a model folder replaced while the station runs (another version copied over it): its runs are refused as another model, not recorded under the one found at start; said in both languages', { timeout: 180_000 }, async () => {
  const models = tempDir('ai-swapped-folder');
  const folder = writeTinyModel(models);
  const station = openTestStation({ libraryDir: tempDir('ai-swapped-folder-library'), modelRoots: [models] });
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    await waitFor('the models found', async () => (await station.handlers.aiModels({})).state === 'ready');
    const found = (await station.handlers.aiModels({})).models[0]!;
    // version 2 of the same model copied over it: another file, another version, a valid manifest
    const rebuilt = onnx.ModelProto.decode(fs.readFileSync(path.join(folder, 'model.onnx')));
    rebuilt.docString = 'version 2';
    const bytes = onnx.ModelProto.encode(rebuilt).finish();
    fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    Object.assign(manifest, { version: '2.0.0', sha256: createHash('sha256').update(bytes).digest('hex') });
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-swapped-folder' });
    const job = () => station.db.connection.prepare('SELECT status, model_version, failure_code FROM ai_jobs').get() as { status: string; model_version: string; failure_code: string | null } | undefined;
    await waitFor('the analysis ended', async () => job()?.status === 'done' || job()?.status === 'failed');
    assert.deepEqual(job(), { status: 'failed', model_version: found.version, failure_code: 'model_changed' }, 'not done under the version found at start');
    assert.equal((station.db.connection.prepare('SELECT count(*) AS n FROM ai_findings').get() as { n: number }).n, 0, 'no finding recorded');
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows;
    const results = await station.handlers.aiResults({ examId: exam!.examId });
    assert.match(aiStateText((key, params) => translate('en', key, params), results, { showScore: true, locale: 'en' }), /the model changed while the station ran: start the station again to use it/);
    assert.match(aiStateText((key, params) => translate('fr', key, params), results, { showScore: true, locale: 'fr' }), /le modèle a changé pendant que la station tournait\u202f: redémarrez la station/);
    assert.ok(warnings.mock.calls.some((c) => /failed: model_changed$/.test(String(c.arguments[0]))), 'logged by its code');
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('a model\'s manifest whose words alone are edited while the station runs (a limit reworded, the same file, id, version and settings) keeps running: its analyses give the same results (an IT person\'s typo fixed held every analysis until a restart: a vendor\'s probe)', { timeout: 180_000 }, async () => {
  const models = tempDir('ai-reworded-manifest');
  const folder = writeTinyModel(models);
  const station = openTestStation({ libraryDir: tempDir('ai-reworded-manifest-library'), modelRoots: [models] });
  try {
    await waitFor('the models found', async () => (await station.handlers.aiModels({})).state === 'ready');
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    manifest.intendedUse.limits = ['tests only: it marks bright places, never lesions'];
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
    // the same model file written again: its time changes, so the threads read the folder anew
    fs.writeFileSync(path.join(folder, 'model.onnx'), fs.readFileSync(path.join(folder, 'model.onnx')));
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'probe44-reworded' });
    const jobs = () => station.db.connection.prepare('SELECT status, failure_code FROM ai_jobs ORDER BY id').all() as { status: string; failure_code: string | null }[];
    await waitFor('both analysed', async () => jobs().length === 2 && jobs().every((j) => j.status === 'done' || j.status === 'failed'));
    assert.deepEqual(jobs(), [{ status: 'done', failure_code: null }, { status: 'done', failure_code: null }]);
    assert.equal((await station.handlers.aiModels({})).models[0]?.held, undefined, 'not held');
  } finally {
    await station.close();
  }
});

test('a model\'s manifest edited in place while the station runs (its classes reordered, the same file, id and version) is refused too: masses were recorded as calcifications under the version found at start', { timeout: 180_000 }, async () => {
  const models = tempDir('ai-edited-manifest');
  const folder = writeTinyModel(models, () => undefined, { classes: 2 });
  const library = tempDir('ai-edited-manifest-library');
  const station = openTestStation({ libraryDir: library, modelRoots: [models] });
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    await waitFor('the models found', async () => (await station.handlers.aiModels({})).state === 'ready');
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    manifest.output.heatmap.classes = ['calcification', 'mass'];
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
    // the same model file written again (copied back): its time changes, so the threads read the folder anew
    fs.writeFileSync(path.join(folder, 'model.onnx'), fs.readFileSync(path.join(folder, 'model.onnx')));
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-edited-manifest' });
    const jobs = () => station.db.connection.prepare('SELECT status, failure_code, failure_detail FROM ai_jobs ORDER BY id').all() as { status: string; failure_code: string | null; failure_detail: string }[];
    await waitFor('an analysis ended', async () => jobs().some((j) => j.status === 'done' || j.status === 'failed'));
    const failed = jobs().find((j) => j.status === 'failed');
    assert.equal(failed?.failure_code, 'model_changed', JSON.stringify(jobs()));
    assert.match(failed!.failure_detail, /manifest\.json was edited since the station started/);
    // and this station runs the model no more: the other exam waits for a station that read the folder as it
    // is now (a station left running with the old manifest failed every new exam for good, while a station
    // started since could have run them: a probe)
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(jobs().map((j) => j.status).sort(), ['failed', 'queued'], JSON.stringify(jobs()));
    assert.equal(warnings.mock.calls.filter((c) => /its folder changed since this station started; its analyses \(exam \d+'s among them\) wait until this station is started again, or run on a station of the library started since$/.test(String(c.arguments[0]))).length, 1, 'said once in the log');
    // the exam waiting says why, by the failed one's words, not "queued" (a vendor's probe: one exam failed, the others queued)
    const rows = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    const waiting = rows.find((r) => r.ai?.status === 'queued')!;
    assert.deepEqual([waiting.ai?.held, waiting.ai?.heldFor], [true, 'changed']);
    const waitingResults = await station.handlers.aiResults({ examId: waiting.examId });
    assert.deepEqual([waitingResults.state?.held, waitingResults.state?.heldFor], [true, 'changed']);
    assert.equal(aiStateText((key, params) => translate('fr', key, params), waitingResults, { showScore: true, locale: 'fr' }),
      'analyse suspendue\u202f: les fichiers du modèle ont changé pendant que la station tournait (voir Modèles d’IA)\u202f: redémarrez la station pour l’utiliser');
    assert.equal((station.db.connection.prepare('SELECT count(*) AS n FROM ai_findings').get() as { n: number }).n, 0, 'no finding recorded');
    // and the AI models panel says the model is held, and why
    assert.equal((await station.handlers.aiModels({})).models[0]?.held, 'changed');
    // and so does a command that lists the models beside it (binome models read the folder as it is now and
    // said nothing of the hold: a probe); not once that station has stopped
    const listing = openTestStation({ libraryDir: library, modelRoots: [models], analyse: false });
    try {
      const listed = await waitFor('the models listed', async () => { const m = await listing.handlers.aiModels({}); return m.state === 'ready' && m.models.length ? m : null; });
      assert.equal(listed.models[0]?.held, 'changed');
      station.db.settings.set(`ai.heldBy:${listed.models[0]!.id} ${listed.models[0]!.version}`, 'changed 999999:0');
      assert.equal((await listing.handlers.aiModels({})).models[0]?.held, undefined, 'a station no longer running holds nothing');
    } finally {
      await listing.close();
    }
    // a station started since reads the folder as it is (here, a newer version) and shows it; the model
    // chosen here then does not write back the version this station holds (it hid the other's results,
    // every exam "queued" for good, on every station: a vendor's probe)
    const modelId = (await station.handlers.aiModels({})).models[0]!.id;
    station.db.settings.set('ai.shownVersion', '9.9.9');
    await station.handlers.chooseAiModel({ modelId });
    assert.equal(station.db.settings.get('ai.chosenModel'), modelId, 'the choice kept');
    assert.equal(station.db.settings.get('ai.shownVersion'), '9.9.9', 'the other station\'s version still shown');
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('a manifest edited in place right after a run, its model still open on its thread and its file untouched, is refused at the next run (it was run with the manifest read before)', { timeout: 240_000 }, async () => {
  const models = tempDir('ai-edited-open-manifest');
  const folder = writeTinyModel(models, () => undefined, { classes: 2 });
  const station = openTestStation({ libraryDir: tempDir('ai-edited-open-manifest-library'), modelRoots: [models] });
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    await waitFor('the models found', async () => (await station.handlers.aiModels({})).state === 'ready');
    const jobs = () => station.db.connection.prepare('SELECT status, failure_code, failure_detail FROM ai_jobs ORDER BY id').all() as { status: string; failure_code: string | null; failure_detail: string | null }[];
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-edited-open-manifest-1' });
    await waitFor('the first analysis done', async () => jobs()[0]?.status === 'done');
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    manifest.output.heatmap.classes = ['calcification', 'mass'];
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-edited-open-manifest-2' });
    await waitFor('the second analysis ended', async () => jobs().length === 2 && ['done', 'failed'].includes(jobs()[1]!.status));
    assert.equal(jobs()[1]!.failure_code, 'model_changed', JSON.stringify(jobs()));
    assert.match(jobs()[1]!.failure_detail ?? '', /manifest\.json was edited since the station started/);
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('a manifest replaced by a named pipe while its model is open on its thread: the next run is refused, the thread not held (open() waited for a writer for good)', { timeout: 240_000, skip: process.platform === 'win32' ? 'named pipes are made with mkfifo (not on Windows)' : false }, async () => {
  const models = tempDir('ai-fifo-manifest');
  const folder = writeTinyModel(models, () => undefined, { classes: 2 });
  const station = openTestStation({ libraryDir: tempDir('ai-fifo-manifest-library'), modelRoots: [models] });
  const warnings = mock.method(log, 'warn', () => undefined);
  try {
    await waitFor('the models found', async () => (await station.handlers.aiModels({})).state === 'ready');
    const jobs = () => station.db.connection.prepare('SELECT status, failure_code FROM ai_jobs ORDER BY id').all() as { status: string; failure_code: string | null }[];
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-fifo-manifest-1' });
    await waitFor('the first analysis done', async () => jobs()[0]?.status === 'done');
    fs.rmSync(path.join(folder, 'manifest.json'));
    assert.equal(spawnSync('mkfifo', [path.join(folder, 'manifest.json')]).status, 0, 'mkfifo');
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-fifo-manifest-2' });
    await waitFor('the second analysis ended', async () => jobs().length === 2 && jobs()[1]!.status === 'failed', 120_000);
    assert.equal(jobs()[1]!.failure_code, 'model_refused', JSON.stringify(jobs()));
    // the AI models panel says the model is held, and why (a vendor's probe read "ready" there)
    assert.equal((await station.handlers.aiModels({})).models[0]?.held, 'changed');
  } finally {
    warnings.mock.restore();
    await station.close();
  }
});

test('an exam analysed, then given another image (a view sent later), is analysed again with it; a reader\'s cancel stands', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-grew-models');
  writeTinyModel(models);
  const out = tempDir('ai-grew-exam');
  const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: 1, priors: 0, size: 'reduced', variants: false, seed: 'ai-grew', abnormalRate: 0 }, out, { workers: 1 });
  const views = demo.dicomFiles.filter((f) => /[RL](CC|MLO)\.dcm$/.test(f)).sort();
  const lmlo = views.find((f) => f.endsWith('LMLO.dcm'))!;
  const infos = mock.method(log, 'info', () => undefined); // the imports' lines
  const station = openTestStation({ modelRoots: [models] });
  const jobOf = (examId: number) => station.db.connection.prepare('SELECT id, status, images, exam_images FROM ai_jobs WHERE study_ref = ?').get(examId) as
    { id: number; status: string; images: number | null; exam_images: number | null } | undefined;
  try {
    // three views first: analysed as they are
    await station.handlers.importPaths({ paths: views.filter((f) => f !== lmlo) });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    await waitFor('the first analysis', async () => jobOf(exam!)?.status === 'done');
    assert.deepEqual([jobOf(exam!)!.images, jobOf(exam!)!.exam_images], [3, 3]);
    const firstJob = jobOf(exam!)!.id;
    // the fourth arrives: the same analysis (one per exam and model) runs again, on all four
    await station.handlers.importPaths({ paths: [lmlo] });
    assert.notEqual(jobOf(exam!)!.status, 'done', 'queued again at once');
    assert.equal((await station.handlers.aiResults({ examId: exam! })).findings.length, 0, 'the three-image result is not shown as the exam\'s');
    await waitFor('the analysis of four', async () => jobOf(exam!)!.status === 'done');
    assert.deepEqual([jobOf(exam!)!.id, jobOf(exam!)!.images, jobOf(exam!)!.exam_images], [firstJob, 4, 4]);

    // a reader's cancel is hers: the exam's image count changing afterwards does not undo it
    station.db.connection.prepare("UPDATE ai_jobs SET status = 'cancelled' WHERE study_ref = ?").run(exam!);
    station.db.connection.prepare('UPDATE studies SET image_count = image_count + 1 WHERE id = ?').run(exam!);
    assert.equal(jobOf(exam!)!.status, 'cancelled');
  } finally {
    infos.mock.restore();
    await station.close();
  }
});

for (const [name, spacing] of [['do not say their pixel spacing', { noSpacing: true }], ['say one no breast image has (1e-9 mm: the AI resampled by 10⁸ and its thread spun for good, a probe)', { spacingMm: 1e-9 }]] as const) test(`a model in millimetres and an exam whose images ${name}: the analysis fails saying so, not as damage`, { timeout: 300_000 }, async () => {
  const models = tempDir('ai-nospacing-models');
  writeTinyModel(models);
  const folder = tempDir('ai-nospacing-exam');
  writeFourViews(folder, { patientId: 'NOSPACE1', patientName: 'NO^SPACING', studyUid: '1.2.826.0.1.3680043.9.7433.88.1', studyDate: '20240101', rows: 256, columns: 192, ...spacing });
  const warnings = mock.method(log, 'warn', () => undefined);
  const infos = mock.method(log, 'info', () => undefined);
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.importPaths({ paths: [folder] });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    const state = await waitFor('the failure', async () => {
      const s = (await station.handlers.aiResults({ examId: exam! })).state;
      return s?.status === 'failed' ? s : null;
    });
    assert.equal(state.failure?.code, 'image_no_spacing');
    assert.match(state.failure?.detail ?? '', /^[RL](CC|MLO): the image has no usable pixel spacing/);
  } finally {
    warnings.mock.restore();
    infos.mock.restore();
    await station.close();
  }
});

test('an exam opened while another is analysed goes before that exam\'s next image (a slow model kept it waiting for the whole of the other); the other ends whole; a cancel during the wait stands', { timeout: 300_000 }, async () => {
  const models = slowModelFolder('ai-yield-models');
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  const jobOf = (examId: number) => station.db.connection.prepare('SELECT status, images FROM ai_jobs WHERE study_ref = ?').get(examId) as { status: string; images: number | null };
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'ai-yield' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    assert.equal(exams.length, 3);
    // what the reader does, at the moments the analysis tells of (whatever the machine's speed): as
    // the first exam starts, she opens one exam and asks for the other again; as the first of those
    // is done, she cancels the exam they interrupted
    const changed: number[] = [];
    let first: number | null = null;
    let firstWhenOneDone: string | null = null;
    let cancelled = -1;
    // what the worklist and the exam's AI panel said of the interrupted exam while it waited
    let shownWhileWaiting: { listed: boolean | undefined; panel: boolean | undefined } | null = null;
    let pauseNotices = 0;
    // the two runs under way at once in this process (the interrupted one and an opened one): each its own owner
    let runOwners = null as string[] | null;
    const ownerOf = (examId: number) => (station.db.connection.prepare('SELECT owner FROM ai_jobs WHERE study_ref = ?').get(examId) as { owner: string | null }).owner;
    const analysisOf = () => analysis!;
    analysis = new AiAnalysis(station.db, station.store, [models], (id) => {
      if (id === null) return;
      // the interrupted exam said to step aside, before the exams asked for start: the screens ask again
      if (id === first && changed.length === 1 && jobOf(id).status === 'running') { pauseNotices++; return; }
      changed.push(id);
      if (runOwners === null && first !== null && id !== first && jobOf(id).status === 'running' && jobOf(first).status === 'running') runOwners = [ownerOf(first)!, ownerOf(id)!];
      if (first === null) {
        first = id;
        const others = exams.filter((e) => e !== first);
        analysisOf().prioritize(others[0]!);
        analysisOf().requeue(others[1]!);
      } else if (id !== first && firstWhenOneDone === null && jobOf(id).status === 'done') {
        firstWhenOneDone = jobOf(first).status;
        shownWhileWaiting = { listed: station.db.worklist.examSummary(first)?.ai?.paused, panel: station.db.ai.examState(first)?.paused };
        cancelled = analysisOf().cancel(first);
      }
    });
    await analysis.start();
    analysis.queueNewExams();
    const others = () => exams.filter((e) => e !== first);
    await waitFor('both exams asked for analysed', () => first !== null && others().every((e) => jobOf(e).status === 'done'), 120_000);
    assert.equal(firstWhenOneDone, 'running', 'the exam under way when the reader opened the others waited: it had images left');
    assert.deepEqual(shownWhileWaiting, { listed: true, panel: true }, 'while it waited, the worklist and its AI panel said it was paused (not a second exam "analysing")');
    assert.ok(pauseNotices >= 1, 'the screens were told it paused');
    // a run is known by its own owner, not its process alone: a cancelled run still finishing could
    // otherwise store its result over the next run of the same job, each writing a CAD SR
    assert.ok(runOwners, 'two runs were under way at once');
    assert.notEqual(runOwners[0], runOwners[1]);
    for (const owner of runOwners) assert.ok(owner.startsWith(`${currentOwner()}:`), owner);
    const opened = others()[0]!;
    assert.equal(station.db.worklist.examSummary(opened)?.ai?.paused, false, 'an exam analysed to its end is not paused');
    assert.equal(cancelled, 1);
    assert.deepEqual(others().map((e) => jobOf(e).images), [4, 4], 'the exams run first were analysed whole');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(jobOf(first!).status, 'cancelled', 'the cancel during the wait stands');
    assert.equal(station.db.ai.findings(first!).length, 0);
    // started, then one of those asked for started and ended before anything else
    assert.equal(changed[0], first);
    assert.ok(others().includes(changed[1]!) && changed[2] === changed[1], `the exams asked for ran as soon as the first image was done (${changed.join(', ')})`);

    // asked for again with nothing else waiting: it runs to its end, all of its images
    assert.equal(analysis.requeue(first!), true);
    await waitFor('the interrupted exam analysed again', () => jobOf(first!).status === 'done', 120_000);
    assert.equal(jobOf(first!).images, 4);
    assert.ok(station.db.ai.examState(first!)!.timings!.modelMs > 0);
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('the library held by another process while a result is stored: stored once it answers; held past every wait, the exam is queued again (not failed) and the loop lives on', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-busy-models');
  writeTinyModel(models);
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  const warns = mock.method(log, 'warn', () => undefined);
  const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-busy' });
    const [a, b] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number, number];
    const complete = station.db.ai.complete.bind(station.db.ai);
    // the first store meets a lock once: the result waits and is stored
    let locks = 1;
    mock.method(station.db.ai, 'complete', (...args: Parameters<typeof complete>) => {
      if (locks-- > 0) throw busy();
      return complete(...args);
    });
    analysis = new AiAnalysis(station.db, station.store, [models]);
    await analysis.start();
    analysis.prioritize(a);
    await waitFor('the first exam stored after the lock', () => station.db.ai.examState(a)?.status === 'done', 60_000);
    assert.ok(station.db.ai.findings(a).length > 0);
    await waitFor('the second exam done', () => station.db.ai.examState(b)?.status === 'done', 60_000);
    // held past every wait (storing and recording a failure): not failed, queued again, stored once it answers
    locks = Infinity;
    const fail = mock.method(station.db.ai, 'fail', () => { throw busy(); });
    station.db.connection.prepare("UPDATE ai_jobs SET status = 'cancelled' WHERE study_ref = ?").run(a); // as a reader's cancel of a done analysis
    assert.equal(analysis.requeue(a), true);
    await waitFor('the store given up', () => warns.mock.calls.some((c) => String(c.arguments[0]).includes('not stored: the library stayed busy')), 60_000);
    assert.equal(station.db.ai.examState(a)!.status, 'running', 'not failed for the lock');
    assert.equal(fail.mock.callCount(), 0);
    locks = 0;
    analysis.prioritize(b); // wakes the loop: the job is given back and analysed again
    await waitFor('analysed again once the library answers', () => station.db.ai.examState(a)?.status === 'done', 120_000);
  } finally {
    warns.mock.restore();
    await analysis?.close();
    await station.close();
  }
});

test('of several exams opened, the last one opened is analysed first; a run cancelled, then asked for again and taken by another process, does not store its result over that one', async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'ai-open-order' });
    const [a, b, c] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number, number, number];
    const model = { id: 'm', version: '1.0.0', sha256: 'x' };
    station.db.ai.enqueueAll(model);
    // the reader passes through b and a, and stays on c; then opens b again
    for (const examId of [b, a, c, b]) station.db.ai.prioritize(examId, model);
    const order = [0, 1, 2].map(() => station.db.ai.claimNext('me:1', [model])!.examId);
    assert.deepEqual(order, [b, c, a], 'the last opened first');

    // process 1 runs exam a; a reader cancels it and asks for it again; process 2 takes it
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'queued', owner = NULL`).run();
    station.db.ai.prioritize(a, model);
    const first = station.db.ai.claimNext('one:1', [model])!;
    assert.equal(first.examId, a);
    station.db.ai.cancel(a);
    station.db.ai.requeue(a, model);
    const second = station.db.ai.claimNext('two:2', [model])!;
    assert.equal(second.id, first.id);
    const result = (score: number) => ({ provider: 'cpu', timings: {}, examScore: score, breastScores: { R: score }, images: 4, findings: [], unreadImages: [] });
    // process 1's run ends: neither its result nor its failure lands on the job process 2 runs
    assert.equal(station.db.ai.complete(first.id, 'one:1', result(0.1)), false);
    station.db.ai.fail(first.id, 'one:1', 'analysis_failed', 'late');
    station.db.ai.release(first.id, 'one:1');
    assert.equal(station.db.ai.examState(a)!.status, 'running');
    assert.equal(station.db.ai.complete(second.id, 'two:2', result(0.7)), true);
    assert.equal(station.db.ai.examState(a)!.examScore, 0.7);
  } finally {
    await station.close();
  }
});

test('the queue takes the most recent exam first, not the job queued first: an exam imported after a model queued the library is scored before that backlog; an opened exam still goes first; of one exam, the shown model\'s analysis first', async () => {
  const station = openTestStation();
  try {
    const db = station.db.connection;
    const patient = Number(db.prepare(`INSERT INTO patients (patient_id, issuer, name, name_search, birth_date, sex) VALUES ('P1', '', 'DOE^JANE', 'doe jane', '19600101', 'F')`).run().lastInsertRowid);
    const addExam = (date: string | null, time: string | null = '101500') => Number(db.prepare(`INSERT INTO studies (patient_ref, study_uid, study_date, study_time, modalities, image_count, imported_at, breast)
      VALUES (?, ?, ?, ?, 'MG', 4, '2026-01-01T00:00:00Z', 1)`).run(patient, `2.25.${Math.random().toString().slice(2)}`, date, time).lastInsertRowid);
    // the library, oldest exam imported first: 30 exams a month apart, one without a date, and two of one day imported in turn
    const monthly = Array.from({ length: 30 }, (_, i) => addExam(`${2023 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}15`));
    const undated = addExam(null, null);
    const sameDayFirst = addExam('20230301', '090000'), sameDaySecond = addExam('20230301', '090000');
    const shown = { id: 'org.clinic.shown', version: '1.0.0', sha256: 'x' }, other = { id: 'org.binome.other', version: '1.0.0', sha256: 'y' };
    // a model dropped in queues the whole library (queueNewExams: the shown model's jobs first)
    assert.equal(station.db.ai.enqueueAll(shown), 33);
    assert.equal(station.db.ai.enqueueAll(other), 33);
    // then today's import: an exam whose date is the second newest of the library
    const newExam = addExam('20250520');
    station.db.ai.enqueueAll(shown);
    station.db.ai.enqueueAll(other);
    const claim = () => {
      const job = station.db.ai.claimNext('me:1', [shown, other]);
      return job && { exam: job.examId, model: job.model.id };
    };
    const newest = monthly.at(-1)!;
    assert.deepEqual([claim(), claim(), claim(), claim()], [
      { exam: newest, model: shown.id }, { exam: newest, model: other.id }, { exam: newExam, model: shown.id }, { exam: newExam, model: other.id },
    ], 'the newest exams first, the new one before the backlog of older ones; of one exam the shown model\'s first');
    // the reader opens the oldest exam: it goes first, as before
    station.db.ai.prioritize(monthly[0]!, shown);
    assert.deepEqual(claim(), { exam: monthly[0], model: shown.id });
    const rest: number[] = [];
    for (let job = claim(); job; job = claim()) if (job.model === shown.id) rest.push(job.exam);
    const expected = [...monthly.slice(1, -1).reverse()];
    // the two exams of 1 March 2023 (after 15 March, before 15 February), the one imported last first
    expected.splice(expected.indexOf(monthly[1]!), 0, sameDaySecond, sameDayFirst);
    assert.deepEqual(rest, [...expected, undated], 'then by date, the latest first; of one date, the one imported last; an exam without a date last');
  } finally {
    await station.close();
  }
});

test('the shown model\'s backlog before another model\'s newer exams (its triage scores first); another model\'s job put first in line still goes before it', async () => {
  const station = openTestStation();
  try {
    const db = station.db.connection;
    const patient = Number(db.prepare(`INSERT INTO patients (patient_id, issuer, name, name_search, birth_date, sex) VALUES ('P1', '', 'DOE^JANE', 'doe jane', '19600101', 'F')`).run().lastInsertRowid);
    const addExam = (date: string) => Number(db.prepare(`INSERT INTO studies (patient_ref, study_uid, study_date, study_time, modalities, image_count, imported_at, breast)
      VALUES (?, ?, ?, '101500', 'MG', 4, '2026-01-01T00:00:00Z', 1)`).run(patient, `2.25.${Math.random().toString().slice(2)}`, date).lastInsertRowid);
    const shown = { id: 'org.clinic.shown', version: '1.0.0', sha256: 'x' }, other = { id: 'org.binome.other', version: '1.0.0', sha256: 'y' };
    // the shown model analysed the library's three exams, and was then updated: its new version queues them again;
    // the other model, dropped in later, has every exam queued, and a newer exam arrives
    const older = ['20230115', '20230215', '20230315'].map(addExam);
    station.db.ai.enqueueAll(shown);
    const newer = addExam('20250520');
    station.db.ai.enqueueAll(other);
    station.db.ai.enqueue(newer, shown);
    const claim = (options = { shownFirst: shown }) => {
      const job = station.db.ai.claimNext('me:1', [other, shown], options);
      return job && { exam: job.examId, model: job.model.id };
    };
    assert.deepEqual([claim(), claim(), claim(), claim()], [newer, ...[...older].reverse()].map((exam) => ({ exam, model: shown.id })),
      'the shown model\'s four analyses, the newest exam first, before any of the other model\'s');
    // the reader opens the oldest exam: the other model's analysis of it, put first in line, goes before that model's newer exam
    station.db.ai.prioritize(older[0]!, other);
    assert.deepEqual([claim(), claim(), claim()], [older[0], newer, older[2]].map((exam) => ({ exam, model: other.id })));
    // a job of the shown model queued again meanwhile (an image added to an exam) goes before the other model's background work
    db.prepare(`UPDATE ai_jobs SET status = 'queued' WHERE study_ref = ? AND model_id = ?`).run(older[1], shown.id);
    assert.deepEqual([claim(), claim(), claim()], [{ exam: older[1], model: shown.id }, { exam: older[1], model: other.id }, null]);
  } finally {
    await station.close();
  }
});

test('a station that closes while it analyses puts the job back in the queue (it showed "analysing" under a stopped process until a start took it up); a result stored before the close stays', { timeout: 300_000 }, async () => {
  const models = slowModelFolder('ai-close-models');
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  const jobOf = (examId: number) => station.db.connection.prepare('SELECT status, owner, exam_score FROM ai_jobs WHERE study_ref = ?').get(examId) as { status: string; owner: string | null; exam_score: number | null };
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-close' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    assert.equal(exams.length, 2);
    let first: number | null = null;
    let cutShort: number | null = null;
    let closed: Promise<void> | null = null;
    const analysisOf = () => analysis!;
    analysis = new AiAnalysis(station.db, station.store, [models], (id) => {
      if (id === null) return;
      first ??= id;
      // the second exam begins: the station is stopped (SIGINT) as it runs
      if (id !== first && cutShort === null && jobOf(id).status === 'running') {
        cutShort = id;
        closed = analysisOf().close();
      }
    });
    await analysis.start();
    analysis.queueNewExams();
    await waitFor('the station closed during the second exam', () => closed !== null, 120_000);
    await closed;
    assert.deepEqual(jobOf(cutShort!), { status: 'queued', owner: null, exam_score: null }, 'queued again, no process named');
    const stored = jobOf(first!);
    assert.equal(stored.status, 'done', 'the result stored before the close stays');
    assert.equal(stored.owner, null);
    assert.equal(typeof stored.exam_score, 'number');
    assert.equal(station.db.ai.counts().running, 0);
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('a background exam paused for an opening, then opened itself, goes on before the exams opened before it (the last opened first)', async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'ai-paused-reopened' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId);
    const model = { id: 'm', version: '1.0.0', sha256: 'x' };
    station.db.ai.enqueueAll(model);
    const background = station.db.ai.claimNext('me:1', [model])!;
    const [o1, o2] = exams.filter((e) => e !== background.examId) as [number, number];
    // the reader opens o1: the background exam pauses for it
    station.db.ai.prioritize(o1, model);
    assert.equal(station.db.ai.firstInLineWaiting([model], background), true);
    assert.equal(station.db.ai.claimNext('me:1', [model], { firstInLineAbove: background })!.examId, o1);
    // while o1 runs she opens o2, then the paused exam
    station.db.ai.prioritize(o2, model);
    station.db.ai.prioritize(background.examId, model);
    // o1 done: the paused exam goes on, o2 waits for it
    assert.equal(station.db.ai.claimNext('me:1', [model], { firstInLineAbove: background }), null, 'nothing opened after the paused exam');
    const result = { provider: 'cpu', timings: {}, examScore: 0.5, breastScores: { R: 0.5 }, images: 4, findings: [], unreadImages: [] };
    assert.equal(station.db.ai.complete(background.id, 'me:1', result), true);
    assert.equal(station.db.ai.claimNext('me:1', [model])!.examId, o2);
  } finally {
    await station.close();
  }
});

test('an analysis cancelled in another process of the library stops at its next image, not after the whole exam', { timeout: 300_000 }, async () => {
  const models = slowModelFolder('ai-cancel-elsewhere-models');
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-cancel-elsewhere' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    let images = 0;
    let cancelledElsewhere = false;
    analysis = new AiAnalysis(station.db, station.store, [models], (id) => {
      // as the analysis starts, another process on the library cancels it (its row, not this process's run)
      if (id === exam && !cancelledElsewhere) { cancelledElsewhere = true; station.db.ai.cancel(exam); }
    });
    const runner = (analysis as unknown as { runner: { analyzeImage: (...args: unknown[]) => Promise<unknown> } }).runner;
    const analyzeImage = runner.analyzeImage.bind(runner);
    runner.analyzeImage = (...args: unknown[]) => { images++; return analyzeImage(...args); };
    await analysis.start();
    analysis.queueNewExams();
    await waitFor('the cancel seen', () => cancelledElsewhere);
    // the loop waits for work once the exam is left (its wake-up set)
    await waitFor('the analysis idle', () => (analysis as unknown as { wake: unknown }).wake != null, 60_000);
    assert.equal(images, 1, 'the image under way when it was cancelled, no other');
    assert.equal(station.db.ai.examState(exam)!.status, 'cancelled');
    assert.equal(station.db.ai.findings(exam).length, 0);
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('an exam opened while its own analysis runs in the background is not interrupted for another opened after it', async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-opened-running' });
    const [a, b] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number, number];
    const model = { id: 'm', version: '1.0.0', sha256: 'x' };
    station.db.ai.enqueueAll(model);
    const running = station.db.ai.claimNext('me:1', [model])!;
    assert.equal(running.priority, 0, 'a background job');
    const other = running.examId === a ? b : a;
    station.db.ai.prioritize(other, model);
    assert.equal(station.db.ai.firstInLineWaiting([model], running), true, 'a background exam gives way to one opened');
    station.db.ai.prioritize(running.examId, model); // the reader opens the exam under way
    assert.equal(station.db.ai.firstInLineWaiting([model], running), false, 'opened, it is not interrupted');
    assert.equal(station.db.ai.examState(running.examId)!.status, 'running');
  } finally {
    await station.close();
  }
});

test('an AI thread that cannot start (its code could not be loaded) is said where refusals are, and the analysis is ready without models: it is not left "starting" for good (a command listing the models waited for ever)', async () => {
  const station = openTestStation();
  const models = tempDir('ai-thread-failed-models');
  writeTinyModel(models);
  const analysis = new AiAnalysis(station.db, station.store, [models]);
  const runner = (analysis as unknown as { runner: { discover: () => Promise<unknown> } }).runner;
  runner.discover = () => Promise.reject(new Error('the worker running check stopped unexpectedly (its entry could not be prepared)'));
  const errors = mock.method(log, 'error', () => undefined);
  try {
    await analysis.start();
    assert.equal(analysis.ready, true);
    assert.deepEqual(analysis.availableModels, []);
    const [refusal] = analysis.refused;
    assert.equal(refusal?.problem.code, 'ai_thread_failed');
    assert.match(describeModelProblem('en', refusal!.problem), /^the AI thread could not start \(the worker running check stopped unexpectedly .*\): no model runs at this station/);
    assert.match(describeModelProblem('fr', refusal!.problem), /^le fil d’exécution de l’IA n’a pas pu démarrer/);
    assert.equal(errors.mock.callCount(), 1, 'logged once');
  } finally {
    errors.mock.restore();
    await analysis.close();
    await station.close();
  }
});

test('a library full or busy while the AI starts: the start is tried again until it answers, and the exams are then analysed (the AI stayed stopped for the whole run, its jobs "queued" for good)', { timeout: 180_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-start-full-models');
  writeTinyModel(models);
  await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-start-full' });
  // the library's state told to the pages as it changes (the AI models panel and its button say a full disk: a probe saw "ready, 0 waiting")
  const fullTold: boolean[] = [];
  const analysis: AiAnalysis = new AiAnalysis(station.db, station.store, [models], (id) => { if (id === null) fullTold.push(analysis.libraryFull); }, { fullRetryMs: 500 });
  // the library full at the first tries (SQLITE_FULL), then mended
  let full = 2;
  const original = station.db.ai.requeueOrphans.bind(station.db.ai);
  const requeue = mock.method(station.db.ai, 'requeueOrphans', (...args: Parameters<typeof station.db.ai.requeueOrphans>) => {
    if (full-- > 0) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return original(...args);
  });
  const warnings = mock.method(log, 'warn', () => undefined);
  const infos = mock.method(log, 'info', () => undefined);
  try {
    await analysis.start();
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows;
    await waitFor('the exam analysed once the library answered', async () => station.db.ai.examState(exam!.examId)?.status === 'done', 60_000);
    assert.equal(requeue.mock.callCount() >= 3, true, 'tried until it answered');
    assert.equal(warnings.mock.calls.filter((c) => /^AI: the library could not be prepared now \(SQLITE_FULL\); trying again every 1 s, said again when it changes$/.test(String(c.arguments[0]))).length, 1, 'said once, not at each try');
    assert.equal(warnings.mock.calls.filter((c) => /^AI: the library answers again \(it did not: SQLITE_FULL\); the queue goes on$/.test(String(c.arguments[0]))).length, 1, 'its end said, at the warning\'s level (binome serve logs warnings only)');
    // said to the panel while full, and no more once it answered
    assert.ok(fullTold.includes(true), JSON.stringify(fullTold));
    assert.equal(fullTold.at(-1), false);
    assert.equal(analysis.libraryFull, false);
  } finally {
    infos.mock.restore();
    warnings.mock.restore();
    requeue.mock.restore();
    await analysis.close();
    await station.close();
  }
});

test('a library whose disk stays full while the station serves: the queue is tried again every so often, the log says so once (not every 5 s), then once more when it answers, and the exams are analysed', { timeout: 180_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-queue-full-models');
  writeTinyModel(models);
  await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-queue-full' });
  const analysis = new AiAnalysis(station.db, station.store, [models], () => undefined, { fullRetryMs: 300 });
  // the queue unwritable at the first six tries: SQLITE_FULL four times, then busy twice
  const failures = [...Array(4).fill('SQLITE_FULL'), 'SQLITE_BUSY', 'SQLITE_BUSY'] as string[];
  const original = station.db.ai.claimNext.bind(station.db.ai);
  const claims = mock.method(station.db.ai, 'claimNext', (...args: Parameters<typeof station.db.ai.claimNext>) => {
    const code = failures.shift();
    if (code) throw Object.assign(new Error(code === 'SQLITE_FULL' ? 'database or disk is full' : 'database is locked'), { code });
    return original(...args);
  });
  const warnings = mock.method(log, 'warn', () => undefined);
  const infos = mock.method(log, 'info', () => undefined);
  try {
    const started = Date.now();
    await analysis.start();
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows;
    await waitFor('the exam analysed once the library answered', async () => station.db.ai.examState(exam!.examId)?.status === 'done', 90_000);
    assert.ok(claims.mock.callCount() >= 7, 'tried until it answered');
    assert.ok(Date.now() - started >= 4 * 300 + 5000, 'a full disk waited for fullRetryMs each time, a busy library 5 s');
    const said = warnings.mock.calls.map((c) => String(c.arguments[0])).filter((m) => m.startsWith('AI: the next job could not be taken from the queue'));
    assert.deepEqual(said, [
      'AI: the next job could not be taken from the queue now (SQLITE_FULL); trying again every 1 s, said again when it changes',
      'AI: the next job could not be taken from the queue now (SQLITE_BUSY); trying again every 5 s, said again when it changes',
    ], 'each reason said once');
    assert.equal(warnings.mock.calls.filter((c) => /^AI: the library answers again \(it did not: SQLITE_BUSY\); the queue goes on$/.test(String(c.arguments[0]))).length, 1);
  } finally {
    infos.mock.restore();
    warnings.mock.restore();
    claims.mock.restore();
    await analysis.close();
    await station.close();
  }
});

test('a model whose check was set aside (it ran long) and passed later: its exams are queued and analysed then, it becomes the model exams show, and the pages are told', { timeout: 300_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-models-late');
  writeTinyModel(models);
  const changed: (number | null)[] = [];
  // set aside at once: a check takes a second or more on a new thread
  const analysis = new AiAnalysis(station.db, station.store, [models], (id) => changed.push(id), { checkAsideMs: 1 });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-model-late' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    await analysis.start();
    assert.deepEqual(analysis.availableModels, [], 'no model yet: its check goes on');
    assert.equal(analysis.checking.length, 1);
    await waitFor('the model found late', () => analysis.availableModels.length === 1);
    assert.deepEqual(analysis.checking, []);
    assert.equal(analysis.shownModel?.manifest.id, 'org.binome.tests.bright-spots');
    assert.ok(changed.includes(null), 'the pages were told the models changed');
    await waitFor('the exam analysed by the model found late', () => station.db.ai.examState(exam)?.status === 'done');
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.binome.tests.bright-spots', 'its scores are the worklist\'s');
  } finally {
    await analysis.close();
    await station.close();
  }
});

test('a model whose manifest asks for two-view correlation (contract 1.2): the station stores its findings weighed across the breast\'s views, and scores the exam from them', { timeout: 300_000 }, async () => {
  const station = openTestStation();
  const plain = tempDir('ai-two-view-plain'), weighed = tempDir('ai-two-view-weighed');
  writeTinyModel(plain);
  // no finding can have a partner (none scores 0.99: the tiny model's heatmap is the sigmoid of pixels of 0–1), and one without keeps nothing of its score
  writeTinyModel(weighed, (m) => { m.contractVersion = '1.2'; m.version = '0.2.0'; m.output.twoView = { toleranceMm: 10, unsupportedWeight: 0, partnerFloor: 0.99 }; });
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-two-view' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    for (const [models, expectFindings] of [[plain, true], [weighed, false]] as const) {
      analysis = new AiAnalysis(station.db, station.store, [models]);
      await analysis.start();
      const version = analysis.availableModels[0]!.manifest.version;
      await waitFor(`the exam analysed by ${version}`, () => { const s = station.db.ai.examState(exam); return s?.status === 'done' && s.model.version === version; });
      await analysis.close();
      analysis = null;
      const state = station.db.ai.examState(exam)!;
      if (expectFindings) {
        assert.ok(station.db.ai.findings(exam).length > 0 && state.examScore! > 0.5, 'unweighed: the bright places are marked');
      } else {
        assert.deepEqual(station.db.ai.findings(exam), [], 'weighed: no finding had a partner, none kept any of its score');
        assert.equal(state.examScore, 0, 'the exam scored from the weighed findings (the scale\'s minimum)');
        assert.deepEqual(state.breastScores, { R: 0, L: 0 });
      }
    }
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('an analysis whose stored result is damaged in the library (malformed JSON, a score that is not a number) fails that exam alone: the worklist and aiResults still answer, and "analyse again" queues it', { timeout: 120_000 }, async () => {
  const models = tempDir('ai-damaged-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models], analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'fix9-2026-12-04-damaged' });
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    const query = async () => (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    const exams = (await query()).map((r) => r.examId);
    assert.equal(exams.length, 3);
    const model = { id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: 'x' };
    station.db.ai.enqueueAll(model);
    for (let i = 0; i < 3; i++) {
      const job = station.db.ai.claimNext('me:1', [model])!;
      assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: { modelMs: 1 }, examScore: 0.3 + i / 10, breastScores: { R: 0.3 + i / 10, L: 0.1 }, images: 4, findings: [],
        unreadImages: [{ instanceId: 1, view: 'RMLO', code: 'image_unreadable' }] }));
    }
    const [damaged, other] = exams as [number, number];
    const set = (column: string, value: unknown) => station.db.connection.prepare(`UPDATE ai_jobs SET ${column} = ? WHERE study_ref = ?`).run(value, damaged);
    // a list of unread images holding one entry that is not an image: that entry is passed over
    station.db.connection.prepare(`UPDATE ai_jobs SET unread_images = '["{oops", 3]' WHERE study_ref = ?`).run(damaged);
    assert.equal((await query()).find((r) => r.examId === damaged)!.ai?.status, 'done');
    assert.deepEqual((await station.handlers.aiResults({ examId: damaged })).state?.unreadImages, []);
    const cases: [string, unknown][] = [['breast_scores', '{bad json'], ['breast_scores', 'null'], ['unread_images', '[{oops'], ['unread_images', '{}'], ['timings', '{bad'], ['exam_score', '{bad']];
    for (const [column, value] of cases) {
      const saved = station.db.connection.prepare(`SELECT ${column} AS v FROM ai_jobs WHERE study_ref = ?`).get(damaged) as { v: unknown };
      set(column, value);
      const rows = await query();
      assert.equal(rows.length, 3, `${column} = ${String(value)}: the worklist still answers`);
      const row = rows.find((r) => r.examId === damaged)!;
      assert.equal(row.ai?.status, 'failed', `${column} = ${String(value)}: that exam's analysis reads as failed`);
      assert.equal(row.ai?.failure, 'result_damaged');
      assert.equal(row.ai?.score, null);
      assert.equal(rows.find((r) => r.examId === other)!.ai?.status, 'done', 'the other exams are as they were');
      const results = await station.handlers.aiResults({ examId: damaged });
      assert.equal(results.state?.status, 'failed', `${column} = ${String(value)}: aiResults answers`);
      assert.equal(results.state?.failure?.code, 'result_damaged');
      assert.deepEqual(results.findings, []);
      assert.equal((await station.handlers.aiResults({ examId: other })).state?.status, 'done');
      assert.ok((await station.handlers.examDetail({ examId: damaged }))?.exam, 'the exam opens');
      set(column, saved.v);
    }
    // the reader's "analyse again" queues it
    set('breast_scores', '{bad json');
    assert.equal(station.db.ai.requeue(damaged, model), true);
    assert.equal(station.db.ai.examState(damaged)?.status, 'queued');
    // said in both languages
    for (const locale of ['en', 'fr'] as const) assert.notEqual(translate(locale, 'ai.failure.result_damaged'), 'ai.failure.result_damaged');
  } finally {
    await station.close();
  }
});

test('analyses failed because a model\'s folder changed under a running station (model_refused, model_changed) are queued again at the next start where that very model runs, and only there', { timeout: 300_000 }, async () => {
  const station = openTestStation();
  const models = tempDir('ai-refused-mended-models');
  const folder = writeTinyModel(models);
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as { id: string; version: string; sha256: string };
  const model = { id: manifest.id, version: manifest.version, sha256: manifest.sha256 };
  const gone = { id: manifest.id, version: '0.0.9', sha256: manifest.sha256 };
  let analysis: AiAnalysis | null = null;
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'fix9-2026-12-04-refused' });
    const exams = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number, number, number];
    station.db.ai.enqueueAll(model);
    station.db.ai.enqueueAll(gone);
    // the previous run: the model's file damaged while it served (model_refused), its folder's manifest edited (model_changed)
    const refused = station.db.ai.claimNext('999999:0', [model])!;
    station.db.ai.fail(refused.id, '999999:0', 'model_refused', 'model.onnx no longer matches its manifest');
    const changed = station.db.ai.claimNext('999999:0', [model])!;
    station.db.ai.fail(changed.id, '999999:0', 'model_changed', 'the model\'s manifest changed');
    // and a version no longer installed: it stays failed (nothing here could run it)
    for (let i = 0; i < 3; i++) {
      const old = station.db.ai.claimNext('999999:0', [gone])!;
      station.db.ai.fail(old.id, '999999:0', 'model_refused', 'model.onnx no longer matches its manifest');
    }
    // the identical model back: the next start analyses those exams
    analysis = new AiAnalysis(station.db, station.store, [models]);
    await analysis.start();
    await waitFor('the exams failed for the model\'s folder analysed at the next start', () => [refused.examId, changed.examId].every((id) => station.db.ai.examState(id)?.status === 'done'), 120_000);
    const old = station.db.connection.prepare(`SELECT status, failure_code FROM ai_jobs WHERE model_version = '0.0.9'`).all() as { status: string; failure_code: string }[];
    assert.deepEqual(old.map((j) => [j.status, j.failure_code]), exams.map(() => ['failed', 'model_refused']), 'a version not running here: left as it was');
  } finally {
    await analysis?.close();
    await station.close();
  }
});

test('the library full while a result is stored (SQLITE_FULL, ENOSPC): the exam is not failed but queued again, and analysed once space is freed; the loop waits a while before its next run', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-full-models');
  writeTinyModel(models);
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  const warns = mock.method(log, 'warn', () => undefined);
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'fix9-2026-12-04-full' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    const complete = station.db.ai.complete.bind(station.db.ai);
    const errors = [Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })];
    const stores = mock.method(station.db.ai, 'complete', (...args: Parameters<typeof complete>) => {
      const error = errors.shift();
      if (error) throw error;
      return complete(...args);
    });
    const fail = mock.method(station.db.ai, 'fail');
    analysis = new AiAnalysis(station.db, station.store, [models], () => undefined, { fullRetryMs: 1500 });
    const started = Date.now();
    await analysis.start();
    await waitFor('the exam analysed once space was freed', () => station.db.ai.examState(exam)?.status === 'done', 120_000);
    assert.equal(fail.mock.callCount(), 0, 'never recorded as the exam\'s failure');
    assert.equal(stores.mock.callCount(), 3);
    assert.ok(Date.now() - started >= 3000, 'the loop waited before each next run');
    assert.equal(warns.mock.calls.filter((c) => /not stored: the library is full \((SQLITE_FULL|ENOSPC)\); queued again, next try in 2 s$/.test(String(c.arguments[0]))).length, 2, 'each said in the log');
  } finally {
    warns.mock.restore();
    await analysis?.close();
    await station.close();
  }
});

test('space freed on the library\'s disk while the AI waits for room: the queue goes on within seconds, not after the whole wait, and the "disk full" notice goes with it', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-room-models');
  writeTinyModel(models);
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  const warns = mock.method(log, 'warn', () => undefined);
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'room-2026-12-06' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    const complete = station.db.ai.complete.bind(station.db.ai);
    let full = true;
    const stores = mock.method(station.db.ai, 'complete', (...args: Parameters<typeof complete>) => {
      if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return complete(...args);
    });
    // the disk as the loop sees it: 1 MB free when the result could not be stored, then 10 MB more (not
    // enough to say room was made), then 200 MB more (IT deleted old files)
    let free = 1 << 20;
    const looked: number[] = [];
    const disk = { freeBytes: (dir: string) => { looked.push(Date.now()); assert.equal(dir, station.store.root); return free; }, writable: () => true };
    const told: boolean[] = [];
    const ai: AiAnalysis = new AiAnalysis(station.db, station.store, [models], (id) => { if (id === null) told.push(ai.libraryFull); }, { fullRetryMs: 120_000, disk });
    analysis = ai;
    await ai.start();
    await waitFor('the result refused for want of room', () => stores.mock.callCount() === 1, 120_000);
    assert.equal(ai.libraryFull, true);
    free += 10 << 20;
    await waitFor('the disk looked at again', () => looked.length >= 3, 20_000);
    assert.equal(stores.mock.callCount(), 1, 'a little more room: still waiting (each run until then would be thrown away)');
    // the notice goes with the room, before the next result is stored (it stayed until then: minutes with a slow model, a probe)
    let fullAtNextStore: boolean | null = null;
    stores.mock.mockImplementation((...args: Parameters<typeof complete>) => {
      fullAtNextStore ??= ai.libraryFull;
      return complete(...args);
    });
    full = false;
    free += 200 << 20;
    const freed = Date.now();
    await waitFor('the notice gone with the room', () => !ai.libraryFull, 20_000);
    assert.ok(warns.mock.calls.some((c) => /^AI: the library's disk has room again \(210 MB more free\); the queue goes on$/.test(String(c.arguments[0]))), 'said in the log');
    await waitFor('the exam analysed once space was freed', () => station.db.ai.examState(exam)?.status === 'done', 60_000);
    assert.ok(Date.now() - freed < 30_000, `went on ${Date.now() - freed} ms after space was freed, not after the 120 s wait`);
    assert.equal(fullAtNextStore, false, 'the notice gone before the next result was stored');
    assert.equal(ai.libraryFull, false);
    assert.deepEqual(told, [false, true, false], 'the pages told of the models found, then of the full disk, then of its end');
  } finally {
    warns.mock.restore();
    await analysis?.close();
    await station.close();
  }
});

test('space freed while the queue itself cannot be read for a full disk (SQLITE_FULL taking a job): tried again within seconds, not after the whole wait, and the notice goes', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-room-queue-models');
  writeTinyModel(models);
  const station = openTestStation();
  let analysis: AiAnalysis | null = null;
  const warns = mock.method(log, 'warn', () => undefined);
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'room-queue-2026-12-06' });
    const [exam] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows.map((r) => r.examId) as [number];
    let full = true;
    const claimNext = station.db.ai.claimNext.bind(station.db.ai);
    const claims = mock.method(station.db.ai, 'claimNext', (...args: Parameters<typeof claimNext>) => {
      if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return claimNext(...args);
    });
    let free = 1 << 20;
    const disk = { freeBytes: () => free, writable: () => true };
    const ai: AiAnalysis = new AiAnalysis(station.db, station.store, [models], () => undefined, { fullRetryMs: 120_000, disk });
    analysis = ai;
    await ai.start();
    await waitFor('the queue refused for want of room', () => claims.mock.callCount() >= 1 && ai.libraryFull, 120_000);
    full = false;
    free += 200 << 20;
    const freed = Date.now();
    await waitFor('the notice gone with the room', () => !ai.libraryFull, 30_000);
    await waitFor('the exam analysed', () => station.db.ai.examState(exam)?.status === 'done', 60_000);
    assert.ok(Date.now() - freed < 30_000, `went on ${Date.now() - freed} ms after space was freed, not after the 120 s wait`);
  } finally {
    warns.mock.restore();
    await analysis?.close();
    await station.close();
  }
});

test('a model found late in a run (its check set aside) does not take the place of the model shown since start: the scores readers see do not switch mid-session; it can be chosen (automatic chosen in `binome models`: the last found), and the next start shows it, once it passes where its check is set aside again', { timeout: 180_000 }, async () => {
  const station = openTestStation();
  const { bundled, library } = bundledAndLibraryModels('ai-late-not-shown');
  const changed: (number | null)[] = [];
  const analysis = new AiAnalysis(station.db, station.store, [bundled, library], (id) => changed.push(id));
  let next: AiAnalysis | null = null;
  // the library's model (found last) is checked late: its check set aside (a slow check, over 10 s)
  const release = findLate(analysis, 'org.clinic.tests.own', path.join(library, 'tiny'));
  try {
    await analysis.start();
    assert.equal(analysis.shownModel?.manifest.id, 'org.binome.tests.bundled', 'the one model found at start is shown');
    await waitFor('the shown model written', () => station.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.binome.tests.bundled');
    release();
    await waitFor('the model found late', () => analysis.availableModels.length === 2);
    assert.ok(changed.includes(null), 'the pages were told the models changed');
    assert.equal(analysis.shownModel?.manifest.id, 'org.binome.tests.bundled', 'still the model shown since start');
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.binome.tests.bundled', 'the worklist\'s scores stay that model\'s');
    // the model found late can be chosen
    assert.equal(analysis.choose('org.clinic.tests.own'), true);
    assert.equal(analysis.shownModel?.manifest.id, 'org.clinic.tests.own');
    // "automatic" chosen at the station: the one it showed since start
    assert.equal(analysis.choose(null), true);
    assert.equal(analysis.shownModel?.manifest.id, 'org.binome.tests.bundled');
    assert.equal(analysis.choose('org.binome.tests.bundled'), true);
    await analysis.close();
    // a command listing the models says the one the library shows; "automatic" chosen there, the last
    // found, as a station's start shows (it named the old choice shown beside "exams show the last model
    // found": `binome models --show auto`, a probe)
    const lister = new AiAnalysis(station.db, station.store, [bundled, library]);
    await lister.start({ analyse: false });
    assert.equal(lister.shownModel?.manifest.id, 'org.binome.tests.bundled');
    assert.equal(lister.choose(null), true);
    assert.equal(lister.shownModel?.manifest.id, 'org.clinic.tests.own', 'the last found, as automatic says');
    await lister.close();
    // the next start: the last found, as ever
    next = new AiAnalysis(station.db, station.store, [bundled, library]);
    await next.start();
    assert.equal(next.shownModel?.manifest.id, 'org.clinic.tests.own');
    await waitFor('written for the worklist', () => station.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.clinic.tests.own');
    await next.close();
    // a start where its check is set aside again (a model whose check runs long every time): the last
    // found at the last start is the automatic choice, shown once it passes (it was never shown, a probe)
    next = new AiAnalysis(station.db, station.store, [bundled, library]);
    const releaseAgain = findLate(next, 'org.clinic.tests.own', path.join(library, 'tiny'));
    await next.start();
    assert.equal(next.shownModel?.manifest.id, 'org.binome.tests.bundled', 'meanwhile, the one found');
    releaseAgain();
    await waitFor('shown once found', () => next!.shownModel?.manifest.id === 'org.clinic.tests.own');
    await waitFor('written for the worklist', () => station.db.settings.get(AI_SHOWN_MODEL_SETTING) === 'org.clinic.tests.own');
  } finally {
    await analysis.close();
    await next?.close();
    await station.close();
  }
});

test('"automatic" chosen in `binome models` beside a running station names the model that station\'s automatic shows (its models panel), not the last found: the two named different models, and the station wrote its own back (a probe)', { timeout: 180_000 }, async () => {
  const station = openTestStation();
  const { bundled, library } = bundledAndLibraryModels('ai-auto-beside-station');
  const analysis = new AiAnalysis(station.db, station.store, [bundled, library]);
  // the library's model (found last) checked late: the station's automatic is the application's, shown since its start
  const release = findLate(analysis, 'org.clinic.tests.own', path.join(library, 'tiny'));
  let lister: AiAnalysis | null = null;
  try {
    await analysis.start();
    release();
    await waitFor('the model found late', () => analysis.availableModels.length === 2);
    // a reader chooses the library's model in the panel; then IT asks for automatic on the command line
    assert.equal(analysis.choose('org.clinic.tests.own'), true);
    lister = new AiAnalysis(station.db, station.store, [bundled, library]);
    await lister.start({ analyse: false });
    assert.equal(lister.choose(null), true);
    assert.equal(lister.shownModel?.manifest.id, 'org.binome.tests.bundled', 'the running station\'s automatic, not the last found');
    // the station's own automatic (its models panel) is the same model
    assert.equal(analysis.choose(null), true);
    assert.equal(analysis.shownModel?.manifest.id, lister.shownModel?.manifest.id);
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.binome.tests.bundled');
    await lister.close();
    // the station closed: automatic is the last found, as its next start shows
    await analysis.close();
    lister = new AiAnalysis(station.db, station.store, [bundled, library]);
    await lister.start({ analyse: false });
    assert.equal(lister.choose(null), true);
    assert.equal(lister.shownModel?.manifest.id, 'org.clinic.tests.own');
  } finally {
    await lister?.close();
    await analysis.close();
    await station.close();
  }
});

test('a command listing the models (binome models) whose check of the library\'s shown model is set aside names that model shown once it is found, not the last found: on a loaded machine it marked the other shown beside a library that showed it (a clean-clone run)', { timeout: 180_000 }, async () => {
  const station = openTestStation();
  const { bundled, library } = bundledAndLibraryModels('ai-list-late-shown');
  // the library shows the application's model (a station chose it); the listing finds the library's own at once, the application's late
  station.db.settings.set(AI_SHOWN_MODEL_SETTING, 'org.binome.tests.bundled');
  const lister = new AiAnalysis(station.db, station.store, [bundled, library]);
  const release = findLate(lister, 'org.binome.tests.bundled', path.join(bundled, 'tiny'));
  try {
    await lister.start({ analyse: false });
    assert.equal(lister.shownModel?.manifest.id, 'org.clinic.tests.own', 'meanwhile, the one found');
    release();
    await waitFor('the model found late', () => lister.availableModels.length === 2);
    assert.equal(lister.shownModel?.manifest.id, 'org.binome.tests.bundled', 'the library\'s shown model, once found');
    assert.equal(station.db.settings.get(AI_SHOWN_MODEL_SETTING), 'org.binome.tests.bundled', 'and nothing written');
  } finally {
    await lister.close();
    await station.close();
  }
});
