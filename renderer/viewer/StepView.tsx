// One hanging step on screen: its layout as a grid of places, each with its image (or "missing"),
// and the text a reader expects over it — the view label and laterality on the side away from the
// chest wall, PRIOR with the exam's date and age, PARTIAL and IMPLANT, what was found at import, and
// why an image cannot be shown when it cannot.

import { useEffect, useMemo, useRef, useState } from 'react';
import type { ExamSummary, InstanceDetail } from '../../common/domain.ts';
import type { HungStep, HungViewport } from '../../common/hanging/types.ts';
import { formatDicomDate } from '../../common/i18n/messages.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { StepRenderer } from './step-renderer.ts';
import type { StepOptions, ViewportReport } from './step-renderer.ts';

export interface StepViewProps {
  step: HungStep;
  /** Every image of the current exam and its priors, by instance id. */
  instances: Map<number, InstanceDetail>;
  /** The exams in the prior slots (for their dates). */
  priors: ExamSummary[];
  current: ExamSummary;
  options: StepOptions;
  onRendered(): void;
  /** Receives the step's renderer (for invert, reset and the test hook) while it is on screen. */
  onRenderer(renderer: StepRenderer | null): void;
  explainFailure(instance: InstanceDetail, error: unknown): Promise<string>;
}

/** Whole years (or months under a year) between two DICOM dates, as a reader says a prior's age. */
function ageBetween(earlier: string | null, later: string | null): { years: number; months: number } | null {
  if (!earlier || !later || !/^\d{8}$/.test(earlier) || !/^\d{8}$/.test(later)) return null;
  const months = (Number(later.slice(0, 4)) - Number(earlier.slice(0, 4))) * 12 + Number(later.slice(4, 6)) - Number(earlier.slice(4, 6))
    - (Number(later.slice(6, 8)) < Number(earlier.slice(6, 8)) ? 1 : 0);
  return { years: Math.floor(months / 12), months };
}

export function StepView({ step, instances, priors, current, options, onRendered, onRenderer, explainFailure }: StepViewProps) {
  const api = useApi();
  const { t, locale, problem } = useI18n();
  const elements = useRef(new Map<string, HTMLDivElement>());
  const [reports, setReports] = useState<Record<string, ViewportReport>>({});
  const callbacks = useRef({ onRendered, onRenderer, explainFailure });
  callbacks.current = { onRendered, onRenderer, explainFailure };

  useEffect(() => {
    setReports({});
    const renderer = new StepRenderer(api, (id, report) => setReports((r) => ({ ...r, [id]: report })), (i, e) => callbacks.current.explainFailure(i, e));
    callbacks.current.onRenderer(renderer);
    let live = true;
    void renderer.show(step, elements.current, instances, options).then(() => { if (live) callbacks.current.onRendered(); });
    return () => {
      live = false;
      callbacks.current.onRenderer(null);
      renderer.dispose();
    };
  }, [api, step, instances, options]);

  const style = useMemo(() => ({ gridTemplateColumns: `repeat(${step.layout.columns}, 1fr)`, gridTemplateRows: `repeat(${step.layout.rows}, 1fr)` }), [step.layout]);

  const priorLine = (viewport: HungViewport) => {
    if (viewport.wanted.slot.exam !== 'prior') return null;
    const prior = priors[viewport.wanted.slot.index];
    if (!prior) return null;
    const age = ageBetween(prior.studyDate, current.studyDate);
    const ageText = !age ? '—' : age.years >= 1 ? t('viewer.ageYears', { n: age.years }) : t('viewer.ageMonths', { n: age.months });
    return t('viewer.prior', { date: formatDicomDate(locale, prior.studyDate), age: ageText });
  };

  return (
    <div className="grid hanging" style={style} data-testid="step" data-step={step.id}>
      {step.viewports.map((viewport) => {
        const image = viewport.image ? instances.get(viewport.image.instanceId) : undefined;
        const report = reports[viewport.id];
        const side = viewport.wanted.laterality === 'R' ? 'right-breast' : viewport.wanted.laterality === 'L' ? 'left-breast' : 'unknown-breast';
        const prior = priorLine(viewport);
        const label = viewport.image?.label ?? viewport.wanted.label;
        return (
          <div key={viewport.id} className={`cell ${side}${prior ? ' prior' : ''}`} data-testid="viewport-cell" data-place={viewport.id}
            style={{ gridRow: `${viewport.row + 1} / span ${viewport.rowSpan ?? 1}`, gridColumn: `${viewport.column + 1} / span ${viewport.columnSpan ?? 1}` }}>
            {viewport.image ? (
              <div className="viewport" data-testid="viewport" data-place={viewport.id} data-view-label={viewport.image.label ?? ''}
                data-slot={viewport.wanted.slot.exam} data-instance-id={viewport.image.instanceId}
                ref={(el) => { if (el) elements.current.set(viewport.id, el); else elements.current.delete(viewport.id); }}
                onContextMenu={(e) => e.preventDefault()} />
            ) : (
              <div className="missing" data-testid="missing" data-place={viewport.id}>{t('hanging.missing', { label: `${prior ? `${prior} · ` : ''}${viewport.wanted.label}` })}</div>
            )}
            {viewport.image && <div className="view-label" data-testid="view-label">{label}</div>}
            {prior && viewport.image && <div className="prior-label" data-testid="prior-label">{prior}</div>}
            <div className="flags">
              {image?.partialView && <span className="flag">{t('viewer.partial')}</span>}
              {image?.breastImplantPresent && <span className="flag implant">{t('viewer.implant')}</span>}
              {report?.resolution === 'display' && <span className="flag resolution" data-testid="loading-full">{t('viewer.loadingFull')}</span>}
            </div>
            {(image?.warnings.length || report?.warning) ? (
              <div className="image-warning" data-testid="image-warning">
                {report?.warning && <span>⚠ {t(report.warning === 'no-spacing' ? 'hanging.noSpacing' : `hanging.warning.${report.warning}`)} </span>}
                {image?.warnings.map((w, i) => <span key={i}>⚠ {problem(w)} </span>)}
              </div>
            ) : null}
            {report?.status === 'error' && <div className="image-error" role="alert" data-testid="image-error">{t('exam.imageError', { message: report.error ?? '' })}</div>}
          </div>
        );
      })}
    </div>
  );
}
