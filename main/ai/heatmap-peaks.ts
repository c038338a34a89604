// A detector's heatmap made into findings: per class, the local maxima above a floor, the weaker of
// two peaks closer than a minimum distance dropped (non-maximum suppression by distance), and a
// weaker peak that is a shoulder of a stronger one (the heatmap between them never falls below about
// a third of the weaker's score: one blob, one lesion) dropped too, as is a weaker peak near one
// scoring twice its own (a satellite: a spicule of the same mass); at most so many per class; each
// peak's extent is where the heatmap stays above half of it along its row and column. Coordinates
// are the heatmap's (u, v), pixel centres at integers; mapping them to the model's input and the
// stored image is the caller's (the stride, then the pipeline's affine map).

export interface HeatmapPeak {
  /** Index of the class (the heatmap's channel). */
  channel: number;
  score: number;
  u: number;
  v: number;
  /** Half-maximum extent, heatmap pixel edges: [u0, v0, u1, v1]. */
  extent: [number, number, number, number];
}

export interface PeakOptions {
  /** Scores below this are not findings (after the activation). */
  floor: number;
  /** Two peaks of one class closer than this (heatmap pixels) are one finding: one distance, or one per channel. */
  minDistance: number | readonly number[];
  maxPerChannel: number;
  /** A peak this near (heatmap pixels) a kept one of its class scoring SATELLITE_RATIO times its own or more is part of it; 0: none. */
  satelliteDistance?: number;
  /** 'sigmoid' when the heatmap holds logits. */
  activation: 'sigmoid' | 'none';
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * A weaker peak joined to a stronger one of its class (directly, or through another such peak) by a
 * ridge that stays at or above this share of its own score is a shoulder of the same finding, not a
 * finding of its own: a large mass gave four marks 5–7 mm apart inside it (0.93, 0.31, 0.22, 0.21),
 * four circles and four scores on one lesion (a probe; at a half, two of them stayed). Two lesions
 * apart have tissue between them where the heatmap falls near 0. On the shipped model's 120
 * validation women it dropped 2.5 % of the marks at its operating points (5 % of the mass marks),
 * and left every sensitivity at 1 false mark per image and the case AUC as they were.
 */
const SHOULDER_SHARE = 0.35;
/**
 * How many times a weaker peak's score a stronger one near it must score to take it in
 * (satelliteDistance): a spiculated mass 18.9 mm across gave a second circle (0.25) 8.4 mm from its
 * first (0.88), the heatmap dipping between them below the shoulder's share (a radiologist read two
 * masses). On a fresh set of 60 women (eval-2026-12-04a) it took 2 of 192 marks at the default
 * operating point (both masses on a mass) and changed no sensitivity and not the case AUC.
 */
const SATELLITE_RATIO = 2;
/** Peaks farther apart than this (heatmap pixels: about 50 mm at the shipped model's 0.8 mm) are not compared: no lesion is that large. */
const SHOULDER_REACH = 64;
/**
 * The strongest local maxima of a class read, the weaker left: each is compared with those before it,
 * so a heatmap of noise whose every other pixel is a maximum above the floor (a model whose manifest
 * says its logits are scores) took 2 s an image at the shipped model's size and 54 s at twice it,
 * its thread past its timeout (a probe). The shipped model's busiest class has 104 at the median and
 * 450 at most over the 290 images of a fresh set (floor 0.02); only the best ten are kept.
 */
const MAX_CANDIDATES = 2000;

/**
 * The raw value at and above which a pixel may reach the floor. The sigmoid keeps order, so peaks
 * and their ranking are found on the logits themselves, and the activation is computed only for
 * the few pixels that become findings (once per heatmap pixel it cost more than the rest).
 */
function rawFloor(floor: number, activation: PeakOptions['activation']): number {
  if (activation === 'none') return floor;
  if (!(floor > 0)) return -Infinity;
  if (floor >= 1) return Infinity;
  // a hair below, so that rounding never drops a pixel whose sigmoid is exactly at the floor
  return Math.log(floor / (1 - floor)) - 1e-6;
}

/** Peaks of a heatmap laid out [1, channels, height, width] (row-major). */
export function heatmapPeaks(data: Float32Array, dims: readonly number[], options: PeakOptions): HeatmapPeak[] {
  const [n, channels, height, width] = dims as [number, number, number, number];
  if (dims.length !== 4 || n !== 1 || data.length !== channels * height * width) throw new Error(`a heatmap is [1, classes, H, W], not [${dims.join(', ')}]`);
  const activate = options.activation === 'sigmoid' ? sigmoid : (x: number) => x;
  const lowest = rawFloor(options.floor, options.activation);
  const peaks: HeatmapPeak[] = [];
  for (let c = 0; c < channels; c++) {
    const plane = c * height * width;
    const candidates: { raw: number; u: number; v: number }[] = [];
    for (let v = 0; v < height; v++) {
      const row = plane + v * width;
      for (let u = 0; u < width; u++) {
        const s = data[row + u]!;
        if (!(s >= lowest)) continue;
        let isMax = true;
        // a plateau counts once: strictly greater than the neighbours before, at least those after
        for (let dv = -1; dv <= 1 && isMax; dv++) {
          const vv = v + dv;
          if (vv < 0 || vv >= height) continue;
          for (let du = -1; du <= 1; du++) {
            const uu = u + du;
            if ((!du && !dv) || uu < 0 || uu >= width) continue;
            const t = data[plane + vv * width + uu]!;
            if (t > s || (t === s && (dv < 0 || (dv === 0 && du < 0)))) { isMax = false; break; }
          }
        }
        if (isMax && activate(s) >= options.floor) candidates.push({ raw: s, u, v });
      }
    }
    candidates.sort((a, b) => b.raw - a.raw);
    candidates.length = Math.min(candidates.length, MAX_CANDIDATES);
    const kept: HeatmapPeak[] = [];
    const minDistance = typeof options.minDistance === 'number' ? options.minDistance : options.minDistance[c] ?? 0;
    const minSq = minDistance * minDistance;
    const satelliteSq = (options.satelliteDistance ?? 0) ** 2;
    const at = (uu: number, vv: number) => activate(data[plane + vv * width + uu]!);
    const raw = (uu: number, vv: number) => data[plane + vv * width + uu]!;
    // the peaks dropped as too near, shoulders or satellites: a peak joined to one of them is joined to
    // the finding it belongs to (one dropped as too near and left out of them broke the chain: a
    // shoulder of it became a mark of its own, on the validation women)
    const shoulders: { u: number; v: number }[] = [];
    for (const p of candidates) {
      if (kept.length >= options.maxPerChannel) break;
      if (kept.some((k) => (k.u - p.u) ** 2 + (k.v - p.v) ** 2 < minSq)) {
        shoulders.push(p);
        continue;
      }
      const score = activate(p.raw);
      const shoulderLevel = score * SHOULDER_SHARE;
      const joined = (k: { u: number; v: number }) => ridgeHolds(raw, activate, p, k, shoulderLevel);
      const satelliteOf = (k: HeatmapPeak) => k.score >= score * SATELLITE_RATIO && (k.u - p.u) ** 2 + (k.v - p.v) ** 2 <= satelliteSq;
      // the satellite's test first: a distance, where the ridge's walks a line of pixels
      if (kept.some(satelliteOf) || kept.some(joined) || shoulders.some(joined)) {
        shoulders.push(p);
        continue;
      }
      const peak: HeatmapPeak = { channel: c, score, u: p.u, v: p.v, extent: [p.u - 0.5, p.v - 0.5, p.u + 0.5, p.v + 0.5] };
      peak.extent = halfMaxExtent(peak, at, width, height);
      kept.push(peak);
    }
    peaks.push(...kept);
  }
  return peaks.sort((a, b) => b.score - a.score);
}

/**
 * Whether the heatmap stays at or above `level` (after the activation) all along the straight line
 * from peak `a` to peak `b` (heatmap pixels stepped through, the nearest pixel at each step); false
 * for peaks farther apart than SHOULDER_REACH. It stops at the first pixel under the level.
 */
function ridgeHolds(raw: (u: number, v: number) => number, activate: (x: number) => number, a: { u: number; v: number }, b: { u: number; v: number }, level: number): boolean {
  const du = b.u - a.u, dv = b.v - a.v;
  const steps = Math.max(Math.abs(du), Math.abs(dv));
  if (steps > SHOULDER_REACH) return false;
  for (let i = 0; i <= steps; i++) {
    if (!(activate(raw(Math.round(a.u + (du * i) / steps), Math.round(a.v + (dv * i) / steps))) >= level)) return false;
  }
  return true;
}

function halfMaxExtent(p: HeatmapPeak, at: (u: number, v: number) => number, width: number, height: number): [number, number, number, number] {
  const half = p.score / 2;
  let u0 = p.u, u1 = p.u, v0 = p.v, v1 = p.v;
  while (u0 > 0 && at(u0 - 1, p.v) >= half) u0--;
  while (u1 < width - 1 && at(u1 + 1, p.v) >= half) u1++;
  while (v0 > 0 && at(p.u, v0 - 1) >= half) v0--;
  while (v1 < height - 1 && at(p.u, v1 + 1) >= half) v1++;
  return [u0 - 0.5, v0 - 0.5, u1 + 0.5, v1 + 0.5];
}

/**
 * Calcification peaks closer than `distance` (heatmap pixels) to one another, through a chain of
 * them, are one cluster (single linkage, the clinical "within about a centimetre" rule): one
 * finding at its best peak, with that score and the box around them all. Other channels pass.
 */
export function clusterPeaks(peaks: HeatmapPeak[], channel: number, distance: number): HeatmapPeak[] {
  const mine = peaks.filter((p) => p.channel === channel);
  if (mine.length < 2) return peaks;
  const group = mine.map((_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : (group[i] = root(group[i]!)));
  for (let i = 0; i < mine.length; i++) for (let j = i + 1; j < mine.length; j++) {
    if ((mine[i]!.u - mine[j]!.u) ** 2 + (mine[i]!.v - mine[j]!.v) ** 2 <= distance * distance) group[root(j)] = root(i);
  }
  const clusters = new Map<number, HeatmapPeak>();
  mine.forEach((p, i) => {
    const r = root(i);
    const c = clusters.get(r);
    if (!c) { clusters.set(r, { ...p, extent: [...p.extent] }); return; }
    const best = p.score > c.score ? p : c;
    clusters.set(r, {
      channel, score: best.score, u: best.u, v: best.v,
      extent: [Math.min(c.extent[0], p.extent[0]), Math.min(c.extent[1], p.extent[1]), Math.max(c.extent[2], p.extent[2]), Math.max(c.extent[3], p.extent[3])],
    });
  });
  return [...peaks.filter((p) => p.channel !== channel), ...clusters.values()].sort((a, b) => b.score - a.score);
}
