import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auc, aucWithInterval, caseAucLine, examThresholdAtSpecificity, frocCurve, match, perLesion, sensitivityAt, targetLine } from './froc.ts';
import type { EvalImage } from './froc.ts';
import { frocSvg } from './plot.ts';

const lesion = (id: string, cls: string, box: [number, number, number, number], sizeMm = 10) => ({ id, class: cls, box, sizeMm, contrast: 0.5 });

test('a lesion is found once however many marks sit on it; marks elsewhere are false, marks on another class are neither', () => {
  const images: EvalImage[] = [
    { key: 'a', spacingMm: 1, lesions: [lesion('m1', 'mass', [10, 10, 20, 20]), lesion('c1', 'calcification', [100, 100, 110, 110])], marks: [
      { class: 'mass', score: 0.9, x: 15, y: 15 }, { class: 'mass', score: 0.8, x: 12, y: 18 }, // one lesion, two marks
      { class: 'mass', score: 0.7, x: 105, y: 105 }, // a mass mark on the calcification cluster
      { class: 'mass', score: 0.6, x: 300, y: 300 }, // false
    ] },
    { key: 'b', spacingMm: 1, lesions: [lesion('m2', 'mass', [50, 50, 60, 60])], marks: [{ class: 'mass', score: 0.4, x: 58, y: 64 }] }, // within the 5 mm margin
  ];
  const m = match(images, 'mass');
  assert.deepEqual(m.lesionScores.map((l) => [l.lesion.id, l.score]), [['m1', 0.9], ['m2', 0.4]]);
  assert.deepEqual(m.falseScores, [0.6]);
  const curve = frocCurve(m, images.length);
  assert.deepEqual(sensitivityAt(curve, 0), { sensitivity: 0.5, threshold: 0.9 });
  assert.equal(sensitivityAt(curve, 0.5).sensitivity, 1); // one false mark over two images
  assert.equal(sensitivityAt(curve, 0.25).sensitivity, 0.5);
  // a lesion left out of the count: the mark on it is not false either
  const small = match(images, 'mass', (l) => l.id !== 'm2');
  assert.equal(small.lesionScores.length, 1);
  assert.deepEqual(small.falseScores, [0.6]);
});

test('per lesion: a lesion seen in two views counts once, found at its best view\'s score; lesions of other exams with the same id stay apart; false marks unchanged', () => {
  const images: (EvalImage & { exam: string })[] = [
    { key: 'a-cc', exam: 'a', spacingMm: 1, lesions: [lesion('l1', 'mass', [10, 10, 20, 20])], marks: [{ class: 'mass', score: 0.3, x: 15, y: 15 }, { class: 'mass', score: 0.5, x: 300, y: 300 }] },
    { key: 'a-mlo', exam: 'a', spacingMm: 1, lesions: [lesion('l1', 'mass', [40, 40, 50, 50])], marks: [{ class: 'mass', score: 0.8, x: 45, y: 45 }] },
    { key: 'b-cc', exam: 'b', spacingMm: 1, lesions: [lesion('l1', 'mass', [10, 10, 20, 20])], marks: [] },
    { key: 'b-mlo', exam: 'b', spacingMm: 1, lesions: [lesion('l1', 'mass', [10, 10, 20, 20])], marks: [] },
  ];
  const views = match(images, 'mass');
  assert.equal(views.lesionScores.length, 4);
  const lesions = perLesion(views, (e) => `${images[e.image]!.exam}#${e.lesion.id}`);
  assert.deepEqual(lesions.lesionScores.map((l) => [images[l.image]!.key, l.score]), [['a-mlo', 0.8], ['b-cc', 0]]);
  assert.deepEqual(lesions.falseScores, [0.5]);
  // per view, half the lesion views are found at one false mark in four images; per lesion, half the lesions, at a higher threshold
  assert.equal(sensitivityAt(frocCurve(views, 4), 0.25).sensitivity, 0.5);
  assert.deepEqual(sensitivityAt(frocCurve(lesions, 4), 0), { sensitivity: 0.5, threshold: 0.8 });
});

test('case AUC: perfect, inverted and tied; the bootstrap interval holds the estimate and is repeatable', () => {
  assert.equal(auc([0.9, 0.8], [0.1, 0.2]), 1);
  assert.equal(auc([0.1], [0.9]), 0);
  assert.equal(auc([0.5], [0.5]), 0.5);
  const cases = Array.from({ length: 60 }, (_, i) => ({ positive: i % 2 === 0, score: (i % 2 === 0 ? 0.6 : 0.4) + ((i * 37) % 11) / 30 }));
  const a = aucWithInterval(cases, 500, 7), b = aucWithInterval(cases, 500, 7);
  assert.deepEqual(a, b);
  assert.ok(a.low <= a.auc && a.auc <= a.high && a.high - a.low > 0, JSON.stringify(a));
});

test('the FROC plot draws a class with no lesion in the set as no curve, said in its legend (a line at 0 reads as "finds none")', () => {
  const svg = frocSvg([{ label: 'mass', curve: [{ falsePerImage: 0, sensitivity: 0.5, threshold: 0.9 }, { falsePerImage: 1, sensitivity: 1, threshold: 0.4 }] }, { label: 'asymmetry', curve: [] }], 'title');
  assert.equal(svg.match(/<polyline/g)?.length, 1);
  assert.match(svg, />asymmetry: no lesion</);
  assert.match(svg, />mass</);
});

test('a target is said met or MISSED; not MISSED where the set holds no lesion of its kind (nothing was there to find), nor for a class the model does not have', () => {
  const classes = ['mass', 'calcification'];
  assert.equal(targetLine('calcification clusters', 0.95, 0.9, { lesions: 12, modelClass: 'calcification', modelClasses: classes }), 'calcification clusters 0.95 (target ≥ 0.9: met)');
  assert.equal(targetLine('calcification clusters', 0.5, 0.9, { lesions: 12, modelClass: 'calcification', modelClasses: classes }), 'calcification clusters 0.50 (target ≥ 0.9: MISSED)');
  const none = targetLine('calcification clusters', NaN, 0.9, { lesions: 0, modelClass: 'calcification', modelClasses: classes, what: 'calcification cluster' });
  assert.equal(none, 'calcification clusters – (target ≥ 0.9: not measured, the set holds no calcification cluster)');
  assert.doesNotMatch(none, /MISSED/);
  assert.equal(targetLine('calcification clusters', NaN, 0.9, { lesions: 0, modelClass: 'calcification', modelClasses: ['mass'] }), 'calcification clusters – (the model has no calcification class)');
  assert.equal(targetLine('case AUC', 0.97, 0.95), 'case AUC 0.97 (target ≥ 0.95: met)');
  // the case AUC: not measured, not MISSED [NaN–NaN], where every exam has a lesion (a vendor's probe of four women) or none has
  const withLesion = [{ positive: true, score: 0.4 }, { positive: true, score: 0.9 }];
  assert.equal(caseAucLine(withLesion, aucWithInterval(withLesion), 0.95), 'case AUC – (target ≥ 0.95: not measured, the set holds no exam without a lesion)');
  const normal = [{ positive: false, score: 0.4 }];
  assert.equal(caseAucLine(normal, aucWithInterval(normal), 0.95), 'case AUC – (target ≥ 0.95: not measured, the set holds no exam with a lesion)');
  const both = [...withLesion, ...normal, { positive: false, score: 0.1 }];
  assert.match(caseAucLine(both, aucWithInterval(both), 0.95), /^case AUC 0\.88 \(target ≥ 0\.95: MISSED\) \[0\.\d{3}–1\.000\]$/);
});

test('the exam flag threshold keeps the asked share of normal exams under it, half-way to the next normal score; ties flag together', () => {
  const normal = (score: number) => ({ positive: false, score });
  const lesion = (score: number) => ({ positive: true, score });
  // ten normal exams: at a specificity of 0.9 one may be flagged (0.5), the threshold lies half-way to the next (0.4)
  const cases = [0.1, 0.15, 0.2, 0.22, 0.25, 0.3, 0.32, 0.35, 0.4, 0.5].map(normal).concat([0.3, 0.45, 0.6, 0.9].map(lesion));
  const point = examThresholdAtSpecificity(cases, 0.9)!;
  assert.ok(Math.abs(point.threshold - 0.45) < 1e-12, String(point.threshold));
  assert.deepEqual({ specificity: point.specificity, sensitivity: point.sensitivity, flaggedNormal: point.flaggedNormal, normal: point.normal }, { specificity: 0.9, sensitivity: 0.75, flaggedNormal: 1, normal: 10 });
  // 0.8: two flagged, between 0.4 and 0.35
  assert.ok(Math.abs(examThresholdAtSpecificity(cases, 0.8)!.threshold - 0.375) < 1e-12);
  // two normal exams tied at the top, one allowed: neither is flagged, the threshold lies above both, below the lowest lesion above them
  const tied = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9].map(normal).concat([lesion(0.95), lesion(0.5)]);
  const above = examThresholdAtSpecificity(tied, 0.9)!;
  assert.ok(Math.abs(above.threshold - 0.925) < 1e-12, String(above.threshold));
  assert.deepEqual([above.specificity, above.sensitivity], [1, 0.5]);
  // nothing to set it on
  assert.equal(examThresholdAtSpecificity([lesion(0.5)], 0.9), null);
  assert.equal(examThresholdAtSpecificity([normal(0.9), normal(0.9)], 0.9), null);
});
