import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawnBox, footLabelWidth, LABEL_MIN_WIDTH_PX } from '../../renderer/ai/label-room.ts';

test('a CC\'s AI labels keep to the air beside the breast where there is room, else under it, else the outer half of the cell (across the cell they lay over the breast\'s lower edge: a probe)', () => {
  const cell = { width: 320, height: 275 };
  // the breast fills the cell's height, its nipple 130 px from the outer side: the labels in that air
  assert.equal(footLabelWidth(cell, { left: 130, top: 0, right: 320, bottom: 275 }, 'left'), 130 - 12 - 8);
  // a left breast: the air on the right
  assert.equal(footLabelWidth(cell, { left: 0, top: 0, right: 190, bottom: 275 }, 'right'), 130 - 12 - 8);
  // too little air beside it, room under it: the whole width
  assert.equal(footLabelWidth(cell, { left: 40, top: 20, right: 320, bottom: 180 }, 'left'), 320 - 24);
  // neither: the outer half
  assert.equal(footLabelWidth(cell, { left: 40, top: 0, right: 320, bottom: 275 }, 'left'), 160 - 12);
  // a small cell: never narrower than a label can be read in, nor wider than the cell
  assert.equal(footLabelWidth({ width: 150, height: 120 }, { left: 10, top: 0, right: 150, bottom: 120 }, 'left'), Math.min(LABEL_MIN_WIDTH_PX, 150 - 24));
  // zoomed in: the breast runs past the cell
  assert.equal(footLabelWidth(cell, { left: -400, top: -300, right: 900, bottom: 800 }, 'right'), 160 - 12);
});

test('a breast box as drawn: its four corners through the viewport\'s transform, turned or mirrored alike', () => {
  // mirrored and halved: stored column c at canvas x = 100 − c / 2
  const mirrored = (p: readonly [number, number]) => [100 - p[0] / 2, p[1] / 2] as const;
  assert.deepEqual(drawnBox([20.5, 10.5, 60.5, 50.5], mirrored), { left: 70, top: 5, right: 90, bottom: 25 });
  assert.equal(drawnBox([0, 0, 10, 10], () => null), null);
});
