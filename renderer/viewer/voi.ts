import { Enums, utilities } from '@cornerstonejs/core';
import type { InstanceDetail } from '../../common/domain.ts';

/**
 * The VOI an image opens with: its first window preset, through its VOI LUT Function (mammography
 * uses SIGMOID). Set explicitly from the stored attributes rather than left to the loader, which
 * ignores presets when the file also carries a VOI LUT Sequence (GE, for example).
 */
export function initialVoi(image: InstanceDetail): { voiRange: { lower: number; upper: number }; VOILUTFunction: Enums.VOILUTFunctionType } | null {
  const center = image.windowCenters[0];
  const width = image.windowWidths[0];
  if (center === undefined || width === undefined || !(width > 0)) return null;
  const fn = image.voiLutFunction === 'SIGMOID' ? Enums.VOILUTFunctionType.SAMPLED_SIGMOID
    : image.voiLutFunction === 'LINEAR_EXACT' ? Enums.VOILUTFunctionType.LINEAR_EXACT : Enums.VOILUTFunctionType.LINEAR;
  return { voiRange: utilities.windowLevel.toLowHighRange(width, center, fn), VOILUTFunction: fn };
}

