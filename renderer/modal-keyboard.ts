// The keyboard of a modal dialog: Tab and Shift+Tab go round its own controls, and Escape closes it,
// wherever the focus is (a click on its text left the focus on the page, where its Escape was not
// heard). A probe tabbed out of the viewer's settings to "Mark read" behind them and pressed Enter.
import { useEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * While mounted: focus kept inside `dialog`, the first control focused at once, Escape calling
 * `onClose` unless `keepsEscape` says the focused element takes it as input (a key field).
 */
export function useModalKeyboard(dialog: RefObject<HTMLElement | null>, onClose: () => void, keepsEscape: (target: Element) => boolean = () => false): void {
  // the latest callbacks, read when a key comes: the callers pass new ones at every render, and the
  // listener (and the first focus) belong to the dialog's mounting, not to each render
  const callbacks = useRef({ onClose, keepsEscape });
  callbacks.current = { onClose, keepsEscape };
  useEffect(() => {
    const controls = () => [...(dialog.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter((e) => e.offsetParent !== null);
    if (!dialog.current?.contains(document.activeElement)) controls()[0]?.focus();
    const onKey = (event: KeyboardEvent) => {
      const box = dialog.current;
      if (!box) return;
      const active = document.activeElement;
      if (event.key === 'Escape') {
        if (active && box.contains(active) && callbacks.current.keepsEscape(active)) return;
        event.preventDefault();
        event.stopPropagation();
        callbacks.current.onClose();
        return;
      }
      if (event.key !== 'Tab') return;
      const all = controls();
      if (!all.length) return;
      const at = active ? all.indexOf(active as HTMLElement) : -1;
      // from outside the dialog (the page, after a click on its text), or past either end: round again
      if (at === -1 || (!event.shiftKey && at === all.length - 1) || (event.shiftKey && at === 0)) {
        event.preventDefault();
        (event.shiftKey ? all[all.length - 1]! : all[0]!).focus();
      }
    };
    // in the capture phase: before the viewer's own keys, and before a control's default action
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [dialog]);
}

/**
 * Closing a dialog that holds unsaved edits: the first Escape or Close says so (`warning` true) and
 * keeps them; the next one discards them. An AE title typed and a reflex Escape lost it silently (a probe).
 */
export function useUnsavedGuard(dirty: boolean, onClose: () => void): { close: () => void; warning: boolean } {
  const [warned, setWarned] = useState(false);
  // saved, or edited back to what was stored: nothing to lose any more
  useEffect(() => { if (!dirty) setWarned(false); }, [dirty]);
  const close = () => {
    if (dirty && !warned) { setWarned(true); return; }
    onClose();
  };
  return { close, warning: dirty && warned };
}
