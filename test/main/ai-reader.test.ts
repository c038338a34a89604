// What a reader does with the AI second reader, through the station's API: her first impression
// (recorded once, with the marks mode she had, audited; another answer afterwards refused in her
// language; in second look, the exam's score held back from the worklist until she has it), cancelling an exam's analysis (a running one stops: nothing stored, not a failure) and
// queueing it again (it runs to the end), each said to the pages by aiChanged.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, parseOperationInput } from '../../common/api.ts';
import fs from 'node:fs';
import { translate, translateCount } from '../../common/i18n/messages.ts';
import { failureReason } from '../../renderer/ai/ai-state.ts';
import { log } from '../../main/base/log.ts';
import { writeTinyModel } from '../helpers/onnx-models.ts';
import { openTestStation } from '../helpers/station.ts';
import { tempDir } from '../helpers/paths.ts';
import { waitFor } from '../helpers/wait.ts';
import { AI_SHOWN_MODEL_SETTING, AI_SHOWN_VERSION_SETTING } from '../../main/db/records.ts';

const examsOfRows = async (station: ReturnType<typeof openTestStation>) =>
  (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
const examsOf = async (station: ReturnType<typeof openTestStation>) => (await examsOfRows(station)).map((r) => r.examId);

test('a first impression is recorded once, with the marks mode of the moment, and audited; another answer is refused; a new exam is in progress from it', { timeout: 120_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'first-impression' });
    const [a, b, c] = await examsOf(station) as [number, number, number];
    assert.equal((await station.handlers.aiResults({ examId: a })).firstImpression, null);

    const recorded = await station.handlers.setFirstImpression({ examId: a, impression: 'recall' });
    assert.equal(recorded.firstImpression?.impression, 'recall');
    assert.equal(recorded.firstImpression?.mode, 'second-look', 'the default mode');
    assert.deepEqual((await station.handlers.aiResults({ examId: a })).firstImpression, recorded.firstImpression);
    // the same answer again changes nothing and is not audited twice
    assert.deepEqual((await station.handlers.setFirstImpression({ examId: a, impression: 'recall' })).firstImpression, recorded.firstImpression);
    // another answer would rewrite her unaided read
    await assert.rejects(station.handlers.setFirstImpression({ examId: a, impression: 'normal' }), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === 'bad_request' && e.key === 'error.firstImpressionRecorded');
      assert.match(translate('fr', e.key!), /déjà enregistrée/);
      return true;
    });
    assert.equal((await station.handlers.aiResults({ examId: a })).firstImpression?.impression, 'recall');
    // her reading has begun: the new exam is in progress (once)
    assert.deepEqual(station.db.audit.trail(a).map((r) => r.action), ['first-impression:recall:second-look', 'status:in_progress']);
    assert.equal(station.db.worklist.examSummary(a)?.status, 'in_progress');

    // the mode she has when she records it is kept with it; an exam not new keeps its status
    // (none once it is read: a stray click on a read exam's strip recorded one after the read, a probe)
    await station.handlers.setExamStatus({ examId: b, status: 'read' });
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    await assert.rejects(station.handlers.setFirstImpression({ examId: b, impression: 'normal' }), (e: unknown) => e instanceof ApiError && e.key === 'error.firstImpressionExamRead');
    await station.handlers.setExamStatus({ examId: b, status: 'in_progress' });
    assert.equal((await station.handlers.setFirstImpression({ examId: b, impression: 'normal' })).firstImpression?.mode, 'concurrent');
    assert.deepEqual(station.db.audit.trail(b).map((r) => r.action), ['status:read', 'status:in_progress', 'first-impression:normal:concurrent']);
    assert.equal(station.db.worklist.examSummary(b)?.status, 'in_progress');
    // an exam read, then opened again: its score and marks showed once it was read, so an impression then is
    // not an unaided read (a probe read one, reopened it and recorded "normal", filed as second look)
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'second-look' } });
    await station.handlers.setExamStatus({ examId: c, status: 'read' });
    // (set again, the same status is no change: audited once, a probe's race wrote 20 "status:read" rows for one exam)
    await station.handlers.setExamStatus({ examId: c, status: 'read' });
    assert.deepEqual(station.db.audit.trail(c).map((r) => r.action), ['status:read']);
    await station.handlers.setExamStatus({ examId: c, status: 'in_progress' });
    assert.equal((await station.handlers.setFirstImpression({ examId: c, impression: 'normal' })).firstImpression?.mode, 'concurrent');

    await assert.rejects(station.handlers.setFirstImpression({ examId: 9999, impression: 'normal' }), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
  } finally {
    await station.close();
  }
});

test('a first impression made after the AI\'s output was shown (concurrent mode, then a switch to second look) is recorded as made with the marks, not unaided; noted once, and only before the impression', { timeout: 120_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-shown-first' });
    const [a, b] = await examsOf(station) as [number, number];
    assert.equal((await station.handlers.getSettings({})).viewer.aiMarksMode, 'second-look');
    // the viewer showed a's marks (in concurrent mode), twice: noted once
    assert.equal((await station.handlers.aiResults({ examId: a })).shownBeforeFirstImpression, false);
    await station.handlers.noteAiShown({ examId: a });
    assert.equal((await station.handlers.noteAiShown({ examId: a })).shownBeforeFirstImpression, true);
    const recorded = await station.handlers.setFirstImpression({ examId: a, impression: 'normal' });
    assert.equal(recorded.firstImpression?.mode, 'concurrent', 'the marks were seen before it: not an unaided read');
    assert.deepEqual(station.db.audit.trail(a).map((r) => r.action), ['ai:shown-before-first-impression', 'first-impression:normal:concurrent', 'status:in_progress']);
    // b's marks not shown before: second look, as she reads; shown after it: nothing to note
    assert.equal((await station.handlers.setFirstImpression({ examId: b, impression: 'recall' })).firstImpression?.mode, 'second-look');
    await station.handlers.noteAiShown({ examId: b });
    assert.deepEqual(station.db.audit.trail(b).map((r) => r.action), ['first-impression:recall:second-look', 'status:in_progress']);
    await assert.rejects(station.handlers.noteAiShown({ examId: 9999 }), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
  } finally {
    await station.close();
  }
});

test('scores the worklist showed in concurrent mode count as shown: an impression recorded after a switch to second look is recorded as made with them; noted once, only for scores shown', { timeout: 120_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 3, priors: 0, size: 'reduced', seed: 'ai-scores-shown' });
    const [a, b, c] = await examsOf(station) as [number, number, number];
    // a and c analysed (their scores set here: no model runs in this test), b not
    for (const examId of [a, c]) {
      station.db.connection.prepare(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, priority, queued_at, exam_score)
        VALUES (?, 'org.binome.tests.any', '1.0.0', '', 'done', 0, '2026-12-03T00:00:00Z', 0.7)`).run(examId);
    }
    // second look (the default): the worklist held every score back, so nothing was shown
    assert.deepEqual(await station.handlers.noteAiScoresShown({ examIds: [a, b, c] }), { noted: 0 });
    assert.deepEqual(station.db.audit.trail(a), []);
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    await station.handlers.setFirstImpression({ examId: c, impression: 'normal' });
    // a's score shown; b has none; c was read already; an exam no longer in the library is passed over
    assert.deepEqual(await station.handlers.noteAiScoresShown({ examIds: [a, b, c, a, 9999] }), { noted: 1 });
    assert.deepEqual(await station.handlers.noteAiScoresShown({ examIds: [a] }), { noted: 0 }, 'noted once');
    assert.deepEqual(station.db.audit.trail(b), []);
    assert.deepEqual(station.db.audit.trail(c).map((r) => r.action), ['first-impression:normal:concurrent', 'status:in_progress']);
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'second-look' } });
    assert.equal((await station.handlers.aiResults({ examId: a })).shownBeforeFirstImpression, true, 'the locked strip warns her');
    assert.equal((await station.handlers.setFirstImpression({ examId: a, impression: 'recall' })).firstImpression?.mode, 'concurrent', 'not an unaided read');
    assert.equal((await station.handlers.setFirstImpression({ examId: b, impression: 'recall' })).firstImpression?.mode, 'second-look');
  } finally {
    await station.close();
  }
});

test('second look holds the AI\'s exam score back in the worklist and the exam\'s details until this reader\'s first impression of the exam; the triage sort still orders by it, the exams held back first (a shown score beside a held-back one would bracket it); concurrent shows it', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-withheld-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models] });
  try {
    // one woman, an exam and its prior: both analysed
    await station.handlers.loadDemoExams({ patients: 1, priors: 1, size: 'reduced', seed: 'ai-withheld' });
    const [current, prior] = await examsOf(station) as [number, number];
    await waitFor('both exams analysed', () => station.db.ai.counts().done === 2);
    // the model marks one class (its manifest's heatmap names masses alone): the reader's switches
    assert.deepEqual((await station.handlers.aiResults({ examId: current })).model?.classes, ['mass']);
    // the two told apart by their scores: the prior 0.8, the current 0.2
    station.db.connection.prepare('UPDATE ai_jobs SET exam_score = CASE study_ref WHEN ? THEN 0.8 ELSE 0.2 END').run(prior);
    const byScore = async () => (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    const aiOf = (rows: { examId: number; ai: unknown }[], examId: number) => rows.find((r) => r.examId === examId)!.ai;

    // the prior came read (the demo's history): after the exam still to read, whatever its score (it
    // was listed first, among the exams to read, and "mark read and next" opened it)
    assert.equal((await station.handlers.examDetail({ examId: prior, purpose: 'prefetch' })).exam.status, 'read');
    let rows = await byScore();
    assert.deepEqual(rows.map((r) => r.examId), [current, prior], 'the exam to read first, the read prior after it');
    assert.deepEqual(aiOf(rows, current), { status: 'done', score: null, failure: null, scoreWithheld: true, paused: false, notRead: [] });
    // a read prior's score is held back too while its woman's exam to read is: it tells the current's (a
    // prior scored 0.45, highlighted one row from her current exam held back: a radiologist's probe)
    // and says why (the worklist's line for it said "after your impression" of an exam she had read: a probe)
    assert.deepEqual(aiOf(rows, prior), { status: 'done', score: null, failure: null, scoreWithheld: true, withheldForLater: true, paused: false, notRead: [] });
    assert.equal((await station.handlers.examDetail({ examId: current, purpose: 'prefetch' })).priors[0]!.ai?.score, null);
    // and the viewer is told her later exam waits for her impression (it keeps the read prior locked)
    const laterOf = async () => (await station.handlers.examDetail({ examId: prior, purpose: 'prefetch' })).priors.find((p) => p.examId === current)!;
    assert.equal((await laterOf()).firstImpressionDue, true);
    // whatever the state of her later exam's analysis: while it is queued or running (no score yet) too
    // (a read prior opened while her current exam was queued showed its score and marks: a radiologist's probe)
    const shownScore = station.db.connection.prepare('SELECT ai_score FROM studies WHERE id = ?').get(current) as { ai_score: number };
    station.db.connection.prepare('UPDATE studies SET ai_score = NULL WHERE id = ?').run(current);
    assert.deepEqual(aiOf(await byScore(), prior), { status: 'done', score: null, failure: null, scoreWithheld: true, withheldForLater: true, paused: false, notRead: [] });
    assert.equal((await laterOf()).firstImpressionDue, true);
    station.db.connection.prepare('UPDATE studies SET ai_score = ? WHERE id = ?').run(shownScore.ai_score, current);
    // a read exam's score is not held back otherwise: its reading is done (a prior imported read said
    // "after your impression" for ever: a probe). Here, with the current exam read
    await station.handlers.setExamStatus({ examId: current, status: 'read' });
    assert.deepEqual(aiOf(await byScore(), prior), { status: 'done', score: 0.8, failure: null, scoreWithheld: false, paused: false, notRead: [] });
    await station.handlers.setExamStatus({ examId: current, status: 'new' });
    // both to read: in the order of the scores held back
    await station.handlers.setExamStatus({ examId: prior, status: 'in_progress' });
    rows = await byScore();
    assert.deepEqual(rows.map((r) => r.examId), [prior, current], 'the triage sort orders by the score it holds back');
    let detail = await station.handlers.examDetail({ examId: current, purpose: 'prefetch' });
    assert.equal(detail.exam.ai?.score, null);
    assert.equal(detail.priors[0]!.ai?.score, null, 'nor does the prior show its score in the viewer\'s exam details');
    assert.equal((await station.handlers.setExamStatus({ examId: current, status: 'in_progress' })).ai?.score, null);

    // her first impression of the prior: its score shows (and the pages are told), the current's stays held back
    const told: (number | null)[] = [];
    station.on('aiChanged', ({ examId }) => told.push(examId));
    await station.handlers.setFirstImpression({ examId: prior, impression: 'recall' });
    assert.deepEqual(told, [prior]);
    await station.handlers.setFirstImpression({ examId: prior, impression: 'recall' });
    assert.deepEqual(told, [prior], 'the same impression again changes nothing and says nothing');
    rows = await byScore();
    assert.deepEqual(aiOf(rows, prior), { status: 'done', score: 0.8, failure: null, scoreWithheld: false, paused: false, notRead: [] });
    assert.deepEqual(aiOf(rows, current), { status: 'done', score: null, failure: null, scoreWithheld: true, paused: false, notRead: [] });
    assert.deepEqual(rows.map((r) => r.examId), [current, prior], 'the exam still to read first, the one whose score shows after it');
    detail = await station.handlers.examDetail({ examId: current, purpose: 'prefetch' });
    assert.equal(detail.priors[0]!.ai?.score, 0.8);
    assert.equal(detail.exam.ai?.scoreWithheld, true);
    // both read: both scores shown, in their order (her impression of neither matters any more)
    for (const id of [prior, current]) await station.handlers.setExamStatus({ examId: id, status: 'read' });
    rows = await byScore();
    assert.deepEqual(rows.map((r) => [r.examId, r.ai?.score, r.ai?.scoreWithheld]), [[prior, 0.8, false], [current, 0.2, false]]);
    await station.handlers.setExamStatus({ examId: prior, status: 'in_progress' });
    assert.deepEqual((await byScore()).map((r) => [r.examId, r.ai?.score]), [[prior, 0.8], [current, 0.2]], 'to read first; read after, its score shown');
    for (const id of [prior, current]) await station.handlers.setExamStatus({ examId: id, status: 'in_progress' });

    // a newer version of the model, its analysis of the current exam cancelled: the exam shows that
    // state, and the score it still has (the older version's) stays held back
    station.db.connection.prepare(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, priority, queued_at)
      VALUES (?, 'org.binome.tests.bright-spots', '0.2.0', '', 'cancelled', 0, '2026-12-01T00:00:00Z')`).run(current);
    // (the version the station runs: the AI loop writes it as it starts)
    station.db.settings.setChanged({ [AI_SHOWN_VERSION_SETTING]: '0.2.0' });
    rows = await byScore();
    assert.deepEqual(aiOf(rows, current), { status: 'cancelled', score: null, failure: null, scoreWithheld: true, paused: false, notRead: [] });
    assert.deepEqual(rows.map((r) => r.examId), [current, prior], 'still triaged by it, still first');

    // concurrent reading: every score at once, and the worklist told to read again; another setting alone says nothing
    const reasons: string[] = [];
    station.on('worklistChanged', ({ reason }) => reasons.push(reason));
    await station.handlers.setSettings({ viewer: { prefetchCacheMb: 512 } });
    assert.deepEqual(reasons, []);
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    assert.deepEqual(reasons, ['settings']);
    assert.equal((await laterOf()).firstImpressionDue, undefined, 'concurrent: nothing waits for an impression');
    rows = await byScore();
    assert.deepEqual(rows.map((r) => [r.examId, r.ai?.status, r.ai?.score, r.ai?.scoreWithheld]), [[prior, 'done', 0.8, false], [current, 'cancelled', 0.2, false]]);
  } finally {
    await station.close();
  }
});

test('second look, sorted by the AI\'s score: of the exams read, those whose score waits for the same woman\'s exam to read come before the others, not among them (interleaved, the shown scores around one gave it: a re-probe)', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-held-priors-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models] });
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 1, size: 'reduced', seed: 'probe30-held-priors' });
    await waitFor('four exams analysed', () => station.db.ai.counts().done === 4);
    const rows = await examsOfRows(station);
    // each woman's current exam (to read) and her prior (read, the demo's history)
    const byWoman = new Map<string, typeof rows>();
    for (const r of rows) byWoman.set(r.patientId!, [...(byWoman.get(r.patientId!) ?? []), r]);
    const [[aCurrent, aPrior], [bCurrent, bPrior]] = [...byWoman.values()].map((exams) => exams.map((e) => e.examId)) as [[number, number], [number, number]];
    // woman B's current exam read too: nothing of hers waits. Scores: B's 0.6 and 0.4 around A's prior's 0.5
    await station.handlers.setExamStatus({ examId: bCurrent, status: 'read' });
    const score = station.db.connection.prepare('UPDATE ai_jobs SET exam_score = ? WHERE study_ref = ?');
    for (const [id, value] of [[aCurrent, 0.9], [aPrior, 0.5], [bCurrent, 0.6], [bPrior, 0.4]] as const) score.run(value, id);
    const sorted = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    assert.deepEqual(sorted.map((r) => [r.examId, r.ai?.score ?? null, r.ai?.scoreWithheld]),
      [[aCurrent, null, true], [aPrior, null, true], [bCurrent, 0.6, false], [bPrior, 0.4, false]]);
    // her impression of A's current exam: every score shows, the exams read in their scores' order
    await station.handlers.setFirstImpression({ examId: aCurrent, impression: 'normal' });
    const after = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'aiScore', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    assert.deepEqual(after.map((r) => [r.examId, r.ai?.score ?? null]), [[aCurrent, 0.9], [bCurrent, 0.6], [aPrior, 0.5], [bPrior, 0.4]]);
  } finally {
    await station.close();
  }
});

test('cancelling an analysis stops it (no result, no failure), queueing it again runs it to the end; both said by aiChanged and audited', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-reader-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models] });
  const infos = mock.method(log, 'info');
  try {
    const changed: number[] = [];
    // the first exam the analysis takes is cancelled by a reader the moment it starts running
    let cancelledExam: number | null = null;
    station.on('aiChanged', ({ examId }) => {
      if (examId === null) return; // every exam (another model shown): not in this test
      changed.push(examId);
      if (cancelledExam === null && station.db.ai.examState(examId)?.status === 'running') {
        cancelledExam = examId;
        void station.handlers.cancelAiAnalysis({ examId });
      }
    });
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-cancel' });
    const exams = await examsOf(station);
    const other = await waitFor('the other exam analysed', async () => {
      const id = exams.find((e) => e !== cancelledExam);
      return cancelledExam !== null && id !== undefined && (await station.handlers.aiResults({ examId: id })).state?.status === 'done' ? id : null;
    });
    const cancelled = cancelledExam!;
    assert.notEqual(other, cancelled);
    const results = await station.handlers.aiResults({ examId: cancelled });
    assert.equal(results.state?.status, 'cancelled');
    assert.equal(results.state?.failure, null, 'a cancel is not a failure');
    assert.deepEqual(results.findings, []);
    assert.equal(station.db.ai.findings(cancelled).length, 0, 'nothing stored');
    const said = infos.mock.calls.map((c) => String(c.arguments[0]));
    assert.ok(said.some((m) => new RegExp(`^AI analysis of exam ${cancelled} by \\S+ \\S+ cancelled$`).test(m)), 'the running job stopped');
    assert.ok(!said.some((m) => m.includes('result dropped')), 'it did not run to the end');
    assert.ok(station.db.audit.trail(cancelled).some((r) => r.action === 'ai:cancel'));
    // opening the exam again leaves the reader's cancel as it is
    await station.handlers.examDetail({ examId: cancelled });
    assert.equal((await station.handlers.aiResults({ examId: cancelled })).state?.status, 'cancelled');
    // nothing left to cancel: no change, no event, no audit
    const events = changed.length;
    await station.handlers.cancelAiAnalysis({ examId: cancelled });
    assert.equal(changed.length, events);
    assert.equal(station.db.audit.trail(cancelled).filter((r) => r.action === 'ai:cancel').length, 1);

    // queued again: analysed to the end
    assert.equal((await station.handlers.queueAiAnalysis({ examId: cancelled })).state?.status, 'queued');
    const done = await waitFor('the requeued exam analysed', async () => {
      const r = await station.handlers.aiResults({ examId: cancelled });
      return r.state?.status === 'done' ? r : null;
    });
    assert.ok(done.findings.length > 0);
    assert.ok(station.db.audit.trail(cancelled).some((r) => r.action === 'ai:queue'));
    assert.ok(changed.filter((id) => id === cancelled).length >= 3, 'started, cancelled, queued, started, done');
    // queued again once analysed: nothing to do, nothing said, nothing audited
    const told = changed.length;
    assert.equal((await station.handlers.queueAiAnalysis({ examId: cancelled })).state?.status, 'done');
    assert.equal(changed.length, told);
    assert.equal(station.db.audit.trail(cancelled).filter((r) => r.action === 'ai:queue').length, 1);
  } finally {
    infos.mock.restore();
    await station.close();
  }
});

test('queueing an analysis again needs a model', { timeout: 60_000 }, async () => {
  const station = openTestStation();
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'ai-no-model' });
    const [exam] = await examsOf(station);
    await assert.rejects(station.handlers.queueAiAnalysis({ examId: exam! }), (e: unknown) => e instanceof ApiError && e.code === 'unavailable' && e.key === 'error.aiNoModel');
    await assert.rejects(station.handlers.cancelAiAnalysis({ examId: 9999 }), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
  } finally {
    await station.close();
  }
});

test('an image damaged in the store is not read, and said so by its view and why; the exam\'s other images are analysed; "analyse again" tries it; every image damaged fails the exam saying which view', { timeout: 300_000 }, async () => {
  const models = tempDir('ai-reader-damaged-models');
  writeTinyModel(models);
  const library = tempDir('ai-reader-damaged');
  // imported by a station without the model; then files cut short in the store (a disk fault):
  // the RMLO of the first woman, every image of the second
  const before = openTestStation({ libraryDir: library });
  let partial: number;
  let whole: number;
  let rmlo: { instanceId: number; sopInstanceUid: string };
  try {
    await before.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'ai-damaged' });
    [partial, whole] = (await examsOf(before)) as [number, number];
    const cut = (instanceId: number) => {
      const file = before.store.pathFor(before.db.worklist.instanceFile(instanceId)!.fileHash);
      fs.chmodSync(file, 0o644);
      fs.truncateSync(file, 4000);
    };
    rmlo = (await before.handlers.examDetail({ examId: partial })).series.flatMap((s) => s.instances).find((i) => i.viewLabel === 'RMLO')!;
    cut(rmlo.instanceId);
    for (const i of (await before.handlers.examDetail({ examId: whole })).series.flatMap((s) => s.instances)) if (i.isImage) cut(i.instanceId);
  } finally {
    await before.close();
  }
  const warnings = mock.method(log, 'warn', () => undefined);
  const station = openTestStation({ libraryDir: library, modelRoots: [models] });
  const t = (locale: 'en' | 'fr') => (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) => translate(locale, key, params);
  try {
    const done = await waitFor('the analysis of the three other images', async () => {
      const r = await station.handlers.aiResults({ examId: partial });
      return r.state?.status === 'done' ? r : null;
    });
    assert.deepEqual(done.state?.unreadImages, [{ view: 'RMLO', code: 'image_unreadable' }]);
    assert.deepEqual(done.notAnalysed.filter((n) => n.reason === 'unreadable'), [{ instanceId: rmlo.instanceId, reason: 'unreadable', failure: 'image_unreadable' }]);
    assert.ok(!done.findings.some((f) => f.instanceId === rmlo.instanceId), 'no mark on the image not read');
    assert.deepEqual(Object.keys(done.state?.breastScores ?? {}).sort(), ['L', 'R'], 'the right breast scored from its CC');
    assert.deepEqual(done.state?.notRead, []);
    const job = station.db.connection.prepare('SELECT images FROM ai_jobs WHERE study_ref = ?').get(partial) as { images: number };
    assert.equal(job.images, 3, 'three images read');
    // the worklist's cell names the view
    const row = (await examsOfRows(station)).find((r) => r.examId === partial)!;
    assert.deepEqual([row.ai?.status, row.ai?.unreadViews], ['done', ['RMLO']]);
    assert.equal(translateCount('fr', 'worklist.ai.unreadImages', 1, { views: row.ai!.unreadViews!.join(', ') }), 'RMLO non analysée');
    assert.equal(translateCount('fr', 'worklist.ai.unreadImages', 2, { views: 'RMLO, LCC' }), 'RMLO, LCC non analysées');
    // logged by its code and view, without a stack
    assert.ok(warnings.mock.calls.some((c) => new RegExp(`^AI analysis of exam ${partial} by \\S+ \\S+: image_unreadable \\(RMLO\\); the exam's other images are tried$`).test(String(c.arguments[0]))),
      JSON.stringify(warnings.mock.calls.map((c) => c.arguments[0])));
    // its CAD SR names only the three images read (a PACS would read "nothing found" on the RMLO)
    const srUid = await waitFor('the CAD SR', () => {
      const id = (station.db.connection.prepare('SELECT id FROM ai_jobs WHERE study_ref = ?').get(partial) as { id: number }).id;
      const uid = station.db.cadReports.srOf(id);
      return uid && station.db.worklist.instanceBySopUid(uid) !== null && uid;
    });
    const srFile = station.store.pathFor(station.db.worklist.instanceFile(station.db.worklist.instanceBySopUid(srUid)!)!.fileHash);
    const srText = fs.readFileSync(srFile).toString('latin1');
    assert.ok(!srText.includes(rmlo.sopInstanceUid), 'the RMLO is not in the SR');
    const others = (await station.handlers.examDetail({ examId: partial })).series.flatMap((s) => s.instances).filter((i) => i.isImage && i.instanceId !== rmlo.instanceId);
    assert.equal(others.length, 3);
    for (const i of others) assert.ok(srText.includes(i.sopInstanceUid), `${i.viewLabel} is in the SR`);

    // every image damaged: the exam fails, saying the first one's view and why, in the reader's words
    const failed = await waitFor('the failure', async () => {
      const r = await station.handlers.aiResults({ examId: whole });
      return r.state?.status === 'failed' ? r.state : null;
    });
    assert.equal(failed.failure?.code, 'image_unreadable');
    assert.match(failed.failure?.detail ?? '', /^R(CC|MLO): /);
    assert.match(failureReason(t('en'), failed.failure?.code, failed.failure?.detail), /^an image \(R(CC|MLO)\) could not be read: damaged in the library/);
    assert.match(failureReason(t('fr'), failed.failure?.code, failed.failure?.detail), /^une image \(R(CC|MLO)\) n’a pas pu être lue/);
    const failedRow = (await examsOfRows(station)).find((r) => r.examId === whole)!;
    assert.equal(failedRow.ai?.status, 'failed');
    assert.match(failedRow.ai?.failureView ?? '', /^R(CC|MLO)$/);
    assert.match(failureReason(t('en'), 'image_unreadable'), /^an image could not be read/);
    // opening the exams leaves what they said on screen (each would fail again, at the cost of an analysis);
    // a failure that may pass is tried again on opening (ai-analysis.test.ts)
    await station.handlers.examDetail({ examId: partial });
    await station.handlers.examDetail({ examId: whole });
    assert.equal((await station.handlers.aiResults({ examId: partial })).state?.status, 'done');
    assert.equal((await station.handlers.aiResults({ examId: whole })).state?.status, 'failed');
    // the reader's "analyse again" queues both (the image may have been sent again meanwhile)
    assert.equal((await station.handlers.queueAiAnalysis({ examId: whole })).state?.status, 'queued');
    assert.equal((await station.handlers.queueAiAnalysis({ examId: partial })).state?.status, 'queued');
    assert.ok(warnings.mock.calls.some((c) => new RegExp(`^AI analysis of exam ${whole} by \\S+ \\S+ failed: image_unreadable \\(R(CC|MLO)\\)$`).test(String(c.arguments[0]))),
      JSON.stringify(warnings.mock.calls.map((c) => c.arguments[0])));
  } finally {
    // closed first: the analyses asked for again run meanwhile, and say so
    await station.close();
    warnings.mock.restore();
  }
});

test('each reader chooses the operating point her marks are drawn at among the model\'s: its findings above that point, said to the pages; a name the model does not have is its default', { timeout: 120_000 }, async () => {
  const models = tempDir('ai-reader-points-models');
  writeTinyModel(models, (m) => {
    m.calibration.operatingPoints = [
      { name: 'high-specificity', threshold: 0.6, sensitivity: 0.5, falseMarksPerImage: 0.25, dataset: 'test', datasetTranslations: { fr: 'essai' } },
      { name: 'balanced', threshold: 0.4, sensitivity: 0.7, falseMarksPerImage: 0.5, dataset: 'test' },
      { name: 'high-sensitivity', threshold: 0.2, sensitivity: 0.9, falseMarksPerImage: 2, dataset: 'test' },
    ];
    m.calibration.defaultOperatingPoint = 'balanced';
    m.contractVersion = '1.6';
  });
  const station = openTestStation({ modelRoots: [models], analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'probe29-points' });
    const [examId] = await examsOf(station) as [number];
    const model = { id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: 'x' };
    station.db.ai.enqueueAll(model);
    const job = station.db.ai.claimNext('me:1', [model])!;
    const instances = (await station.handlers.examDetail({ examId })).series.flatMap((s) => s.instances);
    const right = instances.find((i) => i.imageLaterality === 'R' && i.viewLabel !== null)!, left = instances.find((i) => i.imageLaterality === 'L' && i.viewLabel !== null)!;
    const finding = (score: number, on = right) => ({ instanceId: on.instanceId, class: 'mass', score, x: 10, y: 10, box: [5, 5, 15, 15] as [number, number, number, number] });
    assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: {}, examScore: 0.7, breastScores: { R: 0.7, L: 0.3 }, images: 4,
      findings: [finding(0.7), finding(0.5), finding(0.3, left), finding(0.1)], unreadImages: [] }));
    const scores = async () => (await station.handlers.aiResults({ examId })).findings.map((f) => f.score);
    // (found after its check: asked before, the results have no model, so no point to cut at; a loaded machine's run asked first)
    await waitFor('the model found', async () => (await station.handlers.aiModels({})).models.length === 1);

    // the model's default until she chooses; every point offered, with what it achieved
    const before = await station.handlers.aiResults({ examId });
    assert.deepEqual(before.findings.map((f) => f.score), [0.7, 0.5]);
    assert.deepEqual(before.model?.operatingPoint, { name: 'balanced', threshold: 0.4 });
    assert.equal(before.model?.defaultOperatingPoint, 'balanced');
    // where each breast's score comes from, and whether it is marked at her point (the left's 0.3 is not, at 0.4)
    assert.deepEqual(before.state?.breastSources, { R: { view: right.viewLabel, marked: true }, L: { view: left.viewLabel, marked: false } });
    assert.deepEqual(before.model?.operatingPoints.map((p) => [p.name, p.threshold, p.sensitivity, p.specificity, p.falseMarksPerImage]),
      [['high-specificity', 0.6, 0.5, null, 0.25], ['balanced', 0.4, 0.7, null, 0.5], ['high-sensitivity', 0.2, 0.9, null, 2]]);
    // what each was measured on, in the reader's language where the manifest says it (contract 1.6)
    assert.deepEqual(before.model?.operatingPoints.map((p) => [p.dataset, p.datasetTranslations?.fr ?? null]), [['test', 'essai'], ['test', null], ['test', null]]);

    // another point: other marks on every exam, said to the pages that show them
    const changes: (number | null)[] = [];
    station.on('aiChanged', ({ examId: changed }) => changes.push(changed));
    await station.handlers.setSettings({ viewer: { aiOperatingPoint: 'high-sensitivity' } });
    assert.deepEqual(await scores(), [0.7, 0.5, 0.3]);
    assert.deepEqual((await station.handlers.aiResults({ examId })).model?.operatingPoint, { name: 'high-sensitivity', threshold: 0.2 });
    assert.equal((await station.handlers.aiResults({ examId })).state?.breastSources?.L?.marked, true);
    assert.deepEqual(changes, [null]);
    // the same again: nothing to redraw
    await station.handlers.setSettings({ viewer: { aiOperatingPoint: 'high-sensitivity' } });
    assert.deepEqual(changes, [null]);
    await station.handlers.setSettings({ viewer: { aiOperatingPoint: 'high-specificity' } });
    assert.deepEqual(await scores(), [0.7]);
    // a name no model here has is refused, saying which they have: it would have drawn every exam at
    // the default and said nothing (an API probe); the reader's choice stays
    await assert.rejects(station.handlers.setSettings({ viewer: { aiOperatingPoint: 'very-high-sensitivity' } }),
      (e: ApiError) => e.code === 'bad_request' && e.key === 'error.aiOperatingPointUnknown' && e.params?.points === 'high-specificity, balanced, high-sensitivity');
    // its name is said as sent, a right-to-left override written as such, not obeyed (an API probe)
    await assert.rejects(station.handlers.setSettings({ viewer: { aiOperatingPoint: 'balanced\u202e' } }),
      (e: ApiError) => e.params?.point === 'balanced<U+202E>' && e.message === 'No model has an operating point balanced<U+202E>');
    // nor a lone surrogate, nor forty stacked accents past the fourth (a re-probe)
    await assert.rejects(station.handlers.setSettings({ viewer: { aiOperatingPoint: `a\ud83d${'\u0301'.repeat(40)}` } }),
      (e: ApiError) => e.params?.point === `a<U+D83D>${'\u0301'.repeat(4)}${'<U+0301>'.repeat(36)}`);
    assert.equal((await station.handlers.getSettings({})).viewer.aiOperatingPoint, 'high-specificity');
    assert.deepEqual(changes, [null, null]);
    // a name stored for a model no longer here (chosen for it): this model's default, the name kept for it
    station.db.settings.set('viewer', JSON.stringify({ aiOperatingPoint: 'very-high-sensitivity' }));
    assert.deepEqual(await scores(), [0.7, 0.5]);
    assert.equal((await station.handlers.getSettings({})).viewer.aiOperatingPoint, 'very-high-sensitivity', 'kept for the model that has it');
    await station.handlers.setSettings({ viewer: { aiOperatingPoint: null } });
    assert.deepEqual(await scores(), [0.7, 0.5]);
    assert.deepEqual(changes, [null, null, null]);
    // the API takes a name, or null for the default
    assert.throws(() => parseOperationInput('setSettings', { viewer: { aiOperatingPoint: '' } }));
    assert.throws(() => parseOperationInput('setSettings', { viewer: { aiOperatingPoint: 'x'.repeat(65) } }));
    assert.deepEqual(parseOperationInput('setSettings', { viewer: { aiOperatingPoint: null } }), { viewer: { aiOperatingPoint: null } });
  } finally {
    await station.close();
  }
});

test('an exam analysed again by the shown model\'s new version shows its earlier version\'s score meanwhile, said as such, with the disagreement with a normal first impression: "queued" alone hid an exam flagged against her impression for the whole re-analysis (an upgrade probe)', { timeout: 120_000 }, async () => {
  const station = openTestStation({ analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'probe43-upgrade' });
    const [a, b] = await examsOf(station) as [number, number];
    await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    const older = { id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: 'x' };
    station.db.settings.setChanged({ [AI_SHOWN_MODEL_SETTING]: older.id, [AI_SHOWN_VERSION_SETTING]: older.version });
    station.db.ai.enqueueAll(older);
    for (const score of [0.9, 0.2]) {
      const job = station.db.ai.claimNext('me:1', [older])!;
      assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: {}, examScore: score, breastScores: { R: score }, images: 4, findings: [], unreadImages: [] }));
    }
    await station.handlers.setFirstImpression({ examId: a, impression: 'normal' });
    await station.handlers.setFirstImpression({ examId: b, impression: 'normal' });
    const row = async (examId: number) => (await examsOfRows(station)).find((r) => r.examId === examId)!.ai!;
    const scoreOf = new Map([[a, (await row(a)).score], [b, (await row(b)).score]]);
    const flagged = scoreOf.get(a) === 0.9 ? a : b;
    assert.equal((await row(flagged)).firstImpressionNormal, true, 'before the upgrade: done, against her impression');
    assert.equal((await row(flagged)).scoreVersion, undefined, 'done: its own score');
    // the new version shown, every exam queued for it
    const newer = { ...older, version: '0.2.0' };
    station.db.settings.setChanged({ [AI_SHOWN_VERSION_SETTING]: newer.version });
    station.db.ai.enqueueAll(newer);
    const during = await row(flagged);
    assert.equal(during.status, 'queued');
    assert.equal(during.score, 0.9, 'the earlier version\'s score, which the triage sorts by');
    assert.equal(during.scoreVersion, '0.1.0', 'said as that version\'s');
    assert.equal(during.firstImpressionNormal, true, 'the disagreement still said');
    // in second look, held back as any score before her impression; another model's score is not called an earlier version's
    station.db.settings.setChanged({ [AI_SHOWN_MODEL_SETTING]: 'org.binome.tests.other', [AI_SHOWN_VERSION_SETTING]: '1.0.0' });
    assert.equal((await row(flagged)).scoreVersion, undefined);
    assert.equal((await row(flagged)).firstImpressionNormal, undefined);
  } finally {
    await station.close();
  }
});

test('the models list says how many exams an earlier version of a model analysed that this one will analyse again (an upgrade queued a whole library in silence: an IT person\'s probe)', { timeout: 120_000 }, async () => {
  const models = tempDir('ai-reader-older-models');
  writeTinyModel(models);
  const station = openTestStation({ modelRoots: [models], analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'probe43-older' });
    const older = { id: 'org.binome.tests.bright-spots', version: '0.0.9', sha256: 'x' };
    station.db.ai.enqueueAll(older);
    for (let i = 0; i < 2; i++) {
      const job = station.db.ai.claimNext('me:1', [older])!;
      assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: {}, examScore: 0.5, breastScores: { R: 0.5 }, images: 4, findings: [], unreadImages: [] }));
    }
    await waitFor('the model found', async () => (await station.handlers.aiModels({})).models.length === 1);
    const [model] = (await station.handlers.aiModels({})).models;
    assert.equal(model!.version, '0.1.0');
    assert.deepEqual(model!.olderAnalysed, { version: '0.0.9', exams: 2 });
    assert.equal(model!.newerAnalysed, undefined);
    assert.equal(translate('fr', 'ai.models.olderAnalysed', { version: '0.0.9', exams: 2 }), '2\u00a0examen(s) analysé(s) par la version 0.0.9\u202f: analysés à nouveau par celle-ci, leurs scores d’avant affichés entre-temps.');
    // one of them analysed by this version: one left
    const current = { id: older.id, version: '0.1.0', sha256: 'y' };
    station.db.ai.enqueueAll(current);
    const job = station.db.ai.claimNext('me:1', [current])!;
    assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: {}, examScore: 0.5, breastScores: { R: 0.5 }, images: 4, findings: [], unreadImages: [] }));
    assert.deepEqual((await station.handlers.aiModels({})).models[0]!.olderAnalysed, { version: '0.0.9', exams: 1 });
    // the other one's analysis by this version cancelled by a reader: it stays so, not "analysed again" (an IT person's probe)
    const [left] = (await examsOf(station)).filter((id) => station.db.ai.examState(id)?.status !== 'done');
    assert.equal(station.db.ai.cancel(left!), 1);
    assert.equal(station.db.ai.examsDoneOnlyBy(older.id, ['0.0.9'], '0.1.0'), 0);
  } finally {
    await station.close();
  }
});

test('while a starting station is still finding its models, an analysis done is not said to be of a model "not installed here", nor its SR taken for its findings; the pages are told once the models are found (a worklist opened at launch said the shipped model was not installed, its flags off, until a reload: a probe)', { timeout: 240_000 }, async () => {
  const models = tempDir('ai-reader-starting-models');
  writeTinyModel(models);
  const libraryDir = tempDir('ai-reader-starting-library');
  let station = openTestStation({ libraryDir, modelRoots: [models] });
  let examId: number;
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'probe43-starting' });
    [examId] = await examsOf(station) as [number];
    await waitFor('the exam analysed', async () => (await station.handlers.aiResults({ examId })).state?.status === 'done');
  } finally {
    await station.close();
  }
  station = openTestStation({ libraryDir, modelRoots: [models] });
  try {
    const told: (number | null)[] = [];
    station.on('aiChanged', ({ examId: changed }) => told.push(changed));
    // asked at once, as a window opened with the station does: its models are still being checked
    const early = await station.handlers.aiResults({ examId });
    assert.equal(early.modelNotHere, undefined, 'not "not installed here" while the models are being found');
    assert.deepEqual(early.cadReports, [], 'its own SR does not stand in for a model about to be found');
    await waitFor('the pages told once the models are found', () => told.includes(null));
    const later = await station.handlers.aiResults({ examId });
    assert.equal(later.model?.id, 'org.binome.tests.bright-spots');
    assert.equal(later.state?.status, 'done');
  } finally {
    await station.close();
  }
});

/** AiTables.carryOver, every step one after another (steps of 2 exam ids: several steps in a test's library); how many analyses were kept. */
function carryOverAll(station: ReturnType<typeof openTestStation>, model: Parameters<ReturnType<typeof openTestStation>['db']['ai']['carryOver']>[0]): number {
  const { keepNext } = station.db.ai.carryOver(model);
  let kept = 0;
  for (let step = keepNext(2); step !== null; step = keepNext(2)) kept += step;
  return kept;
}

test('an earlier version\'s analyses are kept for a new version only where both give the same results, of the exam as it was analysed; a reader\'s cancel stands, an SR being written is not taken, and a second look keeps nothing more', { timeout: 120_000 }, async () => {
  const station = openTestStation({ analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 4, priors: 0, size: 'reduced', seed: 'probe44-carry-db' });
    const exams = await examsOf(station) as [number, number, number, number];
    const older = { id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: 'a'.repeat(64), manifestSha256: 'm1', resultsSha256: 'r1' };
    station.db.ai.enqueueAll(older);
    const jobs = new Map<number, number>();
    for (let i = 0; i < exams.length; i++) {
      const job = station.db.ai.claimNext('me:1', [older])!;
      jobs.set(job.examId, job.id);
      const instanceId = (station.db.connection.prepare('SELECT i.id FROM instances i JOIN series se ON se.id = i.series_ref WHERE se.study_ref = ? LIMIT 1').pluck().get(job.examId)) as number;
      assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: { model: 12 }, examScore: 0.8, breastScores: { R: 0.8 }, images: 4,
        findings: [{ instanceId, class: 'mass', score: 0.8, x: 10, y: 20, box: [5, 15, 15, 25] }], unreadImages: [] }));
    }
    const [same, grew, cancelled, writing] = exams;
    station.db.connection.prepare(`UPDATE ai_jobs SET cad_sr_uid = '1.2.3', owner = NULL WHERE id = ?`).run(jobs.get(same));
    station.db.connection.prepare(`UPDATE ai_jobs SET cad_sr_uid = '1.2.4', owner = 'other:1' WHERE id = ?`).run(jobs.get(writing));
    // the exam given one more image since (its analysis queued again by the trigger: then taken as analysed on three)
    station.db.connection.prepare('UPDATE ai_jobs SET exam_images = 3 WHERE id = ?').run(jobs.get(grew));
    const newer = { ...older, version: '0.1.1', manifestSha256: 'm2' };
    station.db.ai.enqueue(cancelled, newer);
    station.db.ai.cancel(cancelled);
    // as at a start: every exam queued for the new version first
    station.db.ai.enqueueAll(newer);
    // another digest: nothing kept
    assert.equal(carryOverAll(station, { ...newer, resultsSha256: 'r2' }), 0);
    assert.equal(carryOverAll(station, newer), 2, 'the exam as analysed, and the one whose SR is being written');
    assert.equal(carryOverAll(station, newer), 0, 'kept once');
    const state = station.db.ai.examState(same)!;
    assert.equal(state.model.version, '0.1.1');
    assert.equal(state.status, 'done');
    assert.equal(state.resultsVersion, '0.1.0');
    assert.equal(state.srUid, '1.2.3', 'the earlier run\'s SR');
    assert.deepEqual(state.timings, { model: 12 });
    assert.equal(station.db.ai.findings(same).length, 1);
    assert.equal(station.db.ai.examState(writing)!.srUid, null, 'an SR still being written is not taken: this version writes its own');
    assert.deepEqual([station.db.ai.examState(grew)!.model.version, station.db.ai.examState(grew)!.status], ['0.1.1', 'queued'], 'an exam analysed on other images is not kept: analysed again');
    assert.equal(station.db.ai.examState(cancelled)!.status, 'cancelled', 'her cancel stands');
    // a third version keeps it too, said as the run's own version (0.1.0), not 0.1.1
    // ...but not an analysis that could not read one of its images (mended since, or a reader's "analyse again" waiting)
    station.db.connection.prepare(`UPDATE ai_jobs SET unread_images = '[{"instanceId":1,"view":"RCC","code":"image_unreadable"}]' WHERE study_ref = ? AND model_version = '0.1.1'`).run(writing);
    const third = { ...older, version: '0.1.2', manifestSha256: 'm3' };
    station.db.ai.enqueueAll(third);
    assert.equal(carryOverAll(station, third), 2, 'its queued jobs done: the one kept for 0.1.1 that read every image and the one 0.1.1 did not keep');
    assert.equal(station.db.ai.examState(writing)!.status, 'queued', 'an analysis that missed an image is made again');
    // a reader's "analyse again" of a kept analysis that missed an image, then a restart before it runs: not kept again
    station.db.connection.prepare(`UPDATE ai_jobs SET unread_images = '[{"instanceId":1,"view":"LCC","code":"image_missing"}]' WHERE study_ref = ? AND model_version = '0.1.2'`).run(cancelled);
    assert.ok(station.db.ai.requeue(cancelled, third));
    assert.equal(carryOverAll(station, third), 0);
    assert.equal(station.db.ai.examState(cancelled)!.status, 'queued', 'her "analyse again" stands');
    assert.equal(station.db.ai.examState(same)!.resultsVersion, '0.1.0');
    // analysed under its own version, it is its own run
    station.db.connection.prepare(`UPDATE ai_jobs SET status = 'queued' WHERE study_ref = ? AND model_version = '0.1.2'`).run(same);
    const job = station.db.ai.claimNext('me:1', [third])!;
    assert.ok(station.db.ai.complete(job.id, 'me:1', { provider: 'cpu', timings: {}, examScore: 0.1, breastScores: { R: 0.1 }, images: 4, findings: [], unreadImages: [] }));
    assert.equal(station.db.ai.examState(same)!.resultsVersion, null);
  } finally {
    await station.close();
  }
});
