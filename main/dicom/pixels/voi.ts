// Modality LUT (Rescale Slope/Intercept) and VOI (a window through its VOI LUT Function, PS3.3
// C.11.2.1.2 and C.11.2.1.3), then MONOCHROME1 inverted so that air is dark: stored value →
// presentation value in [0, 1]. Built as a table indexed by stored value, since stored values have
// at most 16 bits and every pixel then costs one lookup.

import type { StoredPixels } from './decode.ts';
import type { ImageHeader } from './image-file.ts';

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface Window {
  center: number;
  width: number;
  /** The VOI LUT Function; the image's own when omitted. */
  function?: VoiFunction;
}

/**
 * 'preset': the image's first window preset through its VOI LUT Function (the full range when it
 * has none); 'full-range': linear over the frame's smallest to largest modality value; or a window.
 */
export type VoiChoice = 'preset' | 'full-range' | Window;

/** One window as applied: center and width in modality values, and the function. */
export interface AppliedWindow {
  center: number;
  width: number;
  function: VoiFunction;
}

const asVoiFunction = (name: string): VoiFunction => (name === 'SIGMOID' || name === 'LINEAR_EXACT' ? name : 'LINEAR');

/** A window's transfer function, modality value → [0, 1]. */
export function windowFunction(w: AppliedWindow): (x: number) => number {
  const { center: c, width } = w;
  switch (w.function) {
    case 'SIGMOID':
      return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / width));
    case 'LINEAR_EXACT':
      return (x) => (x <= c - width / 2 ? 0 : x > c + width / 2 ? 1 : (x - c) / width + 0.5);
    case 'LINEAR': {
      // LINEAR treats the width as the count of values between its ends (hence the − 1 and − 0.5).
      const span = Math.max(width - 1, 1e-9);
      return (x) => (x <= c - 0.5 - span / 2 ? 0 : x > c - 0.5 + span / 2 ? 1 : (x - (c - 0.5)) / span + 0.5);
    }
  }
}

/** The smallest and largest stored values a frame holds. */
export function storedRange(pixels: StoredPixels): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** The window a VOI choice comes to for this image (and frame, for the full range). */
export function resolveWindow(h: ImageHeader, pixels: StoredPixels, choice: VoiChoice): AppliedWindow {
  if (typeof choice === 'object') return { center: choice.center, width: choice.width, function: choice.function ?? asVoiFunction(h.voiLutFunction) };
  const preset = h.windows[0];
  if (choice === 'preset' && preset) return { center: preset.center, width: preset.width, function: asVoiFunction(h.voiLutFunction) };
  const [lo, hi] = storedRange(pixels).map((v) => v * h.rescaleSlope + h.rescaleIntercept).sort((a, b) => a - b) as [number, number];
  return { center: (lo + hi) / 2, width: Math.max(hi - lo, 1), function: 'LINEAR_EXACT' };
}

/** Stored value → presentation value in [0, 1] (air dark), as a table: value v is at `table[v - offset]`. */
export interface PresentationLut {
  table: Float32Array;
  offset: number;
  window: AppliedWindow;
  inverted: boolean;
}

export function presentationLut(h: ImageHeader, pixels: StoredPixels, choice: VoiChoice): PresentationLut {
  const window = resolveWindow(h, pixels, choice);
  const f = windowFunction(window);
  const offset = h.pixelRepresentation ? -(1 << (h.bitsAllocated - 1)) : 0;
  const size = 1 << h.bitsAllocated;
  const inverted = h.photometricInterpretation === 'MONOCHROME1';
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const y = f((i + offset) * h.rescaleSlope + h.rescaleIntercept);
    table[i] = inverted ? 1 - y : y;
  }
  return { table, offset, window, inverted };
}
