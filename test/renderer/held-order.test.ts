// The worklist's rows held in place under the pointer (renderer/worklist/held-order.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldOrder } from '../../renderer/worklist/held-order.ts';
import type { WorklistPage } from '../../common/api.ts';
import type { ExamSummary } from '../../common/domain.ts';

const row = (examId: number, status: ExamSummary['status']): ExamSummary => ({ examId, status } as ExamSummary);
const page = (...rows: ExamSummary[]): WorklistPage => ({ total: rows.length, offset: 0, rows });

test('the same exams in the same order: the fresh page shows as it is', () => {
  assert.equal(heldOrder(page(row(1, 'new'), row(2, 'new')), page(row(1, 'read'), row(2, 'new'))), null);
});

test('a new order: the rows keep their places with their fresh contents; rows that left are named as such, new ones wait', () => {
  const held = heldOrder(page(row(1, 'new'), row(2, 'new'), row(3, 'new')), { total: 3, offset: 0, rows: [row(2, 'new'), row(4, 'new'), row(1, 'read')] })!;
  assert.deepEqual(held.page.rows.map((r) => [r.examId, r.status]), [[1, 'read'], [2, 'new'], [3, 'new']]);
  assert.deepEqual([...held.left], [3], 'exam 3 left the list: its "new" is stale');
  assert.equal(held.page.total, 3);
});
