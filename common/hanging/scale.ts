// Physical size on screen. Same-size display: within a step, one millimetre of breast spans the same
// number of screen pixels in every image, also when current and prior come from detectors with
// different pixel spacing. True size: one millimetre of breast is one millimetre of glass.

import type { InstanceDetail } from '../domain.ts';
import type { DisplayTransform, Rotation } from './orientation.ts';

/** Millimetres between the centres of adjacent rows (`row`, down a column) and adjacent columns (`column`, along a row), in the breast. */
export interface BreastPlaneSpacing {
  row: number;
  column: number;
  source: 'imager-spacing/ermf' | 'imager-spacing' | 'pixel-spacing';
}

const usable = (pair: readonly [number, number] | null): pair is [number, number] =>
  pair !== null && pair.every((v) => Number.isFinite(v) && v > 0);

/**
 * Pixel sizes no breast image has: under 5 µm or over 10 mm, or ten times taller than wide. Taken as
 * given, an image saying 1e-9 mm had the AI resample it by a factor of 10⁸, its thread spinning for
 * good and the queue stalled behind it (a probe); such an image is one without a usable spacing.
 */
const PLAUSIBLE_SPACING_MM = { min: 0.005, max: 10, maxAspect: 10 } as const;
const plausible = (row: number, column: number): boolean =>
  [row, column].every((v) => Number.isFinite(v) && v >= PLAUSIBLE_SPACING_MM.min && v <= PLAUSIBLE_SPACING_MM.max)
  && Math.max(row, column) / Math.min(row, column) <= PLAUSIBLE_SPACING_MM.maxAspect;

/**
 * The pixel spacing in the plane of the breast, or null when the image carries none (then it cannot
 * be shown same-size or true-size: it is fitted to its viewport instead).
 *
 * Imager Pixel Spacing ÷ Estimated Radiographic Magnification Factor comes first, also when Pixel
 * Spacing is present: it is what IHE MAMMO and PixelMed use (PixelMed ignores Pixel Spacing for
 * mammography), and it means the same on every vendor's images (Imager Pixel Spacing is measured at
 * the detector and is always there in a mammogram; the ERMF is the geometry's SID/SOD). Pixel Spacing
 * in a mammogram means whatever the vendor put there: a copy of Imager Pixel Spacing (the detector
 * plane, some 8 % too large), Imager Pixel Spacing ÷ ERMF, or a calibration at an unspecified depth;
 * taking it when present would size two vendors' images of one breast differently. Pixel Spacing is
 * next, when there is no ERMF to bring Imager Pixel Spacing to the breast (it claims to be in the
 * patient); Imager Pixel Spacing alone (the detector plane) last.
 */
export function breastPlaneSpacing(image: Pick<InstanceDetail, 'pixelSpacing' | 'imagerPixelSpacing' | 'estimatedRadiographicMagnificationFactor'>): BreastPlaneSpacing | null {
  const ermf = image.estimatedRadiographicMagnificationFactor;
  // a magnification below 1 is impossible (the source-to-detector distance is the longer one): ignore it
  const magnification = ermf !== null && Number.isFinite(ermf) && ermf >= 1 ? ermf : null;
  const found: BreastPlaneSpacing[] = [];
  if (usable(image.imagerPixelSpacing) && magnification !== null) {
    const [row, column] = image.imagerPixelSpacing;
    found.push({ row: row / magnification, column: column / magnification, source: 'imager-spacing/ermf' });
  }
  if (usable(image.pixelSpacing)) {
    const [row, column] = image.pixelSpacing;
    found.push({ row, column, source: 'pixel-spacing' });
  }
  if (usable(image.imagerPixelSpacing)) {
    const [row, column] = image.imagerPixelSpacing;
    found.push({ row, column, source: 'imager-spacing' });
  }
  // in that order, the first that a breast image can have (an absurd magnification factor leaves the others)
  return found.find((s) => plausible(s.row, s.column)) ?? null;
}

/** An image as a viewport shows it: its matrix, its breast-plane spacing, and the turn it is shown with. */
export interface SizedImage {
  rows: number;
  columns: number;
  spacing: Pick<BreastPlaneSpacing, 'row' | 'column'> | null;
  /** The display transform's rotation: a quarter turn swaps the image's width and height on screen. */
  rotation?: Rotation;
  /**
   * The part of the displayed image that must fit its place (fitRegion: the breast), in displayed
   * pixel edges [x0, y0, x1, y1] (x right, y down, as shown); the whole image without one.
   */
  region?: readonly [number, number, number, number] | null;
}

/** A viewport in screen pixels (the pixels its canvas is sized in) and the image it shows. */
export interface SizedViewport {
  widthPx: number;
  heightPx: number;
  image: SizedImage | null;
}

/** The displayed image's pixel spacing across (x) and down (y): a quarter turn swaps the stored ones. */
function displayedSpacing(image: SizedImage): { x: number; y: number } | null {
  if (!image.spacing) return null;
  const quarterTurn = image.rotation === 90 || image.rotation === 270;
  return quarterTurn ? { x: image.spacing.row, y: image.spacing.column } : { x: image.spacing.column, y: image.spacing.row };
}

/** The millimetres across and down of what must fit (the region, else the whole displayed image), or null without a spacing. */
function displayedExtentMm(image: SizedImage): { widthMm: number; heightMm: number } | null {
  const spacing = displayedSpacing(image);
  if (!spacing) return null;
  const quarterTurn = image.rotation === 90 || image.rotation === 270;
  const [x0, y0, x1, y1] = image.region ?? [0, 0, quarterTurn ? image.rows : image.columns, quarterTurn ? image.columns : image.rows];
  return { widthMm: (x1 - x0) * spacing.x, heightMm: (y1 - y0) * spacing.y };
}

/**
 * Millimetres per screen pixel at which this viewport's image (its region: the breast) just fits,
 * filling `fill` of the viewport's width or height; null when the viewport has no image or the image
 * no spacing.
 */
export function fitScale(viewport: SizedViewport, fill = 0.98): number | null {
  const extent = viewport.image ? displayedExtentMm(viewport.image) : null;
  if (!extent || viewport.widthPx <= 0 || viewport.heightPx <= 0) return null;
  return Math.max(extent.widthMm / (viewport.widthPx * fill), extent.heightMm / (viewport.heightPx * fill));
}

/**
 * The one scale (millimetres per screen pixel) for every viewport of a step at which each image fits
 * its viewport: the image that needs the most millimetres per pixel (the largest breast for its
 * viewport, or the largest field where the breast is not known) decides, and one millimetre then
 * spans the same number of screen pixels everywhere. Images without a spacing take no part (they
 * are fitted on their own); null when none has one.
 */
export function sameSizeScale(viewports: readonly SizedViewport[], fill = 0.98): number | null {
  const scales = viewports.map((viewport) => fitScale(viewport, fill)).filter((scale): scale is number => scale !== null);
  return scales.length ? Math.max(...scales) : null;
}

/** A stored pixel-edge box as displayed: mirrored first, then turned clockwise (as Cornerstone shows it: common/hanging/orientation.ts). */
export function displayedBox(box: readonly [number, number, number, number], columns: number, rows: number, t: Pick<DisplayTransform, 'rotation' | 'flipHorizontal' | 'flipVertical'>): [number, number, number, number] {
  const corners = [[box[0], box[1]], [box[2], box[3]]].map(([sx, sy]) => {
    let x = t.flipHorizontal ? columns - sx! : sx!;
    let y = t.flipVertical ? rows - sy! : sy!;
    let width = columns, height = rows;
    for (let turn = 0; turn < t.rotation / 90; turn++) {
      [x, y] = [height - y, x];
      [width, height] = [height, width];
    }
    return [x, y] as const;
  });
  const xs = corners.map((c) => c[0]), ys = corners.map((c) => c[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** Millimetres of air kept around the breast when it is fitted to its place. */
export const BREAST_MARGIN_MM = 4;

/**
 * What must fit an image's place, in displayed pixel edges, when the breast's box is known: the
 * breast with a little air around it, reaching the image's own edge on its chest-wall side (where
 * the image is justified; a breast that does not reach it leaves what is between on screen too) and,
 * for a view hung from the top (an MLO), up to the image's top. Null (the whole image) without a box,
 * or with a box that cannot be a breast of this view: one that does not come within a tenth of the
 * image's width of its chest-wall edge, or covers under a twentieth of the image (a mask gone wrong
 * must never zoom part of a breast out of sight).
 */
export function fitRegion(
  image: { rows: number; columns: number; breastBox: readonly [number, number, number, number] | null; spacing: Pick<BreastPlaneSpacing, 'row' | 'column'> | null },
  t: Pick<DisplayTransform, 'rotation' | 'flipHorizontal' | 'flipVertical'>,
  hung: { chestWall: 'left' | 'right' | null; fromTop: boolean },
): [number, number, number, number] | null {
  if (!image.breastBox || !image.spacing) return null;
  const quarterTurn = t.rotation === 90 || t.rotation === 270;
  const width = quarterTurn ? image.rows : image.columns, height = quarterTurn ? image.columns : image.rows;
  const [bx0, by0, bx1, by1] = displayedBox(image.breastBox, image.columns, image.rows, t);
  if ((bx1 - bx0) * (by1 - by0) < (width * height) / 20) return null;
  if (hung.chestWall === 'right' && bx1 < width * 0.9 || hung.chestWall === 'left' && bx0 > width * 0.1) return null;
  const spacing = displayedSpacing({ ...image, rotation: t.rotation })!;
  const mx = BREAST_MARGIN_MM / spacing.x, my = BREAST_MARGIN_MM / spacing.y;
  return [
    hung.chestWall === 'left' ? 0 : Math.max(0, bx0 - mx),
    hung.fromTop ? 0 : Math.max(0, by0 - my),
    hung.chestWall === 'right' ? width : Math.min(width, bx1 + mx),
    Math.min(height, by1 + my),
  ];
}

/**
 * True size: millimetres per screen pixel on a monitor whose pixel pitch (the size of one device
 * pixel, in mm) is known. When viewport sizes are in CSS pixels, pass the device pixel ratio.
 */
export function trueSizeScale(monitorPixelPitchMm: number, devicePixelsPerScreenPixel = 1): number {
  return monitorPixelPitchMm * devicePixelsPerScreenPixel;
}

/**
 * Cornerstone's camera `parallelScale` (half the viewport's height, in world units) that shows an
 * image at `mmPerScreenPixel`. Cornerstone's world unit is one image pixel times the spacing it chose
 * itself (it prefers a calibrated Pixel Spacing where this module prefers Imager Pixel Spacing ÷
 * ERMF), so the two spacings along the screen's vertical convert one into the other.
 */
export function parallelScale(options: { viewportHeightPx: number; mmPerScreenPixel: number; breastSpacingMm: number; cornerstoneSpacingMm: number }): number {
  const { viewportHeightPx, mmPerScreenPixel, breastSpacingMm, cornerstoneSpacingMm } = options;
  return ((viewportHeightPx * mmPerScreenPixel) / 2) * (cornerstoneSpacingMm / breastSpacingMm);
}
