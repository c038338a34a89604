// Two-view correlation, as breast CAD has long done it and a reader does: a lesion lies about as
// far from the nipple in the breast's CC view as in its MLO view, and a detector that finds it in
// one view mostly finds something of its class there in the other; a false mark on the texture of
// one view seldom has such a partner. A finding without a partner keeps part of its score (the
// manifest's `output.twoView.unsupportedWeight`); with one as strong as itself, all of it. Scores
// only go down, so a finding is never shown above what the model gave it, and a breast imaged in
// one view (or whose other view could not be read) keeps its scores as they are.
//
// Measured for the shipped model on its validation seeds (MODEL_CARD.md): 95 % of the marks on a
// lesion had a partner of their class within 10 mm of the same distance from the nipple, against a
// third of the false marks.

/** A manifest's two-view correlation (common/ai/model-manifest.ts `output.twoView`). */
export interface TwoViewOptions {
  /** Two findings are partners when their distances from the nipple differ by at most this. */
  toleranceMm: number;
  /** The share of its score a finding without a partner keeps (0–1). */
  unsupportedWeight: number;
  /** Findings scored below this in the other view are no partner (the model's own floor of evidence). */
  partnerFloor: number;
}

export interface ViewFindings<F> {
  /** The ACR view label (RCC, LMLOID, RXCCL…). */
  viewLabel: string | null;
  laterality: 'R' | 'L';
  findings: F[];
}

interface Scored { class: string; score: number; nippleMm: number | null }

/**
 * The cranio-caudal view and the lateral ones (oblique or straight): each pairs with the other kind.
 * The exaggerated CCs (XCCL, XCCM) are weighed by the breast's lateral views too, by class alone:
 * rolled to one side, their nipple is seldom in profile and the breast's point farthest from the
 * chest wall is not it, so no distance from it is compared. They are no partner of the others (a
 * match by class alone would lend a false mark of the MLO support). Kept at their scores, a false
 * mark on an XCCL flagged a normal exam that its CC and MLO had not (a radiologist's probe).
 */
const VIEW_KIND: Record<string, 'cc' | 'lateral'> = { CC: 'cc', MLO: 'lateral', ML: 'lateral', LM: 'lateral', XCCL: 'cc', XCCM: 'cc' };

function kindOf(label: string | null): { kind: 'cc' | 'lateral'; displaced: boolean; exaggerated: boolean } | null {
  const m = label ? /^[RL](MLO|CC|ML|LM|XCCL|XCCM)(ID)?$/.exec(label) : null;
  const kind = m ? VIEW_KIND[m[1]!] : undefined;
  return kind ? { kind, displaced: m![2] === 'ID', exaggerated: m![1]!.startsWith('X') } : null;
}

/**
 * Each image's findings with their scores weighed by their partners in the breast's other views (same
 * laterality, the other kind of view, implant-displaced with implant-displaced); new objects, in the
 * same order. An image without such a view beside it, or a finding without its distance from the
 * nipple, keeps its scores.
 */
export function weighAcrossViews<F extends Scored>(images: readonly ViewFindings<F>[], options: TwoViewOptions): F[][] {
  const kinds = images.map((image) => kindOf(image.viewLabel));
  return images.map((image, i) => {
    const kind = kinds[i];
    const partners = kind ? images.filter((other, j) => j !== i && other.laterality === image.laterality && kinds[j] !== null
      && kinds[j]!.kind !== kind.kind && kinds[j]!.displaced === kind.displaced && !kinds[j]!.exaggerated) : [];
    if (!partners.length) return image.findings.map((f) => ({ ...f }));
    const byClassAlone = kind!.exaggerated;
    return image.findings.map((f) => {
      // (a score of 0 or below, on a scale that allows it, is not weighed: a share of it is no less)
      if ((f.nippleMm === null && !byClassAlone) || f.score <= 0) return { ...f };
      let support = 0;
      for (const other of partners) {
        for (const p of other.findings) {
          if (p.class !== f.class || p.score < options.partnerFloor) continue;
          if (byClassAlone || (p.nippleMm !== null && Math.abs(p.nippleMm - f.nippleMm!) <= options.toleranceMm)) support = Math.max(support, p.score);
        }
      }
      const w = options.unsupportedWeight;
      return { ...f, score: f.score * (w + (1 - w) * Math.min(1, support / f.score)) };
    });
  });
}

/**
 * An exam's images as the model scored them, weighed across views where its manifest asks
 * (`output.twoView`), then cut at `floor`: each image's findings and its score (its model's image
 * score where it has one, else its best finding's; the scale's minimum with none). The station and
 * the evaluation both score an exam through here.
 */
export function scoreExamImages<F extends Scored>(
  images: readonly (ViewFindings<F> & { imageScore: number })[],
  output: { twoView?: TwoViewOptions; scoreScale: { min: number } },
  floor: number,
): { findings: F[]; imageScore: number }[] {
  if (!output.twoView) return images.map((image) => ({ findings: image.findings.filter((f) => f.score >= floor), imageScore: image.imageScore }));
  return weighAcrossViews(images, output.twoView).map((findings) => {
    const kept = findings.filter((f) => f.score >= floor);
    return { findings: kept, imageScore: kept.reduce((m, f) => Math.max(m, f.score), output.scoreScale.min) };
  });
}
