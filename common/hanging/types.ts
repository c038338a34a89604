// Hanging protocols as typed data (OHIF's idea, typed): a protocol says when it applies (matching
// rules with weights) and what a reader steps through (steps: a layout and, per viewport, which
// image goes there and how it is shown). The engine (engine.ts) picks the best-scoring protocol
// for an exam and its priors and resolves every viewport to an image, or to "missing". Pure data
// and pure functions: no DOM, no Cornerstone; the renderer only carries the result out.

import type { InstanceDetail, Laterality } from '../domain.ts';
import type { MessageKey } from '../i18n/messages.ts';

/** Which exam a viewport takes its image from: the current one, or the Nth prior chosen for comparison (0 = the default prior). */
export type ExamSlot = { exam: 'current' } | { exam: 'prior'; index: number };

/**
 * Which image a viewport wants. `view` is the ACR view without laterality or modifiers (CC, MLO,
 * XCCL, ML, …). `modifiers`: 'none' (a plain view only), 'any', or the labels required (e.g. ['ID']).
 * `fallbacks` are tried in order when nothing matches (e.g. ML for a missing MLO).
 */
export interface ImageSelector {
  slot: ExamSlot;
  laterality: Extract<Laterality, 'R' | 'L'>;
  view: string;
  modifiers: 'none' | 'any' | readonly string[];
  fallbacks?: readonly Omit<ImageSelector, 'fallbacks'>[];
}

/**
 * How a viewport shows its image. Orientation: the breast faces the way the reader expects for its
 * laterality and view (IHE MAMMO: right breast on the viewer's left with its chest wall to the
 * right edge of its viewport, left breast mirrored; MLO with the feet down, CC with lateral up),
 * whatever way it was stored. `justify`: the chest-wall edge of the image meets the chest-wall
 * edge of its viewport ('chest-wall'), or the image is centred ('center'). `size`: 'same-size' (one
 * millimetre of breast is as large in every viewport of the step), 'fit' (each image fills its
 * viewport), 'true-size' (one millimetre is one millimetre on the screen).
 */
export interface DisplayOptions {
  justify: 'chest-wall' | 'center';
  size: 'same-size' | 'fit' | 'true-size';
  /** Window from the image's first preset (with its VOI LUT function), or the full range of its pixel values. */
  voi: 'preset' | 'full-range';
}

export interface ViewportSpec {
  /** Stable within a step (e.g. 'prior-RCC'): tools and tests address viewports by it. */
  id: string;
  row: number;
  column: number;
  rowSpan?: number;
  columnSpan?: number;
  selector: ImageSelector;
  display: DisplayOptions;
  /** Viewports sharing a group move together: zoom and pan ('zoomPan'), window/level ('voi'). */
  sync: readonly ('zoomPan' | 'voi')[];
}

export interface StepSpec {
  id: string;
  /** The step's name in the reader's language. */
  name: MessageKey;
  layout: { rows: number; columns: number };
  viewports: readonly ViewportSpec[];
  /** The step is skipped when none of its viewports finds an image (e.g. comparison steps without a prior). */
  skipWhenEmpty?: boolean;
}

/** A condition on the exam and its priors that adds `weight` to the protocol's score when it holds; a `required` one that fails rules the protocol out. */
export type MatchRule =
  | { kind: 'modality'; modality: string; weight: number; required?: boolean }
  /** The current exam has these ACR labels: all of them, or at least `atLeast` of them. */
  | { kind: 'hasViews'; labels: readonly string[]; atLeast?: number; weight: number; required?: boolean }
  | { kind: 'priorCount'; atLeast: number; weight: number; required?: boolean }
  | { kind: 'implant'; present: boolean; weight: number; required?: boolean }
  | { kind: 'additionalViews'; present: boolean; weight: number; required?: boolean };

export interface HangingProtocol {
  id: string;
  name: MessageKey;
  rules: readonly MatchRule[];
  steps: readonly StepSpec[];
  /**
   * Steps made from the exam's own additional views (spot, magnification, XCCL, implant-displaced,
   * rolled…) appended after the listed steps, when it has any: one viewport per view, right breast
   * on the left. "Additional" is every current image that no listed step hung: extra views, a
   * superseded repeat, an image with no mammography view (up to four per step).
   */
  additionalViewsStep?: boolean;
}

/** An image as the engine sees it: what selects it and what orients and sizes it. */
export interface HangableImage {
  instanceId: number;
  examId: number;
  laterality: 'R' | 'L' | null;
  /** ACR view without laterality or modifiers (CC, MLO, …), or null when unknown. */
  view: string | null;
  /** Modifier labels (M, S, ID, RL, …). */
  modifiers: readonly string[];
  /** The full ACR label (RCC, LMCC, RMLOID…), as shown on screen. */
  label: string | null;
  /** The stored attributes: Patient Orientation, spacing, size, windows, PARTIAL and IMPLANT flags. */
  instance: InstanceDetail;
}

export type ResolvedImage = HangableImage & { slot: ExamSlot };

export interface HungViewport extends Omit<ViewportSpec, 'selector'> {
  /** What this place wants, to say what is missing ("RCC — prior: missing"). */
  wanted: { slot: ExamSlot; laterality: 'R' | 'L' | null; label: string };
  /** The image hung here, or null: the view is missing. */
  image: ResolvedImage | null;
}

export interface HungStep extends Omit<StepSpec, 'viewports' | 'skipWhenEmpty'> {
  viewports: HungViewport[];
}

export interface HangingPlan {
  protocolId: string;
  protocolName: MessageKey;
  steps: HungStep[];
  /** Every protocol that could hang this exam, best first, for the reader to pick another. */
  candidates: { protocolId: string; name: MessageKey; score: number }[];
  /** The exams in the prior slots, in slot order (examIds). */
  priorExamIds: number[];
}
