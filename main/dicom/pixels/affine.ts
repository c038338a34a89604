// Affine maps between pixel coordinate systems. Coordinates are (x, y) = (column, row), with pixel
// centres at integers: pixel (c, r) covers [c − 0.5, c + 0.5] × [r − 0.5, r + 0.5].
//
//   x' = a·x + b·y + c
//   y' = d·x + e·y + f

export interface Affine {
  a: number; b: number; c: number;
  d: number; e: number; f: number;
}

export type Point = [number, number];
/** A box as its corners [x0, y0, x1, y1], x0 ≤ x1 and y0 ≤ y1. */
export type Box = [number, number, number, number];

export const IDENTITY: Affine = { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 };

export function applyAffine(m: Affine, [x, y]: Point): Point {
  return [m.a * x + m.b * y + m.c, m.d * x + m.e * y + m.f];
}

/** `outer ∘ inner`: first `inner`, then `outer`. */
export function compose(outer: Affine, inner: Affine): Affine {
  return {
    a: outer.a * inner.a + outer.b * inner.d, b: outer.a * inner.b + outer.b * inner.e, c: outer.a * inner.c + outer.b * inner.f + outer.c,
    d: outer.d * inner.a + outer.e * inner.d, e: outer.d * inner.b + outer.e * inner.e, f: outer.d * inner.c + outer.e * inner.f + outer.f,
  };
}

export function invert(m: Affine): Affine {
  const det = m.a * m.e - m.b * m.d;
  if (det === 0) throw new Error('affine map is not invertible');
  const a = m.e / det, b = -m.b / det, d = -m.d / det, e = m.a / det;
  return { a, b, c: -(a * m.c + b * m.f), d, e, f: -(d * m.c + e * m.f) };
}

/** The box covering a box's image (exact for the maps used here, which keep axes parallel). */
export function mapBox(m: Affine, [x0, y0, x1, y1]: Box): Box {
  const corners = [applyAffine(m, [x0, y0]), applyAffine(m, [x1, y1]), applyAffine(m, [x0, y1]), applyAffine(m, [x1, y0])];
  const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
