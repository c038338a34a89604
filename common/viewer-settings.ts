// The reader's viewer settings: the keymap (a reading keypad sends keys too, so mapping its keys
// here maps the keypad), the monitor's pixel pitch for true-size display, the size of the cache
// that holds the next exam ready, and when the AI second reader's marks show (concurrent, or only
// after the reader's own first impression: second look).

import { z } from 'zod';

export const VIEWER_ACTIONS = [
  'nextStep', 'previousStep', 'nextExam', 'previousExam', 'markRead', 'markReadAndNext',
  'invert', 'reset', 'windowLevel', 'pan', 'zoom', 'magnifier', 'measure', 'trueSize', 'aiMarks',
  'aiMarksMass', 'aiMarksCalcification', 'aiMarksDistortion', 'aiMarksAsymmetry', 'impressionNormal', 'impressionRecall', 'worklist', 'help',
] as const;
export type ViewerAction = (typeof VIEWER_ACTIONS)[number];

/**
 * A key as KeyboardEvent.key names it ("ArrowRight", "n", " ", "F5", "PageDown"), after the
 * modifiers held with it, in this order: "Ctrl+", "Alt+", "Shift+" (e.g. "Shift+ ", "Ctrl+ArrowRight").
 */
export type KeyName = string;

export const DEFAULT_KEYMAP: Readonly<Record<ViewerAction, readonly KeyName[]>> = {
  nextStep: [' ', 'ArrowRight'],
  previousStep: ['Shift+ ', 'ArrowLeft'],
  nextExam: ['PageDown', 'ArrowDown'],
  previousExam: ['PageUp', 'ArrowUp'],
  markRead: ['r'],
  markReadAndNext: ['Enter'],
  invert: ['i'],
  reset: ['Escape', 'Home'],
  windowLevel: ['w'],
  pan: ['p'],
  zoom: ['z'],
  magnifier: ['m'],
  measure: ['d'],
  trueSize: ['t'],
  aiMarks: ['a'],
  // one class of marks shown / hidden: no key of their own until the reader gives them one (a letter
  // would hide a class of marks under Caps Lock or a slip of the magnifier's key; digits differ on a
  // French keyboard), in the settings' keys; the AI strip's switches do it with the mouse
  aiMarksMass: [],
  aiMarksCalcification: [],
  aiMarksDistortion: [],
  aiMarksAsymmetry: [],
  // her first impression from the keyboard or a reading keypad's number keys (it took 14 Tabs: a probe)
  impressionNormal: ['1'],
  impressionRecall: ['2'],
  // back to the worklist from the keyboard or a reading keypad (a probe found no key for it)
  worklist: ['Backspace', 'l'],
  help: ['?', 'h', 'F1'],
};

/**
 * When the AI second reader's marks may show. 'second-look': only once the reader has recorded her
 * own first impression of the exam (normal / recall), so that her unaided read stays unaided (the
 * default: screening programmes evaluate AI as a second reader, and marks seen first anchor the read);
 * 'concurrent': as soon as the exam opens.
 */
export const AI_MARKS_MODES = ['second-look', 'concurrent'] as const;
export type AiMarksMode = (typeof AI_MARKS_MODES)[number];

export interface ViewerSettings {
  keymap: Record<ViewerAction, KeyName[]>;
  /** The monitor's pixel pitch in mm (a 5 MP 21.3" mammography monitor: 0.165), for true-size display; null: unknown. */
  monitorPixelPitchMm: number | null;
  /** Memory the viewer may use to keep the next exam decoded and ready. */
  prefetchCacheMb: number;
  aiMarksMode: AiMarksMode;
  /**
   * The operating point, by its name in the shown model's manifest, at which this reader's marks are
   * drawn (one reader wants every possible finding, another few): null, or a name the model shown
   * does not have, is the model's default. The station's CAD SR keeps the model's default.
   */
  aiOperatingPoint: string | null;
  /**
   * Marking an exam read with steps of its hanging not seen asks first (SecurView asks: a radiologist's
   * probe closed an exam at its second step of ten with one key). A reader who walks steps her own way turns it off.
   */
  askUnseenSteps: boolean;
}

export const DEFAULT_VIEWER_SETTINGS: ViewerSettings = {
  keymap: Object.fromEntries(Object.entries(DEFAULT_KEYMAP).map(([k, v]) => [k, [...v]])) as Record<ViewerAction, KeyName[]>,
  monitorPixelPitchMm: null,
  prefetchCacheMb: 1024,
  aiMarksMode: 'second-look',
  aiOperatingPoint: null,
  askUnseenSteps: true,
};

const keyName = z.string().min(1).max(40);

export const viewerSettingsInput = z.strictObject({
  keymap: z.partialRecord(z.enum(VIEWER_ACTIONS), z.array(keyName).max(6)).optional(),
  monitorPixelPitchMm: z.number().min(0.05).max(1).nullable().optional(),
  prefetchCacheMb: z.number().int().min(128).max(8192).optional(),
  aiMarksMode: z.enum(AI_MARKS_MODES).optional(),
  aiOperatingPoint: z.string().min(1).max(64).nullable().optional(),
  askUnseenSteps: z.boolean().optional(),
});

/** The key name of a keyboard event, in the keymap's form. */
export function keyNameOf(event: { key: string; ctrlKey: boolean; altKey: boolean; shiftKey: boolean; metaKey?: boolean }): KeyName {
  const printable = event.key.length === 1 && event.key !== ' ';
  // Shift is part of a printable key already ("?" is Shift+/): name it only for keys it does not change
  return `${event.ctrlKey || event.metaKey ? 'Ctrl+' : ''}${event.altKey ? 'Alt+' : ''}${event.shiftKey && !printable ? 'Shift+' : ''}${event.key}`;
}

/** The action a key does in a keymap, or null. */
export function actionForKey(keymap: Record<ViewerAction, readonly KeyName[]>, key: KeyName): ViewerAction | null {
  for (const action of VIEWER_ACTIONS) if (keymap[action]?.includes(key)) return action;
  return null;
}

/** A stored keymap merged over the defaults, each key given to one action only (the stored choice wins). */
export function mergeViewerSettings(stored: Partial<ViewerSettings> | null): ViewerSettings {
  const keymap = { ...DEFAULT_VIEWER_SETTINGS.keymap, ...(stored?.keymap ?? {}) } as Record<ViewerAction, KeyName[]>;
  const taken = new Set(Object.values(stored?.keymap ?? {}).flat());
  for (const action of VIEWER_ACTIONS) {
    if (!stored?.keymap?.[action]) keymap[action] = keymap[action].filter((k) => !taken.has(k));
  }
  return {
    keymap,
    monitorPixelPitchMm: stored?.monitorPixelPitchMm ?? DEFAULT_VIEWER_SETTINGS.monitorPixelPitchMm,
    prefetchCacheMb: stored?.prefetchCacheMb ?? DEFAULT_VIEWER_SETTINGS.prefetchCacheMb,
    // a stored value this version does not know (a damaged setting) falls back to the safer default
    aiMarksMode: AI_MARKS_MODES.includes(stored?.aiMarksMode as AiMarksMode) ? stored!.aiMarksMode! : DEFAULT_VIEWER_SETTINGS.aiMarksMode,
    aiOperatingPoint: typeof stored?.aiOperatingPoint === 'string' ? stored.aiOperatingPoint : null,
    askUnseenSteps: typeof stored?.askUnseenSteps === 'boolean' ? stored.askUnseenSteps : DEFAULT_VIEWER_SETTINGS.askUnseenSteps,
  };
}
