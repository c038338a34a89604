// What of an exam an analysis done did not read, said beside its score: a breast imaged only in
// images the model does not read (pixels coarser than it reads, spot or magnification views only),
// whose exam score is then the other breast's alone; and images that name no single breast (no
// Image Laterality, or B), which the model never reads (it must know which way the breast faces).
// A score is not "nothing found" where the model saw nothing.

/**
 * Failures of one image (what it is, or its file), after which the exam's other images are still
 * read and the image is said not analysed: damaged or missing in the store, no pixel spacing, too
 * large for the model, no breast in it (blank or air only). (A model's invalid output is the model's fault, and fails the exam.)
 */
export const UNREADABLE_IMAGE_CODES = ['image_unreadable', 'image_missing', 'image_no_spacing', 'input_too_large', 'image_no_breast', 'image_breast_cut'] as const;

/** The failure of an image the pixel pipeline does not read for what it is (its PixelDataError's code), not for damage. */
export const PIXEL_FAILURE_CODES: Readonly<Record<string, (typeof UNREADABLE_IMAGE_CODES)[number]>> = {
  no_spacing: 'image_no_spacing', input_too_large: 'input_too_large', no_breast: 'image_no_breast', breast_cut: 'image_breast_cut',
};

/**
 * Failures of a model's folder changed under a running station (another model or manifest in it:
 * model_changed; files that no longer pass their checks: model_refused): they last until the
 * station starts again and reads the folder anew.
 */
export const MODEL_CHANGED_CODES = ['model_changed', 'model_refused'] as const;

/** A breast the model read no image of, or 'no-laterality': images naming no single breast were not read. */
export type NotRead = 'R' | 'L' | 'no-laterality';

/**
 * From the Image Laterality of each of the exam's FOR PRESENTATION mammography images (those with a
 * view label: what the worklist's views list) and the analysis's breast scores: the breasts imaged
 * that have no score, right first, then 'no-laterality' where an image names no single breast. (Not
 * from the view labels: without a laterality, the lateromedial view's label LM starts with an L.)
 */
export function partsNotRead(lateralities: Iterable<string | null>, breastScores: Partial<Record<'R' | 'L', number>>): NotRead[] {
  const sides = new Set<string | null>(lateralities);
  const breasts = (['R', 'L'] as const).filter((side) => sides.has(side) && breastScores[side] === undefined);
  const unnamed = [...sides].some((side) => side !== 'R' && side !== 'L');
  return unnamed ? [...breasts, 'no-laterality'] : breasts;
}
