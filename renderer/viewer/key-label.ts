import type { Locale } from '../../common/domain.ts';

/** The names keyboards print on these keys, where the browser's key name is not one. */
const KEYS: Record<Locale, Record<string, string>> = {
  en: { PageDown: 'Page Down', PageUp: 'Page Up' },
  fr: {
    Space: 'Espace', Shift: 'Maj', Enter: 'Entrée', Escape: 'Échap', Backspace: 'Retour arrière',
    PageDown: 'Pg suiv.', PageUp: 'Pg préc.', Home: 'Début', End: 'Fin', Delete: 'Suppr', Insert: 'Inser',
  },
};

/** A key of the keymap as a person reads it on a keyboard (in the reader's language). */
export function keyLabel(key: string, locale: Locale = 'en'): string {
  const label = key.replace(/(^|\+) $/, '$1Space').replace('ArrowRight', '→').replace('ArrowLeft', '←').replace('ArrowUp', '↑').replace('ArrowDown', '↓');
  return label.split('+').map((part) => KEYS[locale][part] ?? part).join('+');
}
