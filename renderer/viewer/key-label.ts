/** A key of the keymap as a person reads it on a keyboard. */
export function keyLabel(key: string): string {
  return key.replace(/(^|\+) $/, '$1Space').replace('ArrowRight', '→').replace('ArrowLeft', '←').replace('ArrowUp', '↑').replace('ArrowDown', '↓');
}
