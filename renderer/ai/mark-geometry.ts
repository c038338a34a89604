// Where an AI finding is drawn, and with which shape. Findings are stored in the stored image's pixel
// coordinates (column, row; pixel centres at integers). The viewer may show a reduced display
// rendition of that image first: a finding is carried into the loaded image's pixel grid here, then
// through Cornerstone's own transforms (image index → world → canvas: camera, flips, turns, zoom,
// pan) by the caller. Nothing here touches pixel data: a mark is an overlay.

import { AI_FINDING_CLASSES } from '../../common/domain.ts';
import type { AiFinding } from '../../common/domain.ts';

export type Point = readonly [number, number];

/** A mark to draw: the station's model's finding, or a CAD report's mark (whose certainty may be absent, or on the vendor's own scale). */
export type MarkFinding = Omit<AiFinding, 'score'> & { score: number | null };

/**
 * A stored-image pixel position in the grid of the image loaded in the viewport: the stored image
 * itself (the identity), or its display rendition, whose pixel (i, j) averages the stored pixels under
 * its cell so that its centre is stored ((i + 0.5)·sx − 0.5, (j + 0.5)·sy − 0.5)
 * (main/dicom/pixels/rendition.ts): the inverse of that.
 */
export function loadedIndexOf(point: Point, stored: { columns: number; rows: number }, loaded: { columns: number; rows: number }): [number, number] {
  const sx = stored.columns / loaded.columns;
  const sy = stored.rows / loaded.rows;
  return [(point[0] + 0.5) / sx - 0.5, (point[1] + 0.5) / sy - 0.5];
}

export type MarkShape = 'circle' | 'triangle' | 'star' | 'diamond' | 'square';

/**
 * One shape per class, as CAD workstations have taught readers to tell them apart: a circle for a
 * mass, a triangle for calcifications, a star for architectural distortion, a diamond for an
 * asymmetry; a square for a class the station does not know (a third-party model's).
 */
export const MARK_SHAPES: Readonly<Record<(typeof AI_FINDING_CLASSES)[number], MarkShape>> = {
  mass: 'circle',
  calcification: 'triangle',
  architectural_distortion: 'star',
  asymmetry: 'diamond',
};

export function shapeOf(findingClass: string): MarkShape {
  return (MARK_SHAPES as Record<string, MarkShape>)[findingClass] ?? 'square';
}

const f = (n: number) => n.toFixed(1);

/** A star's inner corners, as a share of its points' radius. */
const STAR_INNER = 0.55;

/**
 * How near its centre each shape's edges come, as a share of the radius its points reach: the
 * circle inscribed in it. A mark encloses a disc of this radius; its points reach further. A
 * diamond whose points alone reached 10 mm lay inside a 24.5 mm asymmetry, and a star's inner
 * corners on a distortion's spicules (a radiologist's probe).
 */
export const INSCRIBED_SHARE: Readonly<Record<MarkShape, number>> = { circle: 1, triangle: 0.5, star: STAR_INNER, diamond: Math.SQRT1_2, square: Math.SQRT1_2 };

/** The SVG path of a shape centred on (cx, cy) whose outer points lie on a circle of radius r. */
export function shapePath(shape: MarkShape, cx: number, cy: number, r: number): string {
  const polygon = (points: [number, number][]) => `M${points.map(([x, y]) => `${f(x)},${f(y)}`).join('L')}Z`;
  const around = (count: number, radius: (k: number) => number, start = -Math.PI / 2): [number, number][] =>
    Array.from({ length: count }, (_, k) => {
      const angle = start + (2 * Math.PI * k) / count;
      return [cx + radius(k) * Math.cos(angle), cy + radius(k) * Math.sin(angle)];
    });
  switch (shape) {
    case 'circle': return `M${f(cx - r)},${f(cy)}a${f(r)},${f(r)} 0 1,0 ${f(2 * r)},0a${f(r)},${f(r)} 0 1,0 ${f(-2 * r)},0Z`;
    case 'triangle': return polygon(around(3, () => r));
    case 'star': return polygon(around(10, (k) => (k % 2 ? r * STAR_INNER : r)));
    case 'diamond': return polygon(around(4, () => r));
    case 'square': return polygon(around(4, () => r, -Math.PI / 4));
  }
}

/** A mark's size on screen (the disc it encloses): never so small it hides in the texture, never so large it hides the breast. */
export const MARK_RADIUS = { min: 10, max: 56 } as const;

/** Of the largest mark, its share of the viewport's smaller side (markRadiusMax). */
const MARK_RADIUS_SHARE = 0.15;

/**
 * The largest mark in a viewport of this size: MARK_RADIUS.max, or more in a large viewport, where the
 * image is magnified: capped at 56 px, a 29 mm mass shown at 6.6 px a millimetre (one image to a
 * screen) was circled across its body and spicules, 8.5 mm from its centre (a radiologist's probe).
 * At 0.12 of the smaller side, four images on a 1920 × 1080 screen (about 470 px wide, 4 px a
 * millimetre) capped a mass's circle at 14 mm and drew it on the margin of a 29 mm mass (a probe,
 * 2026-12-06): 0.15 leaves it 17 mm. An outline under a third of the viewport across hides no breast.
 */
export function markRadiusMax(width: number, height: number): number {
  return Math.max(MARK_RADIUS.max, MARK_RADIUS_SHARE * Math.min(width, height));
}

/**
 * How far around its finding a mark reaches at least, in the image's millimetres (within MARK_RADIUS
 * on screen), by class: a finding's box can be much smaller than its lesion (the station's model's
 * half-maximum boxes measure a fifth of its masses), and a circle drawn round the box alone lay on a 17 mm mass's
 * margin, the descriptor the reader judges it by (a radiologist's probe); at 10 mm, a circle still
 * crossed a 27.5 mm mass (a later probe), at 14 mm it lay on a 29 mm mass's margin, the mark's centre 2–3 mm off the
 * mass's (a third; the generator's masses reach 30 mm, and the box says too little of a lesion's size to
 * size its mark by: a 29 mm mass's box measured 8 mm, a 25 mm one's 9, an 11 mm one's 3.4, a 24 mm
 * distortion's 2.6). A mass is enclosed up to 34 mm across, an asymmetry to 29 mm, a distortion's
 * centre and spicules to 24 mm, a cluster to 17 mm (each 1.2 times what it was: the same proportions); each class's marks are one size
 * on an image whatever their boxes (a faint calcification mark three times the size of a mass scored 0.91
 * beside it drew the eye to the weaker finding: the first probe), and, their points included,
 * the shapes of the four classes come out about as large as one another (points at 17 to 22 mm: a
 * diamond reaching 14 mm with its edges, its points at 20, dwarfed the circle beside it, a re-probe).
 */
export const MARK_REACH_MM: Readonly<Record<(typeof AI_FINDING_CLASSES)[number], number>> = { mass: 17, asymmetry: 14.5, architectural_distortion: 12, calcification: 8.5 };
/** A third-party model's class the station does not know. */
const OTHER_REACH_MM = 12;

export function reachMmOf(findingClass: string): number {
  return (MARK_REACH_MM as Record<string, number>)[findingClass] ?? OTHER_REACH_MM;
}

export interface ProjectedMark {
  finding: MarkFinding;
  shape: MarkShape;
  /** Centre on the viewport's canvas (CSS pixels). */
  x: number;
  y: number;
  /** How far the shape's points reach from its centre (what it covers on screen: shapePath's radius). */
  radius: number;
  /** The disc the shape encloses: its finding's box as drawn and its class's MARK_REACH_MM around it, within MARK_RADIUS. */
  encloses: number;
}

/**
 * A finding on the canvas: its centre, and a shape whose edges enclose its box as the box appears there
 * (turned, mirrored, zoomed) and its class's MARK_REACH_MM around it where the stored image's pixel spacing is
 * known (`spacingMm`: row, column), within MARK_RADIUS (or up to `maxRadius`: the magnifier's glass,
 * where a mass magnified four times is wider than MARK_RADIUS.max and a mark so capped circled its
 * centre only). `toCanvas` maps a stored-image point to the canvas; null when the viewport shows no image.
 */
export function projectFinding(finding: MarkFinding, toCanvas: (storedPoint: Point) => Point | null, maxRadius: number = MARK_RADIUS.max,
  spacingMm: readonly [number, number] | null = null): ProjectedMark | null {
  const centre = toCanvas([finding.x, finding.y]);
  if (!centre) return null;
  const [x0, y0, x1, y1] = finding.box;
  const corners = ([[x0, y0], [x1, y0], [x0, y1], [x1, y1]] as const).map((c) => toCanvas(c)).filter((c): c is Point => c !== null);
  const reach = corners.length ? Math.max(...corners.map(([cx, cy]) => Math.hypot(cx - centre[0], cy - centre[1]))) : 0;
  // its class's reach along the image's rows, as the canvas shows it (zoomed, turned)
  const side = spacingMm && spacingMm[1] > 0 ? toCanvas([finding.x + reachMmOf(finding.class) / spacingMm[1], finding.y]) : null;
  const around = side ? Math.hypot(side[0] - centre[0], side[1] - centre[1]) : 0;
  const cap = Math.max(MARK_RADIUS.max, maxRadius);
  const shape = shapeOf(finding.class);
  const share = INSCRIBED_SHARE[shape];
  // its class's reach enclosed by the shape's edges; a box past it, by its points only, and those within
  // the cap: a cluster's long box on an implant's edge made its triangle's points twice the cap out,
  // twice the mass's circle beside it, a faint finding drawing the eye (a radiologist's probe)
  const own = Math.min(cap, Math.max(MARK_RADIUS.min, around));
  const radius = Math.max(own / share, Math.min(Math.max(MARK_RADIUS.min, reach, around) / share, cap));
  return { finding, shape, x: centre[0], y: centre[1], radius, encloses: radius * share };
}

/**
 * Where a mark's score is written: its text's anchor point (the baseline) and which side of the mark;
 * `leader`, where the score had to move away from its mark (above or below its circle, in a crowded
 * image), the line that ties the two: from the mark's edge to the score's near edge (x1, y1, x2, y2).
 */
export interface ScoreLabelPlace { x: number; y: number; anchor: 'start' | 'end'; leader?: [number, number, number, number] }

/** The shape of each mark as a character: written before the score of a mark over or beside one of another shape (nearMarkOfAnotherShape), so that the score says whose it is. */
// filled, where the marks are outlines: an outlined ○ or ◇ before a score, in the marks' colour, read as
// another, smaller mark (a probe, 8-up at 1000 px)
export const SHAPE_GLYPHS: Readonly<Record<MarkShape, string>> = { circle: '●', triangle: '▲', star: '★', diamond: '◆', square: '■' };

/** How near two marks' circles come before their scores, beside both, could be read as each other's. */
const NEAR_MARK_PX = 24;

/**
 * For each mark, whether its circle overlaps a mark of another shape or comes within NEAR_MARK_PX of it
 * (two findings on one lesion, or side by side: a score beside them, or a line to it, cannot tell
 * whose score is whose): only there does writing its shape before its score say whose it is. Beside a mark of its own shape the glyph said nothing,
 * and drawn in the marks' colour it read as a third, small mark (a probe: two masses side by side);
 * there the score's place says whose it is (placeScoreLabels).
 */
export function nearMarkOfAnotherShape(marks: readonly { x: number; y: number; radius: number; shape: MarkShape }[]): boolean[] {
  return marks.map((m, i) => marks.some((o, j) => j !== i && o.shape !== m.shape && Math.hypot(m.x - o.x, m.y - o.y) < m.radius + o.radius + NEAR_MARK_PX));
}

/** How many marks lie wholly outside a viewport of this size (none where its size is not known yet). */
export function marksOutside(marks: readonly { x: number; y: number; radius: number }[], width: number, height: number): number {
  if (!(width > 0 && height > 0)) return 0;
  return marks.filter((m) => m.x + m.radius < 0 || m.x - m.radius > width || m.y + m.radius < 0 || m.y - m.radius > height).length;
}

/** The distance from point p to the segment a–b. */
function distanceToSegment(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/** The score's text box, about: 13 px monospace, 8 px a character, 14 px a line (the page passes the width it measures: a shape's glyph is wider than a digit). */
const SCORE_CHAR_PX = 8;
const estimatedWidth = (text: string) => text.length * SCORE_CHAR_PX;
const SCORE_LINE_PX = 14;
/**
 * How far a score's drawn text reaches below its baseline (the comma's tail, the 3 px stroke), and
 * the room kept between it and a label: a score whose baseline sat on a label's top edge was drawn
 * over the label's first line and read as part of it (a probe, 8-up at 900 px).
 */
const SCORE_DESCENT_PX = 4;
const LABEL_GAP_PX = 2;
/** How much nearer its own mark's edge than any other's a score's middle must be to be read as its own. */
const OWNED_BY_PX = 6;
/** How far from its own mark's edge a score's box may be and still be read as its own without a line (two lines of scores). */
const OWN_REACH_PX = 2 * SCORE_LINE_PX;

/** A box on the viewport, in its CSS pixels: left, top, right, bottom. */
export type Box = readonly [number, number, number, number];

/**
 * For each mark, the mark of another shape it lies inside, if any: its centre within the other's
 * circle, the other's circle larger (of several, the largest). Its centre further in than half its
 * own radius, a triangle half over a diamond's edge was left beside it, its line crossing the
 * diamond's score and another triangle's (a probe, 8-up at 1280 px).
 * Both scores must write their shapes first (nearMarkOfAnotherShape), else a stack of numbers
 * beside one mark could not say which is whose. A mark inside one inside another counts as inside the outermost.
 */
function nestedIn(marks: readonly { x: number; y: number; radius: number; text: string }[], shapeOf: (m: (typeof marks)[number]) => MarkShape | undefined,
  glyphShapes: ReadonlyMap<string, MarkShape>): (number | null)[] {
  const glyphed = (m: (typeof marks)[number]) => glyphShapes.has(m.text[0] ?? '');
  const hosts = marks.map((m, i) => {
    let host: number | null = null;
    for (const [j, o] of marks.entries()) {
      if (j === i || !glyphed(m) || !glyphed(o) || shapeOf(o) === undefined || shapeOf(o) === shapeOf(m) || o.radius <= m.radius) continue;
      if (Math.hypot(m.x - o.x, m.y - o.y) >= o.radius) continue;
      if (host === null || o.radius > marks[host]!.radius) host = j;
    }
    return host;
  });
  // a mark inside one that is itself inside another: under the outermost (each host is larger, so this ends)
  return hosts.map((host) => {
    while (host !== null && hosts[host] !== null) host = hosts[host]!;
    return host;
  });
}

/**
 * Where each mark's score goes: beside the mark, on its right unless that runs off the viewport
 * (`roomPx` kept), moved down below another score or another mark it would overlap, and past a box
 * it must not cover (`avoid`: the labels over the image, such as whose marks they are at the bottom). Two
 * findings on one lesion (an asymmetry and a mass) otherwise wrote their scores over one another,
 * and a mark low in a small window wrote its score over the model's label. Wherever it goes, a score
 * must be nearer its own mark than any other it could be read as (OWNED_BY_PX): if not, it is tried
 * on the mark's other side, then just above and just below it, and as a last resort tied to its mark
 * by a line whatever that line crosses. Moved down past its neighbour, a mass's "0,94" sat under
 * the other mass and was read as its score (a probe, 8-up).
 */
export function placeScoreLabels(marks: readonly { x: number; y: number; radius: number; text: string; shape?: MarkShape; score?: number }[], width: number, roomPx: number, avoid: readonly Box[] = [], height = 0,
  measure: (text: string) => number = estimatedWidth): (ScoreLabelPlace | null)[] {
  const placed: [number, number, number, number][] = []; // the scores' boxes so far: x0, top, x1, baseline
  const glyphShapes = new Map(Object.entries(SHAPE_GLYPHS).map(([shape, glyph]) => [glyph, shape as MarkShape]));
  // a mark's shape: given, or the one its score writes first
  const shapeKnown = (o: (typeof marks)[number]) => o.shape ?? glyphShapes.get(o.text[0] ?? '');
  const places: (ScoreLabelPlace | null)[] = new Array(marks.length).fill(null);
  // a mark wholly outside the viewport (zoomed or panned away) has no score on it: pinned at the
  // edge, its score lay over tissue that had no mark
  const inView = (m: (typeof marks)[number]) => !(width > 0 && height > 0) || (m.x + m.radius >= 0 && m.x - m.radius <= width && m.y + m.radius >= 0 && m.y - m.radius <= height);
  const hostOf = nestedIn(marks, shapeKnown, glyphShapes);
  // top to bottom, so that a score moves down past those above it; a mark inside another's circle
  // right after that one, its score written under the other's (stackUnder)
  const byHeight = (a: number, b: number) => marks[a]!.y - marks[b]!.y || marks[a]!.x - marks[b]!.x;
  const shown = marks.map((_, i) => i).filter((i) => inView(marks[i]!));
  const order = shown.filter((i) => hostOf[i] === null || !inView(marks[hostOf[i]!]!)).sort(byHeight)
    .flatMap((h) => [h, ...shown.filter((i) => hostOf[i] === h).sort(byHeight)]);
  // the lines written so far beside each host: its score's, then those of the marks inside it
  // whether a score's line from x0 to x1 on baseline y covers a label (with its gap), a box, a mark
  const overLabel = (x0: number, x1: number, box: Box, y: number) => x0 < box[2] && box[0] < x1 && y - SCORE_LINE_PX < box[3] + LABEL_GAP_PX && box[1] - LABEL_GAP_PX < y + SCORE_DESCENT_PX;
  const overlaps = (x0: number, x1: number, box: Box, y: number) => x0 < box[2] && box[0] < x1 && y - SCORE_LINE_PX < box[3] && box[1] < y;
  const markBox = (o: (typeof marks)[number]): Box => [o.x - o.radius, o.y - o.radius, o.x + o.radius, o.y + o.radius];
  const stack = new Map<number, { x: number; anchor: 'start' | 'end'; top: number; bottom: number }>();
  /** The marks whose score was written in a host's stack (stackUnder), and that host. */
  const stackedInto = new Map<number, number>();
  /**
   * A mark inside another's circle (hostOf): its score on the next line under the scores already
   * beside that mark (or above them, where there is no room below), lined up with them, its shape
   * written first saying whose it is. Placed by itself, beside its own mark (which lies inside the
   * other's circle), a faint triangle's score was pushed past the strong star round it and tied to
   * it by a line across the star, and two or three such lines crossed one another (a probe).
   * Null where the line would leave the viewport or cover a mark, another score or a label.
   */
  function stackUnder(i: number, textWidth: number): ScoreLabelPlace | null {
    const host = hostOf[i];
    const lines = host === null ? undefined : stack.get(host);
    if (lines === undefined) return null;
    const [x0, x1] = lines.anchor === 'start' ? [lines.x, lines.x + textWidth] : [lines.x - textWidth, lines.x];
    const covers = (y: number) => y - SCORE_LINE_PX < 0 || (height > 0 && y + SCORE_DESCENT_PX > height) || (width > 0 && (x0 < 0 || x1 > width))
      || placed.some((b) => overlaps(x0, x1, b, y)) || marks.some((o) => overlaps(x0, x1, markBox(o), y)) || avoid.some((b) => overLabel(x0, x1, b, y));
    const y = [lines.bottom + SCORE_LINE_PX, lines.top - SCORE_LINE_PX].find((at) => !covers(at));
    if (y === undefined) return null;
    if (y > lines.bottom) lines.bottom = y; else lines.top = y;
    placed.push([x0, y - SCORE_LINE_PX, x1, y]);
    return { x: lines.x, y, anchor: lines.anchor };
  }
  for (const i of order) {
    const m = marks[i]!;
    const textWidth = measure(m.text);
    const stacked = stackUnder(i, textWidth);
    if (stacked !== null) {
      places[i] = stacked;
      stackedInto.set(i, hostOf[i]!);
      continue;
    }
    // on the right unless the score (at least `roomPx`) would run past the viewport's side and there is more room on the left
    const roomRight = width - (m.x + m.radius + 4), roomLeft = m.x - m.radius - 4;
    const leftFirst = width > 0 && roomRight < Math.max(roomPx - 4, textWidth) && roomLeft > roomRight;
    /** Beside the mark on one side, moved down (or up, past a label below it) until it covers nothing. */
    const beside = (left: boolean) => {
      // never past the viewport's side, even over its own mark: a score cut at the seam read as
      // another number ("△ 0,28" shown as "△ 0,2" at 1000 px)
      const x = width <= 0 ? m.x + m.radius + 4 : left ? Math.max(roomLeft, textWidth) : Math.min(m.x + m.radius + 4, width - textWidth);
      const [x0, x1] = left ? [x - textWidth, x] : [x, x + textWidth];
      // never above the viewport's top (a mark at the top edge had its score cut off)
      const y0 = Math.max(m.y - m.radius * 0.5, SCORE_LINE_PX);
      // down past other scores; past a label, to the side of it the mark is on (above a label at the
      // bottom, below one at the top), and then past other scores the same way
      const settle = (from: number, mayGoUp: boolean) => {
        let at = from, up = false;
        for (let moved = true, guard = 0; moved && guard < 3 * (marks.length + avoid.length) + 1; guard++) {
          moved = false;
          for (const box of avoid) {
            if (!overLabel(x0, x1, box, at)) continue;
            up = mayGoUp && m.y <= (box[1] + box[3]) / 2;
            at = up ? box[1] - LABEL_GAP_PX - SCORE_DESCENT_PX : box[3] + LABEL_GAP_PX + SCORE_LINE_PX;
            moved = true;
          }
          for (const box of placed) {
            if (overlaps(x0, x1, box, at)) { at = up ? box[1] : box[3] + SCORE_LINE_PX; moved = true; }
          }
          // nor over another mark (a score written over a neighbouring circle hid it: two masses 3 mm apart)
          for (const [j, o] of marks.entries()) {
            if (j === i || !overlaps(x0, x1, markBox(o), at)) continue;
            at = up ? o.y - o.radius : o.y + o.radius + SCORE_LINE_PX;
            moved = true;
          }
        }
        return at;
      };
      let y = settle(y0, true);
      // pushed up past the viewport's top: down from there instead (clamped where it stood, it lay
      // over the scores and marks it had moved past)
      if (y < SCORE_LINE_PX) y = settle(SCORE_LINE_PX, false);
      return { x, y, x0, x1, anchor: left ? 'end' as const : 'start' as const, adjacent: false };
    };
    /** Just above or just below the mark, centred on it or from one of its sides; null where it would cover something or leave the viewport. */
    const onTopOrUnder = (under: boolean, align: 'centre' | 'left' | 'right') => {
      const wanted = align === 'centre' ? m.x - textWidth / 2 : align === 'left' ? m.x - m.radius : m.x + m.radius - textWidth;
      const x0 = width > 0 ? Math.min(Math.max(wanted, 0), width - textWidth) : wanted;
      const x1 = x0 + textWidth;
      const y = under ? m.y + m.radius + SCORE_LINE_PX : m.y - m.radius - SCORE_DESCENT_PX;
      const outside = y - SCORE_LINE_PX < 0 || (height > 0 && y + SCORE_DESCENT_PX > height) || (width > 0 && x0 < 0);
      const covers = avoid.some((box) => overLabel(x0, x1, box, y)) || placed.some((box) => overlaps(x0, x1, box, y))
        || marks.some((o, j) => j !== i && overlaps(x0, x1, markBox(o), y));
      return outside || covers ? null : { x: x0, y, x0, x1, anchor: 'start' as const, adjacent: true };
    };
    type Candidate = NonNullable<ReturnType<typeof onTopOrUnder>> | ReturnType<typeof beside>;
    // whose the score is read as: the mark nearest its text. A score that writes its shape first
    // still goes nearer its own mark than one of another shape beside it (the eye pairs "▲ 0,52"
    // 18 px from a circle with the circle, not with its triangle 46 px away: a radiologist's probe);
    // the glyph spares it the margin there, and decides alone only against a mark over its own (two
    // findings on one lesion: no place is nearer one than the other)
    const glyph = glyphShapes.has(m.text[0] ?? '') ? shapeKnown(m) : undefined;
    const ofAnotherShape = (o: (typeof marks)[number]) => glyph !== undefined && shapeKnown(o) !== undefined && shapeKnown(o) !== glyph;
    const overOwn = (o: (typeof marks)[number]) => Math.hypot(o.x - m.x, o.y - m.y) < o.radius + m.radius;
    const rivals = marks.filter((o, j) => j !== i && inView(o) && !(ofAnotherShape(o) && overOwn(o)));
    // (one's centre inside the other's circle: one lesion, no place nearer one than the other)
    const nested = (o: (typeof marks)[number]) => Math.hypot(o.x - m.x, o.y - m.y) < Math.max(o.radius, m.radius);
    const rivalsWherePlaced = marks.filter((o, j) => j !== i && inView(o) && !(ofAnotherShape(o) && nested(o)));
    const marginFrom = (o: (typeof marks)[number]) => (ofAnotherShape(o) ? 0 : OWNED_BY_PX);
    // from the text's middle to the mark's edge: the eye pairs a number with the mark nearest it, not
    // with one its text's far end happens to come near
    const gap = (o: (typeof marks)[number], c: Candidate) => Math.hypot((c.x0 + c.x1) / 2 - o.x, c.y - SCORE_LINE_PX / 2 - o.y) - o.radius;
    // and from the text's box to its own mark's edge: a score 40–60 px above its mark, past another,
    // had to be looked for (a probe)
    const boxGap = (c: Candidate) => Math.max(0, Math.hypot(Math.max(c.x0 - m.x, 0, m.x - c.x1), Math.max(c.y - SCORE_LINE_PX - m.y, 0, m.y - c.y)) - m.radius);
    // never below the viewport's bottom either (a mark under the model's label at a cell's foot had
    // its score pushed out of the cell, and showed none)
    const inside = (c: Candidate) => c.y - SCORE_LINE_PX >= 0 && (height <= 0 || c.y + SCORE_DESCENT_PX <= height);
    // nearer its own mark than any other where a place is (a mass's "● 0,89" pushed under the triangle
    // half over it, the triangle's "▲ 0,18" under the mass: each beside the other's mark, a radiologist's
    // probe at 1280 px); the glyph alone, against a mark over its own, only where no place is (one inside the other)
    const owned = (c: Candidate, among = rivals) => inside(c) && boxGap(c) <= OWN_REACH_PX && among.every((o) => gap(o, c) >= gap(m, c) + marginFrom(o));
    const first = beside(leftFirst);
    const otherSide = width > 0 && (leftFirst ? roomRight >= textWidth : roomLeft >= textWidth) ? beside(!leftFirst) : null;
    const aligned = (['centre', 'left', 'right'] as const).flatMap((align) => [onTopOrUnder(false, align), onTopOrUnder(true, align)]);
    const candidates = [first, otherSide, ...aligned].filter((c): c is Candidate => c !== null);
    const chosen = candidates.find((c) => owned(c, rivalsWherePlaced)) ?? candidates.find((c) => owned(c)) ?? null;
    // none is its own beyond doubt: the first that stays in the viewport, tied to its mark by a line;
    // else one brought into the viewport, over no other mark if it can be, then over no label (a mark
    // at a cell's foot, under the model's label: its score over the label rather than none)
    const intoView = (c: Candidate): Candidate => ({ ...c, y: height > 0 ? Math.min(Math.max(c.y, SCORE_LINE_PX), height - SCORE_DESCENT_PX) : c.y });
    const coversMark = (c: Candidate) => marks.some((o, j) => j !== i && overlaps(c.x0, c.x1, markBox(o), c.y));
    const coversLabel = (c: Candidate) => avoid.some((box) => overLabel(c.x0, c.x1, box, c.y));
    const brought = [first, otherSide].filter((c): c is Candidate => c !== null).map(intoView);
    // (of those in the viewport, the one nearest its mark: the first, pushed down past a crowd of marks
    // and scores, sat 150 px from its mark on a long line across others, read as theirs: a probe)
    const nearest = candidates.filter(inside).reduce<Candidate | null>((best, c) => (best === null || boxGap(c) < boxGap(best) ? c : best), null);
    const place: Candidate = chosen ?? nearest
      ?? brought.find((c) => !coversMark(c) && !coversLabel(c)) ?? brought.find((c) => !coversMark(c)) ?? brought[0]!;
    placed.push([place.x0, place.y - SCORE_LINE_PX, place.x1, place.y]);
    places[i] = { x: place.x, y: place.y, anchor: place.anchor };
    if (hostOf.includes(i)) stack.set(i, { x: place.x, anchor: place.anchor, top: place.y, bottom: place.y });
    // moved clear of its mark's height: a score far from its mark reads as another mark's
    const above = place.y < m.y - m.radius, below = place.y - SCORE_LINE_PX > m.y + m.radius;
    if (chosen ? !place.adjacent && (above || below) : true) {
      // from the mark's edge toward the score; where the score is its own beyond doubt, none where the
      // line would start in or cross another mark (it read as the other mark's: near marks write their
      // shape before their score, which says whose); where it is not, the line is all that says whose,
      // whatever it crosses (a probe's "0,52" sat on a star's point, its line dropped)
      const end: [number, number] = [place.x, above ? place.y - 3 : below ? place.y - SCORE_LINE_PX + 2 : place.y - SCORE_LINE_PX / 2];
      const d = Math.hypot(end[0] - m.x, end[1] - m.y) || 1;
      const start: [number, number] = [m.x + ((end[0] - m.x) / d) * m.radius, m.y + ((end[1] - m.y) / d) * m.radius];
      const startsInside = marks.some((o, j) => j !== i && Math.hypot(start[0] - o.x, start[1] - o.y) <= o.radius);
      const crosses = marks.some((o, j) => j !== i && distanceToSegment([o.x, o.y], start, end) <= o.radius);
      if (!chosen || (!startsInside && !crosses)) places[i]!.leader = [start[0], start[1], end[0], end[1]];
    }
  }
  // a stack's lines read from its strongest score down (equal scores: their marks from top to bottom): a
  // faint asymmetry's diamond round a 0,98 mass wrote "◆ 0,51" over "● 0,98", the weaker score read
  // first (a radiologist's probe)
  for (const host of new Set(stackedInto.values())) {
    const members = [host, ...order.filter((i) => stackedInto.get(i) === host)];
    if (members.some((i) => marks[i]!.score === undefined)) continue;
    const hostSlot = places[host]!;
    const slots = members.map((i) => places[i]!).sort((a, b) => a.y - b.y);
    const byScore = [...members].sort((a, b) => marks[b]!.score! - marks[a]!.score! || marks[a]!.y - marks[b]!.y || marks[a]!.x - marks[b]!.x);
    // each line keeps its place, the host's its tie to the host where it has one; whose score it writes moves
    byScore.forEach((i, k) => {
      const slot = slots[k]!;
      places[i] = slot === hostSlot ? slot : { x: slot.x, y: slot.y, anchor: slot.anchor };
    });
  }
  return places;
}

/**
 * Where a mark's score goes in the magnifier's glass: beside the mark, on its right where the glass
 * has room, else on its left; in either case within the part of the glass the viewport shows
 * (`width`, `height`; 0: unknown), moved over the mark's own edge if it must. A glass held near the
 * image's edge, its mark filling it, wrote the score on the mark's left at x = -49, off the screen
 * (a radiologist's re-probe). `stacked`: how many scores of near marks come before it (one under the other).
 */
export function placeGlassScore(mark: { x: number; y: number; radius: number }, textWidth: number, glass: Box, width: number, height: number, stacked = 0): { x: number; y: number; anchor: 'start' | 'end' } {
  const left = Math.max(glass[0], 0) + 2;
  const right = (width > 0 ? Math.min(glass[2], width) : glass[2]) - 2;
  const top = Math.max(glass[1], 0) + 8;
  const bottom = (height > 0 ? Math.min(glass[3], height) : glass[3]) - 8;
  const y = Math.min(Math.max(mark.y + SCORE_LINE_PX * stacked, top), Math.max(top, bottom));
  if (mark.x + mark.radius + 4 + textWidth <= right) return { x: mark.x + mark.radius + 4, y, anchor: 'start' };
  if (mark.x - mark.radius - 4 - textWidth >= left) return { x: mark.x - mark.radius - 4, y, anchor: 'end' };
  // room on neither side: on the side with more room, pulled inside the glass
  return mark.x - left >= right - mark.x
    ? { x: Math.min(right, Math.max(left + textWidth, mark.x - mark.radius - 4)), y, anchor: 'end' }
    : { x: Math.max(left, Math.min(right - textWidth, mark.x + mark.radius + 4)), y, anchor: 'start' };
}
