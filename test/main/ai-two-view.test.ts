// Two-view correlation (main/ai/two-view.ts): a finding weighed by its partner of the same class in
// the breast's other view, at about its distance from the nipple.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreExamImages, weighAcrossViews } from '../../main/ai/two-view.ts';

const options = { toleranceMm: 10, unsupportedWeight: 0.3, partnerFloor: 0.05 };
const f = (cls: string, score: number, nippleMm: number | null) => ({ class: cls, score, nippleMm });

test('a finding with a partner of its class as strong, at about its distance from the nipple in the other view, keeps its score; one without keeps the weight; a weaker partner, between', () => {
  const [cc, mlo] = weighAcrossViews([
    { viewLabel: 'RCC', laterality: 'R', findings: [f('mass', 0.8, 40), f('mass', 0.6, 90), f('calcification', 0.5, 40)] },
    { viewLabel: 'RMLO', laterality: 'R', findings: [f('mass', 0.9, 47), f('mass', 0.3, 20)] },
  ], options);
  assert.deepEqual(cc!.map((x) => Number(x.score.toFixed(4))), [
    0.8, // the MLO's 0.9 mass 7 mm further: as strong, all its score
    Number((0.6 * 0.3).toFixed(4)), // no mass within 10 mm of 90 mm
    Number((0.5 * 0.3).toFixed(4)), // a mass there, not a calcification: no partner
  ]);
  assert.deepEqual(mlo!.map((x) => Number(x.score.toFixed(4))), [
    0.9 * (0.3 + 0.7 * (0.8 / 0.9)), // its partner (0.8) weaker than itself
    Number((0.3 * 0.3).toFixed(4)),
  ].map((v) => Number(v.toFixed(4))));
});

test('partners are the same breast\'s other kind of view (CC with MLO, ML or LM; implant-displaced with implant-displaced), above the partner floor; scores never go up', () => {
  const weighed = weighAcrossViews([
    { viewLabel: 'LCC', laterality: 'L', findings: [f('mass', 0.5, 30)] },
    { viewLabel: 'RMLO', laterality: 'R', findings: [f('mass', 0.9, 30)] }, // the other breast
    { viewLabel: 'LCCID', laterality: 'L', findings: [f('mass', 0.9, 30)] }, // the same kind of view
    { viewLabel: 'LMLOID', laterality: 'L', findings: [f('mass', 0.4, 32)] }, // partner of LCCID only
    { viewLabel: 'LML', laterality: 'L', findings: [f('mass', 0.04, 30)] }, // below the partner floor
  ], options);
  assert.ok(Math.abs(weighed[0]![0]!.score - 0.5 * 0.3) < 1e-9, 'no partner: LML\'s mark is below the floor, the others are not its partners');
  assert.ok(Math.abs(weighed[2]![0]!.score - 0.9 * (0.3 + 0.7 * 0.4 / 0.9)) < 1e-9, 'LCCID weighed by LMLOID');
  assert.ok(Math.abs(weighed[3]![0]!.score - 0.4) < 1e-9, 'LMLOID: its partner stronger, its own score, not more');
  assert.equal(weighed[1]![0]!.score, 0.9, 'a breast imaged in one view keeps its scores');
});

test('a breast seen in one view, a view the rules do not pair (a spot view), or a finding without its distance from the nipple: scores as the model gave them', () => {
  const weighed = weighAcrossViews([
    { viewLabel: 'RCC', laterality: 'R', findings: [f('mass', 0.7, null), f('mass', 0.6, 50)] },
    { viewLabel: 'RMLO', laterality: 'R', findings: [] },
    { viewLabel: 'LSPOT', laterality: 'L', findings: [f('mass', 0.5, 10)] },
    { viewLabel: 'LMLO', laterality: 'L', findings: [] },
    { viewLabel: null, laterality: 'L', findings: [f('mass', 0.5, 10)] },
  ], options);
  assert.deepEqual(weighed.map((image) => image.map((x) => Number(x.score.toFixed(4)))), [[0.7, 0.18], [], [0.5], [], [0.5]]);
});

test('an exaggerated CC (XCCL, XCCM) is weighed by the breast\'s lateral views, by class alone (rolled, its nipple is not in profile); it is no partner of the CC or MLO (a false mark on an XCCL flagged a normal exam: a radiologist\'s probe)', () => {
  const weighed = weighAcrossViews([
    { viewLabel: 'RXCCL', laterality: 'R', findings: [f('mass', 0.5, 10), f('calcification', 0.4, null)] },
    { viewLabel: 'RMLO', laterality: 'R', findings: [f('mass', 0.25, 80)] }, // 70 mm apart: a partner all the same
    { viewLabel: 'RCC', laterality: 'R', findings: [f('calcification', 0.9, 30)] }, // a CC: no partner of an XCCL
    { viewLabel: 'LXCCM', laterality: 'L', findings: [f('mass', 0.5, null)] },
    { viewLabel: 'LMLO', laterality: 'L', findings: [f('mass', 0.6, 40)] },
    { viewLabel: 'LCC', laterality: 'L', findings: [] },
    { viewLabel: 'RXCCLID', laterality: 'R', findings: [f('mass', 0.5, 10)] }, // implant-displaced: its partners are too (none here)
  ], options);
  const rounded = weighed.map((image) => image.map((x) => Number(x.score.toFixed(4))));
  assert.deepEqual(rounded[0], [Number((0.5 * (0.3 + 0.7 * 0.25 / 0.5)).toFixed(4)), Number((0.4 * 0.3).toFixed(4))]);
  assert.deepEqual(rounded[1], [Number((0.25 * 0.3).toFixed(4))], 'the MLO\'s mass is not supported by the XCCL\'s');
  assert.deepEqual(rounded[2], [Number((0.9 * 0.3).toFixed(4))], 'the CC\'s calcification is not supported by the XCCL\'s (and the MLO has none)');
  assert.deepEqual(rounded[3], [0.5], 'its partner as strong: its own score');
  assert.deepEqual(rounded[6], [0.5], 'no implant-displaced lateral view: as the model gave it');
});

test('an exam\'s images scored: cut at the floor shown after weighing, each image\'s score its best finding (the scale\'s minimum with none); a manifest without twoView scores as the model did', () => {
  const images = [
    { viewLabel: 'RCC', laterality: 'R' as const, imageScore: 0.8, findings: [f('mass', 0.8, 40), f('mass', 0.3, 90)] },
    { viewLabel: 'RMLO', laterality: 'R' as const, imageScore: 0.1, findings: [f('mass', 0.1, 44)] },
  ];
  const output = { twoView: options, scoreScale: { min: 0 } };
  const scored = scoreExamImages(images, output, 0.2);
  // RCC's 0.8 weighed by a 0.1 partner: 0.8 · (0.3 + 0.7 · 0.125) = 0.31; its 0.3 alone: 0.09, under the floor
  assert.deepEqual(scored.map((s) => s.findings.map((x) => Number(x.score.toFixed(2)))), [[0.31], []]);
  assert.deepEqual(scored.map((s) => Number(s.imageScore.toFixed(2))), [0.31, 0]);
  const plain = scoreExamImages(images, { scoreScale: { min: 0 } }, 0.2);
  assert.deepEqual(plain.map((s) => s.findings.map((x) => x.score)), [[0.8, 0.3], []]);
  assert.deepEqual(plain.map((s) => s.imageScore), [0.8, 0.1], 'the model\'s image scores, as before');
});
