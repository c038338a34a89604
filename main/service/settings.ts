// User settings.
import type { ApiHandlers } from '../../common/api.ts';
import type { Locale, Settings } from '../../common/domain.ts';
import type { StationContext } from './context.ts';

export type SettingsHandlers = Pick<ApiHandlers, 'getSettings' | 'setSettings'>;

function readSettings(ctx: StationContext): Settings {
  const locale = ctx.db.settings.get('locale');
  return { locale: (locale === 'fr' || locale === 'en' ? locale : 'en') as Locale };
}

export function settingsHandlers(ctx: StationContext): SettingsHandlers {
  return {
    getSettings: async () => readSettings(ctx),
    setSettings: async ({ locale }) => {
      ctx.assertOpen();
      if (locale) ctx.db.settings.set('locale', locale);
      return readSettings(ctx);
    },
  };
}
