// The exam as a screening reader reads it: hung by the best-matching hanging protocol (or the one
// picked), walked step by step with one key, compared with a prior chosen for her (or another),
// with the next exam of the worklist one key away and already loaded. Everything a key does is also
// a button; the keymap is a setting (a reading keypad sends keys).

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { cache } from '@cornerstonejs/core';
import type { ExamDetail, ExamStatus, InstanceDetail } from '../../common/domain.ts';
import { formatDicomDate, formatPersonName } from '../../common/i18n/messages.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { choosePriors, hang } from '../../common/hanging/engine.ts';
import type { HangingPlan } from '../../common/hanging/types.ts';
import { actionForKey, keyNameOf, mergeViewerSettings, VIEWER_ACTIONS } from '../../common/viewer-settings.ts';
import type { ViewerAction, ViewerSettings } from '../../common/viewer-settings.ts';
import { useApi } from '../api/context.ts';
import type { StationApi } from '../api/station-api.ts';
import { useI18n } from '../i18n.tsx';
import { neighbourExam } from '../worklist/reading-list.ts';
import { initCornerstone, setCacheSizeMb, setPrimaryTool } from './cornerstone.ts';
import type { PrimaryTool } from './cornerstone.ts';
import { StepView } from './StepView.tsx';
import type { SizeMode, StepOptions, StepRenderer } from './step-renderer.ts';
import { prefetchExam, prefetchedPriors } from './prefetch.ts';
import { HelpOverlay } from './HelpOverlay.tsx';
import { ViewerSettingsDialog } from './ViewerSettingsDialog.tsx';
import { keyLabel } from './key-label.ts';

export interface ViewerRoute {
  examId: number;
  /** Open at this step (its id), e.g. a link or the benchmark opening the 8-image comparison. */
  step?: string;
  protocol?: string;
  /** Diagnostics: `renditions=0` shows only stored images, `prefetch=0` does not load the next exam ahead. */
  renditions?: boolean;
  prefetch?: boolean;
}

interface Loaded {
  detail: ExamDetail;
  priors: ExamDetail[];
  plan: HangingPlan;
  instances: Map<number, InstanceDetail>;
}

/** The exam and its priors (one chosen for the prior slot, when the reader picked one), hung. */
async function loadExam(api: StationApi, examId: number, chosenPriorId: number | null, protocolId: string | undefined): Promise<Loaded> {
  // opened by the reader: asked again (cheap, and the audit log records it) even when loaded ahead
  const [detail, ahead] = await Promise.all([api.examDetail({ examId }), prefetchedPriors(examId)]);
  let priorIds = choosePriors(detail.exam, detail.priors);
  if (chosenPriorId !== null && priorIds.includes(chosenPriorId)) priorIds = [chosenPriorId, ...priorIds.filter((id) => id !== chosenPriorId)];
  const priors = await Promise.all(priorIds.slice(0, 1).map((id) => ahead?.find((p) => p.exam.examId === id) ?? api.examDetail({ examId: id, purpose: 'prior' })));
  const plan = hang(detail, priors, undefined, protocolId);
  const instances = new Map<number, InstanceDetail>();
  for (const d of [detail, ...priors]) for (const s of d.series) for (const i of s.instances) instances.set(i.instanceId, i);
  return { detail, priors, plan, instances };
}

export function ViewerPage({ route }: { route: ViewerRoute }) {
  const api = useApi();
  const i18n = useI18n();
  const { t, locale, errorText, problem } = i18n;
  const { examId } = route;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [stepIndex, setStepIndex] = useState(0);
  const [protocolId, setProtocolId] = useState<string | undefined>(route.protocol);
  const [chosenPrior, setChosenPrior] = useState<number | null>(null);
  const [settings, setSettings] = useState<ViewerSettings>(() => mergeViewerSettings(null));
  const [sizeMode, setSizeMode] = useState<SizeMode>('same-size');
  const [tool, setTool] = useState<PrimaryTool>('windowLevel');
  const [help, setHelp] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [ready, setReady] = useState(false);
  const renderer = useRef<StepRenderer | null>(null);
  const root = useRef<HTMLElement>(null);

  useEffect(() => {
    void initCornerstone().then(() => setReady(true));
    api.getSettings({}).then((s) => { setSettings(s.viewer); setCacheSizeMb(s.viewer.prefetchCacheMb); }).catch(() => undefined);
  }, [api]);

  useEffect(() => {
    let cancelled = false;
    setError(null);
    setNotice(null);
    loadExam(api, examId, chosenPrior, protocolId)
      .then((l) => {
        if (cancelled) return;
        setLoaded(l);
        const wanted = route.step ? l.plan.steps.findIndex((s) => s.id === route.step) : -1;
        setStepIndex(wanted >= 0 ? wanted : 0);
      })
      .catch((e: unknown) => { if (!cancelled) setError((e as { code?: string }).code === 'not_found' ? t('exam.notFound') : errorText(e)); });
    return () => { cancelled = true; };
  }, [api, examId, chosenPrior, protocolId, route.step, t, errorText]);

  // a new exam starts with the reader's choices of the last one undone
  useEffect(() => { setChosenPrior(null); setProtocolId(route.protocol); }, [examId, route.protocol]);

  const step = loaded?.plan.steps[Math.min(stepIndex, (loaded?.plan.steps.length ?? 1) - 1)];
  const options: StepOptions = useMemo(() => ({ renditions: route.renditions ?? true, sizeMode, monitorPixelPitchMm: settings.monitorPixelPitchMm }),
    [route.renditions, sizeMode, settings.monitorPixelPitchMm]);

  const explainFailure = useCallback(async (instance: InstanceDetail, failure: unknown): Promise<string> => {
    try {
      const check = await api.checkStore({ examId: loaded?.detail.exam.examId ?? examId });
      const damaged = check.damaged.find((d) => d.instanceId === instance.instanceId);
      if (damaged) return t(damaged.reason === 'missing' ? 'exam.storeMissing' : 'exam.storeDamaged');
    } catch { /* the check itself failed: say what the decoder said */ }
    const e = failure as { message?: string; error?: { message?: string }; request?: { status?: number } } | undefined;
    if (e?.request?.status) return t('exam.imageHttpError', { status: e.request.status });
    const size = e?.message?.match(/^decoded-size:(\d+)x(\d+)$/);
    if (size) return t('exam.decodedWrongSize', { actual: `${size[1]} × ${size[2]}`, expected: `${instance.columns} × ${instance.rows}` });
    return e?.message ?? e?.error?.message ?? t('exam.decodeFailed');
  }, [api, loaded, examId, t]);

  const goToExam = useCallback(async (direction: 1 | -1) => {
    const next = await neighbourExam(api, examId, direction).catch(() => null);
    if (next === null) setNotice(t(direction > 0 ? 'viewer.lastExam' : 'viewer.firstExam'));
    else location.hash = `#/exam/${next}`;
  }, [api, examId, t]);

  const setStatus = useCallback(async (status: ExamStatus) => {
    try {
      const exam = await api.setExamStatus({ examId, status });
      setLoaded((l) => (l ? { ...l, detail: { ...l.detail, exam } } : l));
    } catch (e) {
      setNotice(errorText(e));
    }
  }, [api, examId, errorText]);

  const chooseTool = useCallback((next: PrimaryTool) => { setTool(next); setPrimaryTool(next); }, []);

  const run = useCallback((action: ViewerAction) => {
    const steps = loaded?.plan.steps.length ?? 1;
    switch (action) {
      case 'nextStep': setStepIndex((i) => Math.min(i + 1, steps - 1)); break;
      case 'previousStep': setStepIndex((i) => Math.max(i - 1, 0)); break;
      case 'nextExam': void goToExam(1); break;
      case 'previousExam': void goToExam(-1); break;
      case 'markRead': void setStatus('read'); break;
      case 'markReadAndNext': void setStatus('read').then(() => goToExam(1)); break;
      case 'invert': renderer.current?.invert(); break;
      case 'reset': renderer.current?.reset(); break;
      case 'windowLevel': case 'pan': case 'zoom': case 'magnifier': case 'measure': chooseTool(action); break;
      case 'trueSize':
        if (!settings.monitorPixelPitchMm) setNotice(t('viewer.trueSizeNeedsPitch'));
        else setSizeMode((m) => (m === 'same-size' ? 'true-size' : 'same-size'));
        break;
      case 'help': setHelp((h) => !h); break;
    }
  }, [loaded, goToExam, setStatus, chooseTool, settings.monitorPixelPitchMm, t]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (settingsOpen) return;
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
      if (help && event.key === 'Escape') { setHelp(false); event.preventDefault(); return; }
      const action = actionForKey(settings.keymap, keyNameOf(event));
      if (!action) return;
      event.preventDefault();
      run(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [settings.keymap, run, help, settingsOpen]);

  // with the step painted, the next exam of the worklist is loaded ahead, within the cache's size
  const onRendered = useCallback(() => {
    root.current?.setAttribute('data-step-rendered', 'true');
    if (route.prefetch === false) return;
    void neighbourExam(api, examId, 1).then((next) => (next === null ? null : prefetchExam(api, next, options.renditions)))
      .then(() => root.current?.setAttribute('data-prefetch', 'done'))
      .catch(() => root.current?.setAttribute('data-prefetch', 'failed'));
  }, [api, examId, route.prefetch, options.renditions]);

  // for tests and support: the plan on screen and where an image point lands
  useEffect(() => {
    (window as unknown as { __binomeViewer?: unknown }).__binomeViewer = {
      plan: loaded?.plan, stepIndex,
      cacheBytes: () => cache.getCacheSize(),
      canvasPointOf: (place: string, point: [number, number]) => renderer.current?.canvasPointOf(place, point) ?? null,
    };
  }, [loaded, stepIndex]);

  useEffect(() => { root.current?.removeAttribute('data-step-rendered'); root.current?.removeAttribute('data-prefetch'); }, [step, examId]);

  if (error) return <main className="exam"><p className="notice error" role="alert">{error}</p><a href="#/">← {t('exam.back')}</a></main>;
  if (!loaded || !ready || !step) return <main className="exam"><p className="muted">{t('exam.loading')}</p></main>;
  const { detail, plan } = loaded;
  const { exam } = detail;
  const priorSummaries = loaded.priors.map((p) => p.exam);
  const priorChoices = detail.priors.filter((p) => choosePriors(exam, detail.priors).includes(p.examId));
  return (
    <main className="exam viewer" data-testid="exam-page" data-exam-id={examId} ref={root}>
      <div className="exam-bar">
        <a href="#/" className="back">← {t('exam.back')}</a>
        <strong data-testid="exam-patient">{formatPersonName(exam.patientName)}</strong>
        <span>{exam.patientId}</span>
        <span>{formatDicomDate(locale, exam.studyDate)}</span>
        <span className={`status status-${exam.status}`} data-testid="exam-status">{t(`status.${exam.status}`)}</span>
        <span className="step-name" data-testid="step-name">{t('viewer.step', { n: plan.steps.indexOf(step) + 1, total: plan.steps.length, name: t(step.name) })}</span>
        <div className="spacer" />
        <select aria-label={t('viewer.protocol')} title={t('viewer.protocol')} value={plan.protocolId} data-testid="protocol"
          onChange={(e) => { setProtocolId(e.target.value); setStepIndex(0); }}>
          {plan.candidates.map((c) => <option key={c.protocolId} value={c.protocolId}>{t(c.name)}</option>)}
        </select>
        <select aria-label={t('viewer.priorChoice')} title={t('viewer.priorChoice')} value={plan.priorExamIds[0] ?? ''} data-testid="prior-choice"
          disabled={!priorChoices.length} onChange={(e) => setChosenPrior(Number(e.target.value))}>
          {!priorChoices.length && <option value="">{t('viewer.noPrior')}</option>}
          {priorChoices.map((p) => <option key={p.examId} value={p.examId}>{formatDicomDate(locale, p.studyDate)}</option>)}
        </select>
        <div className="tools" role="toolbar">
          {(['windowLevel', 'pan', 'zoom', 'magnifier', 'measure'] as const).map((name) => (
            <button key={name} type="button" className={tool === name ? 'active' : ''} aria-pressed={tool === name} data-testid={`tool-${name}`}
              title={t(`viewer.action.${name}` as MessageKey)} onClick={() => chooseTool(name)}>{t(`viewer.action.${name}` as MessageKey).split(' (')[0]}</button>
          ))}
          <button type="button" onClick={() => run('invert')} data-testid="invert">{t('viewer.action.invert')}</button>
          <button type="button" onClick={() => run('reset')} data-testid="reset">⟲</button>
          <button type="button" onClick={() => run('trueSize')} aria-pressed={sizeMode === 'true-size'} data-testid="size-mode">{t(sizeMode === 'same-size' ? 'viewer.sameSize' : 'viewer.trueSize')}</button>
        </div>
        {exam.status !== 'read'
          ? <button type="button" className="primary" onClick={() => void setStatus('read')} data-testid="mark-read">{t('exam.markRead')}</button>
          : <button type="button" onClick={() => void setStatus('new')}>{t('exam.markNew')}</button>}
        <button type="button" onClick={() => setHelp(true)} aria-label={t('viewer.action.help')} data-testid="help-button">?</button>
        <button type="button" onClick={() => setSettingsOpen(true)} aria-label={t('viewer.settings')} data-testid="settings-button">⚙</button>
      </div>
      {notice && <p className="notice" data-testid="viewer-notice" onClick={() => setNotice(null)}>{notice}</p>}
      {detail.identity.otherPatientsWithSameId > 0 && <p className="notice warning" data-testid="identity-warning">{t('exam.sharedId', { count: detail.identity.otherPatientsWithSameId })}</p>}
      {detail.identity.differsFromPatient && <p className="notice warning" data-testid="identity-differs">{t('exam.identityDiffers')}</p>}
      {detail.rejected.length > 0 && (
        <div className="notice warning" data-testid="exam-incomplete">
          <p>{t('exam.incomplete', { count: detail.rejected.length })}</p>
          {detail.rejected.slice(0, 5).map((r) => <p key={r.id} className="problem">{t('import.rejected', { file: r.file, reason: problem(r) })}</p>)}
        </div>
      )}
      <StepView step={step} instances={loaded.instances} priors={priorSummaries} current={exam} options={options}
        onRendered={onRendered} onRenderer={(r) => { renderer.current = r; }} explainFailure={explainFailure} />
      <footer className="exam-footer">
        <span className="muted small">{t('viewer.mouse')}</span>
        {tool === 'measure' && <span className="muted small" data-testid="measure-note">{t('viewer.measureNote')}</span>}
        <span className="muted small">{VIEWER_ACTIONS.slice(0, 2).map((a) => `${t(`viewer.action.${a}` as MessageKey)}: ${settings.keymap[a].map(keyLabel).join(' / ')}`).join(' · ')}</span>
      </footer>
      {help && <HelpOverlay keymap={settings.keymap} onClose={() => setHelp(false)} />}
      {settingsOpen && <ViewerSettingsDialog settings={settings} onClose={() => setSettingsOpen(false)}
        onSaved={(s) => { setSettings(s); setCacheSizeMb(s.prefetchCacheMb); setSettingsOpen(false); }} />}
    </main>
  );
}

