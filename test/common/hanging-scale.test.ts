import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BREAST_MARGIN_MM, breastPlaneSpacing, displayedBox, fitRegion, fitScale, parallelScale, sameSizeScale, trueSizeScale } from '../../common/hanging/scale.ts';
import type { SizedViewport } from '../../common/hanging/scale.ts';

const near = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-9, `${what} ${actual} ≠ ${expected}`);

test('breast-plane spacing: Imager Pixel Spacing ÷ ERMF first, then Pixel Spacing, then Imager Pixel Spacing alone', () => {
  const both = breastPlaneSpacing({ imagerPixelSpacing: [0.1, 0.1], estimatedRadiographicMagnificationFactor: 1.08, pixelSpacing: [0.1, 0.1] })!;
  assert.equal(both.source, 'imager-spacing/ermf');
  near(both.row, 0.1 / 1.08);
  near(both.column, 0.1 / 1.08);
  assert.deepEqual(breastPlaneSpacing({ imagerPixelSpacing: [0.1, 0.1], estimatedRadiographicMagnificationFactor: null, pixelSpacing: [0.095, 0.094] }),
    { row: 0.095, column: 0.094, source: 'pixel-spacing' });
  assert.deepEqual(breastPlaneSpacing({ imagerPixelSpacing: [0.085, 0.08], estimatedRadiographicMagnificationFactor: null, pixelSpacing: null }),
    { row: 0.085, column: 0.08, source: 'imager-spacing' });
  assert.deepEqual(breastPlaneSpacing({ imagerPixelSpacing: null, estimatedRadiographicMagnificationFactor: 1.1, pixelSpacing: [0.2, 0.2] }),
    { row: 0.2, column: 0.2, source: 'pixel-spacing' });
  // an impossible magnification (below 1) or spacing (0) is not used
  assert.equal(breastPlaneSpacing({ imagerPixelSpacing: [0.07, 0.07], estimatedRadiographicMagnificationFactor: 0.5, pixelSpacing: null })!.source, 'imager-spacing');
  assert.equal(breastPlaneSpacing({ imagerPixelSpacing: [0, 0], estimatedRadiographicMagnificationFactor: 1, pixelSpacing: null }), null);
  assert.equal(breastPlaneSpacing({ imagerPixelSpacing: null, estimatedRadiographicMagnificationFactor: null, pixelSpacing: null }), null);
  // nor one no breast image has (1e-9 mm had the AI resample an image by 10⁸, its thread spinning for good, a probe):
  // too fine, too coarse, ten times taller than wide; an absurd magnification leaves the next source
  for (const pair of [[1e-9, 1e-9], [0.001, 0.001], [20, 20], [0.1, 1.5], [1e-9, 0.1]] as [number, number][]) {
    assert.equal(breastPlaneSpacing({ imagerPixelSpacing: pair, estimatedRadiographicMagnificationFactor: null, pixelSpacing: pair }), null, String(pair));
  }
  assert.deepEqual(breastPlaneSpacing({ imagerPixelSpacing: [0.1, 0.1], estimatedRadiographicMagnificationFactor: 1e9, pixelSpacing: [0.094, 0.094] }),
    { row: 0.094, column: 0.094, source: 'pixel-spacing' });
  assert.equal(breastPlaneSpacing({ imagerPixelSpacing: [0.005, 0.005], estimatedRadiographicMagnificationFactor: null, pixelSpacing: null })!.row, 0.005);
  assert.equal(breastPlaneSpacing({ imagerPixelSpacing: [0.5, 0.25], estimatedRadiographicMagnificationFactor: null, pixelSpacing: null })!.column, 0.25);
});

// Current: a 0.07 mm detector at ERMF 1.0 (3328 × 2560). Prior of the same breast: a 0.1 mm detector at ERMF 1.08 (2294 × 1914).
const current = { rows: 3328, columns: 2560, spacing: breastPlaneSpacing({ imagerPixelSpacing: [0.07, 0.07], estimatedRadiographicMagnificationFactor: 1.0, pixelSpacing: null }) };
const prior = { rows: 2294, columns: 1914, spacing: breastPlaneSpacing({ imagerPixelSpacing: [0.1, 0.1], estimatedRadiographicMagnificationFactor: 1.08, pixelSpacing: null }) };

test('same size: one scale for the step, set by the image that needs the most millimetres per pixel', () => {
  const viewports: SizedViewport[] = [
    { widthPx: 1000, heightPx: 1200, image: current },
    { widthPx: 1000, heightPx: 1200, image: prior },
  ];
  const scale = sameSizeScale(viewports)!;
  // current: 3328 × 0.07 = 232.96 mm high; prior: 2294 × 0.1 / 1.08 = 212.4 mm high, 177.2 mm wide
  near(scale, Math.max(232.96 / (1200 * 0.98), 179.2 / (1000 * 0.98)), 'scale');
  assert.equal(scale, fitScale(viewports[0]!));
  assert.ok(fitScale(viewports[1]!)! < scale, 'the smaller field alone would be shown larger');
  // every image fits its viewport at that scale
  for (const { widthPx, heightPx, image } of viewports) {
    assert.ok((image!.columns * image!.spacing!.column) / scale <= widthPx * 0.98 + 1e-9);
    assert.ok((image!.rows * image!.spacing!.row) / scale <= heightPx * 0.98 + 1e-9);
  }
});

test('same size: a 10 mm lesion spans the same screen pixels in the 0.07 mm current and the 0.1 mm prior', () => {
  const viewportHeightPx = 1200;
  const mmPerScreenPixel = sameSizeScale([{ widthPx: 1000, heightPx: viewportHeightPx, image: current }, { widthPx: 1000, heightPx: viewportHeightPx, image: prior }])!;
  const lesionScreenPixels = (image: typeof current, cornerstoneSpacingMm: number) => {
    const scale = parallelScale({ viewportHeightPx, mmPerScreenPixel, breastSpacingMm: image.spacing!.row, cornerstoneSpacingMm });
    const lesionImagePixels = 10 / image.spacing!.row;
    const screenPixelsPerWorldUnit = viewportHeightPx / 2 / scale;
    return lesionImagePixels * cornerstoneSpacingMm * screenPixelsPerWorldUnit;
  };
  const onCurrent = lesionScreenPixels(current, 0.07);
  // Cornerstone may size the prior's world by another spacing (its Imager Pixel Spacing): the parallel scale makes up for it
  const onPrior = lesionScreenPixels(prior, 0.1);
  near(onCurrent, 10 / mmPerScreenPixel, 'current');
  near(onPrior, onCurrent, 'prior');
  // the same breast without correction would differ by the detectors' spacing ratio: the test can tell
  assert.ok(Math.abs((10 / 0.1) * (0.07 / mmPerScreenPixel) - onCurrent) > 5);
});

test('a quarter turn swaps width and height; images without spacing take no part', () => {
  const wide = { rows: 788, columns: 1318, spacing: { row: 0.1, column: 0.1 } };
  near(fitScale({ widthPx: 500, heightPx: 1000, image: wide }, 1)!, 131.8 / 500);
  near(fitScale({ widthPx: 500, heightPx: 1000, image: { ...wide, rotation: 90 } }, 1)!, 78.8 / 500);
  assert.equal(fitScale({ widthPx: 500, heightPx: 1000, image: { ...wide, spacing: null } }), null);
  assert.equal(fitScale({ widthPx: 500, heightPx: 1000, image: null }), null);
  assert.equal(sameSizeScale([{ widthPx: 500, heightPx: 1000, image: { ...wide, spacing: null } }]), null);
  near(sameSizeScale([{ widthPx: 500, heightPx: 1000, image: { ...wide, spacing: null } }, { widthPx: 500, heightPx: 1000, image: wide }], 1)!, 131.8 / 500);
});

test('true size: one millimetre of breast is one millimetre of screen', () => {
  // a 5 MP mammography monitor: 0.165 mm pixels
  assert.equal(trueSizeScale(0.165), 0.165);
  near(trueSizeScale(0.165, 2), 0.33);
  // at true size a 10 mm lesion spans 10 / 0.165 device pixels
  near(10 / trueSizeScale(0.165), 60.60606060606061);
});

test('a stored box as displayed: through every mirror and turn the viewer uses, as the pixels themselves go', () => {
  // a 7 × 5 stored image whose pixels inside [2, 1, 5, 3) are set, moved pixel by pixel the way Cornerstone shows it
  const columns = 7, rows = 5, box = [2, 1, 5, 3] as const;
  for (const rotation of [0, 90, 180, 270] as const) {
    for (const flipHorizontal of [false, true]) {
      for (const flipVertical of [false, true]) {
        let pixels = Array.from({ length: rows }, (_, y) => Array.from({ length: columns }, (_, x) => x >= box[0] && x < box[2] && y >= box[1] && y < box[3]));
        if (flipHorizontal) pixels = pixels.map((row) => [...row].reverse());
        if (flipVertical) pixels = [...pixels].reverse();
        // a clockwise quarter turn: the new row y is the old column y, read from the bottom up
        for (let turn = 0; turn < rotation / 90; turn++) pixels = pixels[0]!.map((_, x) => pixels.map((row) => row[x]!).reverse());
        const xs: number[] = [], ys: number[] = [];
        pixels.forEach((row, y) => row.forEach((set, x) => { if (set) { xs.push(x); ys.push(y); } }));
        assert.deepEqual(displayedBox(box, columns, rows, { rotation, flipHorizontal, flipVertical }), [Math.min(...xs), Math.min(...ys), Math.max(...xs) + 1, Math.max(...ys) + 1],
          `rotation ${rotation}, mirrored ${flipHorizontal ? 'h' : ''}${flipVertical ? 'v' : ''}`);
      }
    }
  }
});

test('fit to the breast: the breast with a margin, out to the chest-wall edge (and the top for an MLO); the whole image where the box cannot be a breast', () => {
  const spacing = { row: 0.1, column: 0.1 };
  const asStored = { rotation: 0, flipHorizontal: false, flipVertical: false } as const;
  // a right CC stored with its chest wall on the right: the breast in columns 1200–2560, rows 500–2600
  const rcc = { rows: 3328, columns: 2560, breastBox: [1200, 500, 2560, 2600] as [number, number, number, number], spacing };
  const margin = BREAST_MARGIN_MM / 0.1;
  assert.deepEqual(fitRegion(rcc, asStored, { chestWall: 'right', fromTop: false }), [1200 - margin, 500 - margin, 2560, 2600 + margin]);
  // an MLO hung from the top keeps the image's top; a breast short of its chest-wall edge keeps what is between
  assert.deepEqual(fitRegion({ ...rcc, breastBox: [1200, 0, 2400, 3000] }, asStored, { chestWall: 'right', fromTop: true }), [1200 - margin, 0, 2560, 3000 + margin]);
  // the same breast stored mirrored, shown mirrored: the region is mirrored with it
  assert.deepEqual(fitRegion({ ...rcc, breastBox: [0, 500, 1360, 2600] }, { ...asStored, flipHorizontal: true }, { chestWall: 'right', fromTop: false }), [1200 - margin, 500 - margin, 2560, 2600 + margin]);
  // centred (no chest wall known): the margin on every side, within the image
  assert.deepEqual(fitRegion({ ...rcc, breastBox: [10, 0, 2000, 3328] }, asStored, { chestWall: null, fromTop: false }), [0, 0, 2000 + margin, 3328]);
  // no box, no spacing, a box far from the chest wall or too small to be a breast: the whole image
  assert.equal(fitRegion({ ...rcc, breastBox: null }, asStored, { chestWall: 'right', fromTop: false }), null);
  assert.equal(fitRegion({ ...rcc, spacing: null }, asStored, { chestWall: 'right', fromTop: false }), null);
  assert.equal(fitRegion({ ...rcc, breastBox: [200, 500, 1200, 2600] }, asStored, { chestWall: 'right', fromTop: false }), null);
  assert.equal(fitRegion({ ...rcc, breastBox: [2300, 1000, 2560, 1400] }, asStored, { chestWall: 'right', fromTop: false }), null);
  // the scale follows the region: 214 mm of breast (with margins) over 1000 px, not the detector's 333 mm
  const region = fitRegion(rcc, asStored, { chestWall: 'right', fromTop: false })!;
  near(fitScale({ widthPx: 1000, heightPx: 1000, image: { rows: 3328, columns: 2560, spacing, region } }, 1)!, (2100 + 2 * margin) * 0.1 / 1000);
  near(fitScale({ widthPx: 1000, heightPx: 1000, image: { rows: 3328, columns: 2560, spacing } }, 1)!, 332.8 / 1000);
});
