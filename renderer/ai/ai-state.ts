// What the viewer and the worklist say of an exam's AI analysis and of its model, in the reader's
// language: the state (failed: why, from the failure's code), and the label every viewport showing
// marks carries (the model, and for a model trained on synthetic images or not for diagnostic use,
// that it is not for diagnostic use).
import { modelCaveat } from '../../common/ai/model-caveat.ts';
import { showableText } from '../../common/ai/model-manifest.ts';
import type { AiFinding, AiResults, Locale } from '../../common/domain.ts';
import { AI_FINDING_CLASSES } from '../../common/domain.ts';
import type { NotRead } from '../../common/ai/not-read.ts';
import { MODEL_CHANGED_CODES, UNREADABLE_IMAGE_CODES } from '../../common/ai/not-read.ts';
import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';
import { formatScore, formatScoreAgainst, formatThreshold, scoreScaleText } from '../../common/i18n/messages.ts';
import { failureReason } from '../../common/ai/failure-reason.ts';

type Translate = (key: MessageKey, params?: MessageParams) => string;


/** A "failure" that says what the images are, not that anything went wrong: their pixels are coarser than the model reads (a reduced copy). */
export function notForModel(code: string | null | undefined): boolean {
  return code === 'images_too_coarse';
}

/** The runtime's words when a provider's libraries are not on the computer (CUDA's, cuDNN's: onnxruntime-node ships none). */
const MISSING_LIBRARY = /Failed to load shared library|cannot open shared object|LoadLibrary failed/i;

/**
 * Why an accelerator was not used, in the reader's words where the runtime's are known: its English
 * library error, raw, read in the French AI models panel (a probe). Else the runtime's own, made showable.
 */
export function fallbackReason(t: Translate, reason: string): string {
  return MISSING_LIBRARY.test(reason) ? t('ai.models.fallbackLibraries') : showableText(reason);
}

/** What a held analysis says (the worklist's cell and the AI strip): why its model's analyses wait. */
export function heldKey(heldFor: 'changed' | undefined): MessageKey {
  return heldFor === 'changed' ? 'ai.state.heldChanged' : 'ai.state.held';
}

/** Whether a failure lasts until the station starts again (its model's folder changed under it): "analyse again" would fail the same way. */
export function needsRestart(code: string | null | undefined): boolean {
  return (MODEL_CHANGED_CODES as readonly (string | null | undefined)[]).includes(code);
}

// why an analysis failed, in the reader's words: shared with the command line (common/)
export { failureReason };

/** The view label of the finding that gives a breast its score (the best of its findings, scoring exactly that), or null. */
export function bestFindingView(findings: readonly AiFinding[], side: 'R' | 'L', breastScore: number, viewOf: (instanceId: number) => string | null): string | null {
  let best: { score: number; view: string } | null = null;
  for (const finding of findings) {
    const view = viewOf(finding.instanceId);
    if (view?.startsWith(side) && (!best || finding.score > best.score)) best = { score: finding.score, view };
  }
  return best && Math.abs(best.score - breastScore) < 1e-9 ? best.view : null;
}

/**
 * The one view a breast was imaged in, where it has a craniocaudal view or a mediolateral one but not
 * both (the other quarantined, or never taken): its score rests on that view alone, with nothing in
 * the other to confirm or weigh it. Null when it has both, or none.
 */
export function singleView(labels: readonly string[], side: 'R' | 'L'): string | null {
  const views = labels.filter((l) => l.startsWith(side));
  const cc = views.find((l) => /^[RL](CC|XCC|FB)/.test(l));
  const mlo = views.find((l) => /^[RL](MLO|ML|LM|LMO|SIO)/.test(l));
  return (cc === undefined) === (mlo === undefined) ? null : (cc ?? mlo)!;
}

/** The analysis state in a few words; the exam score only where the reader may see the AI's opinion. */
export function aiStateText(t: Translate, results: AiResults | null, options: { showScore: boolean; locale: Locale; viewOf?: (instanceId: number) => string | null;
  /** The view labels of the exam's images (for presentation), to say a breast's score rests on one view. */
  viewLabels?: readonly string[];
  /** Whether the exam images a breast with an implant: the model's caveat for such exams is said. */
  implant?: boolean }): string {
  const state = results?.state;
  if (!state) return t('ai.state.none');
  // a reduced copy is not a failure of anything: the model is not made for its pixels
  if (state.status === 'failed') return t(notForModel(state.failure?.code) ? 'ai.state.notForModel' : 'ai.state.failed', { reason: failureReason(t, state.failure?.code, state.failure?.detail) });
  const said = t(state.paused ? 'ai.state.paused' : state.held ? heldKey(state.heldFor) : `ai.state.${state.status}`);
  // what the score means, said with it: "0.93" alone reads as a probability of 93 %
  const scale = results.model?.scoreScale;
  const examScoreText = (score: string) => (scale ? t('ai.examScoreOnScale', { score, scale: scoreScaleText(options.locale, scale) }) : t('ai.examScore', { score }));
  const examPoint = results.model?.examOperatingPoint;
  // flagged as the worklist flags it (the model's exam operating point), its score written so as to keep its side
  // (the breasts' scores too, the best of them being the exam's: 0.2351 said "exam score 0.2351" and "right breast 0.24" beside a threshold of 0.2357)
  const scoreText = (score: number) => (examPoint ? formatScoreAgainst(options.locale, score, examPoint.threshold, scale) : formatScore(options.locale, score, scale));
  // and not flagged, said as plainly: under the flag nothing was said, and the reader had to remember the threshold (a probe)
  const flagged = !examPoint || state.examScore === null ? ''
    : ` · ${t(state.examScore >= examPoint.threshold ? 'ai.examFlagged' : 'ai.examNotFlagged', { threshold: formatThreshold(options.locale, examPoint.threshold, scale) })}`;
  const scored = state.status === 'done' && options.showScore && state.examScore !== null ? `${said} · ${examScoreText(scoreText(state.examScore))}${flagged}` : said;
  // each breast's score beside the exam's (the best of the two): which side the model finds suspicious
  const { R: right, L: left } = state.breastScores;
  // with the view its score comes from: the best finding may lie on a view the step does not show (an
  // RXCCL's 0.99 beside a four-view step whose one right mark read 0.46: a probe could not tell where it came from)
  // and said where that finding is not marked at the reader's operating point ("left breast 0.14", no
  // view, no mark on any image: a radiologist's probe looked for it)
  const breastText = (side: 'R' | 'L', score: number) => {
    const source = state.breastSources?.[side];
    // written against her operating point, which it is under: 0.1499 read "0,15" beside a mark of 0.1547 drawn as "0,15" (a probe)
    if (source && !source.marked) {
      const point = results.model?.operatingPoint.threshold;
      return `${point === undefined ? scoreText(score) : formatScoreAgainst(options.locale, score, point, scale)} (${t('ai.breastUnmarked', { view: source.view })})`;
    }
    const view = source?.view ?? (options.viewOf ? bestFindingView(results.findings, side, score, options.viewOf) : null);
    return view ? `${scoreText(score)} (${view})` : scoreText(score);
  };
  const perBreast = state.status === 'done' && options.showScore && right !== undefined && left !== undefined
    ? `${scored} · ${t('ai.breastScores', { right: breastText('R', right), left: breastText('L', left) })}` : scored;
  // said whether or not the score shows: that the model never saw a breast is not its opinion of it
  const unread = state.status === 'done' ? notReadText(t, state.notRead) : '';
  // nor an image it could not read (the score and marks are the other images')
  const unreadImages = state.status === 'done' ? unreadImagesText(t, state.unreadImages) : '';
  // one breast read, the other neither read nor imaged (a mastectomy, an exam of one side): the exam score is that breast's alone
  const oneBreast = state.status === 'done' && (right === undefined) !== (left === undefined) && !state.notRead.includes(right === undefined ? 'R' : 'L')
    ? t(right === undefined ? 'ai.oneBreast.L' : 'ai.oneBreast.R') : '';
  // a breast of one view (its other quarantined: an incomplete exam): its score is that view's alone (a probe)
  const oneView = state.status === 'done' && options.viewLabels ? (['R', 'L'] as const)
    .filter((side) => state.breastScores[side] !== undefined).map((side) => ({ side, view: singleView(options.viewLabels!, side) }))
    .filter((b) => b.view !== null).map((b) => t(`ai.oneView.${b.side}`, { view: b.view! })).join(' · ') : '';
  // what the model's validation found on breasts with an implant, said on such an exam (a probe saw
  // calcification marks over an implant, and nothing said that the model is weaker there), in her language where the manifest gives it
  const caveat = results.model?.implantCaveat ? results.model.implantCaveatTranslations?.[options.locale] ?? results.model.implantCaveat : null;
  const implant = options.implant && caveat ? t('ai.implantCaveat', { note: caveat }) : '';
  // a score of a model this station does not run: its scale and flag are not known here, said beside it
  const notHere = results.modelNotHere && state.status === 'done' ? t('ai.modelNotHere', { model: `${results.modelNotHere.id} ${results.modelNotHere.version}` }) : '';
  // kept from an earlier version that gives the same results: its CAD SR names that version, said here too
  const keptFrom = state.status === 'done' && state.resultsVersion && results.model ? t('ai.resultsVersion', { version: state.resultsVersion, model: results.model.version }) : '';
  return [perBreast, notHere, keptFrom, oneBreast, oneView, implant, unread, unreadImages].filter(Boolean).join(' · ');
}

/** Why the analysis could not read an image, in a few words (over its viewport, and after its view in the AI strip). */
export function unreadReason(t: Translate, code: string | undefined): string {
  const known = UNREADABLE_IMAGE_CODES.find((c) => c === code);
  return known ? t(`ai.unread.${known}`) : t('ai.failure.other', { code: code ?? '?' });
}

/** "RMLO not analysed: the image could not be read" (and the others, joined), or '' when it read every image it was given. */
export function unreadImagesText(t: Translate, images: readonly { view: string; code: string }[]): string {
  return images.map(({ view, code }) => t('ai.unreadImage', { view, reason: unreadReason(t, code) })).join(' · ');
}

/** "left breast not read by the model" (and the others, joined), or '' when the analysis read every image a model can. */
export function notReadText(t: Translate, parts: readonly NotRead[]): string {
  return parts.map((part) => t(`ai.notRead.${part}`)).join(' · ');
}

/** The label over a viewport showing a CAD report's marks: the algorithm that made them, as its report names it. */
export function cadMarksLabel(t: Translate, report: AiResults['cadReports'][number]): { model: string; warning: string | null } {
  const name = report.algorithmVersion ? `${report.algorithmName} ${report.algorithmVersion}` : report.algorithmName;
  // what its writer says it is not for (the station's synthetic-trained model says so in its SRs), said over its marks
  // (its first sentence: the station's own SRs go on to say what their scores are on, "Scores: uncalibrated, 0–1…")
  const caveat = report.algorithmParameters?.split(/\. (?=Scores: )/)[0] ?? null;
  const warning = caveat && /not for diagnostic use|synthetic/i.test(caveat) ? caveat : null;
  return { model: `CAD · ${t('ai.cadReport', { name, manufacturer: report.manufacturer ?? '?' })}`, warning };
}

/** The label over every viewport that shows the model's marks. */
export function marksLabel(t: Translate, model: NonNullable<AiResults['model']>): { model: string; version: string; warning: string | null; warningShort?: string; warningTiny?: string } {
  // the version bound to the name's last word: wrapped within its half of an oblique view's cell, "0.5.4" stood on a line of its own (a probe)
  const name = t('ai.marksLabel', { model: t('ai.model', { name: model.name, version: model.version }) }).replace(/ (?=\S+$)/u, '\u00a0');
  // shorter warnings: what small viewports say in its place (the AI strip above says it whole)
  const caveat = modelCaveat(model);
  return caveat
    ? { model: name, version: model.version, warning: t(`ai.${caveat}`), warningShort: t(`ai.${caveat}Short`), warningTiny: t(`ai.${caveat}Tiny`) }
    : { model: name, version: model.version, warning: null };
}

/** A finding class's name as the strip's switches and the images say it (a class of the lexicon; any other model's class is "other"). */
export function aiClassName(t: Translate, findingClass: string): string {
  return t(((AI_FINDING_CLASSES as readonly string[]).includes(findingClass) ? `ai.class.${findingClass}` : 'ai.class.other') as MessageKey);
}
