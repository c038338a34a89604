import { createContext, useContext } from 'react';
import { ApiError } from '../common/api.ts';
import type { Locale } from '../common/domain.ts';
import { translate } from '../common/i18n/messages.ts';
import type { MessageKey, MessageParams } from '../common/i18n/messages.ts';
import { describeProblem } from '../common/import-problems.ts';
import type { ProblemRef } from '../common/import-problems.ts';

export interface I18n {
  locale: Locale;
  t(key: MessageKey, params?: MessageParams): string;
  /** An error as the reader should read it: an API error by its message key, anything else by its message. */
  errorText(error: unknown): string;
  /** Why a file was not imported (or was, with a reservation). */
  problem(problem: ProblemRef): string;
}

/** The first of the browser's languages the station speaks, else English. */
export function browserLocale(languages: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]): Locale {
  for (const language of languages) {
    const base = language.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'en';
}

export function makeI18n(locale: Locale): I18n {
  const t = (key: MessageKey, params?: MessageParams) => translate(locale, key, params);
  return {
    locale,
    t,
    errorText: (error) => {
      if (error instanceof ApiError && error.key) return t(error.key, error.params);
      return t('error.generic', { message: error instanceof Error ? error.message : String(error) });
    },
    problem: (p) => describeProblem(locale, p),
  };
}

export const I18nContext = createContext<I18n>(makeI18n('en'));
export const useI18n = (): I18n => useContext(I18nContext);
