// What the AI strip says of an analysis done, from its breast scores: each breast's score beside the
// exam's where both were read, "one breast only" where the exam images one breast, and neither score
// while second look holds the AI's opinion back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aiStateText, fallbackReason, singleView } from '../../renderer/ai/ai-state.ts';
import { translate } from '../../common/i18n/messages.ts';
import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';
import type { AiResults } from '../../common/domain.ts';
import type { NotRead } from '../../common/ai/not-read.ts';

function done(breastScores: Partial<Record<'R' | 'L', number>>, notRead: NotRead[] = [], unreadImages: { view: string; code: string }[] = []): AiResults {
  return {
    state: { status: 'done', examScore: Math.max(0, ...Object.values(breastScores)), breastScores, provider: 'cpu', failure: null, finishedAt: null, paused: false, notRead, unreadImages },
    model: null, findings: [], notAnalysed: [], cadReports: [], firstImpression: null, shownBeforeFirstImpression: false,
  };
}
const said = (results: AiResults, locale: 'en' | 'fr' = 'en', showScore = true) =>
  aiStateText((key, params) => translate(locale, key, params), results, { showScore, locale });

test('both breasts read: each one\'s score beside the exam\'s, in the reader\'s language; held back with the exam score in second look', () => {
  assert.equal(said(done({ R: 0.12, L: 0.93 })), 'analysed · exam score 0.93 · right breast 0.12 · left breast 0.93');
  assert.equal(said(done({ R: 0.12, L: 0.93 }), 'fr'), 'analysé · score d’examen 0,93 · sein droit 0,12 · sein gauche 0,93');
  assert.equal(said(done({ R: 0.12, L: 0.93 }), 'en', false), 'analysed');
});

test('an exam of one breast says so (whether or not the score shows); a breast imaged and not read is said as such, not as absent', () => {
  assert.equal(said(done({ R: 0.4 })), 'analysed · exam score 0.40 · right breast only (no left breast image)');
  assert.equal(said(done({ L: 0.4 }), 'fr', false), 'analysé · sein gauche seul (aucune image du sein droit)');
  assert.equal(said(done({ R: 0.4 }, ['L'])), 'analysed · exam score 0.40 · left breast not read by the model');
});

test('an image the analysis could not read is named by its view and why, in the reader\'s language, whether or not the score shows', () => {
  assert.equal(said(done({ R: 0.2, L: 0.7 }, [], [{ view: 'RMLO', code: 'image_unreadable' }])),
    'analysed · exam score 0.70 · right breast 0.20 · left breast 0.70 · RMLO not analysed: the image could not be read');
  assert.equal(said(done({ R: 0.2, L: 0.7 }, [], [{ view: 'RMLO', code: 'image_unreadable' }, { view: 'LCC', code: 'image_no_spacing' }]), 'fr', false),
    'analysé · RMLO non analysée\u202f: l’image n’a pas pu être lue · LCC non analysée\u202f: l’image n’indique pas de taille de pixel utilisable');
  // both images of a breast unread: that breast is said not read too (its score is absent, the exam's is the other's)
  assert.equal(said(done({ L: 0.7 }, ['R'], [{ view: 'RCC', code: 'image_missing' }, { view: 'RMLO', code: 'image_missing' }])),
    'analysed · exam score 0.70 · right breast not read by the model · RCC not analysed: the image is missing from the library · RMLO not analysed: the image is missing from the library');
});

test('a model with an exam operating point: an exam at or above it is said flagged, as the worklist flags it; a score that would read as its threshold keeps its side', () => {
  const withPoint = (results: AiResults): AiResults => ({
    ...results,
    model: { id: 'x', name: 'X', version: '1.0.0', trainedOn: 'synthetic', notForDiagnosticUse: true, limits: [], implantCaveat: null, scoreScale: { semantics: 'probability', min: 0, max: 1, prevalence: 0.006 },
      operatingPoint: { name: 'balanced', threshold: 0.15 }, operatingPoints: [{ name: 'balanced', threshold: 0.15, sensitivity: null, specificity: null, falseMarksPerImage: 0.5, dataset: 'validation' }], defaultOperatingPoint: 'balanced', examOperatingPoint: { threshold: 0.2357, specificity: 0.9, sensitivity: 0.76, dataset: 'validation' }, classes: ['mass'] },
  });
  assert.equal(said(withPoint(done({ R: 0.12, L: 0.93 }))), 'analysed · exam score 0.93 (a probability, at a prevalence of 0.6%) · flagged for the worklist (exam score 0.2357 or more) · right breast 0.12 · left breast 0.93');
  assert.equal(said(withPoint(done({ R: 0.12, L: 0.93 })), 'fr'), 'analysé · score d’examen 0,93 (une probabilité, pour une prévalence de 0,6\u202f%) · signalé dans la liste (score d’examen de 0,2357 ou plus) · sein droit 0,12 · sein gauche 0,93');
  // 0.2351 is under 0.2357: not "0.24", not flagged, and said so (under the flag nothing was said: a probe)
  assert.equal(said(withPoint(done({ R: 0.2351 }))), 'analysed · exam score 0.2351 (a probability, at a prevalence of 0.6%) · not flagged (flagged from an exam score of 0.2357) · right breast only (no left breast image)');
  assert.match(said(withPoint(done({ R: 0.2351 })), 'fr'), / · non signalé \(signalé à partir d’un score d’examen de 0,2357\) · /);
  assert.equal(said(withPoint(done({ R: 0.12, L: 0.93 })), 'en', false), 'analysed');
});

test('beside the exam operating point, each breast\'s score is written as the exam score is: never rounded across the threshold', () => {
  const results = done({ R: 0.2351, L: 0.1 });
  results.model = { examOperatingPoint: { threshold: 0.2357, specificity: 0.9, sensitivity: 0.75, dataset: 'validation' } } as AiResults['model'];
  assert.equal(said(results), 'analysed · exam score 0.2351 · not flagged (flagged from an exam score of 0.2357) · right breast 0.2351 · left breast 0.10');
  assert.equal(said(results, 'fr'), 'analysé · score d’examen 0,2351 · non signalé (signalé à partir d’un score d’examen de 0,2357) · sein droit 0,2351 · sein gauche 0,10');
});

test('each breast\'s score names the view it comes from (its best finding may be on a view the step does not show); none named where no finding gives it', () => {
  const views: Record<number, string> = { 1: 'RCC', 2: 'RMLO', 3: 'RXCCL', 4: 'LCC', 5: 'LMLO' };
  const finding = (instanceId: number, score: number) => ({ instanceId, class: 'mass', score, x: 10, y: 10, box: [5, 5, 15, 15] as [number, number, number, number] });
  const results = { ...done({ R: 0.99, L: 0.31 }), findings: [finding(1, 0.46), finding(3, 0.99), finding(2, 0.2), finding(5, 0.31), finding(4, 0.12)] };
  const withViews = (locale: 'en' | 'fr') => aiStateText((key, params) => translate(locale, key, params), results, { showScore: true, locale, viewOf: (id) => views[id] ?? null });
  assert.equal(withViews('en'), 'analysed · exam score 0.99 · right breast 0.99 (RXCCL) · left breast 0.31 (LMLO)');
  assert.equal(withViews('fr'), 'analysé · score d’examen 0,99 · sein droit 0,99 (RXCCL) · sein gauche 0,31 (LMLO)');
  // a breast score no finding gives (an image-score output, findings under the display floor): no view
  const unmatched = { ...done({ R: 0.5, L: 0.31 }), findings: [finding(1, 0.46), finding(5, 0.31)] };
  assert.equal(aiStateText((key, params) => translate('en', key, params), unmatched, { showScore: true, locale: 'en', viewOf: (id) => views[id] ?? null }),
    'analysed · exam score 0.50 · right breast 0.50 · left breast 0.31 (LMLO)');
});

test('what a model\'s scores mean is said beside its exam score, from its manifest\'s scale, for each kind of scale, in English and French (a 0–100 vendor\'s "74" and a probability\'s bare "0.72" said nothing)', () => {
  const scaled = (scoreScale: NonNullable<AiResults['model']>['scoreScale'], examScore: number, locale: 'en' | 'fr' = 'en') => {
    const results = done({ R: examScore, L: examScore / 2 });
    results.model = { scoreScale, examOperatingPoint: null } as unknown as AiResults['model'];
    return said(results, locale).split(' · ')[1];
  };
  assert.equal(scaled({ semantics: 'uncalibrated', min: 0, max: 1, prevalence: null }, 0.42), 'exam score 0.42 (uncalibrated, 0–1: not a probability)');
  assert.equal(scaled({ semantics: 'uncalibrated', min: -10, max: 10, prevalence: null }, 3.5), 'exam score 3.5 (uncalibrated, -10 to 10: not a probability)');
  assert.equal(scaled({ semantics: 'ordinal', min: 0, max: 100, prevalence: null }, 74), 'exam score 74 (on a scale of 0–100: not a probability)');
  // with the decimals its scale uses: a 0.5 on 0–100 read "0.50", a 0.42 on -10–10 "0.42" (a vendor's probe)
  assert.equal(scaled({ semantics: 'ordinal', min: 0, max: 100, prevalence: null }, 0.5), 'exam score <1 (on a scale of 0–100: not a probability)');
  assert.equal(scaled({ semantics: 'uncalibrated', min: -10, max: 10, prevalence: null }, 0.42), 'exam score 0.4 (uncalibrated, -10 to 10: not a probability)');
  assert.equal(scaled({ semantics: 'ordinal', min: 0, max: 100, prevalence: null }, 74, 'fr'), 'score d’examen 74 (sur une échelle de 0 à 100\u202f: pas une probabilité)');
  assert.equal(scaled({ semantics: 'percentile', min: 0, max: 100, prevalence: null }, 97), 'exam score 97 (a percentile, 0–100: not a probability)');
  assert.equal(scaled({ semantics: 'probability', min: 0, max: 1, prevalence: 0.0075 }, 0.72), 'exam score 0.72 (a probability, at a prevalence of 0.75%)');
  assert.equal(scaled({ semantics: 'probability', min: 0, max: 1, prevalence: 0.0075 }, 0.72, 'fr'), 'score d’examen 0,72 (une probabilité, pour une prévalence de 0,75\u202f%)');
});

test('a breast imaged in one view (its other quarantined, or never taken) says its score rests on that view alone; both views, or additional views beside both, say nothing', () => {
  const withViews = (labels: string[], locale: 'en' | 'fr' = 'en') =>
    aiStateText((key, params) => translate(locale, key, params), done({ R: 0.2, L: 0.95 }), { showScore: true, locale, viewLabels: labels });
  assert.equal(withViews(['RCC', 'RMLO', 'LCC']), 'analysed · exam score 0.95 · right breast 0.20 · left breast 0.95 · left breast read from one view only (LCC)');
  assert.equal(withViews(['RCC', 'RMLO', 'LCC'], 'fr'), 'analysé · score d’examen 0,95 · sein droit 0,20 · sein gauche 0,95 · sein gauche lu sur une seule incidence (LCC)');
  assert.equal(withViews(['RCC', 'RMLO', 'LCC', 'LMLO', 'LXCCL']), 'analysed · exam score 0.95 · right breast 0.20 · left breast 0.95');
  assert.equal(withViews(['RCC', 'RMLO', 'LXCCL', 'LML']), 'analysed · exam score 0.95 · right breast 0.20 · left breast 0.95', 'an XCCL and an ML are a pair too');
  assert.equal(singleView(['RMLO', 'LCC', 'LMLO'], 'R'), 'RMLO');
  assert.equal(singleView([], 'R'), null, 'no view: nothing to say (the breast is not imaged)');
});

test('an exam with a breast implant says the model\'s caveat for such exams (its manifest\'s intendedUse.implants note); other exams, or a model with none, say nothing of it', () => {
  const withModel = (implantCaveat: string | null): AiResults => ({ ...done({ R: 0.2, L: 0.3 }),
    model: { id: 'x', name: 'X', version: '1.0.0', trainedOn: 'synthetic', notForDiagnosticUse: true, limits: [], implantCaveat, scoreScale: { semantics: 'uncalibrated', min: 0, max: 1, prevalence: null },
      operatingPoint: { name: 'balanced', threshold: 0.15 }, operatingPoints: [{ name: 'balanced', threshold: 0.15, sensitivity: null, specificity: null, falseMarksPerImage: 0.5, dataset: 'validation' }], defaultOperatingPoint: 'balanced', examOperatingPoint: null, classes: ['mass'] } });
  const text = (results: AiResults, implant: boolean, locale: 'en' | 'fr' = 'en') => aiStateText((key, params) => translate(locale, key, params), results, { showScore: false, locale, implant });
  assert.equal(text(withModel('weaker there'), true), 'analysed · breast implant: weaker there');
  assert.equal(text(withModel('weaker there'), true, 'fr'), 'analysé · prothèse mammaire\u202f: weaker there');
  assert.equal(text(withModel('weaker there'), false), 'analysed');
  assert.equal(text(withModel(null), true), 'analysed');
  // in the reader's language where the manifest gives it (contract 1.5), else as the manifest says it
  const translated = (locale: 'en' | 'fr') => { const r = withModel('weaker there'); r.model!.implantCaveatTranslations = { fr: 'moins bon là' }; return text(r, true, locale); };
  assert.equal(translated('fr'), 'analysé · prothèse mammaire\u202f: moins bon là');
  assert.equal(translated('en'), 'analysed · breast implant: weaker there');
});

test('an analysis held (its model overran its time limit on another exam) says so and where to look, in the reader\'s language; one merely queued says queued', () => {
  const queued = (held: boolean): AiResults => ({ ...done({}), state: { ...done({}).state!, status: 'queued', examScore: null, ...(held ? { held: true } : {}) } });
  assert.equal(said(queued(false)), 'analysis queued');
  assert.equal(said(queued(true)), 'analysis on hold: the model took too long on an image of another exam (see AI models)');
  assert.equal(said(queued(true), 'fr'), 'analyse suspendue\u202f: le modèle a mis trop de temps sur une image d’un autre examen (voir Modèles d’IA)');
});

test('why an accelerator was not used: the runtime\'s missing-library error in the reader\'s words (it read raw and English in the French panel: a probe), any other reason as the runtime said it', () => {
  const fr = (key: MessageKey, params?: MessageParams) => translate('fr', key, params);
  assert.equal(fallbackReason(fr, 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'), 'ses bibliothèques ne sont pas installées sur cet ordinateur (le message du moteur dans l’infobulle)');
  assert.equal(fallbackReason((key, params) => translate('en', key, params), 'libcudnn.so.9: cannot open shared object file'), 'its libraries are not installed on this computer (the runtime’s message in the tooltip)');
  assert.equal(fallbackReason(fr, 'CUDA failure 100: no CUDA-capable device is detected'), 'CUDA failure 100: no CUDA-capable device is detected');
});

test('a breast whose score is a finding under the reader\'s operating point says so, with its view: "left breast 0.14" alone, no view and no mark on any image, was looked for (a radiologist\'s probe)', () => {
  const results = done({ R: 0.9, L: 0.14 });
  results.state!.breastSources = { R: { view: 'RCC', marked: true }, L: { view: 'LCC', marked: false } };
  assert.equal(said(results), 'analysed · exam score 0.90 · right breast 0.90 (RCC) · left breast 0.14 (LCC, under the marks’ threshold: no mark)');
  assert.equal(said(results, 'fr'), 'analysé · score d’examen 0,90 · sein droit 0,90 (RCC) · sein gauche 0,14 (LCC, sous le seuil des marques\u202f: pas de marque)');
  assert.equal(said(results, 'en', false), 'analysed', 'held back in second look, as the scores');
  // written against her operating point, which it is under: not "0.15" beside a mark of 0.1547 drawn "0.15" (a probe)
  const near = done({ R: 0.9, L: 0.1499 });
  near.state!.breastSources = { R: { view: 'RCC', marked: true }, L: { view: 'LMLO', marked: false } };
  near.model = { scoreScale: { semantics: 'uncalibrated', min: 0, max: 1, prevalence: null }, examOperatingPoint: null, operatingPoint: { name: 'balanced', threshold: 0.1534 } } as unknown as AiResults['model'];
  assert.match(said(near, 'fr'), /sein gauche 0,149[0-9]* \(LMLO, sous le seuil des marques/);
});
