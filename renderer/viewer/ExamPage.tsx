import { useEffect, useMemo, useRef, useState } from 'react';
import { Enums, RenderingEngine } from '@cornerstonejs/core';
import type { Types } from '@cornerstonejs/core';
import { Enums as ToolEnums, ToolGroupManager } from '@cornerstonejs/tools';
import type { ExamDetail, ExamStatus, InstanceDetail } from '../../common/domain.ts';
import { SCREENING_VIEW_ORDER } from '../../common/mammo-views.ts';
import { formatDicomDate, formatPersonName } from '../../common/i18n/messages.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { initCornerstone, VIEWER_TOOLS } from './cornerstone.ts';
import { initialVoi } from './voi.ts';

let nextEngineId = 1;

/** Displayed images: FOR PRESENTATION images, the four screening views first, then the others. */
function displayOrder(detail: ExamDetail): InstanceDetail[] {
  const images = detail.series.flatMap((s) => s.instances).filter((i) => i.isImage && !i.forProcessing);
  const rank = (i: InstanceDetail) => {
    const r = (SCREENING_VIEW_ORDER as readonly string[]).indexOf(i.viewLabel ?? '');
    return r >= 0 ? r : SCREENING_VIEW_ORDER.length;
  };
  return images.sort((a, b) => rank(a) - rank(b) || (a.viewLabel ?? '').localeCompare(b.viewLabel ?? '') || (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0));
}

export function ExamPage({ examId }: { examId: number }) {
  const api = useApi();
  const { t, locale } = useI18n();
  const [detail, setDetail] = useState<ExamDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setDetail(null);
    setError(null);
    api.examDetail({ examId })
      .then((d) => { if (!cancelled) setDetail(d); })
      .catch((e: Error) => { if (!cancelled) setError((e as { code?: string }).code === 'not_found' ? t('exam.notFound') : t('error.generic', { message: e.message })); });
    return () => { cancelled = true; };
  }, [api, examId, t]);

  const images = useMemo(() => (detail ? displayOrder(detail) : []), [detail]);
  const all = detail?.series.flatMap((s) => s.instances) ?? [];
  const hiddenForProcessing = all.filter((i) => i.isImage && i.forProcessing).length;
  const otherObjects = all.filter((i) => !i.isImage).length;

  const setStatus = async (status: ExamStatus) => {
    const exam = await api.setExamStatus({ examId, status });
    setDetail((d) => (d ? { ...d, exam } : d));
  };

  if (error) return <main className="exam"><p className="notice error" role="alert">{error}</p><a href="#/">← {t('exam.back')}</a></main>;
  if (!detail) return <main className="exam"><p className="muted">{t('exam.loading')}</p></main>;
  const { exam } = detail;
  return (
    <main className="exam" data-testid="exam-page">
      <div className="exam-bar">
        <a href="#/" className="back">← {t('exam.back')}</a>
        <strong data-testid="exam-patient">{formatPersonName(exam.patientName)}</strong>
        <span>{exam.patientId}</span>
        <span>{formatDicomDate(locale, exam.studyDate)}</span>
        <span className={`status status-${exam.status}`}>{t(`status.${exam.status}`)}</span>
        <div className="spacer" />
        {exam.status !== 'in_progress' && <button type="button" onClick={() => void setStatus('in_progress')}>{t('exam.markInProgress')}</button>}
        {exam.status !== 'read' && <button type="button" className="primary" onClick={() => void setStatus('read')}>{t('exam.markRead')}</button>}
        {exam.status === 'read' && <button type="button" onClick={() => void setStatus('new')}>{t('exam.markNew')}</button>}
      </div>
      {images.length ? <ImageGrid images={images} /> : <p className="empty">{t('exam.noImages')}</p>}
      <footer className="exam-footer">
        <span className="muted small">{t('exam.tools')}</span>
        {hiddenForProcessing > 0 && <span className="muted small" data-testid="for-processing-note">{t('exam.forProcessingHidden', { count: hiddenForProcessing })}</span>}
        {otherObjects > 0 && <span className="muted small">{t('exam.otherObjects', { count: otherObjects })}</span>}
        <span className="small">
          {detail.priors.length ? `${t('exam.priors')}: ` : t('exam.noPriors')}
          {detail.priors.map((p) => <a key={p.examId} href={`#/exam/${p.examId}`} className="prior-link">{formatDicomDate(locale, p.studyDate)} ({p.views.join(' ') || p.modalities.join(' ')})</a>)}
        </span>
      </footer>
    </main>
  );
}

function ImageGrid({ images }: { images: InstanceDetail[] }) {
  const api = useApi();
  const { t } = useI18n();
  const elements = useRef<(HTMLDivElement | null)[]>([]);
  const [failures, setFailures] = useState<Record<number, string>>({});
  const columns = images.length <= 2 ? images.length : images.length <= 4 ? 2 : Math.ceil(Math.sqrt(images.length));

  useEffect(() => {
    let disposed = false;
    const engineId = `exam-engine-${nextEngineId++}`;
    const toolGroupId = `${engineId}-tools`;
    let engine: RenderingEngine | null = null;
    const cleanups: (() => void)[] = [];
    void (async () => {
      await initCornerstone();
      if (disposed) return;
      engine = new RenderingEngine(engineId);
      const toolGroup = ToolGroupManager.createToolGroup(toolGroupId)!;
      for (const tool of VIEWER_TOOLS) toolGroup.addTool(tool.toolName);
      toolGroup.setToolActive(VIEWER_TOOLS[0].toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
      toolGroup.setToolActive(VIEWER_TOOLS[1].toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
      toolGroup.setToolActive(VIEWER_TOOLS[2].toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }, { mouseButton: ToolEnums.MouseBindings.Wheel }] });
      await Promise.all(images.map(async (image, index) => {
        const element = elements.current[index];
        if (!element || !engine) return;
        const viewportId = `vp-${image.instanceId}`;
        engine.enableElement({ viewportId, type: Enums.ViewportType.STACK, element, defaultOptions: { background: [0, 0, 0] as Types.Point3 } });
        toolGroup.addViewport(viewportId, engineId);
        const onRendered = () => {
          const vp = engine?.getViewport(viewportId) as Types.IStackViewport | undefined;
          if (!vp?.getCurrentImageId()) return;
          // Exposed for end-to-end tests and support: what is drawn, with which VOI.
          const { voiRange, VOILUTFunction, invert } = vp.getProperties();
          element.dataset.voi = voiRange ? `${voiRange.lower.toFixed(1)},${voiRange.upper.toFixed(1)}` : '';
          element.dataset.voiFunction = String(VOILUTFunction ?? '');
          element.dataset.invert = String(Boolean(invert));
          element.dataset.rendered = 'true';
        };
        element.addEventListener(Enums.Events.IMAGE_RENDERED, onRendered);
        cleanups.push(() => element.removeEventListener(Enums.Events.IMAGE_RENDERED, onRendered));
        const viewport = engine.getViewport(viewportId) as Types.IStackViewport;
        try {
          await viewport.setStack([api.imageIdFor(image.instanceId)], 0);
          if (disposed) return;
          const voi = initialVoi(image);
          if (voi) viewport.setProperties(voi);
          viewport.render();
        } catch (e) {
          const message = e instanceof Error ? e.message : (e as { error?: { message?: string } })?.error?.message ?? 'decode failed';
          if (!disposed) setFailures((f) => ({ ...f, [image.instanceId]: message }));
        }
      }));
    })();
    const onResize = () => engine?.resize(true, true);
    window.addEventListener('resize', onResize);
    return () => {
      disposed = true;
      window.removeEventListener('resize', onResize);
      cleanups.forEach((c) => c());
      ToolGroupManager.destroyToolGroup(toolGroupId);
      engine?.destroy();
    };
  }, [api, images]);

  return (
    <div className="grid" style={{ gridTemplateColumns: `repeat(${columns}, 1fr)` }}>
      {images.map((image, index) => {
        const side = image.imageLaterality === 'L' ? 'left-breast' : 'right-breast';
        return (
          <div key={image.instanceId} className={`cell ${side}`}>
            <div className="viewport" ref={(el) => { elements.current[index] = el; }} data-testid="viewport"
              data-view-label={image.viewLabel ?? ''} onContextMenu={(e) => e.preventDefault()} />
            <div className="view-label" data-testid="view-label">{image.viewLabel ?? t('exam.unknownView')}</div>
            {image.partialView && <div className="flag">PARTIAL</div>}
            {image.breastImplantPresent && <div className="flag implant">IMPLANT</div>}
            {failures[image.instanceId] && <div className="image-error" role="alert">{t('exam.imageError', { message: failures[image.instanceId]! })}</div>}
          </div>
        );
      })}
    </div>
  );
}
