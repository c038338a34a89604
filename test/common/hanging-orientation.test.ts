// Orientation: every test shows a small labelled matrix the way Cornerstone does (flips in the image's
// own axes, then a clockwise turn) and reads which anatomical direction ends up on each screen edge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chestWallSide, displayTransform } from '../../common/hanging/orientation.ts';
import type { DisplayTransform, OrientationInput } from '../../common/hanging/orientation.ts';

type Matrix = (string | null)[][];

const OPPOSITE: Record<string, string> = { A: 'P', P: 'A', R: 'L', L: 'R', H: 'F', F: 'H' };
const invert = (letters: string) => [...letters].map((c) => OPPOSITE[c]).join('');

/**
 * A stored image 3 rows × 5 columns (not square, so that a wrong quarter turn shows) whose edge
 * midpoints carry the direction they face: the right edge faces the row direction, the bottom edge
 * the column direction.
 */
function labelledImage([row, column]: readonly [string, string]): Matrix {
  const m: Matrix = Array.from({ length: 3 }, () => Array<string | null>(5).fill(null));
  m[1]![4] = row;
  m[1]![0] = invert(row);
  m[2]![2] = column;
  m[0]![2] = invert(column);
  return m;
}

const rotateClockwise = (m: Matrix): Matrix => m[0]!.map((_, c) => m.map((_, r) => m[m.length - 1 - r]![c]!));

/** What Cornerstone's setViewPresentation({ rotation, flipHorizontal, flipVertical }) puts on screen. */
function showLikeCornerstone(m: Matrix, t: Pick<DisplayTransform, 'rotation' | 'flipHorizontal' | 'flipVertical'>): Matrix {
  let shown = m.map((row) => [...row]);
  if (t.flipHorizontal) shown = shown.map((row) => [...row].reverse());
  if (t.flipVertical) shown = [...shown].reverse();
  for (let turn = 0; turn < t.rotation / 90; turn++) shown = rotateClockwise(shown);
  return shown;
}

/** The directions on the screen's right edge and bottom edge. */
function screenEdges(m: Matrix): { right: string; bottom: string; left: string } {
  const midRow = Math.floor(m.length / 2);
  const midColumn = Math.floor(m[0]!.length / 2);
  return { right: m[midRow]!.at(-1)!, bottom: m.at(-1)![midColumn]!, left: m[midRow]![0]! };
}

function shownEdges(input: OrientationInput) {
  const t = displayTransform(input);
  return { t, edges: screenEdges(showLikeCornerstone(labelledImage(input.patientOrientation!), t)) };
}

const VIEWS = [
  { laterality: 'R', view: 'MLO', ready: ['P', 'FL'], right: 'P', bottom: 'F' },
  { laterality: 'L', view: 'MLO', ready: ['A', 'FR'], right: 'A', bottom: 'F' },
  { laterality: 'R', view: 'CC', ready: ['P', 'L'], right: 'P', bottom: 'L' },
  { laterality: 'L', view: 'CC', ready: ['A', 'R'], right: 'A', bottom: 'R' },
] as const;

/** The stored orientation of a display-ready image after a storage accident (the same simulation, applied to the targets). */
function storedAs(ready: readonly [string, string], storage: Pick<DisplayTransform, 'rotation' | 'flipHorizontal' | 'flipVertical'>): [string, string] {
  const { right, bottom } = screenEdges(showLikeCornerstone(labelledImage(ready), storage));
  return [right, bottom];
}

test('the matrix simulation itself: a clockwise quarter turn puts the top edge on the right', () => {
  const { right, bottom, left } = screenEdges(showLikeCornerstone(labelledImage(['P', 'FL']), { rotation: 90, flipHorizontal: false, flipVertical: false }));
  assert.deepEqual({ right, bottom, left }, { right: 'HR', bottom: 'P', left: 'FL' });
});

test('each view, stored display-ready, mirrored, upside down, turned or transposed, is shown on its targets', () => {
  const storages = [
    { name: 'display-ready', rotation: 0, flipHorizontal: false, flipVertical: false },
    { name: 'mirrored', rotation: 0, flipHorizontal: true, flipVertical: false },
    { name: 'upside down', rotation: 0, flipHorizontal: false, flipVertical: true },
    { name: 'half turn', rotation: 180, flipHorizontal: false, flipVertical: false },
    { name: 'quarter turn', rotation: 90, flipHorizontal: false, flipVertical: false },
    { name: 'three quarters', rotation: 270, flipHorizontal: false, flipVertical: false },
    { name: 'transposed', rotation: 90, flipHorizontal: false, flipVertical: true },
    { name: 'anti-transposed', rotation: 90, flipHorizontal: true, flipVertical: false },
  ] as const;
  for (const v of VIEWS) {
    for (const storage of storages) {
      const stored = storedAs(v.ready, storage);
      const { t, edges } = shownEdges({ laterality: v.laterality, view: v.view, patientOrientation: stored });
      const what = `${v.laterality}${v.view} stored ${storage.name} (${stored.join('\\')})`;
      assert.equal(t.source, 'patient-orientation', what);
      assert.equal(t.warning, undefined, what);
      assert.ok(edges.right.includes(v.right), `${what}: right edge faces ${edges.right}`);
      assert.ok(edges.bottom.includes(v.bottom), `${what}: bottom edge faces ${edges.bottom}`);
      assert.deepEqual(t.displayedOrientation, [edges.right, edges.bottom], what);
    }
  }
});

test('named storages give the simplest transform', () => {
  const cases: [OrientationInput, Pick<DisplayTransform, 'rotation' | 'flipHorizontal' | 'flipVertical'>][] = [
    [{ laterality: 'R', view: 'CC', patientOrientation: ['P', 'L'] }, { rotation: 0, flipHorizontal: false, flipVertical: false }],
    [{ laterality: 'R', view: 'CC', patientOrientation: ['A', 'L'] }, { rotation: 0, flipHorizontal: true, flipVertical: false }],
    [{ laterality: 'L', view: 'CC', patientOrientation: ['A', 'L'] }, { rotation: 0, flipHorizontal: false, flipVertical: true }],
    [{ laterality: 'R', view: 'MLO', patientOrientation: ['A', 'FL'] }, { rotation: 0, flipHorizontal: true, flipVertical: false }],
    [{ laterality: 'R', view: 'MLO', patientOrientation: ['P', 'H'] }, { rotation: 0, flipHorizontal: false, flipVertical: true }],
    [{ laterality: 'L', view: 'MLO', patientOrientation: ['P', 'HR'] }, { rotation: 180, flipHorizontal: false, flipVertical: false }],
    // transposed: the row runs along the feet; P down the column must go right, F down
    [{ laterality: 'R', view: 'MLO', patientOrientation: ['FL', 'P'] }, { rotation: 90, flipHorizontal: false, flipVertical: true }],
  ];
  for (const [input, expected] of cases) {
    const t = displayTransform(input);
    assert.deepEqual({ rotation: t.rotation, flipHorizontal: t.flipHorizontal, flipVertical: t.flipVertical }, expected, `${input.laterality}${input.view} ${input.patientOrientation!.join('\\')}`);
  }
});

test('lower case, spaces and oblique letters are read', () => {
  const t = displayTransform({ laterality: 'L', view: 'MLO', patientOrientation: [' p ', 'h r'] });
  assert.deepEqual(t, { rotation: 180, flipHorizontal: false, flipVertical: false, source: 'patient-orientation', displayedOrientation: ['A', 'FL'] });
  assert.deepEqual(displayTransform({ laterality: 'R', view: 'MLO', patientOrientation: ['p', 'fl'] }), {
    rotation: 0, flipHorizontal: false, flipVertical: false, source: 'patient-orientation', displayedOrientation: ['P', 'FL'],
  });
});

test('real GH133 (RMLO, P\\FL) is display-ready; the real L CC OutOfBoundsOverlay (R\\P) turns a quarter clockwise', () => {
  assert.deepEqual(displayTransform({ laterality: 'R', view: 'MLO', patientOrientation: ['P', 'FL'] }).rotation, 0);
  const { t, edges } = shownEdges({ laterality: 'L', view: 'CC', patientOrientation: ['R', 'P'] });
  assert.deepEqual({ rotation: t.rotation, flipHorizontal: t.flipHorizontal, flipVertical: t.flipVertical }, { rotation: 90, flipHorizontal: false, flipVertical: false });
  assert.deepEqual(edges, { right: 'A', bottom: 'R', left: 'P' });
});

test('missing Patient Orientation: shown as stored, said so', () => {
  for (const patientOrientation of [null, ['', ''] as [string, string], ['P', ' '] as [string, string]]) {
    assert.deepEqual(displayTransform({ laterality: 'R', view: 'CC', patientOrientation }), {
      rotation: 0, flipHorizontal: false, flipVertical: false, source: 'assumed', warning: 'orientation-missing', displayedOrientation: null,
    });
  }
});

test('an orientation no breast view can have is reported, and nothing is flipped', () => {
  const impossible: [OrientationInput['laterality'], string, [string, string]][] = [
    ['R', 'CC', ['R', 'L']], // no anterior–posterior axis
    ['R', 'CC', ['L', 'F']],
    ['L', 'MLO', ['P', 'A']], // both axes anterior–posterior
    ['R', 'MLO', ['P', 'L']], // an oblique without head–feet: a CC's orientation
    ['R', 'CC', ['P', 'F']], // a CC without left–right: an MLO's orientation
    ['L', 'CC', ['AP', 'R']], // one direction both ways
    ['L', 'CC', ['X', 'Y']],
  ];
  for (const [laterality, view, patientOrientation] of impossible) {
    const t = displayTransform({ laterality, view, patientOrientation });
    assert.equal(t.warning, 'orientation-inconsistent', patientOrientation.join('\\'));
    assert.deepEqual([t.rotation, t.flipHorizontal, t.flipVertical, t.source], [0, false, false, 'assumed']);
    assert.equal(chestWallSide({ laterality }, t), null);
  }
});

test('unknown laterality: shown as stored; unknown view: only the chest-wall side is set', () => {
  assert.equal(displayTransform({ laterality: null, view: 'CC', patientOrientation: ['A', 'L'] }).warning, 'laterality-unknown');
  const { t, edges } = shownEdges({ laterality: 'R', view: null, patientOrientation: ['L', 'A'] });
  assert.equal(t.warning, undefined);
  assert.equal(edges.right, 'P');
  const mirrored = displayTransform({ laterality: 'R', view: null, patientOrientation: ['A', 'F'] });
  assert.deepEqual([mirrored.rotation, mirrored.flipHorizontal, mirrored.flipVertical], [0, true, false]);
});

test('chest wall: on the right of a right breast, on the left of a left one, wherever it was stored', () => {
  for (const v of VIEWS) {
    const stored = storedAs(v.ready, { rotation: 270, flipHorizontal: false, flipVertical: false });
    const { t, edges } = shownEdges({ laterality: v.laterality, view: v.view, patientOrientation: stored });
    const side = chestWallSide({ laterality: v.laterality }, t);
    // the chest wall is the posterior edge
    assert.equal(side === 'right' ? edges.right : edges.left, 'P', `${v.laterality}${v.view}`);
    assert.equal(side, v.laterality === 'R' ? 'right' : 'left');
  }
  assert.equal(chestWallSide({ laterality: 'R' }, displayTransform({ laterality: 'R', view: 'CC', patientOrientation: null })), 'right');
  assert.equal(chestWallSide({ laterality: null }), null);
});
