// The evaluation's figures, as pure functions: marks matched to the ground truth, FROC (lesion
// sensitivity against false marks per image), case-level ROC AUC with a bootstrap interval.
//
// Matching: a mark finds a lesion of its own class when its centre lies in the lesion's box grown
// by a margin (5 mm by default: a reader's mark need not sit on the centre). A lesion is counted
// once per image, at its best matching mark: several marks on one calcification cluster find it
// once and the others are neither hits nor false marks. A mark on a lesion of another class is not
// a false mark either (it points at a lesion), but it finds nothing for its class. Every other mark
// is a false mark.

export interface Mark { class: string; score: number; x: number; y: number }
export interface Lesion { id: string; class: string; box: [number, number, number, number]; sizeMm: number; contrast: number }
export interface EvalImage {
  key: string;
  /** Pixel size of the stored image in mm, for the margin. */
  spacingMm: number;
  lesions: Lesion[];
  marks: Mark[];
}

/** Per image and class: the score each lesion was found at (0 when missed) and the false marks' scores. */
export interface Matched { lesionScores: { image: number; lesion: Lesion; score: number }[]; falseScores: number[] }

function inside(mark: Mark, lesion: Lesion, marginPx: number): boolean {
  const [x0, y0, x1, y1] = lesion.box;
  return mark.x >= x0 - marginPx && mark.x <= x1 + marginPx && mark.y >= y0 - marginPx && mark.y <= y1 + marginPx;
}

/**
 * Matches the marks of a class (null: marks of any class find lesions of any class) on every image;
 * `counts` picks the lesions counted (e.g. masses of 8 mm or more): marks on the others are
 * neither hits nor false marks.
 */
export function match(images: EvalImage[], cls: string | null, counts: (lesion: Lesion) => boolean = () => true, marginMm = 5): Matched {
  const lesionScores: Matched['lesionScores'] = [];
  const falseScores: number[] = [];
  images.forEach((image, i) => {
    const margin = marginMm / image.spacingMm;
    const lesions = image.lesions.filter((l) => (cls === null || l.class === cls) && counts(l));
    const marks = cls === null ? image.marks : image.marks.filter((m) => m.class === cls);
    const best = new Map<Lesion, number>(lesions.map((l) => [l, 0]));
    for (const mark of marks) {
      const hit = lesions.filter((l) => inside(mark, l, margin));
      if (hit.length) { for (const l of hit) best.set(l, Math.max(best.get(l)!, mark.score)); continue; }
      if (image.lesions.some((l) => inside(mark, l, margin))) continue; // on a lesion of another class
      falseScores.push(mark.score);
    }
    for (const [lesion, score] of best) lesionScores.push({ image: i, lesion, score });
  });
  return { lesionScores, falseScores };
}

/**
 * The lesions counted once each rather than once per image: a lesion is found when a mark finds it
 * in any of its views, at its best score over them, as a reader who reads both views of a breast
 * sees a lesion marked in one (mammography CAD's "lesion-based" sensitivity, reported beside the
 * per-view one, which the targets are set on). `lesionOf` names a lesion across its images (its
 * exam and its id). False marks stay as they are, counted per image.
 */
export function perLesion(m: Matched, lesionOf: (entry: Matched['lesionScores'][number]) => string): Matched {
  const best = new Map<string, Matched['lesionScores'][number]>();
  for (const entry of m.lesionScores) {
    const key = lesionOf(entry);
    const kept = best.get(key);
    if (!kept || entry.score > kept.score) best.set(key, entry);
  }
  return { lesionScores: [...best.values()], falseScores: m.falseScores };
}

export interface FrocPoint { threshold: number; falsePerImage: number; sensitivity: number }

/** The FROC curve: one point per distinct score, from the highest threshold down. */
export function frocCurve(m: Matched, imageCount: number): FrocPoint[] {
  const thresholds = [...new Set([...m.lesionScores.map((l) => l.score), ...m.falseScores].filter((s) => s > 0))].sort((a, b) => b - a);
  const falseSorted = [...m.falseScores].sort((a, b) => b - a);
  const lesionSorted = m.lesionScores.map((l) => l.score).sort((a, b) => b - a);
  const points: FrocPoint[] = [{ threshold: Infinity, falsePerImage: 0, sensitivity: 0 }];
  let f = 0, l = 0;
  for (const t of thresholds) {
    while (f < falseSorted.length && falseSorted[f]! >= t) f++;
    while (l < lesionSorted.length && lesionSorted[l]! >= t) l++;
    points.push({ threshold: t, falsePerImage: f / Math.max(1, imageCount), sensitivity: lesionSorted.length ? l / lesionSorted.length : 0 });
  }
  return points;
}

/** Sensitivity at a false-mark rate: the best reached without exceeding it (the curve's step). */
export function sensitivityAt(curve: FrocPoint[], falsePerImage: number): { sensitivity: number; threshold: number } {
  let best = curve[0]!;
  for (const p of curve) if (p.falsePerImage <= falsePerImage + 1e-9 && p.sensitivity >= best.sensitivity) best = p;
  return { sensitivity: best.sensitivity, threshold: best.threshold };
}

/** ROC AUC (Mann–Whitney, ties count half) of scores for positive and negative cases. */
export function auc(positives: number[], negatives: number[]): number {
  if (!positives.length || !negatives.length) return NaN;
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

/** A seeded generator (mulberry32), so that the interval is the same run after run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Case AUC with a percentile bootstrap 95 % interval (cases resampled with replacement). */
export function aucWithInterval(cases: { positive: boolean; score: number }[], resamples = 2000, seed = 1): { auc: number; low: number; high: number } {
  const value = (sample: typeof cases) => auc(sample.filter((c) => c.positive).map((c) => c.score), sample.filter((c) => !c.positive).map((c) => c.score));
  const random = seeded(seed);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample = cases.map(() => cases[Math.floor(random() * cases.length)]!);
    const v = value(sample);
    if (!Number.isNaN(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))] ?? NaN;
  return { auc: value(cases), low: at(0.025), high: at(0.975) };
}

/**
 * The exam score at which to flag exams so that at least `specificity` of the normal exams stay
 * under it (a screening programme's recall rate; ai-anchors.md §2.3): half-way between the lowest
 * normal score still flagged and the next one down, so that a normal exam's score is never the
 * threshold itself; and what it gives here. Exams are flagged at or above it. Null without normal
 * exams, or when none can be flagged (fewer than one in 1 − specificity).
 */
export function examThresholdAtSpecificity(cases: { positive: boolean; score: number }[], specificity: number):
  { threshold: number; specificity: number; sensitivity: number; flaggedNormal: number; normal: number } | null {
  const normal = cases.filter((c) => !c.positive).map((c) => c.score).sort((a, b) => b - a);
  if (!normal.length) return null;
  const allowed = Math.floor((1 - specificity) * normal.length + 1e-9);
  const positives = cases.filter((c) => c.positive).map((c) => c.score);
  // the lowest normal score that may be flagged without flagging more than allowed (ties go together)
  let upper: number | undefined;
  for (const score of new Set(normal)) {
    if (normal.filter((n) => n >= score).length > allowed) break;
    upper = score;
  }
  // none may be: just above every normal exam, up to the lowest exam with a lesion there
  upper ??= positives.filter((p) => p > normal[0]!).sort((a, b) => a - b)[0];
  const next = normal.find((n) => n < (upper ?? -Infinity));
  if (upper === undefined || next === undefined) return null;
  const threshold = (upper + next) / 2;
  const flaggedNormal = normal.filter((n) => n >= threshold).length;
  return { threshold, specificity: 1 - flaggedNormal / normal.length, sensitivity: positives.length ? positives.filter((p) => p >= threshold).length / positives.length : NaN, flaggedNormal, normal: normal.length };
}

/**
 * One of the evaluation's targets, said: met or MISSED; for a class the model does not have, that it
 * has none; and where the set holds no lesion of what it measures (`lesions` 0: a small set, a
 * generator's options), that the set has none, not MISSED (nothing was there to find).
 */
export function targetLine(label: string, value: number, goal: number, options: { lesions?: number; modelClass?: string; modelClasses?: readonly string[]; what?: string } = {}): string {
  const { lesions, modelClass, modelClasses = [], what = 'lesion' } = options;
  if (modelClass && !modelClasses.includes(modelClass)) return `${label} – (the model has no ${modelClass} class)`;
  if (lesions === 0) return `${label} – (target ≥ ${goal}: not measured, the set holds no ${what})`;
  return `${label} ${Number.isNaN(value) ? '–' : value.toFixed(2)} (target ≥ ${goal}: ${value >= goal ? 'met' : 'MISSED'})`;
}

/**
 * The case AUC's target line, its 95 % interval after it; not measured where the set holds no exam
 * without a lesion, or none with one (a vendor's probe of four women, all with a lesion, was told
 * "MISSED [NaN–NaN]").
 */
export function caseAucLine(cases: readonly { positive: boolean }[], result: { auc: number; low: number; high: number }, goal: number): string {
  const lacking = !cases.some((c) => !c.positive) ? 'exam without a lesion' : !cases.some((c) => c.positive) ? 'exam with a lesion' : null;
  if (lacking) return `case AUC – (target ≥ ${goal}: not measured, the set holds no ${lacking})`;
  return `${targetLine('case AUC', result.auc, goal)} [${result.low.toFixed(3)}–${result.high.toFixed(3)}]`;
}
