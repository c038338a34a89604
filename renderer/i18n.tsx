import { createContext, useContext } from 'react';
import type { Locale } from '../common/domain.ts';
import { translate } from '../common/i18n/messages.ts';
import type { MessageKey, MessageParams } from '../common/i18n/messages.ts';

export interface I18n {
  locale: Locale;
  t(key: MessageKey, params?: MessageParams): string;
}

export function makeI18n(locale: Locale): I18n {
  return { locale, t: (key, params) => translate(locale, key, params) };
}

export const I18nContext = createContext<I18n>(makeI18n('en'));
export const useI18n = (): I18n => useContext(I18nContext);
