// @jsxRuntime automatic
// (the line above: the tests render this component under Node with tsx, which reads no tsconfig "jsx" for it)
// The AI second reader's strip in the viewer: whose marks they are (the model, and that it is not for
// diagnostic use where so), the analysis state (queued, analysing, done with the exam score, failed
// and why, cancelled) kept live by the aiChanged event, the marks shown or hidden (one key) and each
// class on or off, and in second look the reader's first impression, which unlocks the marks. A
// queued or running analysis can be cancelled, a cancelled or failed one queued again.

import { createContext, useContext } from 'react';
import type { AiFinding, AiResults, CadMark, FirstImpressionValue, Locale } from '../../common/domain.ts';
import { FIRST_IMPRESSIONS } from '../../common/domain.ts';
import type { MessageKey, MessageParams, ScoreRange } from '../../common/i18n/messages.ts';
import { formatThreshold, operatingPointName, translate, translateCount } from '../../common/i18n/messages.ts';
import type { AiMarksMode } from '../../common/viewer-settings.ts';
import { AI_MARKS_MODES } from '../../common/viewer-settings.ts';
import { useI18n } from '../i18n.tsx';
import { aiClassName, aiStateText, cadMarksLabel, marksLabel, needsRestart, notForModel } from './ai-state.ts';
import { shapeOf, shapePath } from './mark-geometry.ts';

export interface AiPanelProps {
  results: AiResults | null;
  /** The exam is marked read: what the pair disagrees on is said without asking her to look before marking it read. */
  examRead?: boolean;
  mode: AiMarksMode;
  /** Second look without a first impression yet: no mark may show. */
  locked: boolean;
  /**
   * Locked for another exam: this one is read, and the woman's exam of this date (as written) is still
   * to read, without the reader's first impression: no impression is asked of this one, hers of that exam unlocks it.
   */
  heldForLater?: string | null;
  marksOn: boolean;
  /** The classes a reader can switch (the model's usual four, and any other its findings carry). */
  classes: readonly string[];
  hiddenClasses: ReadonlySet<string>;
  /** The key(s) that show and hide the marks, as the reader's keymap has them. */
  toggleKeys: string;
  busy: boolean;
  onToggleMarks(): void;
  onToggleClass(findingClass: string): void;
  /** Whether CAD reports' "Presentation Optional" marks show. */
  optionalCadMarks: boolean;
  onToggleOptionalCadMarks(): void;
  /**
   * Marks the viewer would draw on the step's exams (the current one and its priors) that the reader
   * does not see now: all of them with the marks off (`byKey`), or those of classes switched off.
   */
  /** The marks on the step's images hidden by the key, by a class switched off, and how many classes hide them ("their classes" said for one class, a probe). */
  hiddenMarks: { byKey: number; byClass: number; classesOff: number };
  onFirstImpression(impression: FirstImpressionValue): void;
  onCancel(): void;
  onRequeue(): void;
  /** Whether the exam or a prior on screen has an analysis done or a CAD report: the marks switches show only then. */
  marksPossible: boolean;
  /** The view label of one of the exam's images: each breast's score names the view it comes from. */
  viewOf(instanceId: number): string | null;
  /** The view labels of the exam's images: a breast's score resting on one view is said so. */
  viewLabels?: readonly string[];
  /** Whether the exam images a breast with an implant (the model's caveat for such exams is said). */
  implant?: boolean;
  /**
   * The dotted marks (under the exam flag) drawn on the step's images, the current exam's or a prior's,
   * with the threshold they are under; null (or absent) where none is.
   */
  weakOnStep?: { threshold: number; scale?: ScoreRange } | null;
  /**
   * Whether any step of the exam shows dotted marks (its own or a prior's): the legend's room is then kept
   * in the strip's sizing copies, so that the images do not move between its steps; an exam without any
   * gives that line to its images (17 px at 1280 × 800).
   */
  weakInExam?: { threshold: number; scale?: ScoreRange } | null;
}

function ClassGlyph({ findingClass }: { findingClass: string }) {
  return <svg className="ai-glyph" viewBox="0 0 20 20" aria-hidden="true"><path d={shapePath(shapeOf(findingClass), 10, 10, 8)} /></svg>;
}

/** Her impression of the exam, one button per answer: in second look it unlocks the marks; in concurrent mode it is asked beside them. */
function ImpressionButtons({ busy, onFirstImpression }: { busy: boolean; onFirstImpression(impression: FirstImpressionValue): void }) {
  const { t } = useI18n();
  const tid = useContext(TestIds);
  return FIRST_IMPRESSIONS.map((impression) => (
    <button key={impression} type="button" disabled={busy} onClick={() => onFirstImpression(impression)} data-testid={tid(`first-impression-${impression}`)}>
      {t(`ai.impression.${impression}`)}
    </button>
  ));
}

/** Test ids: none on a sizing copy of the strip, so that a test finds the strip's one element. */
const TestIds = createContext((id: string): string | undefined => id);
const NO_TEST_IDS = (): undefined => undefined;

/**
 * The strip, and under it, hidden, the forms an analysis of this exam by this model can take while it
 * is open, in either mode, before and after the reader's first impression (normal, recall): all in one
 * grid cell, so that it is as tall as the tallest from the start. What happens while she reads (her
 * impression, the analysis finishing, the mode switched) changes what it says, not its height: before,
 * every image moved 25 px down the moment the marks appeared, 19 px up once a recall was recorded, 38
 * px down when the opened exam's analysis finished (probes). The forms after her impression are
 * sized on a stand-in analysis, not this exam's: sized on its own, the locked strip of second look
 * was taller for an exam the AI flags (its score's words longer) and told her so (a probe).
 */
export function AiPanel(props: AiPanelProps) {
  const { results, locked } = props;
  if (!results || (!results.state && !results.model && !results.cadReports.length)) return null;
  const { mode } = props;
  const shown: StripForm = { ...props, results };
  const sizers = sizingForms(shown);
  return (
    <div className="ai-bar" data-testid="ai-panel" data-mode={mode} data-locked={locked ? 'true' : 'false'}>
      <div className="ai-bar-row"><StripContent {...shown} /></div>
      {sizers.map((form, n) => (
        <div key={n} className="ai-bar-row ai-bar-sizer" aria-hidden="true" inert>
          <TestIds.Provider value={NO_TEST_IDS}><StripContent {...form} /></TestIds.Provider>
        </div>
      ))}
    </div>
  );
}

/**
 * The forms the strip is sized by (besides the one shown): this exam's own locked form (second look
 * before her impression, which says nothing of its findings), and every form of the stand-in analysis.
 */
export function sizingForms(shown: StripForm): StripForm[] {
  const stand = blindForm(shown);
  // the marks shown, some of their classes switched off, and all hidden by the key: each says so on its
  // own (a French strip at 2560 px grew a line when the key hid the marks, a probe)
  const marksStates: Partial<StripForm>[] = [
    { marksOn: true, hiddenMarks: { byKey: 0, byClass: STAND_IN_FINDINGS, classesOff: 2 } },
    { marksOn: false, hiddenMarks: { byKey: STAND_IN_FINDINGS, byClass: 0, classesOff: 0 } },
  ];
  return [
    { ...shown, mode: 'second-look', locked: true, results: { ...shown.results, firstImpression: null }, weakOnStep: shown.weakInExam ?? null },
    ...marksStates.flatMap((marks) => AI_MARKS_MODES.flatMap((formMode) => [
      { ...stand, ...marks, mode: formMode, locked: formMode === 'second-look', results: { ...stand.results, firstImpression: null } },
      ...FIRST_IMPRESSIONS.map((impression): StripForm => ({ ...stand, ...marks, mode: formMode, locked: false, results: { ...stand.results, firstImpression: { impression, recordedAt: '', mode: formMode } } })),
    ])),
  ];
}

/** How many findings the stand-in has (a two-digit count). */
const STAND_IN_FINDINGS = 10;

/**
 * A stand-in for what the model may find, whatever it found: the analysis done (a failed or cancelled
 * one too, which may be queued again: a failed exam's strip was shorter than a finished one's, its
 * images higher, a probe), the exam flagged, each breast scored with the most decimals
 * from a view with the longest label, ten findings (a two-digit count), an implant (the model's caveat
 * for such exams said, where it has one), the marks switchable, each other
 * CAD's report with ten marks (sizingForms adds the marks hidden by the key, or by a class). What it says of
 * this exam besides (the model, the images it could not read, which other CADs reported) is this exam's.
 */
function blindForm(form: StripForm): StripForm {
  const state = form.results.state;
  const model = form.results.model;
  // at the exam operating point, a score is written with its threshold's decimals (formatScoreAgainst), and flags the exam
  const longestScore = model?.examOperatingPoint ? model.examOperatingPoint.threshold : (model?.scoreScale.max ?? 1) * 0.9999;
  const count = STAND_IN_FINDINGS;
  const findings = Array.from({ length: count }, (_, i): AiFinding => ({ instanceId: -1 - (i % 2), class: 'mass', score: longestScore, x: 0, y: 0, box: [0, 0, 0, 0] }));
  const done: NonNullable<AiResults['state']> = {
    status: 'done', provider: null, failure: null, finishedAt: null, paused: false,
    examScore: longestScore, breastScores: { R: longestScore, L: longestScore },
    notRead: state?.status === 'done' ? state.notRead : [], unreadImages: state?.status === 'done' ? state.unreadImages : [],
  };
  // another CAD's reports (Mammography CAD SRs) as many as there are, each with ten marks, some optional (their count is said, and the optional ones' switch)
  const cadMark = (intent: CadMark['intent']): CadMark => ({ instanceId: -1, class: 'mass', label: '', intent, certainty: null, x: 0, y: 0, box: [0, 0, 0, 0] });
  const cadReports = form.results.cadReports.map((r) => (r.problem ? r : { ...r, marks: [...Array.from({ length: count }, () => cadMark('required')), cadMark('optional')] }));
  return {
    ...form,
    results: { ...form.results, state: model ? done : state, findings: model ? findings : form.results.findings, cadReports },
    marksPossible: true,
    // an exam with an implant, where the model has a caveat for them: its strip said the caveat and
    // was a line taller, so that the images moved 15 px between one woman and the next (a probe)
    implant: true,
    hiddenClasses: new Set(), // (which are switched off changes a box's tick, not the strip's size)
    // the dotted marks' legend, wherever the model draws marks under its exam flag (its marks' point below its
    // exam point), whatever this exam's marks: read from the marks drawn, the room came only once they were (her
    // first impression, the marks key, a class switched on), and the images moved 17 px each time (a probe at
    // 1280 × 800); read from this exam's findings, the locked strip would say that the AI found faint marks
    weakOnStep: form.weakInExam ?? weakPossible(model),
    viewOf: (instanceId) => (instanceId === -1 ? 'RXCCL' : instanceId === -2 ? 'LXCCL' : form.viewOf(instanceId)),
  };
}

export type StripForm = AiPanelProps & { results: AiResults };

/** The threshold the model's dotted marks are under (its exam point, above its marks' point), or null where it draws none. */
function weakPossible(model: AiResults['model']): { threshold: number; scale: ScoreRange } | null {
  const examPoint = model?.examOperatingPoint?.threshold;
  return model && examPoint !== undefined && examPoint > model.operatingPoint.threshold ? { threshold: examPoint, scale: model.scoreScale } : null;
}

/**
 * What the strip says of a normal first impression the AI disagrees with: its marks, and of them those
 * at or above the exam's flag where some are under it (a re-probe's "9 marks" were 8 faint ones under
 * the flag and one on the nipple); without a mark at her point, that it flags the exam.
 */
function disagreement(t: (key: MessageKey, params?: MessageParams) => string, locale: Locale, results: AiResults, examRead: boolean): string {
  const count = results.findings.length;
  if (count === 0) return t(examRead ? 'ai.disagreesFlaggedRead' : 'ai.disagreesFlagged');
  const flagged = findingsAtFlag(results).length;
  if (flagged > 0 && flagged < count) return translate(locale, examRead ? 'ai.disagreesNormalSomeRead' : 'ai.disagreesNormalSome', { count, flagged });
  return translateCount(locale, examRead ? 'ai.disagreesNormalRead' : 'ai.disagreesNormal', count);
}

/** The findings at or above the model's exam operating point (none where it has none): those that flag the exam. */
export function findingsAtFlag(results: AiResults): AiResults['findings'] {
  const examPoint = results.model?.examOperatingPoint?.threshold;
  return examPoint === undefined ? [] : results.findings.filter((f) => f.score >= examPoint);
}

/**
 * Whether the AI's own call on the exam is "recall": its exam score at or above its exam operating
 * point where the model has one (the worklist flags it there), else any mark (marks are its call).
 * A normal first impression disagrees with that only: four marks of 0.16–0.18 on an exam scored
 * 0.18, under the flag at 0.228, were said to disagree with a normal read (a probe).
 */
export function aiCallsRecall(results: AiResults): boolean {
  const examPoint = results.model?.examOperatingPoint;
  if (!examPoint) return results.findings.length > 0;
  return results.state?.examScore !== null && results.state?.examScore !== undefined && results.state.examScore >= examPoint.threshold;
}

function StripContent(props: StripForm) {
  const { results, locked, marksOn, classes, hiddenClasses, busy } = props;
  const { t, locale } = useI18n();
  const tid = useContext(TestIds);
  const optionalMarks = results.cadReports.reduce((n, r) => n + r.marks.filter((m) => m.intent === 'optional').length, 0);
  const status = results.state?.status ?? null;
  const label = results.model ? marksLabel(t, results.model) : null;
  const { byKey: hiddenByKey, byClass: hiddenByClass } = props.hiddenMarks;
  const className = (c: string) => aiClassName(t, c);
  // marks drawn dotted (AiMarksLayer) on the step's images, the exam's or a prior's (the viewer says which:
  // computed from the exam's own findings, the legend was missing where only the prior had them, a re-probe),
  // of a class shown (not said with every mark hidden, a re-probe)
  const weak = props.weakOnStep ?? null;
  const weakMarks = marksOn && weak !== null;
  const examThreshold = weak ? formatThreshold(locale, weak.threshold, weak.scale) : '';
  return (
    <>
      <strong>{t('ai.title')}</strong>
      {label && <span className="muted" data-testid={tid('ai-model')}>{label.model}</span>}
      {label?.warning && <span className="ai-warning" data-testid={tid('ai-synthetic')}>{label.warning}</span>}
      <span className={`ai-state ai-state-${status ?? 'none'}`} data-testid={tid('ai-state')} data-status={status ?? 'none'}>{aiStateText(t, results, { showScore: !locked, locale, viewOf: props.viewOf, viewLabels: props.viewLabels, implant: props.implant })}</span>
      {(status === 'queued' || status === 'running') && <button type="button" disabled={busy} onClick={props.onCancel} data-testid={tid('ai-cancel')}>{t('ai.cancel')}</button>}
      {/* not where it would fail the same way (pixels too coarse for the model) */}
      {(status === 'cancelled' || (status === 'failed' && !notForModel(results.state!.failure?.code) && !needsRestart(results.state!.failure?.code)) || (status === 'done' && results.state!.unreadImages.length > 0)) && results.model && <button type="button" disabled={busy} onClick={props.onRequeue} data-testid={tid('ai-requeue')}>{t('ai.requeue')}</button>}
      <span className="spacer" />
      {locked ? (
        <span className="ai-lock" data-testid={tid('ai-locked')}>
          {props.heldForLater ? <span data-testid={tid('ai-locked-later')}>{t('ai.lockedForLater', { date: props.heldForLater })}</span> : <>
          {/* nothing to unlock where the analysis failed or was cancelled and no CAD marks: her impression is still asked */}
          {(props.marksPossible || (status !== 'failed' && status !== 'cancelled')) && <span data-testid={tid('ai-locked-text')}>{t('ai.locked')}</span>}
          {results?.shownBeforeFirstImpression && <span className="ai-warning" data-testid={tid('ai-shown-before')}>{t('ai.shownBefore')}</span>}
          <span className="muted">{t('ai.firstImpression')}</span>
          <ImpressionButtons busy={busy} onFirstImpression={props.onFirstImpression} />
          </>}
        </span>
      ) : (
        <>
          {/* concurrent: her impression asked too, beside the marks (recorded as made with the AI shown): without
              it, an exam read normal despite its marks was marked read with nothing said (a probe) */}
          {/* (not on a read exam: an impression after the read, a stray click with the marks on screen, a probe) */}
          {!results.firstImpression && props.mode === 'concurrent' && !props.examRead && (
            <span className="ai-lock" data-testid={tid('ai-impression-aided')}>
              <span className="muted">{t('ai.impressionAided')}</span>
              <ImpressionButtons busy={busy} onFirstImpression={props.onFirstImpression} />
            </span>
          )}
          {results.firstImpression && <span className="muted" data-testid={tid('first-impression')}>{t(results.firstImpression.mode === 'concurrent' ? 'ai.firstImpressionRecordedAided' : 'ai.firstImpressionRecorded', { impression: t(`ai.impressionSaid.${results.firstImpression.impression}`) })}</span>}
          {/* the pair disagrees: she read it normal, the AI marks something (an exam scored 0.97 read normal
              and marked read with nothing said, a probe); said, not asked: the marks are on screen */}
          {/* flagged with no mark at her operating point (a stricter one than the exam point's): said too, without a count (a re-probe) */}
          {results.firstImpression?.impression === 'normal' && status === 'done' && aiCallsRecall(results) &&
            <span className="ai-warning" data-testid={tid('ai-disagrees')}>{disagreement(t, locale, results, props.examRead === true)}</span>}
          {/* the marks key and the class switches wrap onto the next line together, not one switch alone;
              none where there can be no mark (analyses failed, queued or cancelled, and no CAD report) */}
          {props.marksPossible && <span className="ai-switches">
            <button type="button" aria-pressed={marksOn} className={marksOn ? 'active' : ''} onClick={props.onToggleMarks} data-testid={tid('ai-marks-toggle')}
              title={results.model
                ? t('ai.marksToggleAt', { key: props.toggleKeys, name: operatingPointName(locale, results.model.operatingPoint.name), threshold: formatThreshold(locale, results.model.operatingPoint.threshold, results.model.scoreScale) })
                  // what the thinner marks are (AiMarksLayer: under the exam's flag)
                  + (results.model.examOperatingPoint && results.model.examOperatingPoint.threshold > results.model.operatingPoint.threshold
                    ? ` ${t('ai.marksWeak', { threshold: formatThreshold(locale, results.model.examOperatingPoint.threshold, results.model.scoreScale) })}` : '')
                : t('ai.marksToggle', { key: props.toggleKeys })}>{t('ai.marks')} ({props.toggleKeys})</button>
            {classes.map((c) => (
              <label key={c} className="ai-class" data-testid={tid(`ai-class-${c}`)}>
                <input type="checkbox" checked={!hiddenClasses.has(c)} disabled={!marksOn} onChange={(e) => {
                  props.onToggleClass(c);
                  e.currentTarget.blur(); // the reader's keys (next step, the marks key) must keep working after a click here
                }} />
                <ClassGlyph findingClass={c} />{className(c)}
              </label>
            ))}
            {/* what the dotted marks are, where the reader sees them: said only in the key's tooltip, a reader used to
                another CAD did not know (a French radiologist's probe) */}
            {weakMarks && (
              <span className="muted ai-weak-legend" data-testid={tid('ai-weak-legend')} title={t('ai.marksWeak', { threshold: examThreshold })}>
                <svg width="18" height="8" aria-hidden="true"><line x1="1" y1="4" x2="17" y2="4" stroke="currentColor" strokeWidth="1.5" strokeDasharray="1.5 3.5" /></svg>
                {t('ai.weakLegend', { threshold: examThreshold })}
              </span>
            )}
          </span>}
          {status === 'done' && results.findings.length === 0 && <span className="muted">{t('ai.noMarks')}</span>}
          {/* marks drawn at a point she chose, said where she reads them: twice as many marks at "high
              sensitivity" with nothing on screen to say why (only the key's tooltip named it: a probe) */}
          {props.marksPossible && results.model && results.model.operatingPoint.name !== results.model.defaultOperatingPoint && (
            <span className="ai-warning" data-testid={tid('ai-point')}>{t('ai.pointInUse', { name: operatingPointName(locale, results.model.operatingPoint.name), threshold: formatThreshold(locale, results.model.operatingPoint.threshold, results.model.scoreScale) })}</span>
          )}
          {/* marks hidden (the key, a class switched off) look like marks not found: how many, said beside the switch */}
          {hiddenByKey > 0 && <span className="ai-warning" data-testid={tid('ai-marks-hidden')}>{translateCount(locale, 'ai.marksHidden', hiddenByKey, { key: props.toggleKeys })}</span>}
          {hiddenByClass > 0 && <span className="ai-warning" data-testid={tid('ai-marks-hidden')}>{translateCount(locale, props.hiddenMarks.classesOff > 1 ? 'ai.marksHiddenByClasses' : 'ai.marksHiddenByClass', hiddenByClass)}</span>}
          {results.cadReports.map((r) => (
            <span key={r.id} className="ai-cad-report" data-testid={tid('cad-report')} data-problem={r.problem ?? ''}>
              {r.problem
                ? t('ai.cadReportUnreadable', { reason: t(r.problem === 'not_cad_sr' ? 'ai.cadProblem.not_cad_sr' : 'ai.cadProblem.unreadable') })
                : <>{cadMarksLabel(t, r).model} · {translateCount(locale, 'ai.cadMarks', r.marks.filter((m) => m.intent === 'required' || props.optionalCadMarks).length)}</>}
            </span>
          ))}
          {optionalMarks > 0 && (
            <label className="ai-class" data-testid={tid('cad-optional-toggle')}>
              <input type="checkbox" checked={props.optionalCadMarks} disabled={!marksOn} onChange={(e) => {
                props.onToggleOptionalCadMarks();
                e.currentTarget.blur();
              }} />
              {t('ai.cadOptional', { count: optionalMarks })}
            </label>
          )}
        </>
      )}
    </>
  );
}
