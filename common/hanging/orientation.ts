// Which way an image must be turned and mirrored so that it faces the way a mammography reader
// expects, whatever way it was stored (IHE MAMMO, as PixelMed's MammoImageViewer does it):
//   right breast: the row points to P (posterior: the chest wall on the image's right, so that it
//   hangs on the viewer's left facing left); left breast: the row points to A;
//   MLO-type views (MLO, ML, LM, LMO, SIO, ISO): the column points to the feet (F);
//   CC-type views (CC, XCCL, XCCM, XCC, FB): the column points to the other breast's side (lateral up).
// Targets: RCC P\L, LCC A\R, RMLO P\F (P\FL), LMLO A\F (A\FR).
//
// The result is what Cornerstone3D's viewport takes in
// `setViewPresentation({ rotation, flipHorizontal, flipVertical })`. Cornerstone 5.14 applies the
// flips first, in the image's own axes (flipHorizontal reverses the row direction, flipVertical the
// column direction), then turns the mirrored image clockwise on screen by `rotation`:
// Viewport.setViewPresentation calls flip() and then setRotation(); StackViewport.setRotationGPU
// rebuilds the view-up from the flipped initial view-up and rolls the camera by -rotation (the image
// turns clockwise); the CPU path (calculateTransform) composes translate · rotate(rotation) · scale ·
// flips, which maps a point through the flips first. Flips toggle against the viewport's current
// state, so apply this to a viewport whose stack was just set (setStack clears both flips).

export type Rotation = 0 | 90 | 180 | 270;

export interface OrientationInput {
  laterality: 'R' | 'L' | null;
  /** ACR view without laterality or modifiers (CC, MLO, XCCL, …), or null when unknown. */
  view: string | null;
  /** Patient Orientation (0020,0020): row direction, column direction. */
  patientOrientation: readonly [string, string] | null;
}

export interface DisplayTransform {
  rotation: Rotation;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** 'patient-orientation': computed from the image's Patient Orientation; 'assumed': shown as stored. */
  source: 'patient-orientation' | 'assumed';
  /**
   * 'orientation-missing': no Patient Orientation; the image is assumed stored display-ready.
   * 'orientation-inconsistent': the Patient Orientation cannot describe this breast view (no
   * anterior–posterior axis, or a CC whose other axis is not left–right…); shown as stored.
   * 'laterality-unknown': neither Image Laterality nor the label says which breast; shown as stored.
   */
  warning?: 'orientation-missing' | 'orientation-inconsistent' | 'laterality-unknown';
  /** The Patient Orientation of the image as displayed (the letters for its right and bottom edges), when known. */
  displayedOrientation: [string, string] | null;
}

const MLO_TYPE_VIEWS: readonly string[] = ['MLO', 'ML', 'LM', 'LMO', 'SIO', 'ISO'];

/** Whether an ACR view (MLO, ML, LM, LMO, SIO, ISO) shows the breast from the side: its image meets the top of its place. */
export function isMloTypeView(view: string | null | undefined): boolean {
  return MLO_TYPE_VIEWS.includes(view ?? '');
}
const CC_TYPE_VIEWS: readonly string[] = ['CC', 'XCCL', 'XCCM', 'XCC', 'FB'];

const OPPOSITE: Record<string, string> = { A: 'P', P: 'A', R: 'L', L: 'R', H: 'F', F: 'H' };

/** The letters of one direction, upper case, without spaces; null when empty; '' marks letters that are not A/P/R/L/H/F. */
function directionLetters(value: string): string | null {
  const letters = value.replace(/\s+/g, '').toUpperCase();
  if (letters === '') return null;
  return /^[APRLHF]+$/.test(letters) ? letters : '';
}

const invert = (letters: string) => [...letters].map((c) => OPPOSITE[c]).join('');
const hasAny = (letters: string, set: string) => [...set].some((c) => letters.includes(c));
/** Two letters of one anatomical axis in one direction ("AP", "HF") describe no direction at all. */
const selfContradictory = (letters: string) => [...letters].some((c) => letters.includes(OPPOSITE[c]!));

/**
 * The eight ways to show an image (the symmetries of a rectangle), each written once with the
 * fewest operations (a half turn rather than two flips), simplest first: the first one that meets
 * the targets is the one returned.
 */
const CANDIDATES: readonly Pick<DisplayTransform, 'rotation' | 'flipHorizontal' | 'flipVertical'>[] = [
  { rotation: 0, flipHorizontal: false, flipVertical: false },
  { rotation: 0, flipHorizontal: true, flipVertical: false },
  { rotation: 0, flipHorizontal: false, flipVertical: true },
  { rotation: 180, flipHorizontal: false, flipVertical: false },
  { rotation: 90, flipHorizontal: false, flipVertical: false },
  { rotation: 270, flipHorizontal: false, flipVertical: false },
  { rotation: 90, flipHorizontal: true, flipVertical: false },
  { rotation: 90, flipHorizontal: false, flipVertical: true },
];

type ScreenVector = readonly [number, number];

/** Where a stored axis (row: [1, 0], column: [0, 1]; x right, y down) points on screen: flips first, then the clockwise turn. */
function onScreen(axis: ScreenVector, t: (typeof CANDIDATES)[number]): ScreenVector {
  let [x, y] = axis;
  if (t.flipHorizontal) x = -x;
  if (t.flipVertical) y = -y;
  for (let turn = 0; turn < t.rotation / 90; turn++) [x, y] = [-y, x];
  return [x, y];
}

/** The displayed (row, column) orientation: the stored direction, or its opposite, that lands on screen right and screen down. */
function displayedOrientation(stored: readonly [string, string], t: (typeof CANDIDATES)[number]): [string, string] {
  const axes = [
    { letters: stored[0], screen: onScreen([1, 0], t) },
    { letters: stored[1], screen: onScreen([0, 1], t) },
  ];
  const along = (target: ScreenVector) => {
    for (const { letters, screen } of axes) {
      if (screen[0] === target[0] && screen[1] === target[1]) return letters;
      if (screen[0] === -target[0] && screen[1] === -target[1]) return invert(letters);
    }
    throw new Error('a symmetry of the rectangle maps each axis onto an axis');
  };
  return [along([1, 0]), along([0, 1])];
}

const asStored = (warning: NonNullable<DisplayTransform['warning']>): DisplayTransform => ({
  rotation: 0, flipHorizontal: false, flipVertical: false, source: 'assumed', warning, displayedOrientation: null,
});

export function displayTransform(image: OrientationInput): DisplayTransform {
  const { laterality, view } = image;
  const row = image.patientOrientation ? directionLetters(image.patientOrientation[0]) : null;
  const column = image.patientOrientation ? directionLetters(image.patientOrientation[1]) : null;
  if (laterality === null) return asStored('laterality-unknown');
  if (row === null || column === null) return asStored('orientation-missing');

  // A breast projection always has the anterior–posterior axis in its plane, on one axis only; the
  // other axis is left–right for CC-type views and head–feet (possibly oblique) for MLO-type views.
  const apAxes = [row, column].filter((letters) => hasAny(letters, 'AP'));
  const otherAxis = hasAny(row, 'AP') ? column : row;
  const consistent = row !== '' && column !== ''
    && !selfContradictory(row) && !selfContradictory(column)
    && apAxes.length === 1
    && (!MLO_TYPE_VIEWS.includes(view ?? '') || hasAny(otherAxis, 'HF'))
    && (!CC_TYPE_VIEWS.includes(view ?? '') || hasAny(otherAxis, 'RL'));
  if (!consistent) return asStored('orientation-inconsistent');

  const rowTarget = laterality === 'R' ? 'P' : 'A';
  const columnTarget = MLO_TYPE_VIEWS.includes(view ?? '') ? 'F' : CC_TYPE_VIEWS.includes(view ?? '') ? OPPOSITE[laterality]! : null;
  // with an unknown view only the chest-wall side is set; the simplest transform keeps the rest as stored
  for (const candidate of CANDIDATES) {
    const shown = displayedOrientation([row, column], candidate);
    if (shown[0].includes(rowTarget) && (columnTarget === null || shown[1].includes(columnTarget))) {
      return { ...candidate, source: 'patient-orientation', displayedOrientation: shown };
    }
  }
  throw new Error('one of the eight symmetries puts a consistent orientation on its targets');
}

/**
 * The side of the displayed image where the chest wall lies, to justify the image against it: the
 * right breast faces left (its chest wall on the right), the left breast faces right. Null when it is
 * not known: unknown laterality, or an orientation that contradicts the view (the image is shown as
 * stored, so its chest wall may be on either side; centre it).
 */
export function chestWallSide(image: { laterality: 'R' | 'L' | null }, transform?: DisplayTransform): 'left' | 'right' | null {
  if (image.laterality === null || transform?.warning === 'orientation-inconsistent') return null;
  return image.laterality === 'R' ? 'right' : 'left';
}
