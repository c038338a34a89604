import { useEffect, useMemo, useRef, useState } from 'react';
import { Enums, RenderingEngine, eventTarget } from '@cornerstonejs/core';
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
  const { t, locale, errorText, problem } = useI18n();
  const [detail, setDetail] = useState<ExamDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setDetail(null);
    setError(null);
    api.examDetail({ examId })
      .then((d) => { if (!cancelled) setDetail(d); })
      .catch((e: unknown) => { if (!cancelled) setError((e as { code?: string }).code === 'not_found' ? t('exam.notFound') : errorText(e)); });
    return () => { cancelled = true; };
  }, [api, examId, t, errorText]);

  const images = useMemo(() => (detail ? displayOrder(detail) : []), [detail]);
  const all = detail?.series.flatMap((s) => s.instances) ?? [];
  const hiddenForProcessing = all.filter((i) => i.isImage && i.forProcessing).length;
  const otherObjects = all.filter((i) => !i.isImage).length;

  const setStatus = async (status: ExamStatus) => {
    try {
      const exam = await api.setExamStatus({ examId, status });
      setDetail((d) => (d ? { ...d, exam } : d));
    } catch (e) {
      setError(errorText(e));
    }
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
      {detail.identity.otherPatientsWithSameId > 0 && <p className="notice warning" data-testid="identity-warning">{t('exam.sharedId', { count: detail.identity.otherPatientsWithSameId })}</p>}
      {detail.identity.differsFromPatient && <p className="notice warning" data-testid="identity-differs">{t('exam.identityDiffers')}</p>}
      {detail.rejected.length > 0 && (
        <div className="notice warning" data-testid="exam-incomplete">
          <p>{t('exam.incomplete', { count: detail.rejected.length })}</p>
          {detail.rejected.slice(0, 10).map((r) => <p key={r.id} className="problem">{t('import.rejected', { file: r.file, reason: problem(r) })}</p>)}
        </div>
      )}
      {images.length ? <ImageGrid images={images} examId={examId} /> : <p className="empty">{t('exam.noImages')}</p>}
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

function ImageGrid({ images, examId }: { images: InstanceDetail[]; examId: number }) {
  const api = useApi();
  const { t, problem, errorText } = useI18n();
  const elements = useRef<(HTMLDivElement | null)[]>([]);
  const [failures, setFailures] = useState<Record<number, string>>({});
  const columns = images.length <= 2 ? images.length : images.length <= 4 ? 2 : Math.ceil(Math.sqrt(images.length));

  useEffect(() => {
    let disposed = false;
    const engineId = `exam-engine-${nextEngineId++}`;
    const toolGroupId = `${engineId}-tools`;
    let engine: RenderingEngine | null = null;
    const cleanups: (() => void)[] = [];
    const byImageId = new Map(images.map((image) => [api.imageIdFor(image.instanceId), image]));
    /** An image that cannot be shown says why, over its tile: never a blank tile marked rendered. */
    const fail = (image: InstanceDetail, reason: string) => {
      if (disposed) return;
      setFailures((f) => ({ ...f, [image.instanceId]: reason }));
      const element = elements.current[images.indexOf(image)];
      if (element) { element.dataset.rendered = 'false'; element.dataset.error = reason; }
    };
    /** Decoding failed: say whether the stored file itself is damaged, else what the decoder said. */
    const failDecode = (image: InstanceDetail, error: unknown) => {
      api.checkStore({ examId }).then((check) => {
        const damaged = check.damaged.find((d) => d.instanceId === image.instanceId);
        fail(image, damaged ? t(damaged.reason === 'missing' ? 'exam.storeMissing' : 'exam.storeDamaged') : decodeMessage(error));
      }, () => fail(image, decodeMessage(error)));
    };
    const decodeMessage = (error: unknown) => {
      const e = error as { message?: string; error?: { message?: string }; request?: { status?: number } } | undefined;
      if (e?.request?.status) return t('exam.imageHttpError', { status: e.request.status });
      return e?.message ?? e?.error?.message ?? (error instanceof Error ? errorText(error) : t('exam.decodeFailed'));
    };
    const onLoadError = (event: Event) => {
      const details = (event as CustomEvent).detail as { imageId?: string; error?: unknown } | { reason?: unknown }[];
      for (const d of Array.isArray(details) ? [] : [details]) {
        const image = d.imageId ? byImageId.get(d.imageId) : undefined;
        if (image) failDecode(image, d.error);
      }
    };
    eventTarget.addEventListener(Enums.Events.IMAGE_LOAD_ERROR, onLoadError);
    cleanups.push(() => eventTarget.removeEventListener(Enums.Events.IMAGE_LOAD_ERROR, onLoadError));
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
          if (!vp?.getCurrentImageId() || element.dataset.error) return;
          // what was drawn must be the image the file describes: a decoder that returns something
          // else (the wrong size, nothing) is a failure, not a black tile
          const data = vp.getImageData();
          const [columns, rows] = data?.dimensions ?? [0, 0];
          if (!data || columns !== image.columns || rows !== image.rows) {
            fail(image, t('exam.decodedWrongSize', { actual: `${columns} × ${rows}`, expected: `${image.columns} × ${image.rows}` }));
            return;
          }
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
          failDecode(image, e);
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
  }, [api, images, examId, t, errorText]);

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
            {image.warnings.length > 0 && <div className="image-warning" data-testid="image-warning" title={image.warnings.map(problem).join('\n')}>⚠ {image.warnings.map(problem).join(' · ')}</div>}
            {failures[image.instanceId] && <div className="image-error" role="alert" data-testid="image-error">{t('exam.imageError', { message: failures[image.instanceId]! })}</div>}
          </div>
        );
      })}
    </div>
  );
}
