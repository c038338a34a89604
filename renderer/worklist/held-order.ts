// The worklist's order held while the pointer is on its rows. A refresh (an analysis ending, an import,
// another station's first impression) re-sorts the list by the AI score, the status or the date; a
// row under the pointer then became another woman's a moment before the click, and the wrong exam
// opened (a radiologist's probe: row 2 read MARTIN, SIMON opened). While the pointer is on the rows,
// each row keeps its place and its fresh contents (state, score, status); the new order waits until
// the pointer leaves them.

import type { WorklistPage } from '../../common/api.ts';

/**
 * The fresh page in the shown page's order, or null where the fresh page may be shown as it is (the
 * same exams in the same order). Rows new to the page wait. Rows that left it (read at another
 * station under a "new" filter, deleted) are named in `left`: their last contents are stale, and
 * they are shown as gone from the list, not as they were (a probe clicked a "new" exam a colleague
 * had read meanwhile).
 */
export function heldOrder(shown: WorklistPage, fresh: WorklistPage): { page: WorklistPage; left: ReadonlySet<number> } | null {
  const sameOrder = shown.rows.length === fresh.rows.length && shown.rows.every((row, i) => row.examId === fresh.rows[i]!.examId);
  if (sameOrder) return null;
  const freshById = new Map(fresh.rows.map((row) => [row.examId, row]));
  return {
    page: { ...fresh, rows: shown.rows.map((row) => freshById.get(row.examId) ?? row) },
    left: new Set(shown.rows.filter((row) => !freshById.has(row.examId)).map((row) => row.examId)),
  };
}
