// How much of a breast a model with a fixed input at a fixed pixel size can read: its matrix times
// its pixel size. A breast larger than that is not analysed (each such image fails "image_breast_cut",
// main/ai/image-analysis.ts), which a clinic learnt only once exams had failed (a vendor's probe:
// a 1024 × 832 input at 0.1 mm failed every image). Said beside the model from the start instead.
import type { ModelManifest } from './model-manifest.ts';

/**
 * The field of the largest detectors in screening (24 × 30 cm, portrait): a breast can fill it, chest
 * wall to nipple across its width, so a model that reads less than that leaves some breasts unread.
 */
export const LARGE_DETECTOR_FIELD_MM = { width: 240, height: 300 } as const;

/**
 * The breast a model reads at most, in mm (width: chest wall to nipple, the tensor's columns; height:
 * its rows), where its input is a fixed matrix at a fixed pixel size; null where the input grows with
 * the image (padded to a multiple) or the image is scaled to fit (no pixel size): no breast is cut.
 * `small`: less than a large detector's field.
 */
export function fixedInputField(input: Pick<ModelManifest['input'], 'size' | 'spacingMm'>): { width: number; height: number; small: boolean } | null {
  if (input.size.mode !== 'fixed' || input.spacingMm === null) return null;
  const [width, height] = [input.size.width * input.spacingMm, input.size.height * input.spacingMm];
  // "at most": whole millimetres rounded down, and compared unrounded (239.5 mm said "240" and went unwarned: a probe)
  return { width: Math.floor(width + 1e-9), height: Math.floor(height + 1e-9), small: width < LARGE_DETECTOR_FIELD_MM.width || height < LARGE_DETECTOR_FIELD_MM.height };
}
