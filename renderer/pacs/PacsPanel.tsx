// The PACS panel: the PACS nodes (add, edit, remove, test the connection), each node's outbox
// ("3 waiting for PACS 'Orthanc' — unreachable since 14:02, next try in 40 s", sent and failed
// counts, retry now) and the objects that failed for good with their reason. Opened from the top
// bar, whose button shows at a glance whether something waits for a PACS that is away.
import { useCallback, useEffect, useState } from 'react';
import type { PacsNodeInput, PacsNodeStatus, PacsNodeView, PacsProtocol, PacsStatus, PacsTestResult } from '../../common/pacs.ts';
import { pacsNodeProblems, pacsObjectKind } from '../../common/pacs.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { translateCount } from '../../common/i18n/messages.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';

/** The PACS status, kept current by the pacsChanged event (and a clock, for "next try in"); undefined while unknown. */
export function usePacsStatus(): PacsStatus | undefined {
  const api = useApi();
  const [status, setStatus] = useState<PacsStatus | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    const load = () => api.pacsStatus({}).then((s) => { if (!cancelled) setStatus(s); }).catch(() => undefined);
    void load();
    const off = api.on('pacsChanged', ({ examId }) => { if (examId === null) void load(); });
    const timer = setInterval(() => void load(), 5000);
    return () => { cancelled = true; off(); clearInterval(timer); };
  }, [api]);
  return status;
}

export function PacsButton({ status, onOpen }: { status: PacsStatus | undefined; onOpen(): void }) {
  const { t } = useI18n();
  const waiting = status?.nodes.reduce((n, s) => n + s.outbox.queued + s.outbox.sending, 0) ?? 0;
  const failing = status?.nodes.some((s) => s.health.state === 'failing') ?? false;
  const state = !status?.nodes.length ? 'off' : failing ? 'failed' : 'listening';
  return (
    <button type="button" className={`receiver-button ${state}`} onClick={onOpen} data-testid="pacs-button">
      <span className="dot" aria-hidden="true" />
      {t('pacs.title')}{waiting ? ` · ${waiting}` : ''}
    </button>
  );
}

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

function timeOf(iso: string, locale: string): string {
  return new Date(iso).toLocaleTimeString(locale === 'fr' ? 'fr-FR' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** "3 waiting for PACS “Orthanc” — unreachable since 14:02, next try in 40 s · 12 sent · 1 failed" */
function outboxLine(s: PacsNodeStatus, t: Translate, locale: string, now: number): string {
  const parts: string[] = [];
  const waiting = s.outbox.queued + s.outbox.sending;
  parts.push(waiting ? t('pacs.outbox.waiting', { count: waiting, name: s.node.name }) : t('pacs.outbox.empty'));
  const health = s.health.state === 'failing'
    ? t('pacs.health.failing', { failure: t(`pacs.failure.${s.health.failure?.code ?? 'other'}` as MessageKey), time: timeOf(s.health.since!, locale) })
    : t(`pacs.health.${s.health.state}` as MessageKey);
  let line = `${parts[0]} — ${health}`;
  if (s.outbox.sending) line += `, ${t('pacs.outbox.sending')}`;
  else if (waiting && s.outbox.nextAttemptAt) {
    const seconds = Math.max(0, Math.round((Date.parse(s.outbox.nextAttemptAt) - now) / 1000));
    if (seconds > 0) line += `, ${t('pacs.outbox.nextTry', { seconds })}`;
  }
  line += ` · ${t('pacs.outbox.sent', { count: s.outbox.sent })}`;
  if (s.outbox.failed) line += ` · ${t('pacs.outbox.failed', { count: s.outbox.failed })}`;
  return line;
}

interface Form {
  id: string; name: string; protocol: PacsProtocol;
  baseUrl: string; username: string; password: string; passwordSet: boolean;
  /** The server and user the stored password was given for: it is kept only for them (the station sends it nowhere else). */
  passwordFor: string | null;
  aeTitle: string; host: string; port: number;
  queryPriors: boolean; receiveResults: boolean; timeoutSeconds: number;
}

const newForm = (taken: readonly string[]): Form => {
  let n = 1;
  while (taken.includes(`pacs${n}`)) n++;
  return { id: `pacs${n}`, name: '', protocol: 'dicomweb', baseUrl: '', username: '', password: '', passwordSet: false, passwordFor: null, aeTitle: '', host: '', port: 104,
    queryPriors: true, receiveResults: true, timeoutSeconds: 30 };
};

/** A server (its origin) and a user, as the station keeps a stored password for them only. */
function accountOf(baseUrl: string, username: string): string | null {
  try {
    return `${new URL(baseUrl.trim()).origin} ${username.trim()}`;
  } catch {
    return null;
  }
}

const formOf = (n: PacsNodeView): Form => ({
  id: n.id, name: n.name, protocol: n.protocol, baseUrl: n.baseUrl ?? '', username: n.username ?? '', password: '', passwordSet: n.passwordSet,
  passwordFor: n.passwordSet ? accountOf(n.baseUrl ?? '', n.username ?? '') : null,
  aeTitle: n.dimse?.aeTitle ?? '', host: n.dimse?.host ?? '', port: n.dimse?.port ?? 104,
  queryPriors: n.queryPriors, receiveResults: n.receiveResults, timeoutSeconds: n.timeoutSeconds,
});

function inputOf(f: Form): PacsNodeInput {
  const common = { id: f.id, name: f.name.trim(), queryPriors: f.queryPriors, receiveResults: f.receiveResults, timeoutSeconds: f.timeoutSeconds };
  if (f.protocol === 'dimse') return { ...common, protocol: 'dimse', dimse: { aeTitle: f.aeTitle.trim(), host: f.host.trim(), port: f.port } };
  return {
    ...common, protocol: 'dicomweb', baseUrl: f.baseUrl.trim(), username: f.username.trim() || null,
    // an empty password field keeps the stored one
    ...(f.password ? { password: f.password } : f.username.trim() ? {} : { password: null }),
  };
}

/** This station's AE title and port, as a DIMSE PACS must know them to send priors here (null while unknown, or where this process receives nothing). */
function useStationAddress(): { aeTitle: string; port: number } | null {
  const api = useApi();
  const [address, setAddress] = useState<{ aeTitle: string; port: number } | null>(null);
  useEffect(() => {
    let cancelled = false;
    api.receiverStatus({}).then(({ status }) => { if (!cancelled && status) setAddress({ aeTitle: status.settings.aeTitle, port: status.port ?? status.settings.port }); }).catch(() => undefined);
    return () => { cancelled = true; };
  }, [api]);
  return address;
}

function NodeForm({ form, setForm, onSave, onCancel }: { form: Form; setForm(f: Form): void; onSave(): void; onCancel(): void }) {
  const api = useApi();
  const { t, errorText } = useI18n();
  // a test is of the address it was run on: its answer (up to the node's time limit) is shown only while
  // the form still says that address; it read "unreachable" under the host just corrected (a review)
  const [tested, setTested] = useState<{ of: string; test: PacsTestResult | 'testing' } | null>(null);
  const testedNow = JSON.stringify(inputOf(form));
  const test = tested?.of === testedNow ? tested.test : null;
  const setTest = (result: PacsTestResult | 'testing' | null, of = testedNow) => setTested(result === null ? null : { of, test: result });
  const [error, setError] = useState<string | null>(null);
  const station = useStationAddress();
  const problems = pacsNodeProblems(form);
  const dimse = form.protocol === 'dimse';
  const started = dimse ? form.aeTitle !== '' || form.host !== '' : form.baseUrl !== '';
  const runTest = async () => {
    const of = testedNow;
    setTest('testing', of);
    setError(null);
    try {
      const result = await api.testPacsNode(inputOf(form));
      setTested((now) => (now?.of === of ? { of, test: result } : now));
    } catch (e) {
      setTested((now) => (now?.of === of ? null : now));
      setError(errorText(e));
    }
  };
  return (
    <fieldset className="receiver-settings" data-testid="pacs-form">
      <label className="field">{t('pacs.field.name')}
        <input value={form.name} maxLength={64} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="pacs-name" />
      </label>
      <label className="field">{t('pacs.field.protocol')}
        <select value={form.protocol} onChange={(e) => { setForm({ ...form, protocol: e.target.value as PacsProtocol }); setTest(null); }} data-testid="pacs-protocol">
          <option value="dicomweb">{t('pacs.protocol.dicomweb')}</option>
          <option value="dimse">{t('pacs.protocol.dimse')}</option>
        </select>
      </label>
      {dimse ? (
        <>
          <label className="field">{t('pacs.field.aeTitle')}
            <input value={form.aeTitle} maxLength={16} spellCheck={false} onChange={(e) => setForm({ ...form, aeTitle: e.target.value })} data-testid="pacs-aet" />
          </label>
          <label className="field">{t('pacs.field.host')}
            <input value={form.host} maxLength={253} spellCheck={false} onChange={(e) => setForm({ ...form, host: e.target.value })} data-testid="pacs-host" />
          </label>
          <label className="field">{t('pacs.field.port')}
            <input type="number" min={1} max={65535} value={form.port} onChange={(e) => setForm({ ...form, port: Number(e.target.value) })} data-testid="pacs-port" />
          </label>
          {station && <p className="muted small" data-testid="pacs-dimse-hint">{t('pacs.dimseHint', station)}</p>}
        </>
      ) : (
        <>
          <label className="field">{t('pacs.field.baseUrl')}
            <input value={form.baseUrl} maxLength={2048} placeholder={t('pacs.field.baseUrlHint')} size={40} onChange={(e) => setForm({ ...form, baseUrl: e.target.value })} data-testid="pacs-url" />
          </label>
          <label className="field">{t('pacs.field.username')}
            <input value={form.username} maxLength={256} autoComplete="off" onChange={(e) => setForm({ ...form, username: e.target.value })} data-testid="pacs-user" />
          </label>
        </>
      )}
      {!dimse && form.username.trim() !== '' && (
        <label className="field">{t('pacs.field.password')}
          <input type="password" value={form.password} autoComplete="new-password" maxLength={1024} size={40}
            placeholder={!form.passwordSet ? '' : accountOf(form.baseUrl, form.username) === form.passwordFor ? t('pacs.field.passwordKept') : t('pacs.field.passwordAgain')}
            onChange={(e) => setForm({ ...form, password: e.target.value })} data-testid="pacs-password" />
        </label>
      )}
      {!dimse && form.username.trim() !== '' && form.baseUrl.trim().toLowerCase().startsWith('http:') && <p className="muted small">{t('pacs.httpWarning')}</p>}
      <label className="field">{t('pacs.field.queryPriors')}
        <input type="checkbox" checked={form.queryPriors} onChange={(e) => setForm({ ...form, queryPriors: e.target.checked })} data-testid="pacs-priors" />
      </label>
      <label className="field">{t('pacs.field.receiveResults')}
        <input type="checkbox" checked={form.receiveResults} onChange={(e) => setForm({ ...form, receiveResults: e.target.checked })} data-testid="pacs-results" />
      </label>
      <label className="field">{t('pacs.field.timeout')}
        <input type="number" min={1} max={600} value={form.timeoutSeconds} onChange={(e) => setForm({ ...form, timeoutSeconds: Number(e.target.value) })} data-testid="pacs-timeout" />
      </label>
      {problems.length > 0 && started && <ul className="notice warning" data-testid="pacs-problems">{problems.map((p) => <li key={p}>{t(p)}</li>)}</ul>}
      {test && (
        <p className={`notice ${test !== 'testing' && test.result !== 'reachable' ? 'error' : ''}`} data-testid="pacs-test-result">
          {test === 'testing' ? t('pacs.testing') : test.result === 'reachable' ? t(dimse ? 'pacs.test.echoed' : 'pacs.test.reachable', { ms: test.ms })
            : `${t(`pacs.failure.${test.result}` as MessageKey)}${test.httpStatus ? ` (HTTP ${test.httpStatus})` : ''}`}
        </p>
      )}
      {error && <p className="notice error" role="alert">{error}</p>}
      <div className="buttons">
        <button type="button" onClick={onCancel}>{t('pacs.cancel')}</button>
        <button type="button" disabled={problems.length > 0 || test === 'testing'} onClick={() => void runTest()} data-testid="pacs-test">{t('pacs.test')}</button>
        <button type="button" className="primary" disabled={problems.length > 0} onClick={onSave} data-testid="pacs-save">{t('pacs.save')}</button>
      </div>
    </fieldset>
  );
}

export function PacsPanel({ status, onClose }: { status: PacsStatus | undefined; onClose(): void }) {
  const api = useApi();
  const { t, errorText, locale } = useI18n();
  const [editing, setEditing] = useState<{ form: Form; index: number | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [current, setCurrent] = useState<PacsStatus | undefined>(status);
  const [now, setNow] = useState(Date.now());
  useEffect(() => setCurrent(status), [status]);
  // Escape leaves the node being edited (unsaved), then the panel, as the AI models panel
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      if (editing) setEditing(null);
      else onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [editing, onClose]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const nodes = current?.nodes.map((s) => s.node) ?? [];
  const save = useCallback(async (next: PacsNodeInput[]) => {
    setError(null);
    try {
      setCurrent(await api.setPacsNodes({ nodes: next }));
      setEditing(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [api, errorText]);
  // stored nodes are sent back without their password: the station keeps the stored one
  const asInputs = (list: PacsNodeView[]): PacsNodeInput[] => list.map((n) => ({ id: n.id, name: n.name, protocol: n.protocol, baseUrl: n.baseUrl, dimse: n.dimse,
    username: n.username, queryPriors: n.queryPriors, receiveResults: n.receiveResults, timeoutSeconds: n.timeoutSeconds }));
  const retry = async (nodeId?: string) => {
    try { setCurrent(await api.retryPacs(nodeId ? { nodeId } : {})); } catch (e) { setError(errorText(e)); }
  };
  const nameOf = (id: string) => nodes.find((n) => n.id === id)?.name ?? id;
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={t('pacs.title')} data-testid="pacs-panel">
      <div className="dialog wide">
        <h2>{t('pacs.title')}</h2>
        <p className="muted small">{t('pacs.explain')}</p>
        {current === undefined ? <p className="muted">…</p> : (
          <>
            {!current.nodes.length && <p className="notice">{t('pacs.none')}</p>}
            {current.nodes.length > 0 && !current.sending && <p className="notice warning">{t('pacs.notSending')}</p>}
            {current.nodes.map((s, index) => (
              <div key={s.node.id} className={`pacs-node ${s.health.state}`} data-testid="pacs-node">
                <div><strong>{s.node.name}</strong> <span className="muted small">{s.node.protocol === 'dimse' && s.node.dimse ? `DICOM ${s.node.dimse.aeTitle} @ ${s.node.dimse.host}:${s.node.dimse.port}` : s.node.baseUrl}
                  {' · '}{[s.node.queryPriors && t('pacs.uses.priors'), s.node.receiveResults && t('pacs.uses.results')].filter(Boolean).join(', ')}</span></div>
                <p className={`small ${s.health.state === 'failing' ? 'error-text' : ''}`} data-testid="pacs-outbox">{outboxLine(s, t, locale, now)}</p>
                <div className="buttons left">
                  {(s.outbox.queued > 0 || s.outbox.failed > 0) && <button type="button" onClick={() => void retry(s.node.id)} data-testid="pacs-retry">{t('pacs.retryNow')}</button>}
                  <button type="button" onClick={() => setEditing({ form: formOf(s.node), index })} data-testid="pacs-edit">{t('pacs.edit')}</button>
                  <button type="button" onClick={() => void save(asInputs(nodes.filter((_, i) => i !== index)))} data-testid="pacs-remove">{t('pacs.remove')}</button>
                </div>
              </div>
            ))}
            {current.failedItems.length > 0 && (
              <>
                <h3>{t('pacs.failedItems')}</h3>
                <ul className="small" data-testid="pacs-failed">
                  {current.failedItems.map((i) => (
                    <li key={i.id}>{t('pacs.failedItem', { what: t(pacsObjectKind(i.sopClassUid)), instance: i.instanceId, node: nameOf(i.nodeId), failure: t(`pacs.failure.${i.failure?.code ?? 'other'}` as MessageKey),
                      detail: i.failure?.detail ? ` (${i.failure.detail})` : '' })}</li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
        {editing && (
          <NodeForm key={editing.index ?? 'new'} form={editing.form} setForm={(form) => setEditing({ ...editing, form })} onCancel={() => setEditing(null)}
            onSave={() => {
              const inputs = asInputs(nodes);
              const input = inputOf(editing.form);
              // by its id, not its place: the list, polled meanwhile, may have lost a node removed in another window
              void save(editing.index === null || !inputs.some((n) => n.id === input.id) ? [...inputs, input] : inputs.map((n) => (n.id === input.id ? input : n)));
            }} />
        )}
        {error && <p className="notice error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" onClick={onClose}>{t('viewer.help.close')}</button>
          {!editing && current && <button type="button" className="primary" onClick={() => setEditing({ form: newForm(nodes.map((n) => n.id)), index: null })} data-testid="pacs-add">{t('pacs.add')}</button>}
        </div>
      </div>
    </div>
  );
}

/**
 * "Send to PACS" for the exam on screen, where a PACS node receives results: every object of the
 * exam (images, the AI's CAD SR) goes into the outbox; what was queued already is not queued twice.
 */
export function PacsSendButton({ examId }: { examId: number }) {
  const api = useApi();
  const { t, locale, errorText } = useI18n();
  // the nodes, asked once per exam (the top bar's button keeps the outbox's state live)
  const [nodes, setNodes] = useState<PacsNodeView[]>([]);
  // what the last send did, kept as data and said in the reader's language of the moment
  const [sent, setSent] = useState<{ queued: number; nodes: string[] } | { error: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let cancelled = false;
    setSent(null);
    api.pacsStatus({}).then((s) => { if (!cancelled) setNodes(s.nodes.map((n) => n.node)); }).catch(() => undefined);
    return () => { cancelled = true; };
  }, [api, examId]);
  if (!nodes.some((n) => n.receiveResults)) return null;
  const send = async () => {
    setBusy(true);
    try {
      const { queued, nodes: queuedFor } = await api.sendToPacs({ examId });
      setSent({ queued, nodes: queuedFor });
    } catch (error) {
      setSent({ error });
    } finally {
      setBusy(false);
    }
  };
  const names = (ids: string[]) => ids.map((id) => t('pacs.send.node', { name: nodes.find((n) => n.id === id)?.name ?? id })).join(', ');
  // an item is one object for one node
  const said = !sent ? null : 'error' in sent ? errorText(sent.error)
    : sent.queued ? translateCount(locale, 'pacs.send.queued', sent.queued, { nodes: names(sent.nodes) }) : t('pacs.send.nothingNew');
  return (
    <span className="muted small">
      <button type="button" disabled={busy} onClick={(e) => { e.currentTarget.blur(); void send(); }} data-testid="pacs-send">{t('pacs.send.button')}</button>
      {said && <span data-testid="pacs-send-result"> {said}</span>}
    </span>
  );
}

/**
 * The searches for an opened exam's priors on the PACS, in one line each (nothing where no node serves
 * priors). A prior they fetch is offered as any prior that arrives while the exam is open (ArrivedPriorOffer).
 */
export function PacsPriorsLine({ examId }: { examId: number }) {
  const api = useApi();
  const { t } = useI18n();
  const [lines, setLines] = useState<string[]>([]);
  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      try {
        const [searches, status] = await Promise.all([api.pacsPriors({ examId }), api.pacsStatus({})]);
        const name = (id: string) => status.nodes.find((n) => n.node.id === id)?.node.name ?? id;
        if (!cancelled) setLines(searches.map((s) => (s.state === 'running' ? t('pacs.priors.running', { name: name(s.nodeId) })
          : s.state === 'done' ? t('pacs.priors.done', { name: name(s.nodeId), found: s.found, retrieved: s.retrieved })
            : t('pacs.priors.failed', { name: name(s.nodeId), failure: t(`pacs.failure.${s.failure?.code ?? 'other'}` as MessageKey) }))));
      } catch {
        if (!cancelled) setLines([]);
      }
    };
    void load();
    const off = api.on('pacsChanged', (e) => { if (e.examId === examId) void load(); });
    return () => { cancelled = true; off(); };
  }, [api, examId, t]);
  if (!lines.length) return null;
  return (
    <span className="muted small" data-testid="pacs-priors">
      {lines.join(' · ')}
    </span>
  );
}
