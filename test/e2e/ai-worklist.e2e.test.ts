// The AI second reader in the worklist, in Chromium against the loopback host: with a model installed
// (a fixed-weight test fixture), imported exams are analysed, the AI column shows each exam's score,
// sorting by it triages, and the page says what the model is — trained on synthetic images only,
// not for diagnostic use — wherever its scores show. The AI models panel lists the models and the
// refused one with its reason, and choosing another model changes what the worklist shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startLoopbackHost } from '../../main/transport/http.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import type { StationService } from '../../main/service/station.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { holdAnswers, launchChromium, SKIP_NO_CHROMIUM } from '../helpers/browser.ts';
import { writeTinyModel } from '../helpers/onnx-models.ts';
import { formatThreshold } from '../../common/i18n/messages.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const SKIP = SKIP_NO_CHROMIUM || (fs.existsSync(path.join(RENDERER, 'index.html')) ? false : 'the renderer is not built (node scripts/build.mjs --renderer-only)');

let station: StationService;
let host: LoopbackHost;
let browser: BrowserContext;
let page: Page;

before(async () => {
  if (SKIP) return;
  const models = tempDir('e2e-ai-models');
  writeTinyModel(models);
  // a second model (found before 'tiny', by folder name: 'tiny' stays the one shown by default) and a damaged one
  const other = tempDir('e2e-ai-other');
  // trained on real images, and not for diagnostic use by its own manifest
  writeTinyModel(other, (m) => { m.id = 'org.clinic.tests.e2e'; m.name = 'Clinic fixture'; m.training.data = 'real'; });
  fs.renameSync(path.join(other, 'tiny'), path.join(models, 'another'));
  const damaged = tempDir('e2e-ai-damaged');
  writeTinyModel(damaged, (m) => { m.id = 'com.vendor.tests.e2e'; m.sha256 = '0'.repeat(64); });
  fs.renameSync(path.join(damaged, 'tiny'), path.join(models, 'vendor-model'));
  station = openTestStation({ modelRoots: [models] });
  await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'e2e-ai' });
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
  browser = await launchChromium();
  page = browser.pages()[0] ?? await browser.newPage();
});
after(async () => {
  await browser?.close();
  await host?.close();
  await station?.close();
});

test('the worklist shows each exam\'s AI score (in second look, once the reader has her first impression of it), sorts by it, and says the model was trained on synthetic images', { skip: SKIP, timeout: 240_000 }, async () => {
  await page.goto(host.openUrl);
  const cellTexts = () => page.$$eval('[data-testid=ai-score]', (cells) => cells.map((c) => c.textContent ?? ''));
  // second look (the default): each analysis arrives (aiChanged refreshes the list) with its score held back
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid=ai-score]')];
    return cells.length === 2 && cells.every((c) => c.getAttribute('data-status') === 'done' && c.getAttribute('data-withheld') === 'true');
  }, undefined, { timeout: 180_000 });
  for (const text of await cellTexts()) assert.doesNotMatch(text, /\d/, `no score before a first impression: ${text}`);
  assert.match(await page.getAttribute('[data-testid=ai-score]', 'title') ?? '', /once you have recorded your first impression/);
  assert.match(await page.textContent('[data-testid=ai-note]') ?? '', /Second look: an exam’s AI score shows once/);
  // her first impression of one exam (recorded in the viewer; here through the API) shows that exam's score
  const [first] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
  await station.handlers.setFirstImpression({ examId: first!.examId, impression: 'normal' });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=ai-score]')].filter((c) => /^\d\.\d\d$/.test(c.lastChild?.textContent ?? '')).length === 1);
  assert.equal(await page.locator('[data-testid=ai-score][data-withheld=true]').count(), 1, 'the other exam still holds its score back');
  // the two scores set either side of the operating point, both of its two decimals (a probe: 0.2148
  // highlighted and 0.2085 not, both shown 0.21 beside a legend "(0.21)")
  const { threshold } = (await station.handlers.aiResults({ examId: first!.examId })).model!.operatingPoint;
  const band = Number(threshold.toFixed(2));
  const [above, below] = [threshold + (band + 0.0049 - threshold) / 2, threshold - (threshold - (band - 0.0049)) / 2];
  assert.ok(above.toFixed(2) === threshold.toFixed(2) && below.toFixed(2) === threshold.toFixed(2) && above >= threshold && below < threshold);
  station.db.connection.prepare('UPDATE ai_jobs SET exam_score = CASE study_ref WHEN ? THEN ? ELSE ? END').run(first!.examId, above, below);
  // concurrent reading shows every score at once
  await station.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid=ai-score]')];
    return cells.length === 2 && cells.every((c) => /^\d\.\d{2,6}$/.test(c.lastChild?.textContent ?? ''));
  });
  // her normal first impression said beside the score the AI flags (the disagreement: two probes), on that exam alone
  await page.waitForSelector('[data-testid=ai-against-impression]');
  assert.equal(await page.locator('[data-testid=ai-against-impression]').count(), 1);
  assert.equal(await page.locator('[data-testid=ai-score]:has([data-testid=ai-score-above]) [data-testid=ai-against-impression]').count(), 1);
  assert.equal(await page.textContent('[data-testid=ai-against-impression]'), 'you: normal');
  assert.match(await page.getAttribute('[data-testid=ai-against-impression]', 'title') ?? '', /^Your first impression of this exam was normal, and the AI flags it/);
  const note = await page.textContent('[data-testid=ai-note]') ?? '';
  // said as what it is: "0.99" alone reads as a probability of 99 %
  assert.match(note, /Bright spots \(test fixture\) 0\.1\.0\), uncalibrated, 0–1: not a probability\./);
  assert.match(note, /Trained on synthetic images only: not for diagnostic use\./);
  // where the model marks: scores at or above its operating point highlighted, and the note says which point
  const point = (await station.handlers.aiResults({ examId: first!.examId })).model!.operatingPoint;
  const legend = formatThreshold('en', point.threshold);
  assert.ok(note.includes(`Highlighted: at or above its operating point “${point.name}” (${legend}), where it marks findings.`), note);
  const cells = await page.$$eval('[data-testid=ai-score]', (all) => all.map((c) => ({ text: c.lastChild?.textContent, score: Number(c.lastChild?.textContent), above: !!c.querySelector('[data-testid=ai-score-above]') })));
  assert.deepEqual(cells.map((c) => c.above).sort(), [false, true], JSON.stringify(cells));
  // each reads on its side of the threshold written in the legend
  for (const c of cells) assert.equal(c.above, c.score >= Number(legend), `${JSON.stringify(cells)} against ${legend}`);
  await page.click('th:has-text("AI")');
  await page.waitForFunction(() => document.querySelector('th[aria-sort]')?.textContent?.startsWith('AI'));
  const scores = await page.$$eval('[data-testid=ai-score]', (cells) => cells.map((c) => Number(c.lastChild?.textContent)));
  assert.deepEqual([...scores].sort((x, y) => y - x), scores, `sorted by score, highest first: ${scores.join(', ')}`);
  // into the exam at the top and back: still triaged by the score (it went back to the date order)
  await page.click('[data-testid=exam-row]');
  await page.waitForSelector('a.back');
  await page.click('a.back');
  await page.waitForSelector('[data-testid=exam-row]');
  assert.match(await page.textContent('th[aria-sort]') ?? '', /^AI/);
  assert.equal(await page.getAttribute('th[aria-sort]', 'aria-sort'), 'descending');
  if (process.env.BINOME_SCREENSHOTS) {
    fs.mkdirSync(process.env.BINOME_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.BINOME_SCREENSHOTS, 'worklist-ai.png') });
  }
  // in French too
  await page.selectOption('[data-testid=locale]', 'fr');
  await page.waitForFunction(() => /synthèse/.test(document.querySelector('[data-testid=ai-note]')?.textContent ?? ''));
  assert.match(await page.textContent('[data-testid=ai-note]') ?? '', /non calibré, de 0 à 1\u202f: pas une probabilité/);
  // the model's threshold once its details are asked again for the list read anew (on a loaded machine a
  // clean-clone run read the note before they came: it says the shipped model's caveat until then)
  await page.waitForFunction((legend) => (document.querySelector('[data-testid=ai-note]')?.textContent ?? '').includes(legend), `(${formatThreshold('fr', point.threshold)})`);
  assert.deepEqual((await page.$$eval('[data-testid=ai-score]', (all) => all.map((c) => c.lastChild?.textContent ?? ''))).sort(), cells.map((c) => c.text!.replace('.', ',')).sort());
  assert.equal(await page.textContent('[data-testid=ai-against-impression]'), 'vous\u202f: normal');
  // searched, the count says what was found ("2 sur 2" read as the whole list)
  const [searched] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows;
  await page.fill('[data-testid=search]', searched!.patientId);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=exam-row]').length === 1);
  assert.equal(await page.textContent('[data-testid=worklist-count]'), '1 examen trouvé');
  await page.fill('[data-testid=search]', '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=exam-row]').length === 2);
  assert.equal(await page.textContent('[data-testid=worklist-count]'), '2 examens sur 2');
  await page.selectOption('[data-testid=locale]', 'en');
});

test('the AI models panel lists the models and a refused one with its reason, and another model chosen there is the one the worklist shows', { skip: SKIP, timeout: 240_000 }, async () => {
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=ai-models-button]');
  assert.match(await page.textContent('[data-testid=ai-models-button]') ?? '', /AI models · 1/);
  // the status the panel asks for as it opens answered only after a model is chosen in it (below)
  const release = await holdAnswers(page, 'aiModels');
  await page.click('[data-testid=ai-models-button]');
  await page.waitForSelector('[data-testid=ai-model]');
  const rows = await page.$$eval('[data-testid=ai-model]', (r) => r.map((x) => [x.getAttribute('data-model'), Boolean(x.querySelector('[data-testid=ai-model-shown]'))]));
  assert.deepEqual(rows, [['org.clinic.tests.e2e', false], ['org.binome.tests.bright-spots', true]]);
  // each model says what it is: synthetic-trained, or (trained on real images) not for diagnostic use, never called synthetic
  assert.deepEqual(await page.$$eval('[data-testid=ai-model-synthetic]', (labels) => labels.map((l) => [l.getAttribute('data-caveat'), l.textContent])),
    [['not-diagnostic', 'AI not for diagnostic use'], ['synthetic', 'Synthetic-trained AI — not for diagnostic use']]);
  // the provider as an IT person names it ("cpu" read as a code: a probe)
  assert.ok((await page.$$eval('[data-testid=ai-model] td', (cells) => cells.map((c) => c.textContent))).includes('CPU'));
  // each model's analyses by state, the cancelled ones too (a reader's cancel stops every model's)
  for (const text of await page.$$eval('[data-testid=ai-model-analyses]', (a) => a.map((x) => x.textContent))) assert.match(text ?? '', /^\d+ done, \d+ waiting, \d+ failed, \d+ cancelled$/);
  const refused = await page.textContent('[data-testid=ai-model-refused]') ?? '';
  assert.match(refused, /vendor-model/);
  assert.match(refused, /model\.onnx is not the file its manifest describes/);
  await page.click('[data-testid=ai-model][data-model="org.clinic.tests.e2e"] [data-testid=ai-model-choose]');
  await page.waitForSelector('[data-testid=ai-models-saved]');
  assert.match(await page.textContent('[data-testid=ai-models-saved]') ?? '', /Exams now show Clinic fixture 0\.1\.0/);
  // the earlier question's answer, come now, does not show the choice before over it (a review: for up to 2 s)
  await release();
  await page.waitForTimeout(200);
  assert.deepEqual(await page.$$eval('[data-testid=ai-model]', (r) => r.filter((x) => x.querySelector('[data-testid=ai-model-shown]')).map((x) => x.getAttribute('data-model'))), ['org.clinic.tests.e2e']);
  // two choices in a row, the first one's answer coming after the second's: the second stays (a probe:
  // the first's answer put the panel back on it until the next status)
  const releaseFirst = await holdAnswers(page, 'chooseAiModel', { first: 1 });
  try {
    await page.click('[data-testid=ai-model][data-model="org.binome.tests.bright-spots"] [data-testid=ai-model-choose]');
    await page.waitForFunction(() => Boolean(document.querySelector('[data-testid=ai-model-automatic]')));
    await page.waitForTimeout(100);
    await page.click('[data-testid=ai-model-automatic]');
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[data-testid=ai-model-automatic]')?.checked ?? false));
  } finally {
    await releaseFirst();
  }
  await page.waitForTimeout(200);
  assert.equal(await page.$eval('[data-testid=ai-model-automatic]', (i) => (i as HTMLInputElement).checked), true, 'the later choice (automatic) stays');
  // (and the clinic's model chosen again, for what follows)
  await page.click('[data-testid=ai-model][data-model="org.clinic.tests.e2e"] [data-testid=ai-model-choose]');
  await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[data-testid=ai-model][data-model="org.clinic.tests.e2e"] [data-testid=ai-model-choose]')?.checked ?? false));
  if (process.env.BINOME_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.BINOME_SCREENSHOTS, 'ai-models.png') });
  await page.click('[data-testid=ai-models-panel] button:has-text("Close")');
  await page.waitForFunction(() => /Clinic fixture 0\.1\.0/.test(document.querySelector('[data-testid=ai-note]')?.textContent ?? ''), undefined, { timeout: 60_000 });
  const clinicNote = await page.textContent('[data-testid=ai-note]') ?? '';
  assert.match(clinicNote, /Not for diagnostic use, as its maker says\./);
  assert.doesNotMatch(clinicNote, /synthetic|  /, 'not called synthetic-trained; no double space');
  // in French, the reason too
  await page.selectOption('[data-testid=locale]', 'fr');
  await page.click('[data-testid=ai-models-button]');
  await page.waitForSelector('[data-testid=ai-model-refused]');
  assert.match(await page.textContent('[data-testid=ai-model-refused]') ?? '', /n’est pas le fichier que décrit son manifeste/);
  await page.keyboard.press('Escape');
  await page.selectOption('[data-testid=locale]', 'en');
});

test('an exam not queued yet (imported by another process of the library: queued within a minute) says so, not a blank AI cell; in French too', { skip: SKIP, timeout: 240_000 }, async () => {
  const models = tempDir('e2e-ai-unqueued-models');
  writeTinyModel(models);
  // the models found, nothing analysed or queued by this process: the other process's imports as they first show
  const idle = openTestStation({ modelRoots: [models], analyse: false });
  const idleHost = await startLoopbackHost({ service: idle, rendererDir: RENDERER });
  try {
    await idle.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'e2e-ai-unqueued' });
    const [queued] = (await idle.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    // one exam queued (the column shows once one is), the other not yet
    idle.db.ai.enqueue(queued!.examId, { id: 'org.binome.tests.bright-spots', version: '0.1.0', sha256: 'x' });
    await page.goto(idleHost.openUrl);
    await page.waitForSelector('[data-testid=ai-unqueued]');
    const cells = await page.$$eval('[data-testid=ai-score]', (c) => c.map((x) => x.textContent));
    assert.deepEqual([...cells].sort(), ['not queued yet', 'queued'].sort(), `cells: ${cells.join(' | ')}`);
    assert.match(await page.getAttribute('[data-testid=ai-unqueued]', 'title') ?? '', /queues new exams for analysis within a minute/);
    await page.selectOption('[data-testid=locale]', 'fr');
    await page.waitForFunction(() => document.querySelector('[data-testid=ai-unqueued]')?.textContent === 'pas encore en file');
    await page.selectOption('[data-testid=locale]', 'en');
  } finally {
    await idleHost.close();
    await idle.close();
  }
});

test('a model with an exam operating point (contract 1.3): the worklist flags exams at it, not where the marks start, and says its specificity and sensitivity; in French too', { skip: SKIP, timeout: 240_000 }, async () => {
  const models = tempDir('e2e-ai-exam-point-models');
  writeTinyModel(models, (m) => {
    m.contractVersion = '1.6';
    m.calibration.operatingPoints[0]!.threshold = 0.2;
    m.calibration.examOperatingPoint = { threshold: 0.5, specificity: 0.9, sensitivity: 0.7, dataset: 'fixture', datasetTranslations: { fr: 'essai' } };
  });
  const flagged = openTestStation({ modelRoots: [models] });
  const flaggedHost = await startLoopbackHost({ service: flagged, rendererDir: RENDERER });
  try {
    await flagged.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'e2e-ai-exam-point' });
    const rows = (await flagged.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
    for (let i = 0; flagged.db.ai.counts().done < rows.length; i++) {
      if (i > 900) throw new Error('not analysed in 90 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // both above the marks' operating point (0.2), one of them above the exam's (0.5)
    flagged.db.connection.prepare('UPDATE ai_jobs SET exam_score = CASE study_ref WHEN ? THEN 0.7 ELSE 0.3 END').run(rows[0]!.examId);
    await flagged.handlers.setSettings({ viewer: { aiMarksMode: 'concurrent' } });
    await page.goto(flaggedHost.openUrl);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=ai-score]')].filter((c) => /^0\.\d\d$/.test(c.textContent ?? '')).length === 2);
    // the model's description (its exam point) arrives after the rows: the highlight follows it
    await page.waitForFunction(() => /where it flags an exam/.test(document.querySelector('[data-testid=ai-note]')?.textContent ?? ''));
    const cells = await page.$$eval('[data-testid=ai-score]', (all) => all.map((c) => [c.textContent, !!c.querySelector('[data-testid=ai-score-above]')]));
    assert.deepEqual(cells.sort(), [['0.30', false], ['0.70', true]]);
    assert.match(await page.getAttribute('[data-testid=ai-score-above]', 'aria-label') ?? '', /^0\.70, at or above the AI’s threshold for flagging an exam \(0\.50\)$/);
    assert.match(await page.textContent('[data-testid=ai-note]') ?? '',
      /Highlighted: an exam score of 0\.50 or more, where it flags an exam\. Measured by its maker on fixture: 90% of normal exams under it, 70% of exams with a lesion at or above it\. Its marks show from a lower score\./);
    await page.selectOption('[data-testid=locale]', 'fr');
    await page.waitForFunction(() => /où elle signale un examen/.test(document.querySelector('[data-testid=ai-note]')?.textContent ?? ''));
    assert.match(await page.textContent('[data-testid=ai-note]') ?? '', /un score d’examen de 0,50 ou plus, où elle signale un examen\. Mesuré par son auteur sur essai\u202f: 90\u202f% des examens normaux en dessous, 70\u202f% des examens avec une lésion au niveau ou au-dessus\./);
    await page.selectOption('[data-testid=locale]', 'en');
    // in the viewer, the marks under the exam's flag are drawn dotted (an exam flagged at 0,56 showed seven marks of
    // 0,15–0,19 beside it alike: a radiologist's probe), and the marks key's tooltip says what they are
    const job = flagged.db.connection.prepare('SELECT id FROM ai_jobs WHERE study_ref = ?').pluck().get(rows[0]!.examId) as number;
    const findingIds = flagged.db.connection.prepare('SELECT id FROM ai_findings WHERE job_ref = ? ORDER BY id').pluck().all(job) as number[];
    assert.ok(findingIds.length >= 2, `the fixture marks the exam (${findingIds.length} findings)`);
    flagged.db.connection.prepare('UPDATE ai_findings SET score = CASE id WHEN ? THEN 0.8 ELSE 0.3 END WHERE job_ref = ?').run(findingIds[0], job);
    await page.click(`[data-testid=exam-row][data-exam-id="${rows[0]!.examId}"]`);
    // (every viewport's marks drawn, the flagged one and a weak one among them: read as the first cell drew its own,
    // clean-clone runs saw only the weak ones, then only the flagged one)
    await page.waitForFunction(() => {
      const scores = [...document.querySelectorAll('[data-testid=ai-mark]')].map((m) => Number(m.getAttribute('data-score')));
      return scores.some((s) => s >= 0.5) && scores.some((s) => s < 0.5);
    });
    const marks = await page.$$eval('[data-testid=ai-mark]', (all) => all.map((m) => [Number(m.getAttribute('data-score')), m.getAttribute('data-weak') === 'true', getComputedStyle(m.querySelector('path.outline')!).strokeDasharray]));
    assert.ok(marks.some(([, weak]) => weak) && marks.some(([, weak]) => !weak), JSON.stringify(marks));
    for (const [score, weak, dashes] of marks) {
      assert.equal(weak, (score as number) < 0.5, JSON.stringify(marks));
      assert.equal(dashes, weak ? '1.5px, 3.5px' : 'none', JSON.stringify(marks));
    }
    if (process.env.BINOME_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.BINOME_SCREENSHOTS, 'ai-marks-weak.png') });
    assert.match(await page.getAttribute('[data-testid=ai-marks-toggle]', 'title') ?? '', /Marks under the exam flag \(0\.50\) are drawn dotted: alone, they would not flag the exam\./);
    // and the strip says it beside the class switches, where she reads (the tooltip alone: a probe)
    assert.equal(await page.textContent('[data-testid=ai-weak-legend]'), 'dotted: under the exam flag (0.50)');
    // not with the marks hidden (a re-probe: said over nothing); the strip keeps its height, its line with them
    // (it lost 17 px at the key, and gained them back at the next, the images moving each time: a probe at 1280 × 800)
    const stripHeight = async () => (await page.locator('[data-testid=ai-panel]').boundingBox())!.height;
    const shown = await stripHeight();
    await page.keyboard.press('a');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=ai-mark]').length === 0);
    assert.equal(await page.locator('[data-testid=ai-weak-legend]').count(), 0);
    assert.equal(await stripHeight(), shown, 'the AI strip as tall with the marks hidden');
    await page.keyboard.press('a');
    await page.waitForSelector('[data-testid=ai-weak-legend]');
    await page.click('a.back');
  } finally {
    await flaggedHost.close();
    await flagged.close();
  }
});

test('a flood of changes (a script\'s status changes) reads the list again at once, then at most every quarter second, and shows the last: each change asked for the whole list (an IT probe: 3,000 in 6 s)', { skip: SKIP, timeout: 240_000 }, async () => {
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=exam-row]');
  const [examId] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows.map((r) => r.examId) as [number];
  let asked = 0;
  const count = (request: { url(): string }) => { if (request.url().includes('/api/op/worklistQuery')) asked++; };
  page.on('request', count);
  try {
    const started = Date.now();
    // (spread as a script over the network sends them: together, they reach the page in one go)
    for (let i = 0; i < 60; i++) {
      await station.handlers.setExamStatus({ examId, status: i % 2 ? 'new' : 'in_progress' });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await station.handlers.setExamStatus({ examId, status: 'read' });
    // the last change shown (the reads after the flood's last one, within the quarter second)
    await page.waitForFunction((id) => /(Read|Lu)\s*$/.test(document.querySelector(`[data-testid=exam-row][data-exam-id="${id}"]`)?.textContent ?? ''), examId, { timeout: 10_000 });
    await page.waitForTimeout(1000);
    // (the reads counted until now: the time until now bounds them, not the flood's alone; on a loaded
    // machine, 18 reads against a bound of 17.6 for the flood's 1.7 s)
    const seconds = (Date.now() - started) / 1000;
    // (a read of the list asks worklistQuery twice: its page, and how many exams the other scope holds)
    assert.ok(asked >= 1 && asked <= 2 * (4 * seconds + 2), `${asked} reads of the list for 61 changes in ${seconds.toFixed(1)} s`);
  } finally {
    page.off('request', count);
    await station.handlers.setExamStatus({ examId, status: 'new' });
  }
});
