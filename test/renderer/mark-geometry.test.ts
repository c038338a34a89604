// Where an AI mark is drawn: a stored-image point carried into the grid of the image the viewport
// holds (the stored image, or its reduced display rendition), then through the viewport's transform;
// its radius covers the finding's box as drawn; one shape per class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AI_FINDING_CLASSES } from '../../common/domain.ts';
import type { AiFinding } from '../../common/domain.ts';
import type { Box } from '../../renderer/ai/mark-geometry.ts';
import { MARK_RADIUS, MARK_REACH_MM, SHAPE_GLYPHS, markRadiusMax, marksOutside, placeGlassScore, reachMmOf, loadedIndexOf, nearMarkOfAnotherShape, projectFinding, shapeOf, shapePath, placeScoreLabels } from '../../renderer/ai/mark-geometry.ts';
import type { Point } from '../../renderer/ai/mark-geometry.ts';

test('a stored point in the stored image is itself; in a rendition, the inverse of how the rendition was averaged', () => {
  assert.deepEqual(loadedIndexOf([100, 250], { columns: 2560, rows: 3328 }, { columns: 2560, rows: 3328 }), [100, 250]);
  // a 2560 × 3328 image reduced to 788 × 1024: rendition pixel (i, j) is centred on stored ((i + 0.5)·sx − 0.5, (j + 0.5)·sy − 0.5)
  const stored = { columns: 2560, rows: 3328 };
  const loaded = { columns: 788, rows: 1024 };
  const sx = 2560 / 788, sy = 3328 / 1024;
  for (const [i, j] of [[0, 0], [10, 20], [787, 1023], [393.5, 511.5]] as const) {
    const [x, y] = [(i + 0.5) * sx - 0.5, (j + 0.5) * sy - 0.5];
    const [u, v] = loadedIndexOf([x, y], stored, loaded);
    assert.ok(Math.abs(u - i) < 1e-9 && Math.abs(v - j) < 1e-9, `(${i}, ${j}) → stored (${x}, ${y}) → (${u}, ${v})`);
  }
  // the stored image's edges are the rendition's edges (pixel edges, half a pixel beyond the centres)
  assert.deepEqual(loadedIndexOf([-0.5, -0.5], stored, loaded), [-0.5, -0.5]);
  const [right, bottom] = loadedIndexOf([2559.5, 3327.5], stored, loaded);
  assert.ok(Math.abs(right - 787.5) < 1e-9 && Math.abs(bottom - 1023.5) < 1e-9);
});

const finding = (over: Partial<AiFinding> = {}): AiFinding => ({ instanceId: 1, class: 'mass', score: 0.9, x: 100, y: 40, box: [90, 30, 110, 50], ...over });

test('the largest mark grows with a large viewport: a 29 mm mass at 6.6 px a millimetre, one image to a screen, was circled across its body and spicules at 56 px (a radiologist\'s probe)', () => {
  // a small viewport (the eight images of the prior comparison): the fixed cap
  assert.equal(markRadiusMax(230, 500), MARK_RADIUS.max);
  // four images side by side on a 1920 × 1080 screen (about 4 px a millimetre): 69 px, 17 mm; at 56 px
  // (14 mm) a 29 mm mass's circle lay on its margin (a probe)
  assert.equal(markRadiusMax(460, 1000), 69);
  assert.ok(markRadiusMax(460, 1000) / 4 >= MARK_REACH_MM.mass);
  // one image to the screen: under a third of the viewport across
  assert.equal(markRadiusMax(1900, 1000), 150);
  // the mass at 6.6 px a millimetre, its mark reaching 17 mm (112 px) around its finding, within that cap
  const zoomed = ([x, y]: Point): Point => [6.6 * 0.1 * x, 6.6 * 0.1 * y]; // 0.1 mm pixels
  const mass = finding({ box: [98, 38, 102, 42] });
  const mark = projectFinding(mass, zoomed, markRadiusMax(1900, 1000), [0.1, 0.1])!;
  assert.ok(Math.abs(mark.encloses - MARK_REACH_MM.mass * 6.6) < 1e-6, String(mark.encloses));
  assert.equal(projectFinding(mass, zoomed, MARK_RADIUS.max, [0.1, 0.1])!.encloses, MARK_RADIUS.max, 'capped as before, it lay inside the mass');
});

test('a finding is drawn where the viewport maps its centre, mirrored and zoomed, its mark as large as its box appears', () => {
  // a viewport 500 px wide showing a 200-column image mirrored (flipHorizontal) at 2 screen pixels per image pixel
  const mirroredZoomed = ([x, y]: Point): Point => [500 - 2 * x, 2 * y];
  const mark = projectFinding(finding(), mirroredZoomed)!;
  assert.deepEqual([mark.x, mark.y], [300, 80]);
  assert.equal(mark.shape, 'circle');
  // box corners 10 image pixels away on each axis: √(20² + 20²) screen pixels
  assert.ok(Math.abs(mark.radius - Math.hypot(20, 20)) < 1e-9, String(mark.radius));
  // tiny and huge boxes are kept within bounds
  assert.equal(projectFinding(finding({ box: [99.9, 39.9, 100.1, 40.1] }), mirroredZoomed)!.radius, MARK_RADIUS.min);
  assert.equal(projectFinding(finding({ box: [0, 0, 200, 100] }), mirroredZoomed)!.radius, MARK_RADIUS.max);
  // in the magnifier's glass, as large as the finding there, up to the glass's own half-size
  const large = projectFinding(finding({ box: [0, 0, 200, 100] }), mirroredZoomed)!;
  const inGlass = projectFinding(finding({ box: [0, 0, 200, 100] }), mirroredZoomed, 1000)!;
  assert.ok(inGlass.radius > MARK_RADIUS.max, `${inGlass.radius}`);
  assert.equal(projectFinding(finding({ box: [0, 0, 200, 100] }), mirroredZoomed, 60)!.radius, 60);
  assert.deepEqual([inGlass.x, inGlass.y], [large.x, large.y]);
  assert.equal(projectFinding(finding({ box: [99.9, 39.9, 100.1, 40.1] }), mirroredZoomed, 1000)!.radius, MARK_RADIUS.min);
  // the image's pixel spacing known: at least MARK_REACH_MM around the finding as the canvas shows it
  // (a circle round a box a fifth of its mass lay on the mass's margin: a radiologist's probe)
  const small = finding({ box: [98, 38, 102, 42] });
  assert.equal(projectFinding(small, mirroredZoomed)!.radius, MARK_RADIUS.min, 'the box alone: the smallest mark');
  // 0.5 mm pixels shown 2 screen pixels each: 10 mm is 20 image pixels, 40 screen pixels
  const halfMm = ([x, y]: Point): Point => [500 - x, y]; // one screen pixel per image pixel, mirrored
  assert.equal(projectFinding(small, halfMm, MARK_RADIUS.max, [0.5, 0.5])!.radius, MARK_REACH_MM.mass / 0.5);
  // turned a quarter (an image's rows upright on screen): the same reach
  const turned = ([x, y]: Point): Point => [y, 300 - x];
  assert.equal(projectFinding(small, turned, MARK_RADIUS.max, [0.5, 0.5])!.radius, MARK_REACH_MM.mass / 0.5);
  // a box larger than the reach keeps its own size; the reach, however zoomed, stays within MARK_RADIUS.max
  assert.ok(Math.abs(projectFinding(finding({ box: [70, 10, 130, 70] }), halfMm, MARK_RADIUS.max, [0.5, 0.5])!.radius - Math.min(MARK_RADIUS.max, Math.hypot(30, 30))) < 1e-9);
  assert.equal(projectFinding(small, mirroredZoomed, MARK_RADIUS.max, [0.1, 0.1])!.radius, MARK_RADIUS.max);
  // a box past the class's reach is reached by a shape's points, within the cap: a cluster's long box on an
  // implant's edge drew a triangle twice the size of the largest circle (a radiologist's probe)
  for (const findingClass of AI_FINDING_CLASSES) {
    const huge = projectFinding(finding({ class: findingClass, box: [0, 0, 400, 300] }), halfMm, MARK_RADIUS.max, [0.5, 0.5])!;
    assert.equal(huge.radius, MARK_RADIUS.max, findingClass);
    // and never smaller than its class's reach within its edges
    assert.ok(huge.encloses >= Math.min(MARK_RADIUS.max, reachMmOf(findingClass) / 0.5) - 1e-9, findingClass);
  }
  // no spacing (an image without one), or a zero: the box alone
  assert.equal(projectFinding(small, halfMm, MARK_RADIUS.max, [0, 0])!.radius, MARK_RADIUS.min);
  // no image in the viewport: no mark
  assert.equal(projectFinding(finding(), () => null), null);
});

test('one shape per class, each a closed path about its centre; an unknown class gets a shape of its own', () => {
  const shapes = AI_FINDING_CLASSES.map(shapeOf);
  assert.deepEqual(shapes, ['circle', 'triangle', 'star', 'diamond']);
  assert.equal(shapeOf('third-party-class'), 'square');
  assert.equal(new Set([...shapes, shapeOf('x')]).size, 5);
  for (const shape of [...shapes, 'square'] as const) {
    const d = shapePath(shape, 50, 60, 10);
    assert.match(d, /^M.*Z$/);
    const numbers = [...d.matchAll(/(-?\d+\.\d)[ ,](-?\d+\.\d)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    if (shape !== 'circle') for (const [x, y] of numbers) assert.ok(Math.hypot(x - 50, y - 60) <= 10.1, `${shape}: (${x}, ${y}) within the radius`);
  }
  // a star has 10 points, a triangle 3
  assert.equal(shapePath('star', 0, 0, 10).split('L').length, 10);
  assert.equal(shapePath('triangle', 0, 0, 10).split('L').length, 3);
});

test('every shape encloses its finding\'s reach with its edges, not only with its points', () => {
  // a 24.5 mm asymmetry's diamond, its points 10 mm out, lay inside the asymmetry (a radiologist's probe)
  const halfMm = ([x, y]: Point): Point => [500 - x, y];
  const outerRadii: number[] = [];
  for (const findingClass of [...AI_FINDING_CLASSES, 'third-party-class']) {
    const mark = projectFinding(finding({ class: findingClass, box: [98, 38, 102, 42] }), halfMm, MARK_RADIUS.max, [0.5, 0.5])!;
    // 0.5 mm pixels shown one screen pixel each
    assert.equal(mark.encloses, reachMmOf(findingClass) / 0.5, findingClass);
    outerRadii.push(mark.radius);
    const d = shapePath(mark.shape, mark.x, mark.y, mark.radius);
    const corners = [...d.matchAll(/(-?\d+\.\d),(-?\d+\.\d)/g)].map((m) => [Number(m[1]), Number(m[2])] as Point);
    if (mark.shape === 'circle') {
      assert.equal(mark.radius, mark.encloses);
      continue;
    }
    // the nearest any edge comes to the centre
    const nearest = Math.min(...corners.map((a, i) => {
      const b = corners[(i + 1) % corners.length]!;
      const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
      const t = Math.max(0, Math.min(1, ((mark.x - a[0]) * dx + (mark.y - a[1]) * dy) / (dx * dx + dy * dy)));
      return Math.hypot(a[0] + t * dx - mark.x, a[1] + t * dy - mark.y);
    }));
    assert.ok(nearest >= mark.encloses - 0.15 && nearest <= mark.encloses + 0.15, `${mark.shape}: edges ${nearest.toFixed(2)} px from the centre, encloses ${mark.encloses}`);
  }
  // a mass 27.5 mm across is enclosed (a probe saw a circle through one at 10 mm), and one of 29 mm
  // with its mark's centre 2 mm off its own (a probe saw the circle on its margin at 14 mm)
  assert.ok(2 * MARK_REACH_MM.mass >= 27.5);
  assert.ok(MARK_REACH_MM.mass >= 29 / 2 + 2);
  // with their points, no class's shape more than one and a half times another's
  assert.ok(Math.max(...outerRadii) <= 1.3 * Math.min(...outerRadii), outerRadii.join(', '));
});

test('scores beside their marks: two marks on one lesion write theirs one under the other, not over it; near the right edge on the left', () => {
  // an asymmetry and a mass on one lesion (exam 4's RMLO in a probe: "0.55" over "0.24", unreadable)
  // (near each other, each score writes its mark's shape first, as the page does)
  const [a, b] = placeScoreLabels([{ x: 300, y: 200, radius: 20, text: '◆ 0.55' }, { x: 304, y: 204, radius: 18, text: '● 0.24' }], 800, 44);
  assert.equal(a!.anchor, 'start');
  const boxes = [a!, b!].map((p) => ({ top: p.y - 14, bottom: p.y, left: p.x, right: p.x + 48 }));
  const overlap = boxes[0]!.left < boxes[1]!.right && boxes[1]!.left < boxes[0]!.right && boxes[0]!.top < boxes[1]!.bottom && boxes[1]!.top < boxes[0]!.bottom;
  assert.equal(overlap, false, JSON.stringify([a, b]));
  // a lone mark: its score where it always was, beside its top half
  assert.deepEqual(placeScoreLabels([{ x: 100, y: 100, radius: 20, text: '0.42' }], 800, 44), [{ x: 124, y: 90, anchor: 'start' }]);
  // at the top edge (a probe's RMLO: the score cut off above the viewport): its whole line inside
  assert.deepEqual(placeScoreLabels([{ x: 100, y: 4, radius: 20, text: '0.42' }], 800, 44), [{ x: 124, y: 14, anchor: 'start' }]);
  // near the right edge: on the mark's left
  assert.deepEqual(placeScoreLabels([{ x: 780, y: 100, radius: 20, text: '0.42' }], 800, 44), [{ x: 756, y: 90, anchor: 'end' }]);
  // a longer score (a mark beside another writes its shape first) goes left where it would not fit on the right
  // (a probe's "△ 0,28" at the seam read "△ 0,2"), and whichever side, never past the viewport's sides
  const [shaped] = placeScoreLabels([{ x: 450, y: 100, radius: 6, text: '▲\u20090,28' }], 500, 44);
  assert.equal(shaped!.anchor, 'end');
  assert.ok(shaped!.x - 6 * 8 >= 0 && shaped!.x <= 500, JSON.stringify(shaped));
  for (const [x, width] of [[495, 500], [5, 500], [30, 60], [10, 60], [50, 60]] as const) {
    const [p] = placeScoreLabels([{ x, y: 100, radius: 6, text: '▲\u20090,28' }], width, 44);
    const [x0, x1] = p!.anchor === 'end' ? [p!.x - 48, p!.x] : [p!.x, p!.x + 48];
    assert.ok(x0 >= 0 && x1 <= width, `a mark at ${x} of ${width} px: its score from ${x0} to ${x1}`);
  }
  // the width the page measures (a shape's glyph is wider than a digit: "△ 0,33" ran 6 px past the seam at 1920 px)
  const measured = (text: string) => (text.startsWith('▲') ? 60 : text.length * 8);
  for (const x of [35, 45, 55, 65]) {
    const [p] = placeScoreLabels([{ x, y: 100, radius: 6, text: '▲\u20090,33' }], 100, 44, [], 0, measured);
    const [x0, x1] = p!.anchor === 'end' ? [p!.x - 60, p!.x] : [p!.x, p!.x + 60];
    assert.ok(x0 >= 0 && x1 <= 100, `a mark at ${x} of 100 px, its score 60 px wide: from ${x0} to ${x1}`);
  }
  // far apart: neither moves
  const apart = placeScoreLabels([{ x: 100, y: 100, radius: 20, text: '0.42' }, { x: 100, y: 300, radius: 20, text: '0.31' }], 800, 44);
  assert.deepEqual(apart.map((p) => p!.y), [90, 290]);
  // two marks side by side (a probe's R-CC: "0.24" written over the 0.28 circle beside it): the score goes past the other circle
  const near = [{ x: 192, y: 689, radius: 10, text: '0.24' }, { x: 226, y: 681, radius: 10, text: '0.28' }];
  const [first] = placeScoreLabels(near, 800, 44);
  const circle = { left: 216, top: 671, right: 236, bottom: 691 };
  const label = { left: first!.x, right: first!.x + 32, top: first!.y - 14, bottom: first!.y };
  assert.ok(label.right <= circle.left || label.left >= circle.right || label.bottom <= circle.top || label.top >= circle.bottom, JSON.stringify({ label, circle }));
});

test('a score is not written over a label in the image\'s place (whose marks they are, the view): it goes above it', () => {
  // a small window: a mark low in the place, the model's label at the bottom left beside it
  const label = [12, 700, 240, 730] as const;
  const [low] = placeScoreLabels([{ x: 100, y: 715, radius: 12, text: '0,71' }], 500, 44, [label]);
  assert.ok(low!.y + 4 < label[1], `the score's baseline ${low!.y} is clear above the label's top ${label[1]}, its comma's tail too (set on its edge, it read as the label's first line)`);
  assert.equal(low!.x, 116, 'still beside its mark');
  // moved clear of its mark: a line ties it to the mark, from the circle's upper right to the score
  const [x1, y1, x2, y2] = low!.leader!;
  assert.ok(Math.abs(Math.hypot(x1 - 100, y1 - 715) - 12) < 0.01 && x1 > 100 && y1 < 715, `from the mark's edge: ${low!.leader}`);
  assert.equal(x2, low!.x);
  assert.ok(y2 <= low!.y && y2 >= low!.y - 14, `to the score: ${low!.leader}`);
  // a mark away from the label keeps its place, and two scores pushed up do not overlap each other
  assert.deepEqual(placeScoreLabels([{ x: 100, y: 100, radius: 20, text: '0.42' }], 800, 44, [label]), [{ x: 124, y: 90, anchor: 'start' }]);
  const [a, b] = placeScoreLabels([{ x: 100, y: 712, radius: 12, text: '0.55' }, { x: 102, y: 716, radius: 12, text: '0.24' }], 500, 44, [label]);
  const boxes = [a!, b!].map((p) => ({ top: p.y - 14, bottom: p.y, left: p.x, right: p.x + 32 }));
  for (const box of boxes) assert.ok(box.bottom <= label[1] || box.right <= label[0] || box.left >= label[2] || box.top >= label[3], JSON.stringify(boxes));
  assert.ok(boxes[0]!.bottom <= boxes[1]!.top || boxes[1]!.bottom <= boxes[0]!.top, `one above the other: ${JSON.stringify(boxes)}`);
  // a label at the top (the view's name): a mark just under it writes its score below it, not off the image
  const [high] = placeScoreLabels([{ x: 20, y: 20, radius: 10, text: '0.42' }], 500, 44, [[8, 6, 60, 22]]);
  assert.equal(high!.y, 22 + 2 + 14, 'the baseline a line and a little below the label');
  assert.equal(high!.leader, undefined, 'still beside its circle: no line');
});

test('in a crowd where no place is a score\'s own beyond doubt, its score goes to the place nearest its mark, tied by a short line: the first place, pushed down past the crowd, sat 122 px from its mark on a line across others (a radiologist\'s probe: "0,30" read as the diamond\'s)', () => {
  // a layout found among random crowds (marks as the 8-up's cells draw them)
  const crowd = [{ x: 126.5, y: 126, radius: 28, text: '0.16' }, { x: 151, y: 235.7, radius: 26, text: '0.52' }, { x: 113, y: 178.9, radius: 28, text: '0.13' },
    { x: 80.6, y: 123.1, radius: 21, text: '0.34' }, { x: 51.3, y: 42, radius: 14, text: '0.63' }, { x: 58.7, y: 80.7, radius: 13, text: '0.35' }];
  const places = placeScoreLabels(crowd, 300, 44, [], 360);
  const leaders = places.map((p) => (p?.leader ? Math.hypot(p.leader[2] - p.leader[0], p.leader[3] - p.leader[1]) : 0));
  assert.ok(places.every((p) => p !== null));
  assert.ok(Math.max(...leaders) <= 40, `every line short: ${leaders.map((l) => l.toFixed(0)).join(', ')} px`);
});

test('crowded and zoomed marks: a score off the viewport is not written; one pushed above the top goes down instead; a mark over another says its shape before its score and draws no line out of the other', () => {
  // zoomed or panned away: no score pinned at the edge over tissue without a mark
  const [gone, kept] = placeScoreLabels([{ x: 100, y: -60, radius: 20, text: '0.32' }, { x: 100, y: 100, radius: 20, text: '0.23' }], 400, 44, [], 300);
  assert.equal(gone, null);
  assert.deepEqual(kept, { x: 124, y: 90, anchor: 'start' });
  // height unknown: every mark placed, as before
  assert.notEqual(placeScoreLabels([{ x: 100, y: -60, radius: 20, text: '0.32' }], 400, 44)[0], null);
  // a label at the top beside two marks near the top: pushed up past the top, the second score comes
  // down below the first instead of being clamped onto it ("0,230,32")
  const label: Box = [90, 0, 200, 30];
  const top = placeScoreLabels([{ x: 100, y: 5, radius: 12, text: '0.23' }, { x: 104, y: 8, radius: 12, text: '0.32' }], 400, 44, [label], 300);
  const boxes = top.map((p) => [p!.y - 14, p!.y] as const);
  // (a score's box: 4 characters of 8 px from its anchor)
  const across = top.map((p) => (p!.anchor === 'end' ? [p!.x - 32, p!.x] : [p!.x, p!.x + 32]) as readonly [number, number]);
  assert.ok(boxes.every(([t, b], n) => t >= 0 && (b <= label[1] || t >= label[3] || across[n]![1] <= label[0] || across[n]![0] >= label[2])), `within the viewport, off the label: ${JSON.stringify(top)}`);
  assert.ok(boxes[0]![1] <= boxes[1]![0] || boxes[1]![1] <= boxes[0]![0], `not one over the other: ${JSON.stringify(top)}`);
  // a mass and a cluster on one lesion: each overlaps the other; side by side (circles 10 px apart):
  // near too; far apart: not
  const pair = [{ x: 200, y: 200, radius: 20, shape: 'circle' }, { x: 204, y: 206, radius: 12, shape: 'triangle' }, { x: 400, y: 400, radius: 12, shape: 'star' },
    { x: 434, y: 400, radius: 12, shape: 'circle' }, { x: 600, y: 100, radius: 12, shape: 'circle' }, { x: 630, y: 100, radius: 12, shape: 'circle' }] as const;
  // the last two side by side, both circles: "○" before their scores says nothing (and read as a third mark)
  assert.deepEqual(nearMarkOfAnotherShape(pair), [true, true, true, true, false, false]);
  assert.equal(SHAPE_GLYPHS.circle + SHAPE_GLYPHS.triangle, '●▲', 'filled: an outline before a score read as another mark');
  // the mass's score moved clear of both: no line from inside the cluster's mark
  const moved = placeScoreLabels([{ x: 200, y: 200, radius: 12, text: '● 0.26' }, { x: 202, y: 203, radius: 30, text: '▲ 0.92' }], 800, 44, [[150, 150, 260, 196]]);
  assert.equal(moved[0]!.leader, undefined, 'the small mark inside the large one: its line would start inside it');
  // a line that would run through another mark on its way (a probe: "0,26" read as the triangle's):
  // below its mark, the score lay against the other one; it goes on its mark's other side instead
  const through = placeScoreLabels([{ x: 100, y: 100, radius: 10, text: '0.26' }, { x: 113, y: 124, radius: 5, text: '0.92' }], 800, 44, [[100, 80, 200, 112]]);
  assert.deepEqual(through[0], { x: 86, y: 95, anchor: 'end' }, `beside its own mark, on its left: ${JSON.stringify(through)}`);
  assert.equal(through[0]!.leader, undefined, `no line through the other mark: ${JSON.stringify(through)}`);
  for (const [i, p] of moved.entries()) {
    if (!p?.leader) continue;
    const [x1, y1] = p.leader;
    const other = i === 0 ? { x: 202, y: 203, r: 30 } : { x: 200, y: 200, r: 12 };
    assert.ok(Math.hypot(x1 - other.x, y1 - other.y) > other.r, `mark ${i}'s line starts inside the other mark: ${JSON.stringify(p)}`);
  }
});

test('a score moved away from its mark is never nearer another mark it could be read as: the other side, above or below its own, else a line', () => {
  // a probe's LMLO in 8-up: two masses side by side, the left one's "○ 0,94" moved down past the right
  // one and written under it, read as its score (that one's was 0,35)
  // from the score's middle to a mark's edge
  const gap = (m: { x: number; y: number; radius: number }, p: { x: number; y: number; anchor: 'start' | 'end' }, w: number) =>
    Math.hypot((p.anchor === 'end' ? p.x - w / 2 : p.x + w / 2) - m.x, p.y - 7 - m.y) - m.radius;
  const pair = [{ x: 14, y: 100, radius: 10, text: '● 0,94', shape: 'circle' as const }, { x: 46, y: 104, radius: 12, text: '● 0,35', shape: 'circle' as const }];
  const places = placeScoreLabels(pair, 200, 44, [], 300);
  for (const [i, p] of places.entries()) {
    const own = gap(pair[i]!, p!, 48), other = gap(pair[1 - i]!, p!, 48);
    assert.ok(own + 6 <= other || p!.leader, `mark ${i}'s score ${JSON.stringify(p)}: ${own} px from its mark, ${other} from the other, no line`);
  }
  assert.ok(gap(pair[0]!, places[0]!, 48) + 6 <= gap(pair[1]!, places[0]!, 48), `the 0,94 by its own mark, not under the other: ${JSON.stringify(places[0])}`);
  // a mark of another shape is a rival too, its glyph notwithstanding: a radiologist read "▲ 0,52",
  // 18 px from a circle and 46 px from its own triangle, as the circle's
  const mixed = placeScoreLabels([{ ...pair[0]!, text: '▲ 0,94', shape: 'triangle' as const }, { ...pair[1]!, text: '● 0,35' }], 200, 44, [], 300);
  for (const [i, p] of mixed.entries()) {
    assert.ok(gap(pair[i]!, p!, 56) <= gap(pair[1 - i]!, p!, 56) || p!.leader, `mark ${i}'s score ${JSON.stringify(p)} nearer the other shape's mark, no line`);
  }
  // such a layout (from the sweep below): the small star's "★ 0,62" went under it, nearer the triangle beside it
  const measured = (t: string) => (/^[●▲★◆■]/.test(t) ? 14 + (t.length - 1) * 8 : t.length * 8) + 4;
  const beside = [{ x: 64.3, y: 104.9, radius: 29.7, text: '0,73', shape: 'star' as const }, { x: 33.8, y: 180.1, radius: 16.2, text: '★ 0,62', shape: 'star' as const },
    { x: 76, y: 172.9, radius: 11, text: '▲ 0,73', shape: 'triangle' as const }];
  const [, smallStar] = placeScoreLabels(beside, 235, 44, [[4, 230, 230, 260], [4, 4, 80, 18]], 264, measured);
  const starGap = gap(beside[1]!, smallStar!, measured('★ 0,62')), triangleGap = gap(beside[2]!, smallStar!, measured('★ 0,62'));
  assert.ok(starGap <= triangleGap || smallStar!.leader, `the star's score ${JSON.stringify(smallStar)}: ${starGap.toFixed(1)} px from the star, ${triangleGap.toFixed(1)} from the triangle, no line`);
  // hemmed in on every side (three circles round it in a strip as narrow as its score): the line ties it to its mark
  const hemmed = [{ x: 30, y: 60, radius: 10, text: '0.50' }, { x: 30, y: 36, radius: 10, text: '0.41' }, { x: 30, y: 84, radius: 10, text: '0.42' }, { x: 6, y: 60, radius: 5, text: '0.43' }, { x: 54, y: 60, radius: 5, text: '0.44' }];
  const [centre] = placeScoreLabels(hemmed, 60, 44, [], 200);
  const near = (m: (typeof hemmed)[number]) => gap(m, centre!, 32);
  assert.ok(near(hemmed[0]!) + 6 <= Math.min(...hemmed.slice(1).map(near)) || centre!.leader, `owned or tied by a line: ${JSON.stringify(centre)}`);
});

test('crowded marks, many layouts: every score is nearer its own mark than any it could be read as, or tied to it by a line, and stays inside its image', () => {
  // a deterministic sweep of 2 to 4 marks within 140 px of one another, in cells from 160 px wide, with
  // the model's label at the foot (a probe's sweep found 379 scores read as another mark's with no
  // line, and 192 pushed out of the cell, among 50,000)
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  const shapes = ['circle', 'triangle', 'star', 'diamond'] as const;
  const width = (t: string) => (/^[●▲★◆■]/.test(t) ? 14 + (t.length - 1) * 8 : t.length * 8) + 4;
  let scores = 0;
  for (let layout = 0; layout < 1500; layout++) {
    const W = 160 + Math.floor(random() * 400), H = Math.floor(W * (1.1 + random() * 0.4));
    const [cx, cy] = [random() * W, random() * H];
    const sameShape = random() < 0.5;
    const marks: { x: number; y: number; radius: number; shape: (typeof shapes)[number] }[] = [];
    for (let k = 0; k < 50 && marks.length < 4; k++) {
      const radius = 10 + random() * 25;
      const m = { x: cx + (random() - 0.5) * 140, y: cy + (random() - 0.5) * 140, radius, shape: sameShape ? 'circle' as const : shapes[Math.floor(random() * 4)]! };
      if (m.x < radius || m.x > W - radius || m.y < radius || m.y > H - radius) continue;
      if (marks.some((o) => Math.hypot(o.x - m.x, o.y - m.y) < o.radius + m.radius + 2)) continue;
      marks.push(m);
    }
    if (marks.length < 2) continue;
    const near = nearMarkOfAnotherShape(marks);
    const texts = marks.map((m, i) => `${near[i] ? `${SHAPE_GLYPHS[m.shape]}\u2009` : ''}0,${10 + Math.floor(random() * 89)}`);
    const labels: Box[] = [[4, H - 34, Math.min(W - 4, 230), H - 4], [4, 4, 80, 18]];
    const places = placeScoreLabels(marks.map((m, i) => ({ ...m, text: texts[i]! })), W, 44, labels, H, width);
    for (const [i, p] of places.entries()) {
      if (!p) continue;
      scores++;
      const w = width(texts[i]!);
      const x0 = p.anchor === 'end' ? p.x - w : p.x;
      const middle = [x0 + w / 2, p.y - 7] as const;
      const edge = (o: (typeof marks)[number]) => Math.hypot(middle[0] - o.x, middle[1] - o.y) - o.radius;
      // any mark beside it; one of another shape over its own only where the score says its shape
      const rivals = marks.filter((o, j) => j !== i && !(near[i] && o.shape !== marks[i]!.shape && Math.hypot(o.x - marks[i]!.x, o.y - marks[i]!.y) < o.radius + marks[i]!.radius));
      const layoutSaid = JSON.stringify({ W, H, marks, texts, places });
      assert.ok(p.leader || rivals.every((o) => edge(o) >= edge(marks[i]!)), `score ${i} nearer another mark, no line: ${layoutSaid}`);
      assert.ok(p.y - 14 >= 0 && p.y + 4 <= H && x0 >= 0 && x0 + w <= W, `score ${i} leaves its image: ${layoutSaid}`);
    }
  }
  assert.ok(scores > 3000, `${scores} scores placed`);
});

test('a score in the magnifier\'s glass stays in the part of the glass on screen: held near the image\'s edge, its mark filling it, the score was drawn at x = -49 (a radiologist\'s re-probe)', () => {
  // room on the right: beside the mark
  assert.deepEqual(placeGlassScore({ x: 100, y: 100, radius: 20 }, 40, [50, 50, 250, 250], 1000, 800), { x: 124, y: 100, anchor: 'start' });
  // none on the right, some on the left
  assert.deepEqual(placeGlassScore({ x: 200, y: 100, radius: 20 }, 40, [50, 50, 250, 250], 1000, 800), { x: 176, y: 100, anchor: 'end' });
  // the glass half off the viewport's left edge, the mark filling it: pulled inside what shows, nothing before x = 0
  const edge = placeGlassScore({ x: 40, y: 100, radius: 70 }, 50, [-60, 0, 140, 200], 1000, 800);
  const [from, to] = edge.anchor === 'start' ? [edge.x, edge.x + 50] : [edge.x - 50, edge.x];
  assert.ok(from >= 0 && to <= 140, JSON.stringify(edge));
  // past the viewport's bottom: the line kept inside
  assert.ok(placeGlassScore({ x: 100, y: 790, radius: 20 }, 40, [0, 700, 200, 900], 1000, 800).y <= 792);
  // two scores of one lesion one under the other
  assert.equal(placeGlassScore({ x: 100, y: 100, radius: 20 }, 40, [50, 50, 250, 250], 1000, 800, 1).y, 114);
});

test('faint marks of another class inside a strong mark write their scores under its score, lined up, with no line across it (a probe: a 0,99 star, faint triangles inside it tied to scores below it by lines crossing it)', () => {
  const star = { x: 300, y: 300, radius: 40, text: '★\u20090,99', shape: 'star' as const };
  const inside = [
    { x: 318, y: 290, radius: 12, text: '▲\u20090,14', shape: 'triangle' as const },
    { x: 290, y: 312, radius: 12, text: '▲\u20090,16', shape: 'triangle' as const },
    { x: 305, y: 330, radius: 14, text: '●\u20090,15', shape: 'circle' as const },
  ];
  const places = placeScoreLabels([star, ...inside], 800, 44, [], 600);
  const [own, ...under] = places;
  assert.deepEqual(own, { x: 344, y: 280, anchor: 'start' }, 'the star\'s score where a lone mark\'s goes');
  // one line each under it, in the order of their marks from top to bottom, none tied by a line
  assert.deepEqual(under.map((p) => [p!.x, p!.y, p!.anchor, p!.leader]), [[344, 294, 'start', undefined], [344, 308, 'start', undefined], [344, 322, 'start', undefined]]);
  // near the viewport's bottom: the lines go above the star's score instead, still beside it
  const low = placeScoreLabels([{ ...star, y: 560 }, ...inside.map((m) => ({ ...m, y: m.y + 260 }))], 800, 44, [], 600);
  const ys = low.map((p) => p!.y);
  assert.ok(low.every((p) => p!.x === 344 && p!.leader === undefined && p!.y + 4 <= 600), JSON.stringify(low));
  assert.equal(new Set(ys).size, 4, `four lines, none over another: ${ys}`);
  assert.ok(ys.slice(1).every((y) => Math.abs(y - ys[0]!) % 14 === 0), `on the star's score's lines: ${ys}`);
  // near the right edge, the star's score on its left: the lines end where it ends
  const right = placeScoreLabels([{ ...star, x: 760 }, ...inside.map((m) => ({ ...m, x: m.x + 460 }))], 800, 44, [], 600);
  assert.ok(right.every((p) => p!.anchor === 'end' && p!.x === right[0]!.x), JSON.stringify(right));
  // a mark inside one inside another: under the outermost
  const nested = placeScoreLabels([star, { x: 305, y: 305, radius: 25, text: '◆\u20090,40', shape: 'diamond' as const }, { x: 308, y: 308, radius: 10, text: '●\u20090,20', shape: 'circle' as const }], 800, 44, [], 600);
  assert.deepEqual(nested.map((p) => [p!.x, p!.y]), [[344, 280], [344, 294], [344, 308]]);
  // only where both scores say their shapes (a page that wrote none: whose each number is would not show)
  const bare = placeScoreLabels([{ ...star, text: '0,99' }, { ...inside[0]!, text: '0,14' }], 800, 44, [], 600);
  assert.notDeepEqual([bare[1]!.x, bare[1]!.y], [344, 294]);
  // a mark half over the other's edge, its centre just inside it: under it too (left beside itself, its line
  // crossed the other's score and another mark's, a probe); one whose centre lies outside it is not
  const edge = placeScoreLabels([star, { x: 337, y: 300, radius: 12, text: '▲\u20090,15', shape: 'triangle' as const }], 800, 44, [], 600);
  assert.ok(edge[1]!.x === edge[0]!.x && Math.abs(edge[1]!.y - edge[0]!.y) === 14 && edge[1]!.leader === undefined, JSON.stringify(edge));
  const outside = placeScoreLabels([star, { x: 341, y: 300, radius: 12, text: '▲\u20090,15', shape: 'triangle' as const }], 800, 44, [], 600);
  assert.notEqual(outside[1]!.x, outside[0]!.x, JSON.stringify(outside));
  // the stack reads from its strongest score down: a faint diamond round a 0,98 circle wrote "◆ 0,51" over
  // "● 0,98" (a radiologist's probe)
  const diamond = { x: 300, y: 300, radius: 40, text: '◆\u20090,51', shape: 'diamond' as const, score: 0.51 };
  const strong = { x: 305, y: 310, radius: 14, text: '●\u20090,98', shape: 'circle' as const, score: 0.98 };
  const faint = { x: 290, y: 290, radius: 10, text: '▲\u20090,16', shape: 'triangle' as const, score: 0.16 };
  const byScore = placeScoreLabels([diamond, strong, faint], 800, 44, [], 600);
  assert.deepEqual(byScore.map((p) => [p!.x, p!.y]), [[344, 294], [344, 280], [344, 308]], JSON.stringify(byScore));
  // equal scores: the upper mark's first
  const twins = placeScoreLabels([{ ...star, score: 0.99 }, { ...inside[0]!, score: 0.15 }, { ...inside[1]!, score: 0.15 }], 800, 44, [], 600);
  assert.deepEqual(twins.map((p) => p!.y), [280, 294, 308]);
  // the outer mark zoomed out of view: the inner one's score beside it as before
  const [, alone] = placeScoreLabels([{ ...star, x: -60 }, { ...inside[0]!, x: 8 }], 800, 44, [], 600);
  assert.ok(alone !== null && alone.x >= 8, JSON.stringify(alone));
});

test('two marks of different shapes half over one another: each score nearer its own mark than the other\'s, where a place is (a radiologist\'s probe at 1280 px: the mass\'s "● 0,89" under the triangle, the triangle\'s "▲ 0,18" under the mass)', () => {
  const marks = [{ x: 201, y: 188, radius: 22, text: '●\u20090,89', shape: 'circle' as const, score: 0.89 }, { x: 243, y: 178, radius: 22, text: '▲\u20090,18', shape: 'triangle' as const, score: 0.18 }];
  const places = placeScoreLabels(marks, 315, 44, [], 270);
  for (const [i, p] of places.entries()) {
    const width = 7 * 8;
    const [x0, x1] = p!.anchor === 'end' ? [p!.x - width, p!.x] : [p!.x, p!.x + width];
    const middle = [(x0 + x1) / 2, p!.y - 7] as const;
    const gaps = marks.map((m) => Math.hypot(middle[0] - m.x, middle[1] - m.y) - m.radius);
    assert.ok(gaps[i]! < gaps[1 - i]!, `${marks[i]!.text}: ${gaps[i]!.toFixed(1)} px from its mark, ${gaps[1 - i]!.toFixed(1)} from the other (${JSON.stringify(p)})`);
  }
  // one inside the other (one lesion): as before, its shape says whose, one line under the other
  const nestedPlaces = placeScoreLabels([{ x: 300, y: 200, radius: 20, text: '◆ 0.55' }, { x: 304, y: 204, radius: 18, text: '● 0.24' }], 800, 44);
  assert.equal(nestedPlaces[0]!.anchor, 'start');
});

test('marks wholly outside the viewport are counted (the label says so): a vendor\'s mark of 85 in the background, beyond the breast the step frames, flagged the exam and no image showed it (a probe)', () => {
  const marks = [{ x: 50, y: 50, radius: 10 }, { x: -11, y: 50, radius: 10 }, { x: 105, y: 50, radius: 10 }, { x: 50, y: 215, radius: 10 }];
  assert.equal(marksOutside(marks, 100, 200), 2, 'one wholly left of it, one wholly below; one half over its edge is seen');
  assert.equal(marksOutside(marks, 0, 0), 0, 'no size yet: none said outside');
});
