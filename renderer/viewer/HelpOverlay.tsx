// The keys, as this reader's keymap has them (a reading keypad's keys included), and the mouse.
import { useRef } from 'react';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { VIEWER_ACTIONS } from '../../common/viewer-settings.ts';
import type { KeyName, ViewerAction } from '../../common/viewer-settings.ts';
import { useI18n } from '../i18n.tsx';
import { keyLabel } from './key-label.ts';
import { useModalKeyboard } from '../modal-keyboard.ts';

export function HelpOverlay({ keymap, onClose }: { keymap: Record<ViewerAction, KeyName[]>; onClose(): void }) {
  const { t, locale } = useI18n();
  const dialog = useRef<HTMLDivElement>(null);
  useModalKeyboard(dialog, onClose);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={t('viewer.help.title')} data-testid="help" onClick={onClose} ref={dialog}>
      <div className="dialog" onClick={(e) => e.stopPropagation()}>
        <h2>{t('viewer.help.title')}</h2>
        <table className="keys">
          <tbody>
            {VIEWER_ACTIONS.map((action) => (
              <tr key={action} data-action={action}>
                <td>{t(`viewer.action.${action}` as MessageKey)}</td>
                <td>{keymap[action].length ? keymap[action].map((k) => <kbd key={k}>{keyLabel(k, locale)}</kbd>) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">{t('viewer.mouse')}</p>
        <button type="button" onClick={onClose}>{t('viewer.help.close')}</button>
      </div>
    </div>
  );
}
