// One hanging step on screen: its layout as a grid of places, each with its image (or "missing"),
// and the text a reader expects over it — the view label and laterality on the side away from the
// chest wall, PRIOR with the exam's date and age, PARTIAL and IMPLANT, what was found at import, and
// why an image cannot be shown when it cannot — and the AI's marks over the images, when shown.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Enums } from '@cornerstonejs/core';
import type { ExamSummary, InstanceDetail } from '../../common/domain.ts';
import type { HungStep, HungViewport } from '../../common/hanging/types.ts';
import { arrangeGrid } from '../../common/hanging/arrange.ts';
import { formatDicomDate } from '../../common/i18n/messages.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { StepRenderer } from './step-renderer.ts';
import { priorAgeText } from './prior-age.ts';
import type { StepOptions, ViewportReport } from './step-renderer.ts';
import type { FailureExplained } from './load-failure.ts';
import { AiMarksLayer } from '../ai/AiMarksLayer.tsx';
import type { MarksLabel } from '../ai/AiMarksLayer.tsx';
import type { MarkFinding, Point } from '../ai/mark-geometry.ts';
import type { ScoreRange } from '../../common/i18n/messages.ts';
import { drawnBox, footLabelRoom } from '../ai/label-room.ts';
import { modifierFromCode } from '../../common/mammo-views.ts';

/** One source's marks on an image: the station's model, or one CAD report, with the label that says whose they are. */
export interface MarkGroup {
  findings: readonly MarkFinding[]; label: MarksLabel; source: 'model' | 'cad';
  /** The model's operating point, where its marks start: a score beside it is written so that it never reads as on its other side. */
  threshold?: number;
  /** Its model's score scale: a score is written with the decimals its scale uses. */
  scale?: ScoreRange;
}

/** The marks to draw, by image (already those the reader lets show: unlocked, of the classes shown, and the intents shown). */
export type StepMarks = ReadonlyMap<number, readonly MarkGroup[]>;

/** Oblique and lateral views, whose breast reaches down to the cell's foot (ACR view codes). */
const SIDE_VIEWS: ReadonlySet<string> = new Set(['MLO', 'ML', 'LM', 'LMO', 'SIO']);

/** A magnification view (its M modifier), with its estimated radiographic magnification factor where the image gives one above 1; else null. */
function magnificationOf(image: InstanceDetail): { factor: number | null } | null {
  if (!image.viewModifierCodes.some((code) => modifierFromCode(code)?.label === 'M')) return null;
  const factor = image.estimatedRadiographicMagnificationFactor;
  return { factor: factor !== null && factor > 1 ? factor : null };
}

/** One place's marks, tied to the step's renderer. */
function PlaceMarks({ renderer, place, groups, elements, spacingMm, breastBox, labelsAtFoot }: {
  renderer: StepRenderer; place: string; groups: readonly MarkGroup[]; elements: Map<string, HTMLDivElement>;
  /** The image's pixel spacing (mm, row and column), where known. */
  spacingMm: readonly [number, number] | null;
  /** The breast's box in the stored image's pixels, where known (InstanceDetail.breastBox). */
  breastBox: readonly [number, number, number, number] | null;
  /** The side the labels stand on at the image's foot; null: at its top (an oblique or lateral view's, styles.css). */
  labelsAtFoot: 'left' | 'right' | null;
}) {
  const toCanvas = useCallback((point: Point) => renderer.canvasPointOf(place, point), [renderer, place]);
  const element = useCallback(() => elements.get(place), [elements, place]);
  const magnifier = useCallback(() => renderer.magnifierOf(place), [renderer, place]);
  // the labels of every source over this image, in one column from the bottom up (the first source lowest)
  const [labelSlot, setLabelSlot] = useState<HTMLDivElement | null>(null);
  // kept off the breast as drawn (label-room.ts), again at each render (a zoom, a pan, the cell's size)
  useEffect(() => {
    const target = element();
    if (!labelSlot || !target || !breastBox || !labelsAtFoot) return;
    const fit = () => {
      const breast = drawnBox(breastBox, toCanvas);
      const room = breast ? footLabelRoom({ width: target.clientWidth, height: target.clientHeight }, breast, labelsAtFoot) : null;
      const width = room ? `${Math.floor(room.width)}px` : '';
      if (labelSlot.style.maxWidth !== width) labelSlot.style.maxWidth = width;
      labelSlot.classList.toggle('cornered', room?.cornered === true);
    };
    fit();
    target.addEventListener(Enums.Events.IMAGE_RENDERED, fit);
    return () => {
      target.removeEventListener(Enums.Events.IMAGE_RENDERED, fit);
      // (the labels back at the CSS's own place: moved to the image's top since, a warning gone)
      labelSlot.style.maxWidth = '';
      labelSlot.classList.remove('cornered');
    };
  }, [labelSlot, element, breastBox, labelsAtFoot, toCanvas]);
  return (
    <>
      {groups.map((g) => (
        <AiMarksLayer key={`${g.source}-${g.label.model}`} findings={g.findings} label={g.label} source={g.source} threshold={g.threshold} scale={g.scale} labelSlot={labelSlot} toCanvas={toCanvas} spacingMm={spacingMm} element={element} magnifier={magnifier} />
      ))}
      <div className="ai-labels" ref={setLabelSlot} />
    </>
  );
}

export interface StepViewProps {
  /** What the step shows (exam, priors, protocol, step, options): the same key is the same picture. */
  stageKey: string;
  /** On screen (true), or prepared out of sight under the step on screen (false). */
  shown: boolean;
  step: HungStep;
  /** Every image of the current exam and its priors, by instance id. */
  instances: Map<number, InstanceDetail>;
  /** The exams in the prior slots (for their dates). */
  priors: ExamSummary[];
  current: ExamSummary;
  options: StepOptions;
  /** Every image of the step painted (or failed): true; gone from the page: false. */
  /** `at`: when its images were drawn (performance.now()), not when React got to say so: a loaded machine said it 0.3 s later. */
  onRendered(stageKey: string, painted: boolean, at?: number): void;
  /** Receives the step's renderer (for invert, reset and the test hook) while it is on screen. */
  onRenderer(renderer: StepRenderer | null): void;
  explainFailure(instance: InstanceDetail, error: unknown): Promise<FailureExplained>;
  /** The AI marks, drawn on the step on screen only; null: none shown. */
  marks: StepMarks | null;
}

/** Whole years (or months under a year) between two DICOM dates, as a reader says a prior's age. */

export function StepView({ stageKey, shown, step, instances, priors, current, options, onRendered, onRenderer, explainFailure, marks }: StepViewProps) {
  const api = useApi();
  const { t, locale, problem } = useI18n();
  const elements = useRef(new Map<string, HTMLDivElement>());
  const grid = useRef<HTMLDivElement>(null);
  const [reports, setReports] = useState<Record<string, ViewportReport>>({});
  const [renderer, setRenderer] = useState<StepRenderer | null>(null);
  const [painted, setPainted] = useState(false);
  const paintedAt = useRef(0);
  const [area, setArea] = useState({ width: 0, height: 0 });
  const measureArea = () => { if (grid.current) setArea({ width: grid.current.clientWidth, height: grid.current.clientHeight }); };
  // what the step shows is decided by its key: fresh copies of the same exam's details redraw nothing
  const latest = useRef({ step, instances, options, onRendered, onRenderer, explainFailure });
  latest.current = { step, instances, options, onRendered, onRenderer, explainFailure };

  useEffect(() => {
    setReports({});
    setPainted(false);
    const { step: shownStep, instances: images, options: shownOptions } = latest.current;
    const created = new StepRenderer(api, (id, report) => setReports((r) => ({ ...r, [id]: report })), (i, e) => latest.current.explainFailure(i, e));
    setRenderer(created);
    let live = true;
    void created.show(shownStep, elements.current, images, shownOptions).then(() => { if (live) { paintedAt.current = performance.now(); setPainted(true); } });
    // the step's area changes size with the window and with notices above it (and its grid with it)
    const observer = new ResizeObserver(() => {
      created.relayout();
      measureArea();
    });
    if (grid.current) observer.observe(grid.current);
    return () => {
      live = false;
      observer.disconnect();
      created.dispose();
      latest.current.onRendered(stageKey, false);
    };
  }, [api, stageKey]);

  useEffect(() => {
    if (!renderer) return;
    renderer.setActive(shown);
    if (!shown) return;
    latest.current.onRenderer(renderer);
    return () => latest.current.onRenderer(null);
  }, [renderer, shown]);

  useEffect(() => { if (painted) latest.current.onRendered(stageKey, true, paintedAt.current); }, [painted, stageKey]);

  // test ids only on the step on screen: the prepared ones are not what the reader sees
  const id = (name: string) => (shown ? name : undefined);

  // the protocol's grid, or one row of four on a landscape area (common/hanging/arrange.ts)
  const arranged = useMemo(() => arrangeGrid(step.layout, step.viewports, area.width, area.height), [step.layout, step.viewports, area.width, area.height]);
  const style = useMemo(() => ({ gridTemplateColumns: `repeat(${arranged.layout.columns}, 1fr)`, gridTemplateRows: `repeat(${arranged.layout.rows}, 1fr)` }), [arranged.layout]);
  // measured before the first paint: the images are placed in the arranged grid from the start
  useLayoutEffect(measureArea, []);
  // the grid arranged anew (the window turned from landscape, say): its cells changed size, not the area
  const arrangement = `${arranged.layout.rows}x${arranged.layout.columns}`;
  useEffect(() => { renderer?.relayout(); }, [renderer, arrangement]);

  const priorLine = (viewport: HungViewport) => {
    if (viewport.wanted.slot.exam !== 'prior') return null;
    const prior = priors[viewport.wanted.slot.index];
    if (!prior) return null;
    // the age kept whole (no-break spaces) where a small cell wraps the label: "(1 an 11" over "mois)" misread
    return t('viewer.prior', { date: formatDicomDate(locale, prior.studyDate), age: priorAgeText(locale, t, prior.studyDate, current.studyDate).replace(/ /g, '\u00a0') });
  };
  // beside a prior, the current exam's images are dated too: the priors move between steps (the top row,
  // then the left half), and an unlabelled image was the current one only by elimination (a probe)
  const withPrior = step.viewports.some((v) => v.wanted.slot.exam === 'prior' && v.image);
  const currentLine = (viewport: HungViewport) => (withPrior && viewport.wanted.slot.exam !== 'prior' ? t('viewer.current', { date: formatDicomDate(locale, current.studyDate) }) : null);

  return (
    <div className={`grid hanging${shown ? '' : ' prepared'}`} style={style} data-testid={id('step')} data-step={step.id} data-arrangement={arrangement} data-painted={String(painted)} ref={grid}
      aria-hidden={shown ? undefined : true}>
      {step.viewports.map((viewport) => {
        const image = viewport.image ? instances.get(viewport.image.instanceId) : undefined;
        const report = reports[viewport.id];
        const side = viewport.wanted.laterality === 'R' ? 'right-breast' : viewport.wanted.laterality === 'L' ? 'left-breast' : 'unknown-breast';
        const prior = priorLine(viewport);
        const dated = prior ?? currentLine(viewport);
        const magnified = image ? magnificationOf(image) : null;
        const label = viewport.image?.label ?? viewport.wanted.label;
        const at = arranged.placeOf(viewport);
        const warned = Boolean(image?.warnings.length || report?.warning);
        // the AI's labels at the top of an oblique or lateral view, under its name, where the axilla
        // leaves air: at its foot they lay over the lower breast and the fold (a probe, 1280 and 1000 px);
        // a CC's foot is air. Not where an image's warning runs across its top.
        const sideView = SIDE_VIEWS.has(viewport.image?.view ?? '');
        const labelsTop = !warned && sideView;
        return (
          <div key={viewport.id} className={`cell ${side}${prior ? ' prior' : ''}${dated ? ' dated' : ''}${sideView ? ' side-view' : ''}${labelsTop ? ' ai-labels-top' : ''}`} data-testid={id('viewport-cell')} data-place={viewport.id}
            style={{ gridRow: `${at.row + 1} / span ${at.rowSpan ?? 1}`, gridColumn: `${at.column + 1} / span ${at.columnSpan ?? 1}` }}>
            {viewport.image ? (
              <div className="viewport" data-testid={id('viewport')} data-place={viewport.id} data-view-label={viewport.image.label ?? ''}
                data-slot={viewport.wanted.slot.exam} data-instance-id={viewport.image.instanceId}
                ref={(el) => { if (el) elements.current.set(viewport.id, el); else elements.current.delete(viewport.id); }}
                onContextMenu={(e) => e.preventDefault()} />
            ) : (
              <div className="missing" data-testid={id('missing')} data-place={viewport.id}>{t('hanging.missing', { label: `${prior ? `${prior} · ` : ''}${viewport.wanted.label}` })}</div>
            )}
            {/* no marks over an image that could not be shown: they would point at nothing */}
            {shown && renderer && viewport.image && report?.status !== 'error' && marks?.has(viewport.image.instanceId) && (
              <PlaceMarks renderer={renderer} place={viewport.id} groups={marks.get(viewport.image.instanceId)!} elements={elements.current}
                spacingMm={image?.pixelSpacing ?? image?.imagerPixelSpacing ?? null} breastBox={image?.breastBox ?? null}
                labelsAtFoot={labelsTop ? null : side === 'left-breast' ? 'right' : 'left'} />
            )}
            {viewport.image && <div className="view-label" data-testid={id('view-label')}>{label}</div>}
            {prior && viewport.image && <div className="prior-label" data-testid={id('prior-label')}>{prior}</div>}
            {!prior && dated && viewport.image && <div className="prior-label current-label" data-testid={id('current-label')}>{dated}</div>}
            <div className="flags">
              {image?.partialView && <span className="flag">{t('viewer.partial')}</span>}
              {/* a magnification view, shown at the breast's own scale as the others are: said, with its factor (its size
                  on screen said nothing of it beside a spot view's, a French radiologist's probe) */}
              {magnified && <span className="flag" data-testid={id('magnified')}>{magnified.factor
                ? t('viewer.magnifiedBy', { factor: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(magnified.factor) })
                : t('viewer.magnified')}</span>}
              {image?.breastImplantPresent && <span className="flag implant">{t('viewer.implant')}</span>}
              {report?.status === 'loading' && <span className="flag resolution" data-testid={id('loading-image')}>{t('viewer.loadingImage')}</span>}
              {report?.resolution === 'display' && <span className="flag resolution" data-testid={id('loading-full')}>{t('viewer.loadingFull')}</span>}
            </div>
            {warned ? (
              <div className="image-warning" data-testid={id('image-warning')}>
                {report?.warning && <span>⚠ {t(report.warning === 'no-spacing' ? 'hanging.noSpacing' : `hanging.warning.${report.warning}`)} </span>}
                {image?.warnings.map((w, i) => <span key={i}>⚠ {problem(w)} </span>)}
              </div>
            ) : null}
            {report?.status === 'error' && <div className="image-error" role="alert" data-testid={id('image-error')}>{t('exam.imageError', { message: report.error?.(t) ?? '' })}</div>}
          </div>
        );
      })}
    </div>
  );
}
