// How wide the AI's labels at the foot of an image (a CC's, a spot or magnified view's: whose foot on
// the side away from the chest wall is air) may run, from where the breast is drawn. Across the whole
// cell, a two-line label lay over the breast's lower edge and skin line wherever the breast filled its
// cell's height (the prior comparison's eight images at 1280 × 800, a French radiologist's probe): it
// is kept to the air beside the breast where there is room for it there, else under the breast where
// there is room, else, the breast filling its cell, to the corner away from the chest wall, where the
// breast's outline curves away, narrow and in its fewest words (cornered: the outer half of the cell,
// four lines, still lay on an exaggerated CC's skin line at 1280 × 800, a re-probe).

/** A label narrower than this wraps to a word a line: the outer half of the cell is used instead. */
export const LABEL_MIN_WIDTH_PX = 110;
/** The labels' distance from the cell's side (styles.css: .ai-labels left or right 12px), and air kept between them and the breast. */
const SIDE_MARGIN_PX = 12;
const BREAST_GAP_PX = 8;
/** Room under the breast for the labels as they stand at the foot (bottom 28px, two or three lines): there, the whole width. */
const FOOT_ROOM_PX = 80;

export interface DrawnBox {
  left: number; top: number; right: number; bottom: number;
}

/**
 * Where the labels go: their largest width, in CSS pixels of the cell, and whether they are cornered
 * (the breast fills the cell: the fewest words, styles.css). `cell` its size, `breast` the breast's
 * box as drawn now (canvas pixels: after the fit, a zoom, a pan), `labelsOn` the side the labels stand
 * on (away from the chest wall).
 */
export function footLabelRoom(cell: { width: number; height: number }, breast: DrawnBox, labelsOn: 'left' | 'right'): { width: number; cornered: boolean } {
  const whole = Math.max(0, cell.width - 2 * SIDE_MARGIN_PX);
  const besideBreast = (labelsOn === 'left' ? breast.left : cell.width - breast.right) - SIDE_MARGIN_PX - BREAST_GAP_PX;
  if (besideBreast >= LABEL_MIN_WIDTH_PX) return { width: Math.min(besideBreast, whole), cornered: false };
  if (cell.height - breast.bottom >= FOOT_ROOM_PX) return { width: whole, cornered: false };
  return { width: Math.min(whole, LABEL_MIN_WIDTH_PX), cornered: true };
}

/** A box of stored-image pixel edges ([c0, r0, c1, r1]) as drawn, through `toCanvas`; null where a corner is not drawn. */
export function drawnBox(box: readonly [number, number, number, number], toCanvas: (point: readonly [number, number]) => readonly [number, number] | null): DrawnBox | null {
  const corners = [[box[0], box[1]], [box[2], box[1]], [box[0], box[3]], [box[2], box[3]]].map(([x, y]) => toCanvas([x! - 0.5, y! - 0.5]));
  if (corners.some((c) => c === null)) return null;
  const xs = corners.map((c) => c![0]), ys = corners.map((c) => c![1]);
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}
