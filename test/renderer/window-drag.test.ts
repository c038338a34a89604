// Window/level goes the way the reader sees: dragging down darkens an image shown inverted
// (MONOCHROME1) as it darkens one shown as stored, and synchronised images move together on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayedDelta, followedWindow } from '../../renderer/viewer/window-drag.ts';

/** Displayed brightness (0–1) of a stored value through a linear window, optionally inverted. */
const shown = (value: number, range: { lower: number; upper: number }, inverted: boolean) => {
  const t = Math.min(1, Math.max(0, (value - range.lower) / (range.upper - range.lower)));
  return inverted ? 1 - t : t;
};
/** Cornerstone's tool: the drag's vertical part added to the centre, its sideways part to the width. */
const drag = (range: { lower: number; upper: number }, delta: [number, number]) => {
  const centre = (range.lower + range.upper) / 2 + delta[1];
  const width = range.upper - range.lower + delta[0];
  return { lower: centre - width / 2, upper: centre + width / 2 };
};

test('dragging down darkens the image on screen, shown as stored or inverted; sideways is the same on both', () => {
  const mono2 = { lower: 1000, upper: 3000 };
  // the MONOCHROME1 twin: stored values mirrored (4095 - v), window mirrored, shown inverted
  const mono1 = { lower: 4095 - 3000, upper: 4095 - 1000 };
  const down: [number, number] = [0, 200];
  const after2 = drag(mono2, displayedDelta(down, false));
  const after1 = drag(mono1, displayedDelta(down, true));
  for (const value of [1500, 2000, 2500]) {
    assert.ok(shown(value, after2, false) < shown(value, mono2, false), 'MONOCHROME2 darker');
    assert.ok(shown(4095 - value, after1, true) < shown(4095 - value, mono1, true), 'MONOCHROME1 darker too');
    assert.ok(Math.abs(shown(value, after2, false) - shown(4095 - value, after1, true)) < 1e-9, 'and by as much');
  }
  assert.deepEqual(displayedDelta([30, 7], true), [30, -7]);
  assert.deepEqual(displayedDelta([30, -5], false), [30, -5]);
});

test('a synchronised image shown inverted follows a darkening with a darkening', () => {
  const fromBase = { lower: 1000, upper: 3000 };
  const toBase = { lower: 500, upper: 1500 }; // another detector, half the scale, shown inverted
  const range = drag(fromBase, [100, 200]); // darker and wider
  const followed = followedWindow({ base: fromBase, range, inverted: false }, { base: toBase, inverted: true });
  assert.ok(Math.abs((followed.upper - followed.lower) - (range.upper - range.lower) / 2) < 1e-9, 'width in proportion');
  const toCentre = (followed.lower + followed.upper) / 2;
  assert.ok(toCentre < 1000, `the inverted image's centre goes down (${toCentre}), which darkens it on screen`);
  for (const value of [800, 1000, 1200]) assert.ok(shown(value, followed, true) < shown(value, toBase, true));
  // alike polarity: the change in proportion, as before
  assert.deepEqual(followedWindow({ base: fromBase, range, inverted: true }, { base: toBase, inverted: true }),
    { lower: 500 + (range.lower - 1000) / 2, upper: 500 + (range.upper - 1000) / 2 });
  // unmoved source: the target stays at its start whatever the polarity
  assert.deepEqual(followedWindow({ base: fromBase, range: fromBase, inverted: false }, { base: toBase, inverted: true }), toBase);
});
