import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AppInfo } from '../common/api.ts';
import type { StationApi } from './api/station-api.ts';
import type { Locale } from '../common/domain.ts';
import { LOCALES } from '../common/domain.ts';
import { ApiContext } from './api/context.ts';
import { I18nContext, browserLocale, makeI18n } from './i18n.tsx';
import { WorklistPage } from './worklist/WorklistPage.tsx';
import { ViewerPage } from './viewer/ViewerPage.tsx';
import type { ViewerRoute } from './viewer/ViewerPage.tsx';
import { ReceiverButton, ReceiverPanel, useReceiverStatus } from './receiver/ReceiverPanel.tsx';
import { PacsButton, PacsPanel, usePacsStatus } from './pacs/PacsPanel.tsx';
import { AiModelsButton, AiModelsPanel, useAiModels } from './ai/AiModelsPanel.tsx';

/**
 * Hash routes: #/ is the worklist, #/exam/<id> an exam (with ?step=<id>&protocol=<id>, and for
 * diagnostics renditions=0 and prefetch=0). They survive reloads and need no server routes.
 */
type Route = { page: 'worklist' } | ({ page: 'exam' } & ViewerRoute);

function parseRoute(hash: string): Route {
  const m = hash.match(/^#\/exam\/(\d{1,15})(?:\?(.*))?$/);
  if (!m) return { page: 'worklist' };
  const query = new URLSearchParams(m[2] ?? '');
  return {
    page: 'exam', examId: Number(m[1]),
    step: query.get('step') ?? undefined, protocol: query.get('protocol') ?? undefined,
    renditions: query.get('renditions') !== '0', prefetch: query.get('prefetch') !== '0',
  };
}

export function App({ api }: { api: StationApi }) {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [locale, setLocale] = useState<Locale>(browserLocale);
  const localeChosenHere = useRef(false);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const i18n = useMemo(() => makeI18n(locale), [locale]);
  const [receiverOpen, setReceiverOpen] = useState(false);
  const [pacsOpen, setPacsOpen] = useState(false);
  const [aiModelsOpen, setAiModelsOpen] = useState(false);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    // until a reader chooses, the language of the browser (of the system, in Electron): a French
    // station opened in English until its menu was changed (a probe)
    // a choice made in the menu before the stored one arrives stands: the late answer put the page
    // back in the library's earlier language (a clean-clone run: "Send to PACS" answered in French
    // just after English was chosen)
    api.getSettings({}).then((s) => { if (!localeChosenHere.current) setLocale(s.localeChosen ? s.locale : browserLocale()); }).catch(() => undefined);
    api.appInfo({}).then(setInfo).catch(() => undefined);
  }, [api]);
  useEffect(() => { document.documentElement.lang = locale; }, [locale]);

  const changeLocale = useCallback((next: Locale) => {
    localeChosenHere.current = true;
    setLocale(next);
    api.setSettings({ locale: next }).catch(() => undefined);
  }, [api]);

  return (
    <ApiContext.Provider value={api}>
      <I18nContext.Provider value={i18n}>
        <div className="app">
          <header className="topbar">
            <a className="brand" href="#/">
              <strong>{i18n.t('app.title')}</strong>
              <span>{i18n.t('app.subtitle')}</span>
            </a>
            <div className="spacer" />
            <ReceiverStatusButton onOpen={() => setReceiverOpen(true)} open={receiverOpen} onClose={() => setReceiverOpen(false)} />
            <PacsStatusButton onOpen={() => setPacsOpen(true)} open={pacsOpen} onClose={() => setPacsOpen(false)} />
            <AiModelsStatusButton onOpen={() => setAiModelsOpen(true)} open={aiModelsOpen} onClose={() => setAiModelsOpen(false)} />
            {info && <span className="muted small" title={info.libraryDir}>v{info.version}</span>}
            <label className="locale">
              {i18n.t('settings.language')}
              <select aria-label={i18n.t('settings.language')} value={locale} onChange={(e) => changeLocale(e.target.value as Locale)} data-testid="locale">
                {LOCALES.map((l) => <option key={l} value={l}>{i18n.t(`settings.language.${l}`)}</option>)}
              </select>
            </label>
          </header>
          {route.page === 'worklist'
            ? <WorklistPage />
            : <ViewerPage route={route} />}
        </div>
      </I18nContext.Provider>
    </ApiContext.Provider>
  );
}

/** The top bar's receiver button and, when open, its panel; the status is followed while the station is open. */
function ReceiverStatusButton({ open, onOpen, onClose }: { open: boolean; onOpen(): void; onClose(): void }) {
  const status = useReceiverStatus();
  return (
    <>
      <ReceiverButton status={status} onOpen={onOpen} />
      {open && <ReceiverPanel status={status} onClose={onClose} />}
    </>
  );
}

/** The top bar's PACS button and, when open, its panel. */
function PacsStatusButton({ open, onOpen, onClose }: { open: boolean; onOpen(): void; onClose(): void }) {
  const status = usePacsStatus();
  return (
    <>
      <PacsButton status={status} onOpen={onOpen} />
      {open && <PacsPanel status={status} onClose={onClose} />}
    </>
  );
}

/** The top bar's AI models button (none where the station runs no AI) and, when open, its panel. */
function AiModelsStatusButton({ open, onOpen, onClose }: { open: boolean; onOpen(): void; onClose(): void }) {
  const [status, setStatus] = useAiModels(open);
  return (
    <>
      <AiModelsButton status={status} onOpen={onOpen} />
      {open && <AiModelsPanel status={status} onChange={setStatus} onClose={onClose} />}
    </>
  );
}
