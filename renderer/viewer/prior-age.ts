// How long before the exam on screen a prior was taken, as its label says it: "1 y 11 mo", not "1 y"
// (a probe read a prior of 23 months labelled "1 an" as an annual interval), "8 mo" under a year.
import { translateCount } from '../../common/i18n/messages.ts';
import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';
import type { Locale } from '../../common/domain.ts';

type Translate = (key: MessageKey, params?: MessageParams) => string;

/** Whole months from one DICOM date (YYYYMMDD) to a later one, or null when either is not a date. */
export function monthsBetween(earlier: string | null, later: string | null): number | null {
  if (!earlier || !later || !/^\d{8}$/.test(earlier) || !/^\d{8}$/.test(later)) return null;
  return (Number(later.slice(0, 4)) - Number(earlier.slice(0, 4))) * 12 + Number(later.slice(4, 6)) - Number(earlier.slice(4, 6))
    - (Number(later.slice(6, 8)) < Number(earlier.slice(6, 8)) ? 1 : 0);
}

export function priorAgeText(locale: Locale, t: Translate, earlier: string | null, later: string | null): string {
  const months = monthsBetween(earlier, later);
  // a "prior" taken after the exam on screen (dates entered by hand) has no age to give
  if (months === null || months < 0) return '—';
  const years = Math.floor(months / 12), rest = months % 12;
  if (years < 1) return t('viewer.ageMonths', { n: months });
  const yearsText = translateCount(locale, 'viewer.ageYears', years, { n: years });
  return rest ? `${yearsText} ${t('viewer.ageMonths', { n: rest })}` : yearsText;
}
