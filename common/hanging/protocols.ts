// The default hanging protocols, as data. Every place is seen from the reader's chair: the right
// breast on the viewer's left, chest walls back to back at the centre seam, CC above MLO, the prior
// above the current one. Steps follow a screening read: the four current views, then (with a prior)
// the comparisons, then pairs and single views large, then whatever else the exam has.
//
// Synchronisation: the images of a step zoom and pan together (a reader zooms into one region of
// both breasts, or of current and prior, at once). Window/level is shared by the current images only:
// a prior may come from another detector with another bit depth and VOI, and copying window values
// onto it would wash it out; the current images come from one detector.

import type { MessageKey } from '../i18n/messages.ts';
import { SCREENING_VIEW_ORDER } from '../mammo-views.ts';
import type { DisplayOptions, ExamSlot, HangingProtocol, ImageSelector, MatchRule, StepSpec, ViewportSpec } from './types.ts';

const CURRENT: ExamSlot = { exam: 'current' };
const DEFAULT_PRIOR: ExamSlot = { exam: 'prior', index: 0 };

const SAME_SIZE: DisplayOptions = { justify: 'chest-wall', size: 'same-size', voi: 'preset' };

type Side = 'R' | 'L';
type StandardView = 'CC' | 'MLO';

/** When a view is missing, a view that shows the same projection takes its place: a true lateral for an oblique, a CC from below for a CC. */
const STANDARD_FALLBACKS: Record<StandardView, readonly string[]> = { CC: ['FB'], MLO: ['ML', 'LM'] };

function selector(slot: ExamSlot, laterality: Side, view: StandardView, modifiers: ImageSelector['modifiers']): ImageSelector {
  // only a plain view has a stand-in: an ML is no implant-displaced MLO
  if (modifiers !== 'none') return { slot, laterality, view, modifiers };
  return { slot, laterality, view, modifiers, fallbacks: STANDARD_FALLBACKS[view].map((fallback) => ({ slot, laterality, view: fallback, modifiers })) };
}

interface PlaceOptions {
  slot?: ExamSlot;
  modifiers?: ImageSelector['modifiers'];
}

/** One viewport: the view of one breast at (row, column). Its id says what it holds ('RCC', 'prior-LMLO', 'RCCID'). */
function place(laterality: Side, view: StandardView, row: number, column: number, options: PlaceOptions = {}): ViewportSpec {
  const slot = options.slot ?? CURRENT;
  const modifiers = options.modifiers ?? 'none';
  const suffix = Array.isArray(modifiers) ? modifiers.join('') : '';
  const prefix = slot.exam === 'prior' ? 'prior-' : '';
  return {
    id: `${prefix}${laterality}${view}${suffix}`,
    row, column,
    selector: selector(slot, laterality, view, modifiers),
    display: SAME_SIZE,
    sync: slot.exam === 'current' ? ['zoomPan', 'voi'] : ['zoomPan'],
  };
}

function step(id: string, name: string, layout: StepSpec['layout'], viewports: ViewportSpec[], skipWhenEmpty = false): StepSpec {
  return { id, name: name as MessageKey, layout, viewports, ...(skipWhenEmpty ? { skipWhenEmpty } : {}) };
}

/** RCC | LCC over RMLO | LMLO. */
const overview = (id: string, name: string, options: PlaceOptions = {}, skipWhenEmpty = false) =>
  step(id, name, { rows: 2, columns: 2 }, [
    place('R', 'CC', 0, 0, options), place('L', 'CC', 0, 1, options),
    place('R', 'MLO', 1, 0, options), place('L', 'MLO', 1, 1, options),
  ], skipWhenEmpty);

const CURRENT_OVERVIEW = overview('overview', 'hanging.step.overview');

/** The implant-displaced (Eklund) views get their own overview, after the standard one (which shows the implant). */
const IMPLANT_DISPLACED_OVERVIEW = overview('implant-displaced', 'hanging.step.implantDisplaced', { modifiers: ['ID'] }, true);

/** Eight images: the default prior's four on top, the current four below, in the overview's order along a row. */
const PRIOR_OVERVIEW = step('prior-overview', 'hanging.step.priorOverview', { rows: 2, columns: 4 },
  [DEFAULT_PRIOR, CURRENT].flatMap((slot, row) => [
    place('R', 'CC', row, 0, { slot }), place('L', 'CC', row, 1, { slot }),
    place('R', 'MLO', row, 2, { slot }), place('L', 'MLO', row, 3, { slot }),
  ]));

/** One view of both breasts: the default prior's above, the current one's below. */
const comparison = (view: StandardView, id: string, name: string, options: { modifiers?: ImageSelector['modifiers'] } = {}, skipWhenEmpty = false) =>
  step(id, name, { rows: 2, columns: 2 }, [
    place('R', view, 0, 0, { ...options, slot: DEFAULT_PRIOR }), place('L', view, 0, 1, { ...options, slot: DEFAULT_PRIOR }),
    place('R', view, 1, 0, options), place('L', view, 1, 1, options),
  ], skipWhenEmpty);

const CC_COMPARISON = comparison('CC', 'cc-comparison', 'hanging.step.ccComparison');
const MLO_COMPARISON = comparison('MLO', 'mlo-comparison', 'hanging.step.mloComparison');

const pair = (view: StandardView, id: string, name: string, options: { modifiers?: ImageSelector['modifiers'] } = {}) =>
  step(id, name, { rows: 1, columns: 2 }, [place('R', view, 0, 0, options), place('L', view, 0, 1, options)], true);

const CC_PAIR = pair('CC', 'cc-pair', 'hanging.step.ccPair');
const MLO_PAIR = pair('MLO', 'mlo-pair', 'hanging.step.mloPair');

/**
 * The implant-displaced views compared with the prior's and read large as pairs: behind an implant
 * the standard views show little of the breast, and a lesion there may show on the ID views alone
 * (a probe's new 27.6 mm mass was marked on them and never hung large or beside the prior).
 */
const ID: { modifiers: ImageSelector['modifiers'] } = { modifiers: ['ID'] };
const ID_COMPARISON_STEPS = [
  comparison('CC', 'cc-id-comparison', 'hanging.step.ccIdComparison', ID, true),
  comparison('MLO', 'mlo-id-comparison', 'hanging.step.mloIdComparison', ID, true),
];
const ID_PAIRS = [pair('CC', 'cc-id-pair', 'hanging.step.ccIdPair', ID), pair('MLO', 'mlo-id-pair', 'hanging.step.mloIdPair', ID)];

/** Each screening view alone, large; skipped when the exam lacks it. */
const SINGLE_VIEWS: StepSpec[] = ([['R', 'CC'], ['L', 'CC'], ['R', 'MLO'], ['L', 'MLO']] as const).map(([laterality, view]) => {
  const single = place(laterality, view, 0, 0);
  return step(single.id, `hanging.step.single.${single.id}`, { rows: 1, columns: 1 }, [{ ...single, sync: [] }], true);
});

const READING_STEPS = [CC_PAIR, MLO_PAIR, ...SINGLE_VIEWS];
const COMPARISON_STEPS = [PRIOR_OVERVIEW, CC_COMPARISON, MLO_COMPARISON];

/**
 * At least two of the screening four: the standard layouts make sense (a missing view keeps its
 * place, marked missing); a single view goes to the fallback. The weights rank the more specific
 * protocol first when its required rule holds: an implant (8) over a prior (4) over a complete
 * 4-view set (2) and the MG modality (1).
 */
const STANDARD_VIEWS_PRESENT: readonly MatchRule[] = [
  { kind: 'hasViews', labels: SCREENING_VIEW_ORDER, atLeast: 2, weight: 1, required: true },
  { kind: 'hasViews', labels: SCREENING_VIEW_ORDER, weight: 2 },
  { kind: 'modality', modality: 'MG', weight: 1 },
];
const WITH_PRIOR: MatchRule = { kind: 'priorCount', atLeast: 1, weight: 4, required: true };
const WITH_IMPLANT: MatchRule = { kind: 'implant', present: true, weight: 8, required: true };

export const SCREENING_PROTOCOL = {
  id: 'screening',
  name: 'hanging.protocol.screening' as MessageKey,
  rules: STANDARD_VIEWS_PRESENT,
  steps: [CURRENT_OVERVIEW, ...READING_STEPS],
  additionalViewsStep: true,
} satisfies HangingProtocol;

export const SCREENING_WITH_PRIOR_PROTOCOL = {
  id: 'screening-with-prior',
  name: 'hanging.protocol.screeningWithPrior' as MessageKey,
  rules: [...STANDARD_VIEWS_PRESENT, WITH_PRIOR],
  steps: [CURRENT_OVERVIEW, ...COMPARISON_STEPS, ...READING_STEPS],
  additionalViewsStep: true,
} satisfies HangingProtocol;

export const IMPLANT_PROTOCOL = {
  id: 'implant',
  name: 'hanging.protocol.implant' as MessageKey,
  rules: [...STANDARD_VIEWS_PRESENT, WITH_IMPLANT],
  steps: [CURRENT_OVERVIEW, IMPLANT_DISPLACED_OVERVIEW, CC_PAIR, MLO_PAIR, ...ID_PAIRS, ...SINGLE_VIEWS],
  additionalViewsStep: true,
} satisfies HangingProtocol;

export const IMPLANT_WITH_PRIOR_PROTOCOL = {
  id: 'implant-with-prior',
  name: 'hanging.protocol.implantWithPrior' as MessageKey,
  rules: [...STANDARD_VIEWS_PRESENT, WITH_IMPLANT, WITH_PRIOR],
  steps: [CURRENT_OVERVIEW, IMPLANT_DISPLACED_OVERVIEW, ...COMPARISON_STEPS, ...ID_COMPARISON_STEPS, CC_PAIR, MLO_PAIR, ...ID_PAIRS, ...SINGLE_VIEWS],
  additionalViewsStep: true,
} satisfies HangingProtocol;

/**
 * Whatever an incomplete or unusual exam has (a single view, images with no mammography view, a CT): the
 * screening places it can fill, the others marked missing, each view it has alone and large, then
 * every other image. No rule: it can always hang, and scores below every protocol that applies.
 */
export const FALLBACK_PROTOCOL = {
  id: 'fallback',
  name: 'hanging.protocol.fallback' as MessageKey,
  rules: [],
  steps: [overview('overview', 'hanging.step.overview', {}, true), ...SINGLE_VIEWS],
  additionalViewsStep: true,
} satisfies HangingProtocol;

/** In order of preference when two score the same. */
export const DEFAULT_PROTOCOLS: readonly HangingProtocol[] = [
  IMPLANT_WITH_PRIOR_PROTOCOL,
  IMPLANT_PROTOCOL,
  SCREENING_WITH_PRIOR_PROTOCOL,
  SCREENING_PROTOCOL,
  FALLBACK_PROTOCOL,
];
