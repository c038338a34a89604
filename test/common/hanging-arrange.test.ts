// A step's grid on the screen at hand (common/hanging/arrange.ts): the protocols' 2 × 2 of four
// images in one row on a landscape area, where the breasts (taller than wide) show larger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrangeGrid } from '../../common/hanging/arrange.ts';
import { DEFAULT_PROTOCOLS } from '../../common/hanging/protocols.ts';

const overview = DEFAULT_PROTOCOLS.flatMap((p) => p.steps).find((s) => s.id === 'overview')!;
const ids = (arranged: ReturnType<typeof arrangeGrid>, places: typeof overview.viewports) =>
  [...places].sort((a, b) => { const [pa, pb] = [arranged.placeOf(a), arranged.placeOf(b)]; return pa.row - pb.row || pa.column - pb.column; }).map((p) => p.id);

test('the screening overview in one row on a landscape area (RCC | LCC | RMLO | LMLO: each pair still back to back), as the protocol writes it on a tall one', () => {
  for (const [width, height] of [[1366, 520], [1920, 880], [2560, 1250]]) {
    const arranged = arrangeGrid(overview.layout, overview.viewports, width, height);
    assert.deepEqual(arranged.layout, { rows: 1, columns: 4 }, `${width} × ${height}`);
    assert.deepEqual(ids(arranged, overview.viewports), ['RCC', 'LCC', 'RMLO', 'LMLO']);
  }
  for (const [width, height] of [[1200, 1400], [1000, 900], [0, 0]]) {
    const arranged = arrangeGrid(overview.layout, overview.viewports, width, height);
    assert.deepEqual(arranged.layout, { rows: 2, columns: 2 }, `${width} × ${height}`);
    assert.deepEqual(ids(arranged, overview.viewports), ['RCC', 'LCC', 'RMLO', 'LMLO']);
    assert.deepEqual(overview.viewports.map((v) => arranged.placeOf(v)), overview.viewports, 'the protocol\'s places');
  }
});

test('only a 2 × 2 of single cells is laid out again: the eight images of the prior overview, the pairs and spanned places stay as written', () => {
  for (const step of DEFAULT_PROTOCOLS.flatMap((p) => p.steps)) {
    const arranged = arrangeGrid(step.layout, step.viewports, 1920, 880);
    const spans = step.viewports.some((v) => (v.rowSpan ?? 1) > 1 || (v.columnSpan ?? 1) > 1);
    if (step.layout.rows === 2 && step.layout.columns === 2 && !spans) assert.deepEqual(arranged.layout, { rows: 1, columns: 4 }, step.id);
    else assert.equal(arranged.layout, step.layout, step.id);
  }
});
