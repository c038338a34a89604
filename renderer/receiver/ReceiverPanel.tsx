// The DICOM receiver (storage SCP) panel: whether it listens and where, what each association
// brought (or why it was refused), and its settings (AE title, port, network, allowed callers).
// Opened from the top bar, whose button shows the receiver's state at a glance.
import { useEffect, useRef, useState } from 'react';
import type { AssociationStatus, ReceiverSettings, ReceiverStatus } from '../../common/dicom-node.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { useModalKeyboard, useUnsavedGuard } from '../modal-keyboard.ts';

/** The receiver's status, kept current by the receiverChanged event; undefined while unknown, null where this station runs none. */
export function useReceiverStatus(): ReceiverStatus | null | undefined {
  const api = useApi();
  const [status, setStatus] = useState<ReceiverStatus | null | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    // an event come before the first answer is newer than it: the answer, asked before, is not shown
    // over it (the receiver shown stopped, or on its old port, until its next change: a review)
    let heard = false;
    api.receiverStatus({}).then((r) => { if (!cancelled && !heard) setStatus(r.status); }).catch(() => { if (!cancelled && !heard) setStatus(null); });
    const off = api.on('receiverChanged', (s) => { heard = true; setStatus(s); });
    return () => { cancelled = true; off(); };
  }, [api]);
  return status;
}

function megabytes(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : bytes < 10 * 1048576 ? 1 : 0);
}

export function ReceiverButton({ status, onOpen }: { status: ReceiverStatus | null | undefined; onOpen(): void }) {
  const { t } = useI18n();
  const state = status?.state ?? 'off';
  const active = status?.associations.filter((a) => a.state === 'active').length ?? 0;
  return (
    <button type="button" className={`receiver-button ${state}`} onClick={onOpen} data-testid="receiver-button" title={t(`receiver.state.${state}` as MessageKey)}>
      <span className="dot" aria-hidden="true" />
      {t('receiver.title')}{active ? ` · ${t('receiver.receivingNow', { count: active })}` : ''}
    </button>
  );
}

function statusLine(status: ReceiverStatus, t: (key: MessageKey, params?: Record<string, string | number>) => string): string {
  if (status.state === 'listening') {
    return t(status.settings.openToNetwork ? 'receiver.listeningNetwork' : 'receiver.listeningLocal', { ae: status.settings.aeTitle, host: status.host ?? '', port: status.port ?? '' });
  }
  if (status.state === 'failed') return t(`receiver.failed.${status.failure?.code ?? 'other'}` as MessageKey, { port: status.settings.port });
  return t('receiver.off');
}

function AssociationRow({ a }: { a: AssociationStatus }) {
  const { t, locale } = useI18n();
  const when = new Date(a.startedAt).toLocaleTimeString(locale === 'fr' ? 'fr-FR' : 'en-GB');
  const state = a.state === 'refused' ? t(`receiver.refused.${a.refusal ?? 'calling_ae'}` as MessageKey, { called: a.calledAe }) : t(`receiver.association.${a.state}` as MessageKey);
  return (
    <tr className={a.state} data-testid="receiver-association">
      <td>{when}</td>
      <td>{a.callingAe}</td>
      <td className="muted">{a.remoteAddress}</td>
      <td>{state}</td>
      <td className="number">{a.state === 'refused' ? '' : a.received}</td>
      <td className="number">{a.state === 'refused' ? '' : megabytes(a.bytes)}</td>
      <td>{a.imported ? t('receiver.imported', { imported: a.imported.imported, duplicates: a.imported.duplicates, rejected: a.imported.rejected }) : a.state === 'active' ? '…' : ''}
        {a.failed ? ` ${t('receiver.failedStores', { count: a.failed })}` : ''}</td>
    </tr>
  );
}

export function ReceiverPanel({ status, onClose }: { status: ReceiverStatus | null | undefined; onClose(): void }) {
  const api = useApi();
  const { t, errorText } = useI18n();
  const [form, setForm] = useState<ReceiverSettings | null>(null);
  const [callers, setCallers] = useState('');
  // what is stored, to tell unsaved edits from none
  const [stored, setStored] = useState<ReceiverSettings | null>(null);
  const show = (receiver: ReceiverSettings) => { setForm(receiver); setCallers(receiver.allowedCallers.join(' ')); setStored(receiver); };
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  // a save waits for the receiver to stop listening, which waits for a transfer under way to end (a
  // modality sending: the rest of it): the form is held meanwhile, since the answer shows what was
  // stored, and edits typed while it was awaited were wiped, "Saved" said over them (a review)
  const [saving, setSaving] = useState(false);
  // (read through a ref: the form loaded again whenever the language changed, over what was typed)
  const words = useRef(errorText);
  words.current = errorText;
  useEffect(() => {
    api.getSettings({}).then((s) => show(s.receiver)).catch((e: unknown) => setError(words.current(e)));
  }, [api]);
  const save = async () => {
    if (!form) return;
    setError(null);
    setSaved(false);
    setSaving(true);
    try {
      const s = await api.setSettings({ receiver: { ...form, allowedCallers: callers.split(/[\s,;]+/).filter(Boolean) } });
      show(s.receiver);
      setSaved(true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  // Escape closes it and Tab stays in it, as the other panels (it stayed open on Escape: a probe)
  const dialog = useRef<HTMLDivElement>(null);
  const dirty = !!form && !!stored && (JSON.stringify(form) !== JSON.stringify(stored) || callers.trim() !== stored.allowedCallers.join(' '));
  const { close, warning } = useUnsavedGuard(dirty, onClose);
  useModalKeyboard(dialog, close);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={t('receiver.title')} data-testid="receiver-panel" ref={dialog}>
      <div className="dialog wide">
        <h2>{t('receiver.title')}</h2>
        {status === undefined ? <p className="muted">…</p>
          : status === null ? <p className="notice">{t('receiver.notHere')}</p>
            : (
              <>
                <p className={`notice ${status.state === 'failed' ? 'error' : status.state === 'off' ? 'warning' : ''}`} data-testid="receiver-state">{statusLine(status, t)}</p>
                {status.state === 'listening' && !status.settings.allowedCallers.length && <p className="notice warning">{t('receiver.nobodyAllowed')}</p>}
                <p className="muted small" data-testid="receiver-totals">{t('receiver.totals', { associations: status.totals.associations, images: status.totals.received, mb: megabytes(status.totals.bytes), refused: status.totals.refused })}</p>
                {status.associations.length > 0 && (
                  <table className="associations">
                    <thead>
                      <tr>
                        <th>{t('receiver.column.time')}</th><th>{t('receiver.column.callingAe')}</th><th>{t('receiver.column.address')}</th>
                        <th>{t('receiver.column.state')}</th><th>{t('receiver.column.images')}</th><th>{t('receiver.column.mb')}</th><th>{t('receiver.column.import')}</th>
                      </tr>
                    </thead>
                    <tbody>{status.associations.map((a) => <AssociationRow key={a.id} a={a} />)}</tbody>
                  </table>
                )}
              </>
            )}
        {form && (
          <fieldset className="receiver-settings" disabled={saving}>
            <legend>{t('receiver.settings')}</legend>
            <label className="field">{t('receiver.enabled')}
              <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} data-testid="receiver-enabled" />
            </label>
            <label className="field">{t('receiver.aeTitle')}
              <input value={form.aeTitle} maxLength={16} onChange={(e) => setForm({ ...form, aeTitle: e.target.value })} data-testid="receiver-ae" />
            </label>
            <label className="field">{t('receiver.port')}
              <input type="number" min={1} max={65535} value={form.port} onChange={(e) => setForm({ ...form, port: Number(e.target.value) })} data-testid="receiver-port" />
            </label>
            <label className="field">{t('receiver.openToNetwork')}
              <input type="checkbox" checked={form.openToNetwork} onChange={(e) => setForm({ ...form, openToNetwork: e.target.checked })} data-testid="receiver-network" />
            </label>
            {form.openToNetwork && <p className="muted small">{t('receiver.networkWarning')}</p>}
            <label className="field">{t('receiver.allowedCallers')}
              <input value={callers} placeholder={t('receiver.allowedCallersHint')} onChange={(e) => setCallers(e.target.value)} data-testid="receiver-callers" />
            </label>
          </fieldset>
        )}
        {error && <p className="notice error" role="alert">{error}</p>}
        {saving && <p className="muted small" data-testid="receiver-saving">{t('receiver.saving')}</p>}
        {saved && !error && !dirty && <p className="muted small" data-testid="receiver-saved">{t('receiver.saved')}</p>}
        {warning && <p className="notice warning" role="alert" data-testid="unsaved-warning">{t('dialog.unsaved')}</p>}
        <div className="buttons">
          <button type="button" onClick={close}>{t(warning ? 'dialog.discard' : 'viewer.help.close')}</button>
          {form && <button type="button" className="primary" disabled={saving} onClick={() => void save()} data-testid="receiver-save">{t('viewer.settings.save')}</button>}
        </div>
      </div>
    </div>
  );
}
