// @jsxRuntime automatic
// (the line above: the tests render a row under Node with tsx, which reads no tsconfig "jsx" for it)
// The AI models panel, for the clinic's IT person as much as the radiologist: the models running at
// this station (where each was installed, what it runs on, its analyses, whether it was trained on
// synthetic images only), the model folders refused and why (in the reader's language: a vendor's
// model with a wrong checksum is said so here, not only in a log), and which model exams show, with
// the choice to show another. Opened from the top bar, whose button warns when a model was refused.
import { useCallback, useEffect, useRef, useState } from 'react';
import { modelCaveat } from '../../common/ai/model-caveat.ts';
import type { AiModelEntry, AiModelsStatus } from '../../common/domain.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import { providerLabel, showableText } from '../../common/ai/model-manifest.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { failureReason, fallbackReason } from './ai-state.ts';

/**
 * The models' status (undefined while unknown): read once for the top bar's button, and while the
 * panel is open, again as analyses end (their counts) or another model is shown. Not while it is
 * closed: counting a large library's analyses costs the main process a few milliseconds each time.
 */
export function useAiModels(open: boolean): [AiModelsStatus | undefined, (s: AiModelsStatus) => void] {
  const api = useApi();
  const [status, setStatus] = useState<AiModelsStatus | undefined>(undefined);
  // each status asked for or handed in (a model chosen) numbered: an answer to an earlier question is
  // not shown over a later status (asked as the panel opened and answered after a model was chosen, it
  // showed the choice before for up to two seconds, a review)
  const latest = useRef(0);
  const handIn = useCallback((s: AiModelsStatus) => { latest.current++; setStatus(s); }, []);
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      const asked = ++latest.current;
      const s = await api.aiModels({}).catch(() => null);
      if (!s || cancelled || asked !== latest.current) return;
      setStatus(s);
      // while the models are checked at start, ask again shortly
      if (s.state === 'starting') timer = setTimeout(() => void load(), 1000);
    };
    void load();
    // closed, the top-bar button hears of the models or the library's room changing (every model's
    // analyses at once: examId null), not of each exam
    if (!open) {
      const offModels = api.on('aiChanged', ({ examId }) => { if (examId === null) void load(); });
      return () => { cancelled = true; clearTimeout(timer); offModels(); };
    }
    // analyses end one exam at a time: the counts are read again at most every two seconds
    let pending: ReturnType<typeof setTimeout> | undefined;
    const off = api.on('aiChanged', () => {
      pending ??= setTimeout(() => { pending = undefined; void load(); }, 2000);
    });
    return () => { cancelled = true; off(); clearTimeout(timer); clearTimeout(pending); };
  }, [api, open]);
  return [status, handIn];
}

export function AiModelsButton({ status, onOpen }: { status: AiModelsStatus | undefined; onOpen(): void }) {
  const { t } = useI18n();
  if (!status || status.state === 'off') return null;
  const state = status.refused.length || status.libraryFull ? 'failed' : status.models.length ? 'listening' : 'off';
  return (
    <button type="button" className={`receiver-button ${state}`} onClick={onOpen} data-testid="ai-models-button" title={status.libraryFull ? t('ai.models.libraryFull') : undefined}>
      <span className="dot" aria-hidden="true" />
      {t('ai.models.button')}{status.refused.length ? ` · ${status.refused.length} ⚠` : status.libraryFull ? ' ⚠' : ''}
    </button>
  );
}

export function ModelRow({ model, chosen, onChoose }: { model: AiModelEntry; chosen: string | null; onChoose(id: string): void }) {
  const { t } = useI18n();
  const a = model.analyses;
  const caveat = modelCaveat(model);
  return (
    <tr data-testid="ai-model" data-model={model.id} className={model.shown ? 'shown' : ''}>
      <td>
        <input type="radio" name="ai-shown-model" checked={chosen === model.id} onChange={() => onChoose(model.id)}
          aria-label={t('common.labelled', { label: t('ai.models.column.shown'), text: model.name })} data-testid="ai-model-choose" />
        {model.shown && <span className="badge shown" data-testid="ai-model-shown"> {t('ai.models.shownNow')}</span>}
      </td>
      <td>
        <strong>{t('ai.model', { name: model.name, version: model.version })}</strong>
        <div className="muted small">{model.id}</div>
        {caveat && <div className="small synthetic-label" data-testid="ai-model-synthetic" data-caveat={caveat}>{t(`ai.${caveat}`)}</div>}
        {/* a fixed input at a fixed pixel size: the breasts it cannot read, said before exams fail for it (a vendor's probe) */}
        {model.field && <div className={`small ${model.field.small ? 'ai-warning' : 'muted'}`} data-testid="ai-model-field" data-small={model.field.small ? 'true' : undefined}>
          {t('ai.models.field', { width: model.field.width, height: model.field.height })}{model.field.small && <> {t('ai.models.fieldSmall')}</>}</div>}
      </td>
      <td>{t(`ai.models.source.${model.source}`)}<div className="muted small">{showableText(model.folder)}</div></td>
      <td>{providerLabel(model.provider)}
        {/* why an accelerator its manifest prefers was not used: in the reader's words where the runtime's
            are known (its English library error, raw, read in the French panel: a probe), the runtime's own in the tooltip */}
        {model.fallbacks?.map((f) => <div key={f.provider} className="muted small" data-testid="ai-model-fallback" data-provider={f.provider} title={showableText(f.reason)}>
          {t('ai.models.fellBack', { provider: providerLabel(f.provider), reason: fallbackReason(t, f.reason) })}</div>)}
      </td>
      <td className="small">
        {/* cancelled too: a reader's cancel stops every model's analysis of the exam, the ones not shown as well */}
        <span data-testid="ai-model-analyses">{t('ai.models.analyses', { done: a.done, waiting: a.queued + a.running, failed: a.failed, cancelled: a.cancelled })}</span>
        {/* why they failed: a model failing every exam is a fault to tell whoever supplied it */}
        {model.failures?.map((f) => <div key={f.code} className="muted" data-testid="ai-model-failure" data-code={f.code}>{f.count} × {failureReason(t, f.code, f.detail)}</div>)}
        {/* installed back over a newer version: its older results show again (silent, a probe) */}
        {/* on hold, and until what: the worklist's "on hold (see AI models)" sent IT here to find nothing (a probe) */}
        {model.held && <div className="ai-warning" data-testid="ai-model-held" data-held={model.held}>{t(model.held === 'overran' ? 'ai.models.heldOverran' : 'ai.models.heldChanged')}</div>}
        {model.newerAnalysed && <div className="ai-warning" data-testid="ai-model-newer-analysed">{t('ai.models.newerAnalysed', { version: model.newerAnalysed })}</div>}
        {model.olderAnalysed && <div className="muted" data-testid="ai-model-older-analysed">{t('ai.models.olderAnalysed', { version: model.olderAnalysed.version, exams: model.olderAnalysed.exams })}</div>}
      </td>
    </tr>
  );
}

export function AiModelsPanel({ status, onChange, onClose }: { status: AiModelsStatus | undefined; onChange(s: AiModelsStatus): void; onClose(): void }) {
  const api = useApi();
  const { t, locale, errorText } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // two choices in a row: the first one's answer, come after the second's, is not shown over it
  const choices = useRef(0);
  const choose = useCallback(async (modelId: string | null) => {
    setError(null);
    setSaved(null);
    const asked = ++choices.current;
    try {
      const next = await api.chooseAiModel({ modelId });
      if (asked !== choices.current) return;
      onChange(next);
      const shown = next.models.find((m) => m.shown);
      if (shown) setSaved(t('ai.models.saved', { model: t('ai.model', { name: shown.name, version: shown.version }) }));
    } catch (e) {
      if (asked === choices.current) setError(errorText(e));
    }
  }, [api, onChange, t, errorText]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') onClose(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const chosenMissing = status?.chosen && !status.models.some((m) => m.id === status.chosen);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={t('ai.models.title')} data-testid="ai-models-panel">
      <div className="dialog wide">
        <h2>{t('ai.models.title')}</h2>
        {!status ? <p className="muted">…</p>
          : status.state === 'off' ? <p className="notice">{t('ai.models.off')}</p>
            : status.state === 'starting' ? <p className="muted">{t('ai.models.starting')}</p>
              : (
                <>
                  {status.libraryFull && <p className="notice warning" data-testid="ai-models-library-full">{t('ai.models.libraryFull')}</p>}
                  {status.models.length === 0 ? <p className="notice warning" data-testid="ai-models-none">{t('ai.models.none')}</p> : (
                    <>
                      <p className="muted small">{t('ai.models.shownHint')}</p>
                      <table className="associations ai-models">
                        <thead>
                          <tr>
                            <th>{t('ai.models.column.shown')}</th><th>{t('ai.models.column.model')}</th><th>{t('ai.models.column.source')}</th>
                            <th>{t('ai.models.column.provider')}</th><th>{t('ai.models.column.analyses')}</th>
                          </tr>
                        </thead>
                        <tbody>
                          <tr>
                            <td><input type="radio" name="ai-shown-model" checked={!status.chosen || Boolean(chosenMissing)} onChange={() => void choose(null)}
                              aria-label={t('ai.models.automatic')} data-testid="ai-model-automatic" /></td>
                            {/* which model that is now: the radio on "Automatic" beside a model badged "shown" read as two answers (a radiologist's probe) */}
                            <td colSpan={4}>{t('ai.models.automatic')}{(() => {
                              const now = !status.chosen || chosenMissing ? status.models.find((m) => m.shown) : undefined;
                              return now && <span className="muted" data-testid="ai-model-automatic-now"> {t('ai.models.automaticNow', { name: showableText(now.name), version: now.version })}</span>;
                            })()}</td>
                          </tr>
                          {status.models.map((m) => <ModelRow key={m.id} model={m} chosen={status.chosen} onChoose={(id) => void choose(id)} />)}
                        </tbody>
                      </table>
                      {chosenMissing && <p className="notice warning" data-testid="ai-models-chosen-missing">{t('ai.models.chosenMissing', { model: status.chosen! })}</p>}
                    </>
                  )}
                  {status.refused.length > 0 && (
                    <>
                      <h3>{t('ai.models.refused')}</h3>
                      <ul className="refused-models">
                        {status.refused.map((r) => (
                          <li key={`${r.source}/${r.folder}`} className="notice error" data-testid="ai-model-refused">
                            <strong>{showableText(r.folder)}</strong>{t('ai.models.refusedWhy', { source: t(`ai.models.source.${r.source}`), problem: describeModelProblem(locale, r.problem) })}
                          </li>
                        ))}
                      </ul>
                    </>
                  )}
                  {/* a model the library's copy of its id replaces: said, and warned of when that copy is older (an update of
                      the application shipped a newer version, which the library's older copy kept from use: a probe) */}
                  {status.replaced.length > 0 && (
                    <ul className="replaced-models">
                      {status.replaced.map((r) => (
                        <li key={`${r.source}/${r.folder}`} className={r.byOlder ? 'notice warning' : 'muted small'} data-testid="ai-model-replaced" data-older={r.byOlder ? 'true' : undefined}>
                          {t('ai.models.replaced', { model: `${showableText(r.id)} ${showableText(r.version)}`, folder: showableText(r.folder), source: t(`ai.models.source.${r.source}`), by: showableText(r.by), byVersion: showableText(r.byVersion) })}
                          {r.byOlder && ` ${t('ai.models.replacedByOlder', { version: showableText(r.byVersion), replaced: showableText(r.version) })}`}
                        </li>
                      ))}
                    </ul>
                  )}
                  {/* a check that runs long goes on beside the others (model-discovery.ts): said, or its model seemed missing */}
                  {status.checking && status.checking.length > 0 && (
                    <p className="notice" data-testid="ai-models-checking">{t('ai.models.checking')}{' '}
                      {status.checking.map((c, i) => <span key={`${c.source}/${c.folder}`}>{i > 0 && ', '}<strong>{showableText(c.folder)}</strong>{t('ai.models.checkingWhere', { source: t(`ai.models.source.${c.source}`) })}</span>)}
                    </p>
                  )}
                  {status.libraryModelsFolder && <p className="muted small" data-testid="ai-models-drop-in">{t('ai.models.dropIn', { folder: showableText(status.libraryModelsFolder) })}</p>}
                </>
              )}
        {error && <p className="notice error" role="alert">{error}</p>}
        {saved && !error && <p className="muted small" data-testid="ai-models-saved">{saved}</p>}
        <div className="buttons">
          <button type="button" onClick={onClose}>{t('viewer.help.close')}</button>
        </div>
      </div>
    </div>
  );
}
