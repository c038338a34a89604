// The reader's choices about AI marks (marks on or off, classes hidden, CAD reports' optional marks
// shown), kept from exam to exam and, in sessionStorage, through a reload of the viewer: a reader who
// hid a class did not see it come back with F5. Not kept past the session (a window closed, the
// station restarted): marks hidden for good would be a finding the next day's reading never shows.

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
