// The viewer's settings: a key (or a reading keypad's key) per action, the monitor's pixel pitch for
// true size, the memory kept for the next exam, and when the AI's marks show (second look or
// concurrent) and at which of the model's operating points. A key field takes the next key pressed in it.
import { useRef, useState } from 'react';
import { operatingPointChoice } from '../../common/i18n/messages.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import type { AiResults } from '../../common/domain.ts';
import { AI_MARKS_MODES, VIEWER_ACTIONS, keyNameOf } from '../../common/viewer-settings.ts';
import type { AiMarksMode, ViewerSettings } from '../../common/viewer-settings.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { keyLabel } from './key-label.ts';
import { useModalKeyboard, useUnsavedGuard } from '../modal-keyboard.ts';

/** A key field takes the next key pressed in it, Escape too (the reset action's key by default). */
const isKeyField = (target: Element) => target.hasAttribute('data-key-field');

export function ViewerSettingsDialog({ settings, aiModel, onClose, onSaved }: {
  settings: ViewerSettings;
  /** The model whose marks the exam shows (its operating points to choose from); null: none. */
  aiModel: AiResults['model'];
  onClose(): void;
  onSaved(settings: ViewerSettings): void;
}) {
  const api = useApi();
  const { t, locale, errorText } = useI18n();
  // the fields as the dialog opened, to tell unsaved edits from none
  const [opened] = useState(() => ({
    pitch: settings.monitorPixelPitchMm === null ? '' : String(settings.monitorPixelPitchMm),
    cache: String(settings.prefetchCacheMb),
    // the point in use: hers where the model has it, else its default (what the marks show now)
    aiPoint: aiModel?.operatingPoint.name ?? settings.aiOperatingPoint,
  }));
  const [keymap, setKeymap] = useState(settings.keymap);
  const [pitch, setPitch] = useState(opened.pitch);
  const [cache, setCache] = useState(opened.cache);
  const [aiMarksMode, setAiMarksMode] = useState<AiMarksMode>(settings.aiMarksMode);
  const [aiPoint, setAiPoint] = useState(opened.aiPoint);
  const [askUnseenSteps, setAskUnseenSteps] = useState(settings.askUnseenSteps);
  const [error, setError] = useState<string | null>(null);
  // the keyboard in the dialog from the start, kept there, and Escape closes it unsaved, as the help
  // does (focus stayed on ⚙ behind it, and only a click closed it: a probe); a key field takes Escape as a key
  const dialog = useRef<HTMLDivElement>(null);
  const dirty = JSON.stringify(keymap) !== JSON.stringify(settings.keymap) || pitch !== opened.pitch || cache !== opened.cache
    || aiMarksMode !== settings.aiMarksMode || aiPoint !== opened.aiPoint || askUnseenSteps !== settings.askUnseenSteps;
  const { close, warning } = useUnsavedGuard(dirty, onClose);
  useModalKeyboard(dialog, close, isKeyField);
  const save = async () => {
    try {
      const saved = await api.setSettings({ viewer: { keymap, monitorPixelPitchMm: pitch.trim() ? Number(pitch) : null, prefetchCacheMb: Number(cache), aiMarksMode, askUnseenSteps,
        // the model's default stored as no choice: another model's default then applies (names differ between models)
        ...(aiModel ? { aiOperatingPoint: aiPoint === aiModel.defaultOperatingPoint ? null : aiPoint } : {}) } });
      onSaved(saved.viewer);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={t('viewer.settings')} data-testid="viewer-settings" ref={dialog}>
      <div className="dialog wide">
        <h2>{t('viewer.settings')}</h2>
        <label className="field">{t('viewer.settings.pitch')}
          <input type="number" step="0.001" min="0.05" max="1" value={pitch} onChange={(e) => setPitch(e.target.value)} data-testid="pitch" />
        </label>
        <label className="field">{t('viewer.settings.cache')}
          <input type="number" step="64" min="128" max="8192" value={cache} onChange={(e) => setCache(e.target.value)} data-testid="cache-mb" />
        </label>
        <label className="field">{t('viewer.settings.aiMode')}
          <select value={aiMarksMode} onChange={(e) => setAiMarksMode(e.target.value as AiMarksMode)} data-testid="ai-marks-mode">
            {AI_MARKS_MODES.map((mode) => <option key={mode} value={mode}>{t(`viewer.settings.aiMode.${mode}`)}</option>)}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={askUnseenSteps} onChange={(e) => setAskUnseenSteps(e.target.checked)} data-testid="ask-unseen-steps" />
          {t('viewer.settings.askUnseenSteps')}
        </label>
        {aiModel && aiModel.operatingPoints.length > 1 && (
          <label className="field">{t('viewer.settings.aiPoint', { model: `${aiModel.name} ${aiModel.version}` })}
            <select value={aiPoint ?? aiModel.defaultOperatingPoint} onChange={(e) => setAiPoint(e.target.value)} data-testid="ai-operating-point">
              {aiModel.operatingPoints.map((point) => <option key={point.name} value={point.name}>{operatingPointChoice(locale, point, point.name === aiModel.defaultOperatingPoint)}</option>)}
            </select>
            {/* on what those figures were measured, in the model's words: "sensitivity 65 %" alone read as the
                model's worth on her patients (a radiologist's probe); the shipped model's say synthetic exams;
                in her language where the manifest gives it (contract 1.6) */}
            {(() => {
              const chosen = aiModel.operatingPoints.find((p) => p.name === (aiPoint ?? aiModel.defaultOperatingPoint));
              return chosen && <span className="muted small" data-testid="ai-operating-point-dataset">{t('viewer.settings.aiPoint.dataset', { dataset: chosen.datasetTranslations?.[locale] ?? chosen.dataset })}</span>;
            })()}
          </label>
        )}
        <p className="muted small">{t('viewer.settings.keys')}</p>
        <table className="keys">
          <tbody>
            {VIEWER_ACTIONS.map((action) => (
              <tr key={action}>
                <td>{t(`viewer.action.${action}` as MessageKey)}</td>
                <td>
                  <input readOnly data-key-field value={keymap[action].map((k) => keyLabel(k, locale)).join('  ')} placeholder={t('viewer.settings.press')} data-testid={`key-${action}`}
                    onKeyDown={(e) => {
                      // Tab goes on to the next field (it was held here, and the keyboard could not leave it)
                      if (e.key === 'Tab') return;
                      e.preventDefault();
                      if (e.key === 'Backspace' || e.key === 'Delete') { setKeymap((k) => ({ ...k, [action]: [] })); return; }
                      if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
                      const key = keyNameOf(e.nativeEvent);
                      // one key, one action: taking it here frees it elsewhere
                      setKeymap((k) => Object.fromEntries(Object.entries(k).map(([a, keys]) => [a, a === action ? [...keys.filter((x) => x !== key), key].slice(-3) : keys.filter((x) => x !== key)])) as typeof k);
                    }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {error && <p className="notice error">{error}</p>}
        {warning && <p className="notice warning" role="alert" data-testid="unsaved-warning">{t('dialog.unsaved')}</p>}
        <div className="buttons">
          <button type="button" onClick={close}>{t(warning ? 'dialog.discard' : 'viewer.help.close')}</button>
          <button type="button" className="primary" onClick={() => void save()} data-testid="save-settings">{t('viewer.settings.save')}</button>
        </div>
      </div>
    </div>
  );
}
