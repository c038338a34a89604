// What must be said of a model wherever its marks, scores or name show (viewer, worklist, AI models
// panel, command line, CAD SR): that it was trained on synthetic images, all or in part (a manifest
// of such a model always says it is not for diagnostic use: model-manifest.ts), or, for one trained
// on real images, that its own manifest says it is not for diagnostic use. One rule for every place:
// the panel and the command line had said nothing of a real-trained model not for diagnostic use,
// and the viewer had called it synthetic-trained.

export type ModelCaveat = 'synthetic' | 'mixed' | 'not-diagnostic';

export function modelCaveat(model: { trainedOn: 'synthetic' | 'real' | 'mixed'; notForDiagnosticUse: boolean }): ModelCaveat | null {
  if (model.trainedOn !== 'real') return model.trainedOn;
  return model.notForDiagnosticUse ? 'not-diagnostic' : null;
}

/** The caveat in English, for what the station writes (the command line, a CAD SR's algorithm parameters). */
export function modelCaveatInEnglish(caveat: ModelCaveat): string {
  return caveat === 'not-diagnostic' ? 'Not for diagnostic use' : `Not for diagnostic use: trained on ${caveat === 'mixed' ? 'partly ' : ''}synthetic images`;
}
