// Physical size on screen. Same-size display: within a step, one millimetre of breast spans the same
// number of screen pixels in every image, also when current and prior come from detectors with
// different pixel spacing. True size: one millimetre of breast is one millimetre of glass.

import type { InstanceDetail } from '../domain.ts';
import type { Rotation } from './orientation.ts';

/** Millimetres between the centres of adjacent rows (`row`, down a column) and adjacent columns (`column`, along a row), in the breast. */
export interface BreastPlaneSpacing {
  row: number;
  column: number;
  source: 'imager-spacing/ermf' | 'imager-spacing' | 'pixel-spacing';
}

const usable = (pair: readonly [number, number] | null): pair is [number, number] =>
  pair !== null && pair.every((v) => Number.isFinite(v) && v > 0);

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
  if (usable(image.imagerPixelSpacing) && magnification !== null) {
    const [row, column] = image.imagerPixelSpacing;
    return { row: row / magnification, column: column / magnification, source: 'imager-spacing/ermf' };
  }
  if (usable(image.pixelSpacing)) {
    const [row, column] = image.pixelSpacing;
    return { row, column, source: 'pixel-spacing' };
  }
  if (usable(image.imagerPixelSpacing)) {
    const [row, column] = image.imagerPixelSpacing;
    return { row, column, source: 'imager-spacing' };
  }
  return null;
}

/** An image as a viewport shows it: its matrix, its breast-plane spacing, and the turn it is shown with. */
export interface SizedImage {
  rows: number;
  columns: number;
  spacing: Pick<BreastPlaneSpacing, 'row' | 'column'> | null;
  /** The display transform's rotation: a quarter turn swaps the image's width and height on screen. */
  rotation?: Rotation;
}

/** A viewport in screen pixels (the pixels its canvas is sized in) and the image it shows. */
export interface SizedViewport {
  widthPx: number;
  heightPx: number;
  image: SizedImage | null;
}

/** The millimetres of breast across and down the displayed image, or null without a spacing. */
function displayedExtentMm(image: SizedImage): { widthMm: number; heightMm: number } | null {
  if (!image.spacing) return null;
  const alongRow = image.columns * image.spacing.column;
  const alongColumn = image.rows * image.spacing.row;
  const quarterTurn = image.rotation === 90 || image.rotation === 270;
  return quarterTurn ? { widthMm: alongColumn, heightMm: alongRow } : { widthMm: alongRow, heightMm: alongColumn };
}

/**
 * Millimetres per screen pixel at which this viewport's image just fits, filling `fill` of the
 * viewport's width or height; null when the viewport has no image or the image no spacing.
 */
export function fitScale(viewport: SizedViewport, fill = 0.98): number | null {
  const extent = viewport.image ? displayedExtentMm(viewport.image) : null;
  if (!extent || viewport.widthPx <= 0 || viewport.heightPx <= 0) return null;
  return Math.max(extent.widthMm / (viewport.widthPx * fill), extent.heightMm / (viewport.heightPx * fill));
}

/**
 * The one scale (millimetres per screen pixel) for every viewport of a step at which each image fits
 * its viewport: the image that needs the most millimetres per pixel (the largest field for its
 * viewport) decides, and one millimetre then spans the same number of screen pixels everywhere.
 * Images without a spacing take no part (they are fitted on their own); null when none has one.
 * The extent is the whole image matrix, which bounds the breast: a breast smaller than its detector
 * leaves margin, but never overflows.
 */
export function sameSizeScale(viewports: readonly SizedViewport[], fill = 0.98): number | null {
  const scales = viewports.map((viewport) => fitScale(viewport, fill)).filter((scale): scale is number => scale !== null);
  return scales.length ? Math.max(...scales) : null;
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
