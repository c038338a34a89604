// Where a mark may lie on the stored image it is drawn on: coordinates are (column, row) with pixel
// centres at integers, so the image spans pixel edges −0.5 to size − 0.5. The station's own findings
// and other systems' CAD marks are held to the same rule.

export type MarkBox = [number, number, number, number];

/**
 * Whether a mark's centre lies on its image: a centre off the image is another image's coordinates,
 * a broken report or a model's padding, not a finding to draw at the edge. Sizes unknown: true (the
 * viewer clips what it draws).
 */
export function centreOnImage(x: number, y: number, columns: number | null, rows: number | null): boolean {
  if (!columns || !rows) return true;
  return x >= -0.5 && y >= -0.5 && x <= columns - 0.5 && y <= rows - 0.5;
}

/** A mark's box cut to its image (a box spanning far beyond it, a report's 1e38, is drawn as the image's edge); sizes unknown: as it is. */
export function boxOnImage(box: MarkBox, columns: number | null, rows: number | null): MarkBox {
  if (!columns || !rows) return box;
  const cx = (v: number) => Math.min(Math.max(v, -0.5), columns - 0.5), cy = (v: number) => Math.min(Math.max(v, -0.5), rows - 0.5);
  return [cx(box[0]), cy(box[1]), cx(box[2]), cy(box[3])];
}
