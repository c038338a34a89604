// The AI strip in second look, before the reader's first impression, must say nothing of what the
// model found: not in its words (the score is held back) and not in its height, which is set by the
// forms it can take (AiPanel's sizing copies). A probe found the locked strip 68 px tall on exams the
// AI flagged and 49 px on one it did not: the sizing copies were this exam's own findings' forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { AiPanel, aiCallsRecall } from '../../renderer/ai/AiPanel.tsx';
import type { AiPanelProps } from '../../renderer/ai/AiPanel.tsx';
import { I18nContext, makeI18n } from '../../renderer/i18n.tsx';
import type { AiFinding, AiResults, CadMark, CadReport, Locale } from '../../common/domain.ts';

const MODEL: NonNullable<AiResults['model']> = {
  id: 'org.example.model', name: 'Example detector', version: '1.0.0', trainedOn: 'synthetic', notForDiagnosticUse: true, limits: [], implantCaveat: null,
  scoreScale: { semantics: 'uncalibrated', min: 0, max: 1, prevalence: null },
  operatingPoint: { name: 'balanced', threshold: 0.15 }, operatingPoints: [{ name: 'balanced', threshold: 0.15, sensitivity: null, specificity: null, falseMarksPerImage: 0.5, dataset: 'validation' }], defaultOperatingPoint: 'balanced', examOperatingPoint: { threshold: 0.228, specificity: 0.91, sensitivity: 0.8, dataset: 'validation' },
  classes: ['mass', 'calcification', 'architectural_distortion', 'asymmetry'],
};

const finding = (instanceId: number, score: number): AiFinding => ({ instanceId, class: 'mass', score, x: 10, y: 10, box: [5, 5, 15, 15] });

function results(status: 'running' | 'done', examScore: number, findings: AiFinding[]): AiResults {
  const breastScores = status === 'done' ? { R: Math.max(0.01, ...findings.filter((f) => f.instanceId === 1).map((f) => f.score)), L: examScore } : {};
  return {
    state: { status, examScore: status === 'done' ? examScore : null, breastScores, provider: 'cpu', failure: null, finishedAt: null, paused: false, notRead: [], unreadImages: [] },
    model: MODEL, findings, notAnalysed: [], cadReports: [], firstImpression: null, shownBeforeFirstImpression: false,
  };
}

function strip(ai: AiResults, locale: Locale, over: Partial<AiPanelProps> = {}): string {
  const props: AiPanelProps = {
    results: ai, mode: 'second-look', locked: true, marksOn: true, classes: MODEL.classes, hiddenClasses: new Set(), toggleKeys: 'a', busy: false,
    onToggleMarks() {}, onToggleClass() {}, optionalCadMarks: false, onToggleOptionalCadMarks() {}, hiddenMarks: { byKey: 0, byClass: 0, classesOff: 0 },
    onFirstImpression() {}, onCancel() {}, onRequeue() {}, marksPossible: ai.state?.status === 'done',
    viewOf: (id) => ({ 1: 'RMLO', 2: 'LCC' } as Record<number, string>)[id] ?? null, ...over,
  };
  return renderToStaticMarkup(createElement(I18nContext.Provider, { value: makeI18n(locale) }, createElement(AiPanel, props)));
}

const flagged = results('done', 0.9512, [finding(1, 0.9512), finding(2, 0.9, ), finding(2, 0.41), finding(1, 0.33), finding(2, 0.3), finding(1, 0.2), finding(2, 0.2), finding(1, 0.2), finding(2, 0.2), finding(1, 0.2), finding(2, 0.2), finding(1, 0.2)]);
const quiet = results('done', 0.19, []);

test('locked in second look, the strip is the same, sizing copies and all, for an exam the AI flags and one where it finds nothing', () => {
  for (const locale of ['en', 'fr'] as const) {
    assert.equal(strip(flagged, locale), strip(quiet, locale), locale);
    // and the score is nowhere in it
    assert.doesNotMatch(strip(flagged, locale), /0[.,]95/);
  }
});

test('locked, the strip is the same whatever another CAD\'s report (a vendor\'s Mammography CAD SR) marks, and whether some of its marks are optional', () => {
  const mark = (intent: CadMark['intent']): CadMark => ({ instanceId: 1, class: 'mass', label: 'Mass', intent, certainty: null, x: 10, y: 10, box: [5, 5, 15, 15] });
  const report = (marks: CadMark[]): CadReport => ({ id: 7, algorithmName: 'Vendor CAD', algorithmVersion: '3.1', algorithmParameters: null, manufacturer: 'Vendor', summary: null, problem: null, marks, unplaced: 0 });
  const withReport = (ai: AiResults, marks: CadMark[]) => ({ ...ai, cadReports: [report(marks)] });
  for (const locale of ['en', 'fr'] as const) {
    assert.equal(strip(withReport(flagged, [...Array.from({ length: 12 }, () => mark('required')), mark('optional')]), locale), strip(withReport(quiet, [mark('required')]), locale), locale);
  }
});

test('unlocked, the strip says the exam\'s own score; its sizing copies are the same whatever the findings (its height set by a stand-in)', () => {
  const unlocked = (ai: AiResults) => strip({ ...ai, firstImpression: { impression: 'normal', recordedAt: '', mode: 'second-look' } }, 'en', { locked: false, marksPossible: true });
  // the copies of the stand-in (the first is this exam's own locked form)
  const sizers = (html: string) => html.split('ai-bar-sizer').slice(2).join('ai-bar-sizer');
  assert.match(unlocked(flagged), /exam score 0\.95/);
  assert.equal(sizers(unlocked(flagged)), sizers(unlocked(quiet)));
  // nor whether the marks are shown, hidden by the key, or some classes switched off (a French strip at 2560 px grew a line as the key hid them, a probe)
  const hidden = (over: Partial<AiPanelProps>) => sizers(strip({ ...flagged, firstImpression: { impression: 'recall', recordedAt: '', mode: 'second-look' } }, 'fr', { locked: false, marksPossible: true, ...over }));
  assert.equal(hidden({ marksOn: false, hiddenMarks: { byKey: 12, byClass: 0, classesOff: 0 } }), hidden({}));
  assert.equal(hidden({ hiddenClasses: new Set(['mass']), hiddenMarks: { byKey: 0, byClass: 3, classesOff: 1 } }), hidden({}));
  assert.match(hidden({}), /10 marques IA masquées/);
  // the count of marks hidden by classes says "their class" for one class, "their classes" for several ("leurs classes" for one, a probe)
  const said = (locale: Locale, hiddenMarks: AiPanelProps['hiddenMarks']) => strip({ ...flagged, firstImpression: { impression: 'recall', recordedAt: '', mode: 'second-look' } }, locale, { locked: false, marksPossible: true, hiddenClasses: new Set(['mass']), hiddenMarks }).split('ai-bar-sizer')[0];
  assert.match(said('fr', { byKey: 0, byClass: 3, classesOff: 1 }), /3 marques IA masquées\u202f: leur classe est décochée/);
  assert.match(said('fr', { byKey: 0, byClass: 3, classesOff: 2 }), /3 marques IA masquées\u202f: leurs classes sont décochées/);
  assert.match(said('fr', { byKey: 0, byClass: 1, classesOff: 1 }), /1 marque IA masquée\u202f: sa classe est décochée/);
  assert.match(said('en', { byKey: 0, byClass: 3, classesOff: 1 }), /3 AI marks hidden: their class is switched off/);
  assert.match(said('en', { byKey: 0, byClass: 3, classesOff: 2 }), /3 AI marks hidden: their classes are switched off/);
  // analysing, the copies are those of the analysis done: its end changes what it says, not its height
  assert.equal(sizers(strip(results('running', 0, []), 'en')), sizers(strip(quiet, 'en')));
  // failed (it may be queued again): the same copies, so that its images start where a finished exam's do (they started higher, a probe)
  const failed: AiResults = { ...quiet, state: { ...quiet.state!, status: 'failed', examScore: null, breastScores: {}, failure: { code: 'model_refused', detail: null } } };
  assert.equal(sizers(strip(failed, 'en')), sizers(strip(quiet, 'en')));
  // whose scores are written as long as a score can be (with the exam point's decimals), and flagged
  assert.match(sizers(strip(quiet, 'en')), /exam score 0\.228 \(uncalibrated[^)]*\) · flagged for the worklist/);
});

test('the dotted marks\' legend follows the marks the step shows, a prior\'s too, and takes its room in the sizing copies on every step of an exam that shows such marks (none in an exam without)', () => {
  const unlocked = (ai: AiResults, over: Partial<AiPanelProps>) => strip({ ...ai, firstImpression: { impression: 'recall', recordedAt: '', mode: 'second-look' } }, 'fr', { locked: false, marksPossible: true, ...over });
  const legend = (html: string) => html.split('ai-bar-sizer')[0]!.includes('data-testid="ai-weak-legend"');
  // the current exam has no mark under its flag; the prior beside it has (the legend was missing, a re-probe)
  const strong = results('done', 0.9512, [finding(1, 0.9512)]);
  assert.equal(legend(unlocked(strong, { weakOnStep: null })), false);
  const withPrior = unlocked(strong, { weakOnStep: { threshold: 0.228, scale: MODEL.scoreScale } });
  assert.equal(legend(withPrior), true);
  assert.match(withPrior.split('ai-bar-sizer')[0]!, /pointillé\u202f: sous le seuil de signalement \(0,228\)/);
  // the current exam's weak marks on another step's images (not on this one): no legend here
  assert.equal(legend(unlocked(flagged, { weakOnStep: null })), false);
  // nor with the marks hidden by the key
  assert.equal(legend(unlocked(strong, { weakOnStep: { threshold: 0.228 }, marksOn: false })), false);
  // the sizing copies hold the legend on every step of an exam where a step shows such marks: the strip does
  // not grow a line as the steps change; an exam with none gives that line to its images
  const sizers = (html: string) => html.split('ai-bar-sizer').slice(2).join('ai-bar-sizer');
  const inExam = { threshold: 0.228, scale: MODEL.scoreScale };
  assert.equal(sizers(unlocked(strong, { weakOnStep: inExam, weakInExam: inExam })), sizers(unlocked(strong, { weakOnStep: null, weakInExam: inExam })));
  assert.match(sizers(unlocked(strong, { weakOnStep: null, weakInExam: inExam })), /ai-weak-legend/);
  // the copies hold it wherever the model can draw such marks, whatever the marks drawn now: the viewer reads its
  // weakInExam from the marks on screen, none while locked or hidden, and the strip grew 17 px at her first
  // impression and shrank at the marks key (a probe at 1280 × 800)
  assert.equal(sizers(unlocked(strong, { weakOnStep: null, weakInExam: null })), sizers(unlocked(strong, { weakOnStep: null, weakInExam: inExam })));
  assert.equal(sizers(strip(strong, 'fr', { locked: true, weakInExam: null })), sizers(unlocked(strong, { weakOnStep: null, weakInExam: inExam })));
  // a model whose marks all lie at or above its exam point draws none dotted: no room for the legend
  const noWeak = { ...strong, model: { ...MODEL, examOperatingPoint: null } };
  assert.doesNotMatch(sizers(unlocked(noWeak, { weakOnStep: null, weakInExam: null })), /ai-weak-legend/);
});

test('a normal first impression disagrees with the AI only where the AI calls the exam: its score at or above the exam operating point (marks under the flag are no call), or any mark for a model without one', () => {
  const read = (ai: AiResults): AiResults => ({ ...ai, firstImpression: { impression: 'normal', recordedAt: '2026-12-05T10:00:00Z', mode: 'second-look' } });
  const said = (ai: AiResults) => strip(read(ai), 'en', { locked: false }).includes('data-testid="ai-disagrees"');
  // four marks of 0.16–0.18 on an exam scored 0.18, under the flag at 0.228 (a probe: "the AI puts 4 marks on the exam you read as normal")
  const underFlag = results('done', 0.18, [finding(1, 0.16), finding(1, 0.17), finding(2, 0.18)]);
  assert.equal(aiCallsRecall(underFlag), false);
  assert.equal(said(underFlag), false);
  const flagged = results('done', 0.3, [finding(1, 0.3)]);
  assert.equal(aiCallsRecall(flagged), true);
  assert.equal(said(flagged), true);
  // a model without an exam operating point flags where it marks
  const noExamPoint = { ...underFlag, model: { ...MODEL, examOperatingPoint: null } };
  assert.equal(aiCallsRecall(noExamPoint), true);
  assert.equal(said(noExamPoint), true);
  assert.equal(aiCallsRecall({ ...noExamPoint, findings: [] }), false);
  // flagged, with no mark at her operating point (stricter than the exam point): said too, without a count (a re-probe)
  const flaggedUnmarked = results('done', 0.3, []);
  assert.equal(aiCallsRecall(flaggedUnmarked), true);
  assert.match(strip(read(flaggedUnmarked), 'fr', { locked: false }), /L’IA signale l’examen que vous avez lu comme normal, sans marque à votre point de fonctionnement\u202f: revoyez-le/);
  // flagged by one mark among fainter ones under the flag: how many of them are at or above it (a re-probe's
  // "9 marks" were 8 under the flag and one on the nipple); all at or above it, the count alone
  const someFlagged = results('done', 0.3, [finding(1, 0.3), finding(1, 0.17), finding(2, 0.16)]);
  assert.match(strip(read(someFlagged), 'en', { locked: false }), /The AI puts 3 marks on the exam you read as normal, 1 at or above its flag: look at them/);
  assert.match(strip(read(someFlagged), 'fr', { locked: false }), /L’IA place 3 marques sur l’examen que vous avez lu comme normal, dont 1 à son seuil de signalement ou au-dessus\u202f: regardez-les/);
  assert.match(strip(read(results('done', 0.3, [finding(1, 0.3), finding(2, 0.29)])), 'en', { locked: false }), /The AI puts 2 marks on the exam you read as normal \(one finding/);
});

test('an exam with an implant and one without have the same sizing copies: the model\'s implant caveat is in the stand-in\'s form (the images moved 15 px between women, a probe)', () => {
  const caveat = { ...MODEL, implantCaveat: 'weaker on breasts with an implant (on synthetic exams)', implantCaveatTranslations: { fr: 'moins bon sur les seins avec prothèse (sur des examens synthétiques)' } };
  const withCaveat = (ai: AiResults): AiResults => ({ ...ai, model: caveat });
  const sizers = (html: string) => html.split('ai-bar-sizer').slice(2).join('ai-bar-sizer');
  for (const locale of ['en', 'fr'] as const) {
    const implant = strip(withCaveat(flagged), locale, { implant: true, locked: false, marksPossible: true });
    const none = strip(withCaveat(flagged), locale, { implant: false, locked: false, marksPossible: true });
    // what the strip says differs (the caveat is said on the implant exam only) …
    assert.notEqual(implant.split('ai-bar-sizer')[0], none.split('ai-bar-sizer')[0], locale);
    assert.match(implant.split('ai-bar-sizer')[0], locale === 'fr' ? /moins bon sur les seins avec prothèse/ : /weaker on breasts with an implant/);
    // … its height does not: the stand-in says the caveat in both
    assert.equal(sizers(implant), sizers(none), locale);
    assert.match(sizers(none), locale === 'fr' ? /moins bon sur les seins avec prothèse/ : /weaker on breasts with an implant/);
  }
});
