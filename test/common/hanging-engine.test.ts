import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangableImages } from '../../common/hanging/images.ts';
import { choosePriors, hang, stepShowing, stepsShowing } from '../../common/hanging/engine.ts';
import { DEFAULT_PROTOCOLS } from '../../common/hanging/protocols.ts';
import type { HangingPlan, HangingProtocol, HungStep } from '../../common/hanging/types.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { exam, fourViews, image, summary } from './fixtures/hanging/exams.ts';

/** What a step shows, place by place: viewport id → the label of the image hung there, or 'missing'. */
function placements(step: HungStep | undefined): Record<string, string> {
  assert.ok(step, 'the step exists');
  return Object.fromEntries(step.viewports.map((v) => [v.id, v.image ? `${v.image.label}@${v.image.examId}` : 'missing']));
}
const stepIds = (plan: HangingPlan) => plan.steps.map((s) => s.id);
const stepById = (plan: HangingPlan, id: string) => plan.steps.find((s) => s.id === id);

test('hangable images: FOR PRESENTATION images only, with laterality, view, modifiers and label', () => {
  const detail = exam({
    examId: 1, date: '20260105', images: [
      image({ side: 'L', view: 'MLO' }),
      image({ side: 'R', view: 'CC', forProcessing: true, presentationIntent: 'FOR PROCESSING' }),
      image({ side: 'R', view: 'CC', isImage: false }),
      image({ side: 'R', view: 'CC', modifiers: ['S', 'M'] }),
      // no View Code Sequence: View Position names the view; no Image Laterality: the label names the side
      image({ side: 'R', view: 'CC', viewCode: null, viewPosition: 'MLO', imageLaterality: 'B', viewLabel: 'RMLO' }),
    ],
  });
  const images = hangableImages(detail);
  assert.deepEqual(images.map((i) => [i.label, i.laterality, i.view, i.modifiers]), [
    ['RMLO', 'R', 'MLO', []],
    ['LMLO', 'L', 'MLO', []],
    ['RMSCC', 'R', 'CC', ['M', 'S']],
  ]);
  assert.ok(images.every((i) => i.examId === 1 && i.instance.instanceId === i.instanceId));
});

test('a repeated view: the later acquisition comes first (series number, then instance number)', () => {
  const first = image({ side: 'R', view: 'CC', instanceNumber: 3, seriesNumber: 1 });
  const repeatSameSeries = image({ side: 'R', view: 'CC', instanceNumber: 7, seriesNumber: 1 });
  const repeatNewSeries = image({ side: 'R', view: 'CC', instanceNumber: 1, seriesNumber: 4 });
  const ordered = (images: ReturnType<typeof image>[]) => hangableImages(exam({ examId: 1, date: '20260105', images })).map((i) => i.instanceId);
  assert.deepEqual(ordered([first, repeatSameSeries]), [repeatSameSeries.instanceId, first.instanceId]);
  assert.deepEqual(ordered([repeatNewSeries, first, repeatSameSeries]), [repeatNewSeries.instanceId, repeatSameSeries.instanceId, first.instanceId]);
});

test('priors: the default is the most recent mammogram at least 270 days older, then the others newest first', () => {
  const current = summary({ examId: 10, date: '20260105' });
  const others = [
    summary({ examId: 11, date: '20250905' }), // 4 months: a work-up, not a screening round
    summary({ examId: 12, date: '20240110' }), // 2 years
    summary({ examId: 13, date: '20220115' }), // 4 years
    summary({ examId: 14, date: '20251201', modalities: ['US'] }),
    summary({ examId: 15, date: '20230101', imageCount: 0 }),
    summary({ examId: 16, date: '20260301', isPrior: false }),
  ];
  assert.deepEqual(choosePriors(current, others), [12, 11, 13]);
  // 270 days exactly qualifies; 269 does not
  assert.deepEqual(choosePriors(current, [summary({ examId: 21, date: '20250410' }), summary({ examId: 20, date: '20250411' })]), [21, 20]);
  // nothing old enough: the most recent is still compared with
  assert.deepEqual(choosePriors(current, [summary({ examId: 11, date: '20250905' }), summary({ examId: 17, date: '20251105' })]), [17, 11]);
  assert.deepEqual(choosePriors(current, []), []);
});

test('a 4-view exam hangs the screening overview, right breast on the left, CC above MLO', () => {
  const plan = hang(exam({ examId: 1, date: '20260105', images: fourViews() }), []);
  assert.equal(plan.protocolId, 'screening');
  assert.deepEqual(stepIds(plan), ['overview', 'cc-pair', 'mlo-pair', 'RCC', 'LCC', 'RMLO', 'LMLO']);
  const overview = plan.steps[0]!;
  assert.deepEqual(overview.layout, { rows: 2, columns: 2 });
  assert.deepEqual(overview.viewports.map((v) => [v.image?.label, v.row, v.column]), [['RCC', 0, 0], ['LCC', 0, 1], ['RMLO', 1, 0], ['LMLO', 1, 1]]);
  assert.ok(overview.viewports.every((v) => v.display.justify === 'chest-wall' && v.display.size === 'same-size'));
  assert.ok(overview.viewports.every((v) => v.sync.includes('zoomPan') && v.sync.includes('voi')));
  assert.deepEqual(plan.candidates.map((c) => c.protocolId), ['screening', 'fallback']);
  assert.deepEqual(plan.priorExamIds, []);
});

test('4 views and two priors: the 2-year prior is the default, hung above the current images', () => {
  const current = exam({ examId: 1, date: '20260105', images: fourViews() });
  const twoYears = exam({ examId: 2, date: '20240105', images: fourViews({ imagerPixelSpacing: [0.1, 0.1] }) });
  const fourMonths = exam({ examId: 3, date: '20250905', images: fourViews() });
  const order = choosePriors(current.exam, [summary({ examId: 3, date: '20250905' }), summary({ examId: 2, date: '20240105' })]);
  assert.deepEqual(order, [2, 3]);
  const byId = new Map([[2, twoYears], [3, fourMonths]]);
  const plan = hang(current, order.map((id) => byId.get(id)!));
  assert.equal(plan.protocolId, 'screening-with-prior');
  assert.deepEqual(plan.priorExamIds, [2, 3]);
  assert.deepEqual(stepIds(plan), ['overview', 'prior-overview', 'cc-comparison', 'mlo-comparison', 'cc-pair', 'mlo-pair', 'RCC', 'LCC', 'RMLO', 'LMLO']);
  assert.deepEqual(placements(stepById(plan, 'prior-overview')), {
    'prior-RCC': 'RCC@2', 'prior-LCC': 'LCC@2', 'prior-RMLO': 'RMLO@2', 'prior-LMLO': 'LMLO@2',
    RCC: 'RCC@1', LCC: 'LCC@1', RMLO: 'RMLO@1', LMLO: 'LMLO@1',
  });
  const eight = stepById(plan, 'prior-overview')!;
  assert.ok(eight.viewports.every((v) => v.row === (v.image!.examId === 2 ? 0 : 1)), 'priors on top');
  // all move together; window/level is shared by the current images only (the prior may be another detector)
  assert.ok(eight.viewports.every((v) => v.sync.includes('zoomPan')));
  assert.deepEqual(eight.viewports.filter((v) => v.sync.includes('voi')).map((v) => v.image!.examId), [1, 1, 1, 1]);
  assert.deepEqual(placements(stepById(plan, 'mlo-comparison')), { 'prior-RMLO': 'RMLO@2', 'prior-LMLO': 'LMLO@2', RMLO: 'RMLO@1', LMLO: 'LMLO@1' });
  assert.deepEqual(stepById(plan, 'cc-comparison')!.viewports[0]!.wanted, { slot: { exam: 'prior', index: 0 }, laterality: 'R', label: 'RCC' });
});

test('a missing LMLO keeps its place, marked missing', () => {
  const images = fourViews().filter((i) => i.viewLabel !== 'LMLO');
  const plan = hang(exam({ examId: 1, date: '20260105', images }), []);
  assert.equal(plan.protocolId, 'screening');
  const missing = plan.steps[0]!.viewports.find((v) => v.id === 'LMLO')!;
  assert.equal(missing.image, null);
  assert.deepEqual(missing.wanted, { slot: { exam: 'current' }, laterality: 'L', label: 'LMLO' });
  assert.deepEqual(placements(stepById(plan, 'mlo-pair')), { RMLO: 'RMLO@1', LMLO: 'missing' });
  assert.ok(!stepIds(plan).includes('LMLO'), 'the single-view step of a missing view is skipped');
});

test('a missing MLO is stood in for by a true lateral (ML)', () => {
  const images = [...fourViews().filter((i) => i.viewLabel !== 'RMLO'), image({ side: 'R', view: 'ML' })];
  const plan = hang(exam({ examId: 1, date: '20260105', images }), []);
  assert.equal(placements(plan.steps[0])['RMLO'], 'RML@1');
  assert.ok(!stepIds(plan).includes('additional'));
});

test('implant: the standard views first, then the implant-displaced views in their own overview', () => {
  const images = [...fourViews({ breastImplantPresent: true }), ...fourViews({ breastImplantPresent: true, modifiers: ['ID'] })];
  const plan = hang(exam({ examId: 1, date: '20260105', images }), []);
  assert.equal(plan.protocolId, 'implant');
  assert.deepEqual(stepIds(plan).slice(0, 2), ['overview', 'implant-displaced']);
  assert.deepEqual(placements(plan.steps[0]), { RCC: 'RCC@1', LCC: 'LCC@1', RMLO: 'RMLO@1', LMLO: 'LMLO@1' });
  assert.deepEqual(placements(plan.steps[1]), { RCCID: 'RCCID@1', LCCID: 'LCCID@1', RMLOID: 'RMLOID@1', LMLOID: 'LMLOID@1' });
  assert.ok(!stepIds(plan).includes('additional'), 'the ID views are hung, not left over');
  assert.deepEqual(plan.candidates.map((c) => c.protocolId), ['implant', 'screening', 'fallback']);
});

test('implant: the implant-displaced views read large as pairs and, with a prior, compared with the prior\'s (behind an implant a lesion may show on them alone)', () => {
  const implantViews = () => [...fourViews({ breastImplantPresent: true }), ...fourViews({ breastImplantPresent: true, modifiers: ['ID'] })];
  const alone = hang(exam({ examId: 1, date: '20260105', images: implantViews() }), []);
  assert.deepEqual(stepIds(alone), ['overview', 'implant-displaced', 'cc-pair', 'mlo-pair', 'cc-id-pair', 'mlo-id-pair', 'RCC', 'LCC', 'RMLO', 'LMLO']);
  assert.deepEqual(placements(alone.steps.find((s) => s.id === 'cc-id-pair')!), { RCCID: 'RCCID@1', LCCID: 'LCCID@1' });
  const prior = exam({ examId: 2, date: '20240105', images: implantViews() });
  const withPrior = hang(exam({ examId: 1, date: '20260105', images: implantViews() }), [prior]);
  assert.equal(withPrior.protocolId, 'implant-with-prior');
  assert.deepEqual(stepIds(withPrior), ['overview', 'implant-displaced', 'prior-overview', 'cc-comparison', 'mlo-comparison', 'cc-id-comparison', 'mlo-id-comparison',
    'cc-pair', 'mlo-pair', 'cc-id-pair', 'mlo-id-pair', 'RCC', 'LCC', 'RMLO', 'LMLO']);
  const idComparison = withPrior.steps.find((s) => s.id === 'mlo-id-comparison')!;
  assert.deepEqual(idComparison.viewports.map((v) => [v.id, v.image?.examId, v.image?.modifiers.join('')]),
    [['prior-RMLOID', 2, 'ID'], ['prior-LMLOID', 2, 'ID'], ['RMLOID', 1, 'ID'], ['LMLOID', 1, 'ID']]);
  // an implant exam without ID views: those steps are skipped, not shown empty
  const noId = hang(exam({ examId: 1, date: '20260105', images: fourViews({ breastImplantPresent: true }) }), [exam({ examId: 2, date: '20240105', images: fourViews({ breastImplantPresent: true }) })]);
  assert.ok(!stepIds(noId).some((id) => id.includes('id-') || id === 'implant-displaced'), stepIds(noId).join(', '));
});

test('the step that shows marks: the one on screen where it shows one, else the first that does; none where no step shows them (a radiologist was asked to look at a mark on an extra view, eleventh step, from the first)', () => {
  const images = [...fourViews(), image({ side: 'R', view: 'XCCL' })];
  const plan = hang(exam({ examId: 1, date: '20260105', images }), []);
  const idOf = (label: string) => plan.steps.flatMap((s) => s.viewports).find((v) => v.image?.label === label)!.image!.instanceId;
  const additional = plan.steps.findIndex((s) => s.id === 'additional');
  assert.ok(additional > 0);
  assert.equal(stepShowing(plan, [idOf('RXCCL')], 0), additional);
  assert.equal(stepShowing(plan, [idOf('RXCCL'), idOf('LCC')], 0), 0, 'the step on screen shows one of them');
  assert.equal(stepShowing(plan, [idOf('LCC')], additional), plan.steps.findIndex((s) => s.viewports.some((v) => v.image?.label === 'LCC')));
  assert.equal(stepShowing(plan, [987654], 0), null);
  // where each is first shown, step by step in the plan's order, views as hung (not in score order: a re-probe)
  const overview = plan.steps.findIndex((s) => s.viewports.some((v) => v.image?.label === 'LCC'));
  assert.deepEqual(stepsShowing(plan, [idOf('RXCCL'), idOf('LMLO'), idOf('RCC'), 987654]).map(({ step, labels }) => [step, labels]),
    [[overview, plan.steps[overview]!.viewports.flatMap((v) => (v.image && ['RCC', 'LMLO'].includes(v.image.label!) ? [v.image.label] : []))], [additional, ['RXCCL']], [null, []]]);
  // an image the step on screen shows is named there (a step of RCC alone said "RCC on step 1": a re-probe)
  const rccAlone = plan.steps.findIndex((s) => s.viewports.length === 1 && s.viewports[0]!.image?.label === 'RCC');
  assert.ok(rccAlone > overview);
  assert.deepEqual(stepsShowing(plan, [idOf('RCC'), idOf('LMLO')], rccAlone).map(({ step, labels }) => [step, labels]), [[overview, ['LMLO']], [rccAlone, ['RCC']]]);
});

test('additional views (XCCL, spot, magnification) get a step of their own, right breast first, each fitted', () => {
  const images = [
    ...fourViews(),
    image({ side: 'L', view: 'CC', modifiers: ['M'], estimatedRadiographicMagnificationFactor: 1.8 }),
    image({ side: 'R', view: 'XCCL' }),
    image({ side: 'R', view: 'CC', modifiers: ['S'] }),
  ];
  const plan = hang(exam({ examId: 1, date: '20260105', images }), []);
  assert.equal(plan.protocolId, 'screening');
  const additional = plan.steps.at(-1)!;
  assert.equal(additional.id, 'additional');
  assert.deepEqual(additional.layout, { rows: 1, columns: 3 });
  assert.deepEqual(additional.viewports.map((v) => v.image!.label), ['RSCC', 'RXCCL', 'LMCC']);
  assert.ok(additional.viewports.every((v) => v.display.size === 'fit' && v.sync.length === 0));
  // the plain views are not taken for the spot or magnification
  assert.equal(placements(plan.steps[0])['RCC'], 'RCC@1');
  assert.equal(placements(plan.steps[0])['LCC'], 'LCC@1');
});

test('a single RMLO (like GH133) falls back: hung in the RMLO place, the other three missing, then large', () => {
  const plan = hang(exam({ examId: 1, date: '20150929', images: [image({ side: 'R', view: 'MLO' })] }), []);
  assert.equal(plan.protocolId, 'fallback');
  assert.deepEqual(plan.candidates.map((c) => c.protocolId), ['fallback']);
  assert.deepEqual(placements(plan.steps[0]), { RCC: 'missing', LCC: 'missing', RMLO: 'RMLO@1', LMLO: 'missing' });
  assert.deepEqual(stepIds(plan), ['overview', 'RMLO']);
});

test('a single LCC falls back the same way', () => {
  const plan = hang(exam({ examId: 1, date: '20260105', images: [image({ side: 'L', view: 'CC', patientOrientation: ['R', 'P'] })] }), []);
  assert.equal(plan.protocolId, 'fallback');
  assert.deepEqual(placements(plan.steps[0]), { RCC: 'missing', LCC: 'LCC@1', RMLO: 'missing', LMLO: 'missing' });
  assert.deepEqual(stepIds(plan), ['overview', 'LCC']);
});

test('a CT exam: only the fallback applies; its images are hung four to a step', () => {
  const slices = Array.from({ length: 6 }, () => image({ side: null, view: 'none', viewCode: null, viewPosition: null, patientOrientation: ['L', 'P'] }));
  const plan = hang(exam({ examId: 1, date: '20260105', modalities: ['CT'], images: slices }), []);
  assert.equal(plan.protocolId, 'fallback');
  assert.deepEqual(stepIds(plan), ['additional', 'additional-2']);
  assert.deepEqual(plan.steps.map((s) => s.layout), [{ rows: 1, columns: 4 }, { rows: 1, columns: 2 }]);
  const hungIds = plan.steps.flatMap((s) => s.viewports.map((v) => v.image!.instanceId));
  assert.deepEqual([...hungIds].sort((a, b) => a - b), slices.map((s) => s.instanceId));
  assert.deepEqual(plan.steps[0]!.viewports[0]!.wanted.laterality, null);
});

test('an exam with nothing to show still has a step, every place missing', () => {
  const plan = hang(exam({ examId: 1, date: '20260105', images: [image({ isImage: false })] }), []);
  assert.equal(plan.protocolId, 'fallback');
  assert.deepEqual(placements(plan.steps[0]), { RCC: 'missing', LCC: 'missing', RMLO: 'missing', LMLO: 'missing' });
});

test('two images of the same view: the repeat is hung, the first exposure goes with the additional views', () => {
  const [rcc, ...others] = fourViews();
  const repeat = image({ side: 'R', view: 'CC', instanceNumber: 99 });
  const plan = hang(exam({ examId: 1, date: '20260105', images: [repeat, rcc!, ...others] }), []);
  assert.equal(plan.steps[0]!.viewports[0]!.image!.instanceId, repeat.instanceId);
  assert.equal(stepById(plan, 'RCC')!.viewports[0]!.image!.instanceId, repeat.instanceId);
  assert.deepEqual(plan.steps.at(-1)!.viewports.map((v) => v.image!.instanceId), [rcc!.instanceId]);
});

test('an image appears once per step', () => {
  const twice: HangingProtocol = {
    id: 'twice', name: 'x' as MessageKey, rules: [],
    steps: [{
      id: 'two-rcc', name: 'x' as MessageKey, layout: { rows: 1, columns: 2 },
      viewports: [0, 1].map((column) => ({
        id: `rcc-${column}`, row: 0, column, display: { justify: 'center', size: 'fit', voi: 'preset' }, sync: [],
        selector: { slot: { exam: 'current' }, laterality: 'R', view: 'CC', modifiers: 'any' },
      })),
    }],
  };
  const one = hang(exam({ examId: 1, date: '20260105', images: fourViews() }), [], [twice]);
  assert.deepEqual(placements(one.steps[0]), { 'rcc-0': 'RCC@1', 'rcc-1': 'missing' });
  const two = hang(exam({ examId: 1, date: '20260105', images: [...fourViews(), image({ side: 'R', view: 'CC', modifiers: ['S'] })] }), [], [twice]);
  assert.deepEqual(placements(two.steps[0]), { 'rcc-0': 'RCC@1', 'rcc-1': 'RSCC@1' });
});

test('the reader may choose another protocol that applies; an unknown or ruled-out id keeps the best', () => {
  const current = exam({ examId: 1, date: '20260105', images: fourViews() });
  const prior = exam({ examId: 2, date: '20240105', images: fourViews() });
  assert.equal(hang(current, [prior]).protocolId, 'screening-with-prior');
  const chosen = hang(current, [prior], DEFAULT_PROTOCOLS, 'screening');
  assert.equal(chosen.protocolId, 'screening');
  assert.ok(!stepIds(chosen).includes('prior-overview'));
  assert.deepEqual(chosen.candidates.map((c) => c.protocolId), ['screening-with-prior', 'screening', 'fallback']);
  assert.equal(hang(current, [prior], DEFAULT_PROTOCOLS, 'fallback').protocolId, 'fallback');
  assert.equal(hang(current, [prior], DEFAULT_PROTOCOLS, 'implant').protocolId, 'screening-with-prior');
  assert.equal(hang(current, [prior], DEFAULT_PROTOCOLS, 'no-such-protocol').protocolId, 'screening-with-prior');
});

test('deterministic: the same exam in any stored order gives the same plan', () => {
  const images = [...fourViews(), image({ side: 'R', view: 'XCCL' }), image({ side: 'L', view: 'CC', modifiers: ['S'] })];
  const prior = exam({ examId: 2, date: '20240105', images: fourViews() });
  const a = hang(exam({ examId: 1, date: '20260105', images }), [prior]);
  const b = hang(exam({ examId: 1, date: '20260105', images: [...images].reverse() }), [prior]);
  assert.deepEqual(a, b);
});
