// The images of an exam that a hanging protocol may place: FOR PRESENTATION images only, each with
// the laterality, view and modifiers that selectors match on, in reading order.

import type { ExamDetail, InstanceDetail, SeriesDetail } from '../domain.ts';
import { acrViewLabel, modifierFromCode, sortViewLabels, viewFromCode } from '../mammo-views.ts';
import type { HangableImage } from './types.ts';

function lateralityOf(instance: InstanceDetail): 'R' | 'L' | null {
  if (instance.imageLaterality === 'R' || instance.imageLaterality === 'L') return instance.imageLaterality;
  // Image Laterality is missing or B/U: a label that names a side (e.g. set from the series' Laterality) still says which breast
  const first = instance.viewLabel?.charAt(0);
  return first === 'R' || first === 'L' ? first : null;
}

function viewOf(instance: InstanceDetail): string | null {
  // the view alone, without side or modifiers: from the View Code Sequence, else from View Position
  return viewFromCode(instance.viewCode)?.label ?? acrViewLabel(null, null, [], instance.viewPosition);
}

function modifiersOf(instance: InstanceDetail): string[] {
  return instance.viewModifierCodes
    .map((code) => modifierFromCode(code)?.label)
    .filter((label): label is string => label !== undefined)
    .sort();
}

/**
 * Acquisition order within an exam: series number, then instance number, then storage order (the
 * instance id) where the numbers are missing or equal. Modalities that give each view its own series
 * restart instance numbers at 1, so the series number comes first.
 */
function acquisitionOrder(a: { series: SeriesDetail; instance: InstanceDetail }, b: { series: SeriesDetail; instance: InstanceDetail }): number {
  return (a.series.seriesNumber ?? 0) - (b.series.seriesNumber ?? 0)
    || (a.instance.instanceNumber ?? 0) - (b.instance.instanceNumber ?? 0)
    || a.instance.instanceId - b.instance.instanceId;
}

/**
 * The FOR PRESENTATION images of an exam (never FOR PROCESSING images, never non-image objects such
 * as dose reports or CAD SR), in reading order: the screening four first (RCC, LCC, RMLO, LMLO), the
 * other labels alphabetically, images with no mammography view last.
 *
 * When a view was taken twice (a repeat), the later acquisition comes first, so that a selector
 * takes it: a technologist repeats a view because the first exposure was inadequate (motion blur, a
 * fold, tissue cut off), and the repeat is the image meant to be read. The earlier one stays in the
 * list; the engine hangs it with the additional views.
 */
export function hangableImages(detail: ExamDetail): HangableImage[] {
  const stored = detail.series
    .flatMap((series) => series.instances.map((instance) => ({ series, instance })))
    .filter(({ instance }) => instance.isImage && !instance.forProcessing)
    .sort((a, b) => acquisitionOrder(b, a));
  const images = stored.map(({ instance }): HangableImage => {
    const laterality = lateralityOf(instance);
    const modifiers = modifiersOf(instance);
    return {
      instanceId: instance.instanceId,
      examId: detail.exam.examId,
      laterality,
      view: viewOf(instance),
      modifiers,
      label: acrViewLabel(laterality, instance.viewCode, instance.viewModifierCodes, instance.viewPosition),
      instance,
    };
  });
  const labelOrder = sortViewLabels(images.flatMap((image) => (image.label ? [image.label] : [])));
  const rank = (image: HangableImage) => (image.label === null ? labelOrder.length : labelOrder.indexOf(image.label));
  // Array.prototype.sort is stable: images of one label keep the latest-first order
  return images.sort((a, b) => rank(a) - rank(b));
}
