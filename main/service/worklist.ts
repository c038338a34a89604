// The worklist's operations: what the reader lists, opens and marks.
import type { ApiHandlers, AppInfo } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import type { ExamSummary } from '../../common/domain.ts';
import { LOCAL_READER } from './context.ts';
import type { StationContext } from './context.ts';
import { viewerSettings } from './settings.ts';
import { AI_SHOWN_ACTION, heldState } from './ai.ts';
import type { ModelHold } from '../ai/analysis.ts';

export type WorklistHandlers = Pick<ApiHandlers, 'appInfo' | 'worklistQuery' | 'examDetail' | 'setExamStatus'>;

const examNotFound = (examId: number) => new ApiError('not_found', `No exam ${examId}`, 'error.examNotFound');

/**
 * In second look, the AI's exam scores of exams to read that this reader has no first impression of yet are held
 * back, as the viewer holds back the marks: a score seen in the worklist anchors the read as much
 * as a mark does. The analysis state still shows, and the triage sort still orders by the score
 * (the exams held back first: `WorklistTables.query`).
 */
export function withholdScores<T extends ExamSummary>(ctx: StationContext, exams: T[]): T[] {
  // whatever the state of the shown analysis: while the shown model's is queued, running, cancelled
  // or failed, the score is another model's (or an older version's) finished one
  const scored = exams.filter((e) => e.ai && e.ai.score !== null);
  if (scored.length === 0 || viewerSettings(ctx).aiMarksMode !== 'second-look') return exams;
  const read = ctx.db.firstImpressions.recordedAmong(scored.map((e) => e.examId), LOCAL_READER);
  // an exam read is not held back: its reading is done (priors imported read said "after your impression"
  // for ever: a probe), unless its woman has an exam to read held back: a prior's score tells the current's
  const priorsHeld = ctx.db.firstImpressions.withExamToReadOfSameWoman(scored.filter((e) => e.status === 'read').map((e) => e.examId), LOCAL_READER);
  const held = (e: T) => (e.status !== 'read' ? !read.has(e.examId) : priorsHeld.has(e.examId));
  // a read exam held back says why: her first impression it waits for is of her later exam, not of this one
  return exams.map((e) => (e.ai && e.ai.score !== null && held(e) ? { ...e, ai: { ...e.ai, score: null, scoreWithheld: true, ...(e.status === 'read' ? { withheldForLater: true } : {}) } } : e));
}

/**
 * In second look, a woman's other exams still to read of which this reader has no first impression,
 * said so (ExamDetail's `firstImpressionDue`): the viewer keeps an exam of hers that is read locked
 * while one is, whatever that exam's analysis' state (it asked for a score held back, and a read prior
 * opened while her current exam was still queued showed its marks and score: a radiologist's probe).
 */
function markFirstImpressionsDue<T extends ExamSummary>(ctx: StationContext, exams: T[]): T[] {
  if (viewerSettings(ctx).aiMarksMode !== 'second-look') return exams;
  const toRead = exams.filter((e) => e.status !== 'read').map((e) => e.examId);
  const seen = ctx.db.firstImpressions.recordedAmong(toRead, LOCAL_READER);
  return exams.map((e) => (e.status !== 'read' && !seen.has(e.examId) ? { ...e, firstImpressionDue: true as const } : e));
}

/**
 * The shown model's analyses queued while that model is held (it ran past its time limit on an image
 * of another exam, or its folder changed under the station: AiAnalysis.heldFor): "on hold", and why,
 * not "queued" for ever (a probe's model that hangs).
 */
function markHeld<T extends ExamSummary>(exams: T[], shownHeld: ModelHold | null): T[] {
  return shownHeld ? exams.map((e) => (e.ai?.status === 'queued' ? { ...e, ai: { ...e.ai, ...heldState(shownHeld) } } : e)) : exams;
}

/**
 * The exams whose score shows and of which this reader's first impression was normal, said so: beside a
 * score the AI flags, the worklist shows the disagreement (an exam read normal against a score of 0.99
 * showed in the list as any other read exam: two radiologists' probes). The flag itself is the page's,
 * at the shown model's exam operating point, as the score's highlight is.
 */
function markNormalImpressions<T extends ExamSummary>(ctx: StationContext, exams: T[]): T[] {
  // the shown model's analysis done: a score that is another model's finished one (the shown model's still
  // queued, or failed) is not set against her impression (a probe: an uninstalled model's 0.49 beside it)
  // (or its earlier version's, while the new one analyses it again: scoreVersion)
  const scored = exams.filter((e) => e.ai && (e.ai.status === 'done' || e.ai.scoreVersion !== undefined) && e.ai.score !== null).map((e) => e.examId);
  const normal = ctx.db.firstImpressions.recordedAmong(scored, LOCAL_READER, 'normal');
  return normal.size === 0 ? exams : exams.map((e) => (e.ai && normal.has(e.examId) ? { ...e, ai: { ...e.ai, firstImpressionNormal: true } } : e));
}

/**
 * Second look: the exams read here by this reader, their analysis done, with no first impression of
 * hers: said so in the list (they looked like exams read with the AI's second look: a probe).
 */
function markReadWithoutImpression<T extends ExamSummary>(ctx: StationContext, exams: T[]): T[] {
  if (viewerSettings(ctx).aiMarksMode !== 'second-look') return exams;
  const read = exams.filter((e) => e.status === 'read' && e.ai?.status === 'done').map((e) => e.examId);
  if (read.length === 0) return exams;
  const withImpression = ctx.db.firstImpressions.recordedAmong(read, LOCAL_READER);
  // (not where her AI's output showed before the read: in concurrent mode, then switched to second look,
  // the marks were on screen; a probe's exam read so was flagged "its marks were locked"; shown after
  // the read, as the read unlocks them, it was read without them)
  const shownBefore = ctx.db.audit.withActionBeforeLastRead(read, LOCAL_READER, AI_SHOWN_ACTION);
  const readHere = ctx.db.audit.lastReadBy(read.filter((id) => !withImpression.has(id) && !shownBefore.has(id)), LOCAL_READER);
  return readHere.size === 0 ? exams : exams.map((e) => (e.ai && readHere.has(e.examId) ? { ...e, ai: { ...e.ai, readWithoutImpression: true } } : e));
}

export function worklistHandlers(ctx: StationContext, shownModelHeld: () => ModelHold | null = () => null): WorklistHandlers {
  // exams as the reader is shown them: scores held back in second look, the held model's analyses "on hold",
  // her normal first impressions beside the scores that show
  const asShown = <T extends ExamSummary>(exams: T[]) => markReadWithoutImpression(ctx, markNormalImpressions(ctx, markHeld(withholdScores(ctx, exams), shownModelHeld())));
  const withheld = (exam: ExamSummary) => asShown([exam])[0]!;
  return {
    appInfo: async (): Promise<AppInfo> => ({
      name: 'Binome',
      version: ctx.version,
      libraryDir: ctx.paths.root,
      transport: 'loopback-http', // each transport overrides this with what it is
      runtime: ctx.runtime,
      examCount: ctx.db.worklist.countExams(),
    }),
    worklistQuery: async (q) => {
      const page = ctx.db.worklist.query(q, viewerSettings(ctx).aiMarksMode === 'second-look' ? { withheldFor: LOCAL_READER } : {});
      return { ...page, rows: asShown(page.rows) };
    },
    examDetail: async ({ examId, purpose = 'open' }) => {
      const detail = ctx.db.worklist.examDetail(examId);
      if (!detail) throw examNotFound(examId);
      if (purpose === 'open' || purpose === 'prior') ctx.db.audit.record(LOCAL_READER, purpose === 'prior' ? 'open-as-prior' : 'open', examId);
      return { ...detail, exam: withheld(detail.exam), priors: markFirstImpressionsDue(ctx, asShown(detail.priors)) };
    },
    setExamStatus: async ({ examId, status }) => {
      ctx.assertOpen();
      const exam = ctx.db.worklist.setExamStatus(examId, status, (id) => ctx.db.audit.record(LOCAL_READER, `status:${status}`, id));
      if (!exam) throw examNotFound(examId);
      ctx.events.emit('worklistChanged', { reason: 'status', examId });
      return withheld(exam);
    },
  };
}
