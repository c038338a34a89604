// User settings.
import { ApiError } from '../../common/api.ts';
import type { ApiHandlers } from '../../common/api.ts';
import type { Locale, Settings } from '../../common/domain.ts';
import { showableName } from '../../common/ai/model-manifest.ts';
import { mergeViewerSettings } from '../../common/viewer-settings.ts';
import type { ViewerSettings } from '../../common/viewer-settings.ts';
import type { StationContext } from './context.ts';
import { storeReceiverSettings, storedReceiverSettings } from './receiver.ts';

export type SettingsHandlers = Pick<ApiHandlers, 'getSettings' | 'setSettings'>;

function storedViewerSettings(ctx: StationContext): Partial<ViewerSettings> | null {
  const text = ctx.db.settings.get('viewer');
  try {
    return text ? (JSON.parse(text) as Partial<ViewerSettings>) : null;
  } catch {
    return null; // a damaged value falls back to the defaults rather than breaking the viewer
  }
}

/** The reader's viewer settings as stored, over the defaults. */
export function viewerSettings(ctx: StationContext): ViewerSettings {
  return mergeViewerSettings(storedViewerSettings(ctx));
}

function readSettings(ctx: StationContext): Settings {
  const locale = ctx.db.settings.get('locale');
  const chosen = locale === 'fr' || locale === 'en';
  return { locale: (chosen ? locale : 'en') as Locale, localeChosen: chosen, viewer: mergeViewerSettings(storedViewerSettings(ctx)),
    receiver: storedReceiverSettings(ctx) };
}

/**
 * `onReceiverSettings`: the storage SCP's settings changed (a station running it listens anew).
 * `operatingPointNames`: the operating points of the models this station runs; null where it runs no AI.
 */
export function settingsHandlers(ctx: StationContext, onReceiverSettings: () => Promise<void> = async () => undefined,
  operatingPointNames: () => string[] | null = () => null): SettingsHandlers {
  return {
    getSettings: async () => readSettings(ctx),
    setSettings: async ({ locale, viewer, receiver }) => {
      ctx.assertOpen();
      // a point no model here has would draw every exam at its model's default, and say nothing: refused
      // (a name of another model's that runs here is kept: each model is read at its own point of that name)
      const names = operatingPointNames();
      if (viewer?.aiOperatingPoint && names && !names.includes(viewer.aiOperatingPoint)) {
        // the name as sent, its control and bidirectional characters written as <U+…> (a probe's U+202E
        // came back in the message and its parameter, turning the page's text around)
        const point = showableName(viewer.aiOperatingPoint);
        throw new ApiError('bad_request', `No model has an operating point ${point}`, 'error.aiOperatingPointUnknown',
          { point, points: [...new Set(names)].join(', ') });
      }
      if (locale) ctx.db.settings.set('locale', locale);
      if (viewer) {
        const stored = storedViewerSettings(ctx) ?? {};
        const { aiMarksMode: modeBefore, aiOperatingPoint: pointBefore } = viewerSettings(ctx);
        ctx.db.settings.set('viewer', JSON.stringify({ ...stored, ...viewer, keymap: { ...stored.keymap, ...viewer.keymap } }));
        // second look holds the worklist's AI scores back until a first impression: the worklist reads again
        if (viewerSettings(ctx).aiMarksMode !== modeBefore) ctx.events.emit('worklistChanged', { reason: 'settings' });
        // another operating point draws other marks on every exam: the viewers and the worklist ask again
        if (viewerSettings(ctx).aiOperatingPoint !== pointBefore) ctx.events.emit('aiChanged', { examId: null });
      }
      if (receiver) {
        // allow-list entries once each, in the order given
        storeReceiverSettings(ctx, { ...receiver, allowedCallers: [...new Set(receiver.allowedCallers)] });
        await onReceiverSettings();
      }
      return readSettings(ctx);
    },
  };
}
