// Which breasts of an exam an analysis done did not read: a breast imaged only in images the model
// does not read (pixels coarser than it reads, spot or magnification views only). Its exam score is
// then the other breast's alone, which the worklist and the viewer say beside it: a score is not
// "nothing found" in a breast the model never saw.

export type Breast = 'R' | 'L';

/**
 * The breasts imaged (`imaged`: the lateralities of the exam's images, or their ACR view labels,
 * which start with it) that have no breast score, right first.
 */
export function breastsNotRead(imaged: Iterable<string | null>, breastScores: Partial<Record<Breast, number>>): Breast[] {
  const sides = new Set<string>();
  for (const side of imaged) if (side) sides.add(side[0]!);
  return (['R', 'L'] as const).filter((side) => sides.has(side) && breastScores[side] === undefined);
}
