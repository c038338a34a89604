// The hanging engine: which earlier exams are compared with the current one, which protocol applies,
// and which image goes into which viewport of each step. Pure and deterministic: the same exams and
// protocols always give the same plan.

import type { ExamDetail, ExamSummary } from '../domain.ts';
import type { MessageKey } from '../i18n/messages.ts';
import { MAMMO_VIEW_MODIFIERS, SCREENING_VIEW_ORDER } from '../mammo-views.ts';
import { hangableImages } from './images.ts';
import { DEFAULT_PROTOCOLS } from './protocols.ts';
import type { ExamSlot, HangableImage, HangingPlan, HangingProtocol, HungStep, HungViewport, ImageSelector, MatchRule, StepSpec } from './types.ts';

/**
 * The default prior is the most recent exam at least this many days older than the current one.
 * Screening rounds are a year (US) or two years (France, most of Europe) apart; what lies closer is a
 * diagnostic work-up after a recall or the six-month follow-up of a probably benign finding (BI-RADS
 * 3), which shows the same picture as today rather than the change over a round. 270 days (about
 * nine months) keeps a six-month follow-up that ran late out, and takes an annual screen done up to
 * three months early.
 */
export const DEFAULT_PRIOR_MIN_DAYS = 270;

const DAY_MS = 86_400_000;

/** A DICOM date (YYYYMMDD, or YYYY-MM-DD) as a day number, or null when absent or malformed. */
function dayNumber(date: string | null): number | null {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(date?.trim() ?? '');
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS : null;
}

function newestFirst(a: ExamSummary, b: ExamSummary): number {
  return (b.studyDate ?? '').localeCompare(a.studyDate ?? '')
    || (b.studyTime ?? '').localeCompare(a.studyTime ?? '')
    || b.examId - a.examId;
}

/**
 * The exams to compare with, as examIds in slot order: slot 0 is the default prior (the most recent
 * mammogram at least DEFAULT_PRIOR_MIN_DAYS older; when none is that old, simply the most recent),
 * then the others newest first. Only earlier mammograms (modality MG) with images are priors: an
 * ultrasound, an MRI or an exam holding only reports has nothing to hang beside a mammogram.
 */
export function choosePriors(current: ExamSummary, others: readonly (ExamSummary & { isPrior: boolean })[]): number[] {
  const comparable = others
    .filter((exam) => exam.isPrior && exam.modalities.includes('MG') && exam.imageCount > 0)
    .sort(newestFirst);
  const currentDay = dayNumber(current.studyDate);
  const oldEnough = comparable.find((exam) => {
    const day = dayNumber(exam.studyDate);
    return currentDay !== null && day !== null && currentDay - day >= DEFAULT_PRIOR_MIN_DAYS;
  });
  const slotOrder = oldEnough ? [oldEnough, ...comparable.filter((exam) => exam !== oldEnough)] : comparable;
  return slotOrder.map((exam) => exam.examId);
}

/** What the rules look at: the current exam, its images, and how many priors are in the slots. */
interface MatchContext {
  modalities: readonly string[];
  labels: ReadonlySet<string>;
  implant: boolean;
  additionalViews: boolean;
  priorCount: number;
}

function ruleHolds(rule: MatchRule, context: MatchContext): boolean {
  switch (rule.kind) {
    case 'modality': return context.modalities.some((modality) => modality.toUpperCase() === rule.modality.toUpperCase());
    case 'hasViews': return rule.labels.filter((label) => context.labels.has(label)).length >= (rule.atLeast ?? rule.labels.length);
    case 'priorCount': return context.priorCount >= rule.atLeast;
    case 'implant': return context.implant === rule.present;
    case 'additionalViews': return context.additionalViews === rule.present;
  }
}

/** The sum of the weights of the rules that hold, or null when a required rule fails. */
function score(protocol: HangingProtocol, context: MatchContext): number | null {
  let total = 0;
  for (const rule of protocol.rules) {
    if (ruleHolds(rule, context)) total += rule.weight;
    else if (rule.required) return null;
  }
  return total;
}

type Wanted = Omit<ImageSelector, 'fallbacks'>;

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label) => b.includes(label));
}

/** 'none': a plain view only; 'any': whatever modifiers; a list: exactly those (an implant-displaced place takes no magnified implant-displaced view). */
function selects(wanted: Wanted, image: HangableImage): boolean {
  if (image.laterality !== wanted.laterality || image.view !== wanted.view) return false;
  if (wanted.modifiers === 'any') return true;
  if (wanted.modifiers === 'none') return image.modifiers.length === 0;
  return sameSet(image.modifiers, wanted.modifiers);
}

/** The ACR label a place wants (RCC, RCCID, LMCC), to name a missing view. */
function wantedLabel(wanted: Wanted): string {
  const modifiers = typeof wanted.modifiers === 'string' ? [] : [...wanted.modifiers].sort();
  const isPrefix = (label: string) => MAMMO_VIEW_MODIFIERS.find((m) => m.label === label)?.place === 'prefix';
  return `${wanted.laterality}${modifiers.filter(isPrefix).join('')}${wanted.view}${modifiers.filter((m) => !isPrefix(m)).join('')}`;
}

/**
 * Resolves every viewport of a step: its selector, then its fallbacks, each taking the first image
 * of its exam (reading order, the latest repeat first) that no earlier viewport of this step took —
 * an image appears once per step, so that two places never show one image as if it were two views.
 */
function hangStep(step: StepSpec, imagesIn: (slot: ExamSlot) => readonly HangableImage[]): HungStep {
  const taken = new Set<string>();
  const key = (image: HangableImage) => `${image.examId}/${image.instanceId}`;
  const viewports = step.viewports.map(({ selector, ...viewport }): HungViewport => {
    const { fallbacks = [], ...wanted } = selector;
    let image: HangableImage | undefined;
    for (const candidate of [wanted, ...fallbacks]) {
      image = imagesIn(candidate.slot).find((i) => !taken.has(key(i)) && selects(candidate, i));
      if (image) break;
    }
    if (image) taken.add(key(image));
    return {
      ...viewport,
      wanted: { slot: wanted.slot, laterality: wanted.laterality, label: wantedLabel(wanted) },
      image: image ? { ...image, slot: wanted.slot } : null,
    };
  });
  return { id: step.id, name: step.name, layout: step.layout, viewports };
}

const CURRENT: ExamSlot = { exam: 'current' };
const ADDITIONAL_PER_STEP = 4;

/**
 * The current images no listed step hung (spot, magnification, XCCL, rolled views, a superseded
 * repeat, images with no mammography view), right breast first, in reading order, four to a step.
 * Each fits its own viewport: a spot or magnification view shows a region at another scale, so
 * same-size would make it tiny; nothing is synchronised (the views differ).
 */
function additionalSteps(images: readonly HangableImage[]): HungStep[] {
  const side = (image: HangableImage) => (image.laterality === 'R' ? 0 : image.laterality === 'L' ? 1 : 2);
  const ordered = [...images].sort((a, b) => side(a) - side(b));
  const steps: HungStep[] = [];
  for (let start = 0; start < ordered.length; start += ADDITIONAL_PER_STEP) {
    const chunk = ordered.slice(start, start + ADDITIONAL_PER_STEP);
    steps.push({
      id: start === 0 ? 'additional' : `additional-${start / ADDITIONAL_PER_STEP + 1}`,
      name: 'hanging.step.additional' as MessageKey,
      layout: { rows: 1, columns: chunk.length },
      viewports: chunk.map((image, column): HungViewport => ({
        id: `${image.label ?? 'image'}-${image.instanceId}`,
        row: 0,
        column,
        display: { justify: 'chest-wall', size: 'fit', voi: 'preset' },
        sync: [],
        wanted: { slot: CURRENT, laterality: image.laterality, label: image.label ?? '' },
        image: { ...image, slot: CURRENT },
      })),
    });
  }
  return steps;
}

/**
 * Hangs the current exam and its priors (in slot order: choosePriors): scores every protocol
 * (a failed required rule rules it out), takes the best (or the one the reader chose, when it
 * applies), resolves every viewport, drops `skipWhenEmpty` steps that found nothing, and appends the
 * additional views. A plan always has a step: when nothing could be hung at all, the protocol's first
 * step stays, every place marked missing.
 */
export function hang(current: ExamDetail, priors: readonly ExamDetail[], protocols: readonly HangingProtocol[] = DEFAULT_PROTOCOLS, chosenProtocolId?: string): HangingPlan {
  const currentImages = hangableImages(current);
  const priorImages = priors.map(hangableImages);
  const context: MatchContext = {
    modalities: current.exam.modalities,
    labels: new Set(currentImages.flatMap((image) => (image.label ? [image.label] : []))),
    implant: currentImages.some((image) => image.instance.breastImplantPresent === true || image.modifiers.includes('ID')),
    additionalViews: currentImages.some((image) => !(SCREENING_VIEW_ORDER as readonly (string | null)[]).includes(image.label)),
    priorCount: priors.length,
  };
  const candidates = protocols
    .map((protocol, order) => ({ protocol, order, score: score(protocol, context) }))
    .filter((candidate): candidate is { protocol: HangingProtocol; order: number; score: number } => candidate.score !== null)
    .sort((a, b) => b.score - a.score || a.order - b.order);
  const chosen = candidates.find((candidate) => candidate.protocol.id === chosenProtocolId) ?? candidates[0];
  if (!chosen) throw new Error('no hanging protocol applies to this exam: the protocols need one without rules (a fallback)');

  const { protocol } = chosen;
  const imagesIn = (slot: ExamSlot) => (slot.exam === 'current' ? currentImages : priorImages[slot.index] ?? []);
  const hung = protocol.steps.map((step) => ({ step, result: hangStep(step, imagesIn) }));
  const steps = hung
    .filter(({ step, result }) => !step.skipWhenEmpty || result.viewports.some((viewport) => viewport.image !== null))
    .map(({ result }) => result);
  if (protocol.additionalViewsStep) {
    const shown = new Set(steps.flatMap((step) => step.viewports.flatMap((viewport) => (viewport.image?.slot.exam === 'current' ? [viewport.image.instanceId] : []))));
    steps.push(...additionalSteps(currentImages.filter((image) => !shown.has(image.instanceId))));
  }
  if (steps.length === 0 && hung[0]) steps.push(hung[0].result);

  return {
    protocolId: protocol.id,
    protocolName: protocol.name,
    steps,
    candidates: candidates.map((candidate) => ({ protocolId: candidate.protocol.id, name: candidate.protocol.name, score: candidate.score })),
    priorExamIds: priors.map((prior) => prior.exam.examId),
  };
}

/**
 * The step to show marks on: `from` where it shows one of `instanceIds`, else the first step that does
 * (null: none does). Asked to look at the AI's marks before closing an exam she read as normal, a
 * radiologist probe was on a step without them (the one mark was on an extra view, eleventh step).
 */
export function stepShowing(plan: Pick<HangingPlan, 'steps'>, instanceIds: Iterable<number>, from: number): number | null {
  const wanted = new Set(instanceIds);
  const shows = (step: HungStep | undefined) => !!step?.viewports.some((viewport) => viewport.image !== null && wanted.has(viewport.image.instanceId));
  if (shows(plan.steps[from])) return from;
  const index = plan.steps.findIndex(shows);
  return index < 0 ? null : index;
}

/**
 * Where the images `instanceIds` are first shown, step by step in the plan's order: each step's view
 * labels in its viewports' order; `step` null for those no step shows. Said when she is asked to look
 * at the AI's marks: "(LMLO, LXCCL, LCC)" in score order named a view eleven steps on without saying
 * where (a radiologist's re-probe).
 */
export function stepsShowing(plan: Pick<HangingPlan, 'steps'>, instanceIds: Iterable<number>, onScreen?: number): { step: number | null; labels: string[]; instanceIds: number[] }[] {
  const left = new Set(instanceIds);
  const found: { step: number | null; labels: string[]; instanceIds: number[] }[] = [];
  // the step on screen first: an image it shows is named there, not at an earlier step that shows it too
  const order = plan.steps.map((_, index) => index);
  if (onScreen !== undefined && plan.steps[onScreen]) order.unshift(...order.splice(onScreen, 1));
  for (const index of order) {
    const here = plan.steps[index]!.viewports.flatMap((viewport) => (viewport.image !== null && left.has(viewport.image.instanceId) ? [viewport.image] : []));
    for (const image of here) left.delete(image.instanceId);
    if (here.length) found.push({ step: index, labels: here.map((image) => image.label ?? '?'), instanceIds: here.map((image) => image.instanceId) });
  }
  found.sort((a, b) => a.step! - b.step!);
  if (left.size) found.push({ step: null, labels: [], instanceIds: [...left] });
  return found;
}
