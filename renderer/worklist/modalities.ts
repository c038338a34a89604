// What the worklist's Modality column says of an exam.

/** Modalities that hold documents, not images: a station's own CAD report made every analysed exam "MG SR" (a probe). */
const DOCUMENT_MODALITIES = new Set(['SR', 'KO', 'PR', 'DOC']);

/** An exam's modalities as its row says them: the imaging ones, or every one where it holds no image (all are in the cell's tooltip). */
export function imagingModalities(modalities: readonly string[]): string[] {
  const imaging = modalities.filter((m) => !DOCUMENT_MODALITIES.has(m));
  return imaging.length ? imaging : [...modalities];
}
