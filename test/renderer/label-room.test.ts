import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawnBox, footLabelRoom, LABEL_MIN_WIDTH_PX } from '../../renderer/ai/label-room.ts';

test('a CC\'s AI labels keep to the air beside the breast where there is room, else under it, else to the outer corner in their fewest words (across the cell they lay over the breast\'s lower edge, in the outer half over an XCCL\'s skin line: probes)', () => {
  const cell = { width: 320, height: 275 };
  // the breast fills the cell's height, its nipple 130 px from the outer side: the labels in that air
  assert.deepEqual(footLabelRoom(cell, { left: 130, top: 0, right: 320, bottom: 275 }, 'left'), { width: 130 - 12 - 8, cornered: false });
  // a left breast: the air on the right
  assert.deepEqual(footLabelRoom(cell, { left: 0, top: 0, right: 190, bottom: 275 }, 'right'), { width: 130 - 12 - 8, cornered: false });
  // too little air beside it, room under it: the whole width
  assert.deepEqual(footLabelRoom(cell, { left: 40, top: 20, right: 320, bottom: 180 }, 'left'), { width: 320 - 24, cornered: false });
  // neither: cornered
  assert.deepEqual(footLabelRoom(cell, { left: 40, top: 0, right: 320, bottom: 275 }, 'left'), { width: LABEL_MIN_WIDTH_PX, cornered: true });
  // a small cell: never wider than the cell
  assert.deepEqual(footLabelRoom({ width: 100, height: 120 }, { left: 10, top: 0, right: 100, bottom: 120 }, 'left'), { width: 100 - 24, cornered: true });
  // zoomed in: the breast runs past the cell
  assert.deepEqual(footLabelRoom(cell, { left: -400, top: -300, right: 900, bottom: 800 }, 'right'), { width: LABEL_MIN_WIDTH_PX, cornered: true });
});

test('a breast box as drawn: its four corners through the viewport\'s transform, turned or mirrored alike', () => {
  // mirrored and halved: stored column c at canvas x = 100 − c / 2
  const mirrored = (p: readonly [number, number]) => [100 - p[0] / 2, p[1] / 2] as const;
  assert.deepEqual(drawnBox([20.5, 10.5, 60.5, 50.5], mirrored), { left: 70, top: 5, right: 90, bottom: 25 });
  assert.equal(drawnBox([0, 0, 10, 10], () => null), null);
});
