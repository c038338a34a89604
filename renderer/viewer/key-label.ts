import type { Locale } from '../../common/domain.ts';

/** The names French keyboards print on these keys. */
const FRENCH_KEYS: Record<string, string> = { Space: 'Espace', Shift: 'Maj', Enter: 'Entrée', Escape: 'Échap', Backspace: 'Retour arrière' };

/** A key of the keymap as a person reads it on a keyboard (in the reader's language). */
export function keyLabel(key: string, locale: Locale = 'en'): string {
  const label = key.replace(/(^|\+) $/, '$1Space').replace('ArrowRight', '→').replace('ArrowLeft', '←').replace('ArrowUp', '↑').replace('ArrowDown', '↓');
  return locale === 'fr' ? label.split('+').map((part) => FRENCH_KEYS[part] ?? part).join('+') : label;
}
