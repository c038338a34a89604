// A VOI LUT Sequence without a window preset opens as the linear window over which its table rises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { voiFromLutTable } from '../../renderer/viewer/voi-lut-table.ts';

const ramp = (n: number, from: number, to: number, out: (t: number) => number) =>
  Array.from({ length: n }, (_, i) => (i < from ? out(0) : i > to ? out(1) : out((i - from) / (to - from))));

test('a linear table gives back its ramp as the window, offset by its first mapped value', () => {
  const window = voiFromLutTable({ firstValueMapped: 100, lut: ramp(4096, 1000, 3000, (t) => Math.round(t * 4095)) })!;
  assert.ok(Math.abs(window.voiRange.lower - 1100) < 8 && Math.abs(window.voiRange.upper - 3100) < 8, JSON.stringify(window));
  assert.equal(window.invertTable, false);
});

test('a sigmoid table is centred where it crosses its middle; a falling table is shown inverted', () => {
  const sigmoid = voiFromLutTable({ lut: Array.from({ length: 4096 }, (_, i) => Math.round(4095 / (1 + Math.exp(-4 * (i - 2048) / 800)))) })!;
  assert.ok(Math.abs((sigmoid.voiRange.lower + sigmoid.voiRange.upper) / 2 - 2048) < 10, JSON.stringify(sigmoid));
  const falling = voiFromLutTable({ lut: ramp(4096, 500, 2500, (t) => Math.round((1 - t) * 255)) })!;
  assert.equal(falling.invertTable, true);
  assert.ok(Math.abs(falling.voiRange.lower - 500) < 10 && Math.abs(falling.voiRange.upper - 2500) < 10, JSON.stringify(falling));
});

test('no table, a flat table or a single entry gives no window', () => {
  assert.equal(voiFromLutTable(undefined), null);
  assert.equal(voiFromLutTable({ lut: [7, 7, 7] }), null);
  assert.equal(voiFromLutTable({ lut: [1] }), null);
});
