// The viewer's display orientation (common/hanging/orientation.ts: flips in the image's axes, then
// a clockwise turn) as an affine map of pixel coordinates, so that the AI sees each image turned
// exactly as the reader does, and findings map back exactly.

import { chestWallSide, displayTransform } from '../../../common/hanging/orientation.ts';
import type { DisplayTransform } from '../../../common/hanging/orientation.ts';
import type { Affine } from './affine.ts';
import { compose } from './affine.ts';
import type { ImageHeader } from './image-file.ts';

export interface Oriented {
  /** Stored pixel coordinates → displayed pixel coordinates. */
  fromStored: Affine;
  width: number;
  height: number;
  transform: DisplayTransform;
  /** Where the viewer shows the chest wall; null when the header does not say. */
  chestWall: 'left' | 'right' | null;
}

/** The viewer's transform for an image, as a map from stored to displayed pixels. */
export function displayOrientation(h: ImageHeader): Oriented {
  const laterality = h.laterality === 'R' || h.laterality === 'L' ? h.laterality : null;
  const transform = displayTransform({ laterality, view: h.view, patientOrientation: h.patientOrientation });
  let width = h.columns, height = h.rows;
  let m: Affine = { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 };
  if (transform.flipHorizontal) m = compose(mirrorX(width), m);
  if (transform.flipVertical) m = compose({ a: 1, b: 0, c: 0, d: 0, e: -1, f: height - 1 }, m);
  for (let turn = 0; turn < transform.rotation / 90; turn++) {
    // A quarter turn clockwise: (x, y) in a width × height image → (height − 1 − y, x).
    m = compose({ a: 0, b: -1, c: height - 1, d: 1, e: 0, f: 0 }, m);
    [width, height] = [height, width];
  }
  const known = transform.source === 'patient-orientation' ? chestWallSide({ laterality }, transform) : null;
  return { fromStored: m, width, height, transform, chestWall: known };
}

/** x → width − 1 − x. */
export function mirrorX(width: number): Affine {
  return { a: -1, b: 0, c: width - 1, d: 0, e: 1, f: 0 };
}
