// How a step's grid is laid out on the screen at hand. The protocols are written for a 2 × 2 of four
// images (RCC | LCC over RMLO | LMLO; or the prior's pair over the current's); a landscape screen
// shows them larger in one row (RCC | LCC | RMLO | LMLO: the screening overview of a pair of portrait
// monitors, each pair still back to back), since a breast is taller than wide: a radiologist's probe
// found the 2 × 2 left 60 % of a 1366 × 768 screen black, each CC 190 px tall. The places keep their
// order along the row; nothing but their position on the screen changes.

/** A place of the step: where the protocol puts it. */
export interface GridPlace { row: number; column: number; rowSpan?: number; columnSpan?: number }

/** Width over height of the region the viewer fits in a cell: a breast's box, about 0.75 for a CC and 0.55 for an MLO (medians on the generator's exams). */
const BREAST_ASPECT = 0.65;
/** The row is taken only where it shows the images this much larger: near the turn, the protocol's own layout stays. */
const LARGER_BY = 1.1;

/** The height a breast of BREAST_ASPECT is fitted to in a cell of this size. */
function fittedHeight(cellWidth: number, cellHeight: number): number {
  return Math.min(cellWidth / BREAST_ASPECT, cellHeight);
}

/**
 * The grid for an area of `width` × `height`: the protocol's, or, for a 2 × 2 of single cells where
 * one row shows the breasts larger, 1 × 4 with the places in reading order (row after row).
 */
export function arrangeGrid<P extends GridPlace>(layout: { rows: number; columns: number }, places: readonly P[], width: number, height: number):
  { layout: { rows: number; columns: number }; placeOf(place: P): GridPlace } {
  const asWritten = { layout, placeOf: (place: P): GridPlace => place };
  if (layout.rows !== 2 || layout.columns !== 2 || !(width > 0 && height > 0)) return asWritten;
  if (places.some((p) => (p.rowSpan ?? 1) !== 1 || (p.columnSpan ?? 1) !== 1)) return asWritten;
  const inRow = fittedHeight(width / 4, height);
  const asGrid = fittedHeight(width / 2, height / 2);
  if (inRow < asGrid * LARGER_BY) return asWritten;
  return { layout: { rows: 1, columns: 4 }, placeOf: (place) => ({ row: 0, column: place.row * 2 + place.column }) };
}
