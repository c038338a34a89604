// The reader's choices about AI marks (marks on or off, classes hidden, CAD reports' optional marks
// shown), kept from exam to exam in the viewer and, in sessionStorage, through a reload of it: a
// reader who hid a class did not see it come back with F5. Forgotten when she goes back to the
// worklist (as before they were kept at all), and never kept past the session: a window stays open
// for days, and marks hidden for good would be findings the next cases never show.

export interface MarksChoice {
  marksOn: boolean;
  hiddenClasses: ReadonlySet<string>;
  optionalCadMarks: boolean;
}

const KEY = 'binome.aiMarks';
const DEFAULT: MarksChoice = { marksOn: true, hiddenClasses: new Set(), optionalCadMarks: false };

export function loadMarksChoice(): MarksChoice {
  try {
    const text = sessionStorage.getItem(KEY);
    if (!text) return DEFAULT;
    const saved = JSON.parse(text) as { marksOn?: unknown; hiddenClasses?: unknown; optionalCadMarks?: unknown };
    return {
      marksOn: typeof saved.marksOn === 'boolean' ? saved.marksOn : DEFAULT.marksOn,
      // class names, as few as a model and the CAD reports name (a value tampered with to megabytes is not written back at each change)
      hiddenClasses: new Set(Array.isArray(saved.hiddenClasses) ? saved.hiddenClasses.filter((c): c is string => typeof c === 'string' && c.length <= 64).slice(0, 64) : []),
      optionalCadMarks: typeof saved.optionalCadMarks === 'boolean' ? saved.optionalCadMarks : DEFAULT.optionalCadMarks,
    };
  } catch {
    return DEFAULT;
  }
}

export function saveMarksChoice(choice: MarksChoice): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ ...choice, hiddenClasses: [...choice.hiddenClasses] }));
  } catch { /* private mode, or storage full: the choice lives as long as the page */ }
}

/** The reader left the viewer (the worklist shows): the next exam she opens starts with every mark. */
export function forgetMarksChoice(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch { /* private mode: nothing was kept */ }
}
